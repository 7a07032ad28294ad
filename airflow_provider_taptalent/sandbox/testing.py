"""Run a sandbox inside a test: on a free port, in a background thread, with a handle to steer it.

>>> from airflow_provider_taptalent.sandbox.testing import run_sandbox
>>> with run_sandbox(batch_seconds=1) as sandbox:          # doctest: +SKIP
...     os.environ.update(sandbox.airflow_env())             # AIRFLOW_CONN_TAPTALENT_DEFAULT
...     ...                                                   # run hooks, operators, dag.test()
...     sandbox.advance()                                     # finish every batch now
...     assert sandbox.state()["companies"]["1"]["jobs"]
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from airflow_provider_taptalent.sandbox.app import Sandbox, create_app
from airflow_provider_taptalent.sandbox.config import Faults, SandboxConfig, WebhookSettings


class SandboxServer:
    """A sandbox served by uvicorn in a daemon thread.

    :param config: how the sandbox behaves (seed, batch clock, faults, webhooks ...).
    :param host: interface to listen on.
    :param port: port; 0 picks a free one.
    """

    def __init__(self, config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port
        self.app = create_app(self.config)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._control: httpx.Client | None = None

    @property
    def sandbox(self) -> Sandbox:
        """The live state, for direct inspection (same process)."""
        return self.app.sandbox

    def start(self, timeout: float = 10.0) -> SandboxServer:
        import uvicorn

        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            date_header=False,  # the sandbox dates its own answers (sandbox/faults.py)
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="taptalent-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the TapTalent sandbox did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- where it is and how to reach it --------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:53211`` (what a connection's host is set to)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1/partner"

    @property
    def api_key(self) -> str:
        """A key of company 1."""
        return self.sandbox.primary_key

    @property
    def other_api_key(self) -> str:
        """A key of company 2 (to check that companies never see each other's data)."""
        return self.sandbox.secondary_key

    def connection(self, **extra: Any) -> dict[str, Any]:
        """An Airflow connection, as a dict, that points at this sandbox."""
        conn: dict[str, Any] = {"conn_type": "taptalent", "password": self.api_key, "host": self.url}
        if extra:
            conn["extra"] = extra
        return conn

    def airflow_env(self, conn_id: str = "taptalent_default", **extra: Any) -> dict[str, str]:
        """``{"AIRFLOW_CONN_<ID>": json}``, ready for ``os.environ.update`` or ``monkeypatch.setenv``."""
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(self.connection(**extra))}

    # -- steering -------------------------------------------------------------------------------------

    @property
    def control(self) -> httpx.Client:
        if self._control is None:
            self._control = httpx.Client(base_url=f"{self.url}/__sandbox", timeout=30)
        return self._control

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.control.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._call("POST", "/reset")

    def advance(self, batch_ids: list[Any] | None = None) -> list[int]:
        """Finish these batches (default: all) now; returns the ids advanced."""
        body = {"batchIds": batch_ids} if batch_ids is not None else {}
        return list(self._call("POST", "/batches/advance", json=body)["advanced"])

    def pass_time(self, seconds: float) -> None:
        """Move the sandbox's clock forward (its times, batches and ``Date``), instead of sleeping."""
        self._call("POST", "/clock/advance", json={"seconds": seconds})

    def state(self, *, urls: bool = False, candidates: bool = False) -> dict[str, Any]:
        """Every company's jobs and batches (with their URLs), and its candidates when asked for."""
        params = {"urls": str(urls).lower(), "candidates": str(candidates).lower()}
        return dict(self._call("GET", "/state", params=params))

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        return list(self._call("GET", "/requests", params={"since": since})["requests"])

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """e.g. ``set_faults(rate_5xx=0.2, rate_429=0.1, rate_drop=0.05)``; zeros switch them off."""
        return dict(self._call("PATCH", "/faults", json=faults))

    def set_webhooks(self, **settings: Any) -> dict[str, Any]:
        return dict(self._call("PATCH", "/webhooks", json=settings))

    def deliveries(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/webhooks/deliveries")["deliveries"])


@contextlib.contextmanager
def run_sandbox(
    *,
    faults: Faults | None = None,
    webhooks: WebhookSettings | None = None,
    **config: Any,
) -> Iterator[SandboxServer]:
    """Start a sandbox for the ``with`` block; keyword arguments are :class:`SandboxConfig` fields."""
    settings = SandboxConfig(**config)
    if faults is not None:
        settings.faults = faults
    if webhooks is not None:
        settings.webhooks = webhooks
    server = SandboxServer(settings).start()
    try:
        yield server
    finally:
        server.stop()
