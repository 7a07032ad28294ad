from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest


@pytest.fixture
def api(sandbox) -> Iterator[httpx.Client]:
    """A plain httpx client with company 1's key: the sandbox is checked without the provider's client."""
    with httpx.Client(
        base_url=sandbox.api_url, headers={"Authorization": f"Bearer {sandbox.api_key}"}, timeout=10
    ) as client:
        yield client


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records deliveries and answers the statuses it is told to."""

    def __init__(self) -> None:
        self.deliveries: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answered in order; 200 once they run out
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.deliveries.append({"headers": dict(self.headers), "body": json.loads(body)})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[tuple[str, Any]]:
        with self.lock:
            return [(d["body"]["event"], d["body"]["data"]["batchId"]) for d in self.deliveries]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()
