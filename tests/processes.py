"""Airflow components as child processes, for the tests that run a deployment (tests/reliability,
tests/distributed): each in a session of its own (so a kill takes what it started), its output in
``<logs>/<name>.out``, and the tails of every log in the message of a wait that times out."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import httpx

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
T = TypeVar("T")


class Processes:
    """The components started so far, by name.

    :param logs: the folder of their ``<name>.out`` files.
    """

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start_process(
        self, name: str, command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        """Start ``command`` as ``name`` (``env`` None: this process's environment)."""
        log = (self.logs / f"{name}.out").open("ab")
        self.processes[name] = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, name: str, *, also: Iterable[int] = ()) -> None:
        """SIGKILL the component, everything in its session and the processes ``also`` names: no clean
        shutdown, as when a machine dies."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        for pid in also:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        """SIGTERM every component, SIGKILL the ones still there 15 seconds later."""
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)

    def wait_for(self, what: str, check: Callable[[], T], timeout: float = 90) -> T:
        """``check()``'s first true value, polled every half second; an unreachable server counts as not yet."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = check()
                if value:
                    return value
            except (httpx.TransportError, subprocess.TimeoutExpired):
                pass
            if time.monotonic() > deadline:
                tails = {p.name: p.read_text(errors="replace")[-1500:] for p in sorted(self.logs.glob("*.out"))}
                raise AssertionError(f"timed out waiting for {what}: {json.dumps(tails, indent=1)}")
            time.sleep(0.5)
