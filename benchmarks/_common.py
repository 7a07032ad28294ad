"""What the benchmark scripts share: a sandbox in its own process, and a table printer."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence

import httpx

from airflow_provider_taptalent.sandbox.cli import free_port
from airflow_provider_taptalent.sandbox.people import api_key


@contextlib.contextmanager
def sandbox_process(*flags: str, seed: int = 0, startup: float = 20) -> Iterator[tuple[str, str]]:
    """Run ``taptalent-sandbox`` in a separate process (its own core); yields (root URL, API key)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "airflow_provider_taptalent.sandbox",
        "--port",
        str(port),
        "--seed",
        str(seed),
        *flags,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup
        while True:
            try:
                if httpx.get(f"{root}/__sandbox/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.05)
        yield root, api_key(seed, "company-1")
    finally:
        process.terminate()
        process.wait(timeout=10)


def cpu_seconds() -> float:
    """This process's CPU time so far (user + system, every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def log_to_file(path: str) -> None:
    """The provider's log lines go to a file, as a triggerer writes each trigger's log to a file: a
    console renderer on a terminal would cost more than everything measured here."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("airflow_provider_taptalent", "airflow.triggers", "httpx"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def task_logging() -> None:
    """Logging as it runs in a task: the INFO level and a handler that writes every line it gets (to
    /dev/null: written, not discarded early). Never switched off to flatter a figure."""
    devnull = open(os.devnull, "w")  # noqa: SIM115 (the handler's stream for the whole run)
    logging.basicConfig(level=logging.INFO, stream=devnull, force=True)


def connection_env(root: str, key: str, conn_id: str = "taptalent_default") -> None:
    import json

    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(
        {"conn_type": "taptalent", "password": key, "host": root}
    )


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(map(str, header))] + [[f"{c:,.1f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.rjust(w) if n else c.ljust(w) for n, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells[1:]
    ]
    return "\n".join(lines)
