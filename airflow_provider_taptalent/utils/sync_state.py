"""The job sync's state: which source record is which TapTalent job, and what was sent (one file or object).

``{"version": 1, "jobs": {external_id: entry}}``. Read and checked entry by entry (a bad entry is an error
naming ``state_path`` and the entry), locked for a run where the storage allows it, and replaced whole and
atomically on each save.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

from airflow_provider_taptalent._compat import ObjectStoragePath
from airflow_provider_taptalent.client.errors import TapTalentError, TapTalentInputError

STATE_VERSION = 1
#: the default ownership ledger, beside the state
OWNERSHIP_FILE = "taptalent-job-owners.json"
#: seconds a sync waits for another run on the same state to finish
LOCK_TIMEOUT = 600.0
_LOCK_POLL = 0.5


class SyncState:
    """The state file: ``{"version": 1, "jobs": {external_id: entry}}``, rewritten whole on each save.

    A local file is replaced atomically (written under a unique temporary name, then renamed) and locked
    (``flock`` on ``<path>.lock``) for the whole run, so that two runs on one state take turns. On object
    storage, which has no locks, a save first checks that the object is still what this run last read or
    wrote, and stops the run if another one changed it.
    """

    def __init__(self, path: ObjectStoragePath) -> None:
        self.path = path
        self.jobs: dict[str, dict[str, Any]] = {}
        self.saves = 0
        self._fingerprint: str | None = None

    @property
    def local(self) -> bool:
        return self.path.protocol in ("", "file")

    @classmethod
    def load(cls, path: ObjectStoragePath) -> SyncState:
        state = cls(path)
        state.jobs = state._read()
        return state

    def _read(self) -> dict[str, dict[str, Any]]:
        text = self._current_text()
        self._fingerprint = _fingerprint(text)
        if text is None:
            return {}
        try:
            data = json.loads(text)
        except ValueError as error:
            raise TapTalentInputError(
                "Invalid state_path", details={"state_path": f"not a sync state file: {error}"}
            ) from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION or not isinstance(data.get("jobs"), dict):
            raise TapTalentInputError("Invalid state_path", details={"state_path": "not a sync state file (version 1)"})
        for external_id, entry in data["jobs"].items():
            problem = _entry_problem(entry)
            if problem:
                raise TapTalentInputError(
                    "Invalid state_path",
                    details={"state_path": f"entry {external_id!r} {problem}: restore the file or delete the entry"},
                )
        jobs: dict[str, dict[str, Any]] = data["jobs"]
        return jobs

    def _current_text(self) -> str | None:
        try:
            return str(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def locked(self, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the state's lock (local files): another run on the same state waits, then reloads."""
        if not self.local:
            yield
            return
        import fcntl

        lock_path = f"{self.path.path}.lock"
        os.makedirs(os.path.dirname(lock_path) or ".", exist_ok=True)
        with open(lock_path, "a", encoding="utf-8") as handle:
            give_up = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= give_up:
                        raise TapTalentError(
                            f"Another job sync has held {self.path} for {timeout:.0f} s",
                            details={"state_path": "in use by another run: wait for it, or give each sync its own"},
                        ) from None
                    time.sleep(_LOCK_POLL)
            try:
                self.jobs = self._read()  # what the run that held the lock left
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save(self) -> None:
        text = json.dumps({"version": STATE_VERSION, "jobs": self.jobs}, separators=(",", ":"), sort_keys=True)
        if self.local:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = f"{self.path.path}.{uuid.uuid4().hex}.tmp"
            try:
                with open(temporary, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(temporary, self.path.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
        else:
            if _fingerprint(self._current_text()) != self._fingerprint:
                raise TapTalentError(
                    f"The sync state at {self.path} was changed by another run meanwhile; stopping so that "
                    "no job is created twice (the next run carries on from that state)",
                    details={"state_path": "written by two syncs at once"},
                )
            self.path.write_text(text, encoding="utf-8")
        self._fingerprint = _fingerprint(text)
        self.saves += 1


def _fingerprint(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def _entry_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return f"is a {type(entry).__name__}, not an object"
    job_id = entry.get("job_id")
    if job_id is not None and (isinstance(job_id, bool) or not isinstance(job_id, (int, str))):
        return "has a job_id that is not an id"
    pending = entry.get("pending")
    if job_id is None and not isinstance(pending, dict):
        return "has neither a job_id nor a pending create"
    if isinstance(pending, dict) and not isinstance(pending.get("job"), dict):
        return "has a pending create without its job"
    for name in ("content_hash", "taptalent_updated_at", "source_updated_at"):
        if entry.get(name) is not None and not isinstance(entry[name], str):
            return f"has a {name} that is not text"
    return None


class OwnershipLedger:
    """Which sync owns which TapTalent job: ``{"version": 1, "owners": {job_id: state_path}}``.

    Syncs of one TapTalent company that share a ledger (by default the ``taptalent-job-owners.json`` beside
    their states) never adopt each other's jobs. It is read at the start of a run and merged into at its end.
    """

    def __init__(self, path: ObjectStoragePath, owner: str) -> None:
        self.path = path
        self.owner = owner

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as error:
            raise TapTalentInputError(
                "Invalid ownership_path", details={"ownership_path": f"not an ownership ledger: {error}"}
            ) from None
        owners = data.get("owners") if isinstance(data, dict) else None
        if not isinstance(owners, dict):
            raise TapTalentInputError("Invalid ownership_path", details={"ownership_path": "not an ownership ledger"})
        return {str(k): str(v) for k, v in owners.items()}

    def owned_by_others(self) -> set[str]:
        return {job_id for job_id, owner in self._read().items() if owner != self.owner}

    def claim(self, job_ids: set[str]) -> None:
        """Record ``job_ids`` as this sync's (and release the ones it no longer maps)."""
        owners = {k: v for k, v in self._read().items() if v != self.owner}
        if not job_ids and len(owners) == len(self._read()):
            return
        owners.update(dict.fromkeys(sorted(job_ids - set(owners)), self.owner))
        text = json.dumps({"version": STATE_VERSION, "owners": owners}, separators=(",", ":"), sort_keys=True)
        if self.path.protocol in ("", "file"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = f"{self.path.path}.{uuid.uuid4().hex}.tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, self.path.path)
        else:
            self.path.write_text(text, encoding="utf-8")
