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
        with _flock(f"{self.path.path}.lock", timeout, "state_path", str(self.path)):
            self.jobs = self._read()  # what the run that held the lock left
            yield

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


@contextlib.contextmanager
def _flock(lock_path: str, timeout: float, field: str, what: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``lock_path`` (a local file), waited for up to ``timeout`` seconds."""
    import fcntl

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
                        f"Another job sync has held {what} for {timeout:.0f} s",
                        details={field: "in use by another run: wait for it, or give each sync its own"},
                    ) from None
                time.sleep(_LOCK_POLL)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class OwnershipLedger:
    """Which sync owns which TapTalent job: ``{"version": 1, "owners": {job_id: state_path}, "pending":
    {state_path: [match fields of a create in flight, ...]}}``.

    Syncs of one TapTalent company that share a ledger (by default the ``taptalent-job-owners.json`` beside
    their states) never adopt each other's jobs. Every change is a read, change and write under the ledger's
    lock (a local file; object storage has none). A sync reserves the match fields of its creates before it
    sends them (:meth:`reserve`), claims the jobs they made after them (:meth:`add`), claims a job before it
    adopts it (:meth:`take`, refused for a job another sync owns or may be creating), and merges in what it
    maps at the end of its run (:meth:`claim`).
    """

    def __init__(self, path: ObjectStoragePath, owner: str) -> None:
        self.path = path
        self.owner = owner

    def _read(self) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}, {}
        except ValueError as error:
            raise TapTalentInputError(
                "Invalid ownership_path", details={"ownership_path": f"not an ownership ledger: {error}"}
            ) from None
        owners = data.get("owners") if isinstance(data, dict) else None
        pending = data.get("pending", {}) if isinstance(data, dict) else None
        if not isinstance(owners, dict) or not isinstance(pending, dict):
            raise TapTalentInputError("Invalid ownership_path", details={"ownership_path": "not an ownership ledger"})
        return {str(k): str(v) for k, v in owners.items()}, {str(k): list(v) for k, v in pending.items()}

    def owned_by_others(self) -> set[str]:
        return {job_id for job_id, owner in self._read()[0].items() if owner != self.owner}

    @contextlib.contextmanager
    def _changing(self) -> Iterator[tuple[dict[str, str], dict[str, list[dict[str, Any]]]]]:
        """The ledger, read under its lock; written back if the block changed it."""
        lock = (
            _flock(f"{self.path.path}.lock", LOCK_TIMEOUT, "ownership_path", str(self.path))
            if self.path.protocol in ("", "file")
            else contextlib.nullcontext()
        )
        with lock:
            owners, pending = self._read()
            before = json.dumps([owners, pending], sort_keys=True)
            yield owners, pending
            if json.dumps([owners, pending], sort_keys=True) != before:
                self._write(owners, pending)

    def reserve(self, wanted: list[dict[str, Any]]) -> None:
        """The match fields of the creates this sync is about to send: no other sync adopts such a job."""
        with self._changing() as (_owners, pending):
            pending[self.owner] = wanted

    def add(self, job_ids: set[str]) -> None:
        """Claim the jobs this sync's creates made (those no other sync owns); its reservations end."""
        with self._changing() as (owners, pending):
            for job_id in sorted(job_ids):
                owners.setdefault(job_id, self.owner)
            pending.pop(self.owner, None)

    def take(self, job_id: str, wanted: dict[str, Any]) -> bool:
        """Claim ``job_id`` (with these match fields) for adoption, unless another sync owns it or is creating
        a job with the same match fields: whether this sync may adopt it (compare and set)."""
        with self._changing() as (owners, pending):
            owner = owners.get(job_id)
            if owner is not None:
                return owner == self.owner
            if any(wanted in creates for other, creates in pending.items() if other != self.owner):
                return False
            owners[job_id] = self.owner
            return True

    def claim(self, job_ids: set[str]) -> None:
        """Record ``job_ids`` as this sync's (and release the ones it no longer maps, and its reservations)."""
        with self._changing() as (owners, pending):
            for job_id in [k for k, v in owners.items() if v == self.owner and k not in job_ids]:
                del owners[job_id]
            for job_id in sorted(job_ids):
                owners.setdefault(job_id, self.owner)
            pending.pop(self.owner, None)

    def _write(self, owners: dict[str, str], pending: dict[str, list[dict[str, Any]]]) -> None:
        data: dict[str, Any] = {"version": STATE_VERSION, "owners": owners}
        if pending:
            data["pending"] = pending
        text = json.dumps(data, separators=(",", ":"), sort_keys=True)
        if self.path.protocol in ("", "file"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = f"{self.path.path}.{uuid.uuid4().hex}.tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, self.path.path)
        else:
            self.path.write_text(text, encoding="utf-8")
