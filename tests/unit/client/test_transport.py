"""The request path: the hard deadline, proxies, pooled clients, answer size.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import json
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import respx

from airflow_provider_taptalent.client import transport as _http
from airflow_provider_taptalent.exceptions import (
    TapTalentConfigurationError,
    TapTalentConnectionError,
    TapTalentError,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from tests.conftest import FAKE_HOST, TEST_KEY, set_connection

# -- a server that answers one byte at a time -------------------------------------------------------------


class DripServer:
    """A TCP server on 127.0.0.1 that sends a 200's headers, then its body one byte every ``interval``.

    Each byte restarts httpx's read timeout, so only a total deadline ends such a request.
    """

    def __init__(self, interval: float = 0.1, body: bytes = b'{"id": 1, "title": "Slow job"}' + b" " * 200) -> None:
        self.interval = interval
        self.body = body
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.request_lines: list[str] = []

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.request_lines.append(conn.recv(65536).split(b"\r\n", 1)[0].decode())
                head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(self.body)}\r\n\r\n"
                conn.sendall(head.encode())
                for byte in self.body:
                    if self.stop.wait(self.interval):  # the fault under test: a server that drips
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def __enter__(self) -> DripServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def drip(monkeypatch) -> Iterator[DripServer]:
    with DripServer() as server:
        set_connection(monkeypatch, password=TEST_KEY, host=f"http://127.0.0.1:{server.port}", extra={"timeout": 0.5})
        yield server


def test_item1_a_dripping_answer_ends_at_the_request_deadline(drip):
    """Before: 240 bytes at 0.1 s each kept get_job alive ~24 s with timeout 0.5 (the read timeout restarts)."""
    hook = TapTalentHook(max_retries=0)
    assert hook.settings.request_deadline == 1.0  # twice the read timeout, by default
    started = time.monotonic()
    with pytest.raises(TapTalentConnectionError, match="timed out"):
        hook.get_job(1)
    assert time.monotonic() - started < 5  # 1 s deadline; 24 s without it


def test_item1_the_async_path_keeps_the_same_deadline(drip):
    async def main() -> None:
        async with TapTalentHook(max_retries=0) as hook:
            await hook.aget_job(1)

    started = time.monotonic()
    with pytest.raises(TapTalentConnectionError, match="timed out"):
        asyncio.run(main())
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_name_look_up_that_hangs_ends_at_the_request_deadline(monkeypatch, asynchronous):
    """Review 2026-12-02 #27: ``getaddrinfo`` takes no timeout. Before, a sync attempt waited as long as the
    resolver did (here: until the test let it go, 20 s); now both end at the 1 s deadline."""
    release, real = threading.Event(), socket.getaddrinfo

    def hanging(host, *args, **kwargs):
        if host in ("hangs.taptalent.test", b"hangs.taptalent.test"):  # anyio asks in IDNA bytes
            release.wait(20)
            raise socket.gaierror(socket.EAI_AGAIN, "the resolver gave up")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    set_connection(monkeypatch, password=TEST_KEY, host="http://hangs.taptalent.test", extra={"timeout": 0.5})

    def get_job() -> float:
        """When the call failed (on the loop: asyncio.run waits for the resolver's thread after it)."""
        with pytest.raises(TapTalentConnectionError, match="timed out"):
            TapTalentHook(max_retries=0).get_job(1)
        return time.monotonic()

    async def aget_job() -> float:
        with pytest.raises(TapTalentConnectionError, match="timed out"):
            async with TapTalentHook(max_retries=0) as hook:
                await hook.aget_job(1)
        ended = time.monotonic()
        release.set()
        return ended

    started = time.monotonic()
    try:
        ended = asyncio.run(aget_job()) if asynchronous else get_job()
        assert ended - started < 5
    finally:
        release.set()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_item1_the_deadline_holds_through_the_environments_proxy(monkeypatch, asynchronous):
    """Before: HTTP(S)_PROXY was ignored (httpx.Client reads no proxy from the environment once it is given
    a transport, and the hook gave it the deadline-bounded one): behind a proxy, nothing connected. Now the
    request goes through the proxy, and its deadline holds there too (the proxy drips)."""
    with DripServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        set_connection(monkeypatch, password=TEST_KEY, host="http://taptalent.invalid", extra={"timeout": 0.5})

        async def aget() -> None:
            async with TapTalentHook(max_retries=0) as hook:
                await hook.aget_job(1)

        started = time.monotonic()
        with pytest.raises(TapTalentConnectionError, match="timed out"):
            asyncio.run(aget()) if asynchronous else TapTalentHook(max_retries=0).get_job(1)
        assert time.monotonic() - started < 5
    assert proxy.request_lines == ["GET http://taptalent.invalid/v1/partner/jobs/1 HTTP/1.1"]


def test_a_sandbox_on_loopback_is_reached_directly_whatever_proxy_the_environment_names(sandbox_conn, monkeypatch):
    """A machine whose environment names a proxy (for package registries, say) still runs the demo and the
    tests: port 1 answers nothing, so a request sent through it would fail."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:1")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert TapTalentHook(max_retries=0).list_jobs(page_number=1, per_page=10).total_jobs >= 0


class JsonServer:
    """A TCP server answering every request with one JSON body (a job titled ``name``), recording request
    lines: a direct target and a proxy tell apart which way a request went."""

    def __init__(self, name: str, host: str = "127.0.0.1") -> None:
        self.body = json.dumps({"success": True, "data": {"id": 1, "title": name}}).encode()
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        self.request_lines: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.request_lines.append(conn.recv(65536).split(b"\r\n", 1)[0].decode())
                head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(self.body)}\r\n"
                conn.sendall(f"{head}connection: close\r\n\r\n".encode() + self.body)

    def __enter__(self) -> JsonServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def _own_address() -> str:
    """An address of this machine that is not loopback (so neither httpx nor a loopback rule sends it
    direct on its own), else 127.0.0.2. A UDP socket's connect sends nothing."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only the route is looked up
        address = probe.getsockname()[0]
        if not ipaddress.ip_address(address).is_loopback:
            return str(address)
    return "127.0.0.2"


@pytest.mark.parametrize(
    ("no_proxy", "way"),
    [
        ("", "proxy"),
        ("{host}", "direct"),
        ("{host}:{port}", "direct"),  # review 2026-12-02 #20: the port form was ignored
        ("http://{host}", "direct"),  # review #5: the URL form was ignored
        ("http://{host}:{port}", "direct"),
        ("https://{host}", "proxy"),  # another scheme: not bypassed
        ("127.0.0.3,{host}", "direct"),
        ("*", "direct"),
    ],
)
def test_the_environments_proxy_and_no_proxy_are_read_as_httpx_reads_them(monkeypatch, no_proxy, way):
    """The hook goes where a bare ``httpx.Client`` goes, for each form of NO_PROXY (before: a hand-made reading
    that differed from httpx's in the port and URL forms)."""
    host = _own_address()
    with JsonServer("direct", host=host) as target, JsonServer("proxy") as proxy:
        for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", no_proxy.format(host=host, port=target.port))
        base = f"http://{host}:{target.port}"
        set_connection(monkeypatch, password=TEST_KEY, host=base)
        with httpx.Client(trust_env=True) as bare:
            assert bare.get(f"{base}/v1/partner/jobs/1").json()["data"]["title"] == way
        assert TapTalentHook(max_retries=0).get_job(1).title == way


def test_a_subdomain_pattern_in_no_proxy_leaves_the_domain_itself_proxied_as_in_httpx(monkeypatch):
    """Review #5: ``NO_PROXY=.example.com`` bypassed ``example.com`` itself here, not in httpx."""
    with JsonServer("proxy") as proxy:
        for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", ".taptalent.invalid")
        set_connection(monkeypatch, password=TEST_KEY, host="http://taptalent.invalid")
        assert TapTalentHook(max_retries=0).get_job(1).title == "proxy"
    assert proxy.request_lines == ["GET http://taptalent.invalid/v1/partner/jobs/1 HTTP/1.1"]


def test_the_connections_proxy_extra_is_used_and_its_password_never_shown(monkeypatch, caplog):
    with JsonServer("proxy") as proxy:
        monkeypatch.delenv("HTTP_PROXY", raising=False)
        monkeypatch.delenv("http_proxy", raising=False)
        url = f"http://ops:pr0xy-pass@127.0.0.1:{proxy.port}"
        set_connection(monkeypatch, password=TEST_KEY, host="http://taptalent.invalid", extra={"proxy": url})
        hook = TapTalentHook(max_retries=0)
        assert hook.get_job(1).title == "proxy"
        assert "pr0xy-pass" in hook.settings.secrets()  # masked in task logs
        assert "pr0xy-pass" not in repr(hook.settings)
    assert proxy.request_lines == ["GET http://taptalent.invalid/v1/partner/jobs/1 HTTP/1.1"]


@pytest.mark.parametrize("value", ["ftp://ops:pr0xy-pass@proxy.corp", "proxy.corp:3128", "http://", 3128])
def test_a_proxy_extra_that_is_not_a_proxy_url_names_the_field_and_hides_its_text(monkeypatch, value):
    set_connection(monkeypatch, password=TEST_KEY, extra={"proxy": value})
    with pytest.raises(TapTalentConfigurationError, match="proxy must be a URL") as caught:
        TapTalentHook().settings  # noqa: B018
    assert "pr0xy-pass" not in str(caught.value)


# -- TLS: verify and ca_bundle ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory) -> Iterator[tuple[int, str]]:
    """An HTTPS server on 127.0.0.1 with a certificate of its own CA; yields (port, the CA's PEM file)."""
    import http.server
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    body = json.dumps({"success": True, "data": {"id": 1, "title": "Over TLS"}}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "ca.pem", folder / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], str(folder / "ca.pem")
    server.shutdown()


@pytest.mark.parametrize(
    ("extra", "works"),
    [({}, False), ({"ca_bundle": "{ca}"}, True), ({"verify": False}, True), ({"verify": "false"}, True)],
    ids=["default-CAs", "ca_bundle", "verify-false", "verify-text"],
)
def test_tls_is_checked_against_the_connections_ca_bundle(monkeypatch, tls_server, extra, works):
    port, ca = tls_server
    extra = {name: (value.format(ca=ca) if isinstance(value, str) else value) for name, value in extra.items()}
    set_connection(monkeypatch, password=TEST_KEY, host=f"https://127.0.0.1:{port}", extra=extra)
    if works:
        assert TapTalentHook(max_retries=0).get_job(1).title == "Over TLS"
        assert asyncio.run(TapTalentHook(max_retries=0).aget_job(1)).title == "Over TLS"
    else:
        with pytest.raises(TapTalentConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            TapTalentHook(max_retries=0).get_job(1)


def test_a_ca_bundle_that_cannot_be_read_names_the_field_before_any_request(monkeypatch, tmp_path):
    set_connection(monkeypatch, password=TEST_KEY, host=FAKE_HOST, extra={"ca_bundle": str(tmp_path / "none.pem")})
    with respx.mock(assert_all_called=False) as mock, pytest.raises(TapTalentConfigurationError, match="ca_bundle"):
        TapTalentHook(max_retries=0).get_job(1)
    assert not mock.calls
    set_connection(monkeypatch, password=TEST_KEY, extra={"verify": "maybe"})
    with pytest.raises(TapTalentConfigurationError, match="verify must be true or false"):
        TapTalentHook().settings  # noqa: B018


# -- a client brought by the caller ------------------------------------------------------------------------------


def test_a_client_of_your_own_is_used_keeps_the_deadline_and_is_not_closed(drip):
    """Its event hooks see each request; its headers go with ours; a dripping answer still ends at the
    attempt's deadline; closing the hook leaves it open for its owner."""
    seen: list[httpx.Request] = []
    own = httpx.Client(headers={"X-Trace": "abc"}, event_hooks={"request": [seen.append]})
    hook = TapTalentHook(max_retries=0, http_client=own)
    started = time.monotonic()
    with pytest.raises(TapTalentConnectionError, match="timed out"):
        hook.get_job(1)
    assert time.monotonic() - started < 5
    assert [r.headers["X-Trace"] for r in seen] == ["abc"]
    assert seen[0].headers["Authorization"].startswith("Bearer sk_test_")
    hook.close()
    assert not own.is_closed
    own.close()


def test_an_async_client_of_your_own_is_used_and_keeps_the_deadline(drip):
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    async def main() -> None:
        async with (
            httpx.AsyncClient(event_hooks={"request": [record]}) as own,
            TapTalentHook(max_retries=0, async_http_client=own) as hook,
        ):
            await hook.aget_job(1)

    started = time.monotonic()
    with pytest.raises(TapTalentConnectionError, match="timed out"):
        asyncio.run(main())
    assert time.monotonic() - started < 5
    assert len(seen) == 1


def test_the_client_class_takes_a_client_of_your_own():
    from airflow_provider_taptalent.client.client import TapTalentClient
    from airflow_provider_taptalent.client.settings import settings_from_connection

    settings = settings_from_connection("mine", password=TEST_KEY, host=FAKE_HOST, port=None, extra={})
    answers = httpx.MockTransport(lambda request: httpx.Response(200, json={"id": 3, "title": "Own"}))
    with httpx.Client(transport=answers) as own, TapTalentClient(settings, http_client=own) as client:
        assert client.get_job(3).title == "Own"


@pytest.mark.parametrize(
    ("proxy", "says"),
    [("ftp://ops:s3cret@proxy.corp:21", "must be an http://"), ("socks5://ops:s3cret@proxy.corp:1080", "socksio")],
)
def test_an_unusable_proxy_in_the_environment_is_a_typed_error_without_its_password(monkeypatch, proxy, says):
    """Before: httpx's ValueError (or ImportError) escaped, its message repeating the proxy URL and password."""
    import importlib.util

    if says == "socksio" and importlib.util.find_spec("socksio") is not None:
        pytest.skip("socksio is installed: a socks5 proxy is usable")
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", proxy)
    set_connection(monkeypatch, password=TEST_KEY, host="http://taptalent.invalid")
    with pytest.raises(TapTalentConfigurationError, match="environment names") as caught:
        TapTalentHook(max_retries=0).get_job(1)
    assert says in str(caught.value)
    logged = "".join(traceback.format_exception(caught.value))  # what a task log shows, chained errors too
    assert "s3cret" not in logged


def test_item1_an_explicit_request_deadline_is_read_from_the_connection(monkeypatch):
    set_connection(monkeypatch, password=TEST_KEY, extra={"timeout": 10, "request_deadline": 12})
    assert TapTalentHook().settings.request_deadline == 12
    set_connection(monkeypatch, password=TEST_KEY, extra={"request_deadline": "soon"})
    with pytest.raises(TapTalentConfigurationError, match="request_deadline"):
        TapTalentHook().settings  # noqa: B018


def test_item1_test_connection_answers_within_its_budget(drip, monkeypatch):
    monkeypatch.setattr("airflow_provider_taptalent.hooks.taptalent._TEST_CONNECTION_BUDGET", 1.5)
    started = time.monotonic()
    ok, message = TapTalentHook().test_connection()
    assert not ok and "timed out" in message
    assert time.monotonic() - started < 5


def test_item1_a_trigger_fires_at_its_end_time_while_a_request_hangs(monkeypatch):
    """Before: a trigger with a 3 s deadline fired after 31 s, its poll stuck on a dripping answer."""
    from airflow_provider_taptalent.triggers.taptalent import TapTalentBatchTrigger

    with DripServer(interval=0.5) as server:
        # A generous per-request deadline (60 s): only the trigger's own end time can end this wait.
        set_connection(
            monkeypatch,
            password=TEST_KEY,
            host=f"http://127.0.0.1:{server.port}",
            extra={"timeout": 30, "request_deadline": 60},
        )
        trigger = TapTalentBatchTrigger(["b1"], "taptalent_default", 0.1, time.time() + 1.0)

        async def first_event() -> dict:
            async for event in trigger.run():
                return event.payload
            raise AssertionError("no event")

        started = time.monotonic()
        payload = asyncio.run(first_event())
    assert payload["status"] == "timeout"
    assert time.monotonic() - started < 5


# -- items 7 and 13: async clients ---------------------------------------------------------------------------


def test_item7_concurrent_first_polls_share_one_client(api):
    """Before: 5 batches polled at once made 5 clients, and only the last was closed."""
    api.get(url__regex=r"/candidates/batch/.*").respond(
        json={"success": True, "data": {"batchId": "b", "status": "COMPLETED", "fileCount": 1, "processedCount": 1}}
    )
    made: list[httpx.AsyncHTTPTransport] = []
    closed: list[httpx.AsyncHTTPTransport] = []
    real_init, real_aclose = httpx.AsyncHTTPTransport.__init__, httpx.AsyncHTTPTransport.aclose

    def counting_init(self, *args, **kwargs):
        made.append(self)
        real_init(self, *args, **kwargs)

    async def counting_aclose(self):
        closed.append(self)
        await real_aclose(self)

    async def main() -> None:
        from airflow_provider_taptalent.utils import batches as _batches

        async with TapTalentHook() as hook:
            await _batches.apoll(hook, ["b1", "b2", "b3", "b4", "b5"])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx.AsyncHTTPTransport, "__init__", counting_init)
        patch.setattr(httpx.AsyncHTTPTransport, "aclose", counting_aclose)
        asyncio.run(main())
    assert len(made) == 1
    assert closed == made


def test_concurrent_first_calls_from_threads_open_one_pool(api, monkeypatch):
    """Before: the threads of a fetch making their first calls together each built a driver and opened a
    pool (four here; all but one never closed). The factory waits for a second caller; with the driver and
    its pool made once, none comes (each of the two locks alone fails this test: checked)."""
    api.get("/jobs/7").respond(json={"success": True, "data": {"id": 7, "title": "Nurse"}})
    made: list[object] = []
    together = threading.Barrier(2, timeout=0.5)
    real = _http._open_client

    def opening(*args):
        made.append(args)
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait()
        return real(*args)

    monkeypatch.setattr(_http, "_open_client", opening)
    hook = TapTalentHook()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert [job.id for job in pool.map(lambda _: hook.get_job(7), range(4))] == [7] * 4
    hook.close()
    assert len(made) == 1


def test_item13_one_hook_works_under_two_event_loops(api):
    """Before: the second asyncio.run failed with 'Event loop is closed' (the client was bound to the first)."""
    api.get("/jobs/1").respond(json={"id": 1})
    hook = TapTalentHook()
    assert asyncio.run(hook.aget_job(1)).id == 1
    assert asyncio.run(hook.aget_job(1)).id == 1


def test_one_hook_used_by_two_threads_loops_at_once_closes_each_loops_pool(api, monkeypatch):
    """Review 2026-12-02 #21: two threads, each running event loops one after another, share one hook and
    close it in each loop (``async with``). Before, the hook kept one async pool: a loop's first call replaced
    the other thread's pool without closing it, and its ``aclose`` dropped the other's (8 of 10 left open)."""
    from airflow_provider_taptalent.client import client as _client

    api.get("/jobs/1").respond(json={"id": 1})
    built: list[object] = []
    closed: list[object] = []

    class Recorded(_client.AsyncDriver):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            built.append(self)

        async def aclose(self) -> None:
            closed.append(self)
            await super().aclose()

    monkeypatch.setattr(_client, "AsyncDriver", Recorded)
    hook = TapTalentHook()
    together = threading.Barrier(2)

    async def one_loop() -> None:
        async with hook:
            assert (await hook.aget_job(1)).id == 1
            await asyncio.to_thread(together.wait, 60)  # both loops hold a pool now
            assert (await hook.aget_job(1)).id == 1
            await asyncio.to_thread(together.wait, 60)

    def five_loops() -> None:
        try:
            for _ in range(5):
                asyncio.run(one_loop())
        except BaseException:
            together.abort()  # the other thread stops waiting: the first error is the one reported
            raise

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(five_loops) for _ in range(2)]
        errors = [f.exception() for f in futures]
        first = next((e for e in errors if not isinstance(e, (type(None), threading.BrokenBarrierError))), None)
        if first is not None:
            raise first
        assert errors == [None, None]
    assert len(built) == 10  # one pool per loop, kept through the loop
    assert set(map(id, closed)) == set(map(id, built))  # and each closed by its own loop


# -- review 2026-12-02 #18: an answer's decoded size is capped ------------------------------------------------


def _bomb(request: httpx.Request) -> httpx.Response:
    import gzip

    body = gzip.compress(b'{"jobs": ["' + b"0" * (40 * 2**20) + b'"], "totalJobs": 1}', compresslevel=9)
    return httpx.Response(200, content=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})


def test_a_gzip_bomb_is_refused_not_decoded_whole(fake_conn, waits):
    """Before: 40 KB on the wire, 40 MiB decoded and parsed; now refused past 32 MiB, and not retried."""
    calls = []

    def bomb(request):
        calls.append(request)
        return _bomb(request)

    hook = TapTalentHook()
    hook.transport = httpx.MockTransport(bomb)
    with pytest.raises(TapTalentError, match="over 32 MiB once decoded"):
        hook.list_jobs()
    assert len(calls) == 1


async def test_a_gzip_bomb_is_refused_by_the_async_client_too(fake_conn, waits):
    hook = TapTalentHook()
    hook.async_transport = httpx.MockTransport(_bomb)
    with pytest.raises(TapTalentError, match="over 32 MiB once decoded"):
        await hook.alist_jobs()
