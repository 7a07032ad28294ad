"""Regression tests for the defects the adversarial review and the newcomer's walk-through found.

Each test names the item of the hardening issue it covers (``item N``) and failed before its fix.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import math
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import httpx
import pytest
import respx

from airflow_provider_taptalent.client import transport as _http
from airflow_provider_taptalent.client.retry import RetryPolicy
from airflow_provider_taptalent.exceptions import (
    TapTalentConfigurationError,
    TapTalentConnectionError,
    TapTalentError,
    TapTalentRateLimitError,
    TapTalentServerError,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.models import parse_timestamp
from airflow_provider_taptalent.operators.taptalent import TapTalentCreateJobOperator, TapTalentSyncJobsOperator
from tests.conftest import FAKE_API, TEST_KEY, set_connection

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


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


def test_the_environments_proxy_is_read_as_httpx_reads_it(monkeypatch):
    from airflow_provider_taptalent.client.transport import environment_proxy

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    assert environment_proxy("https://api.taptalent.io/v1/partner") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert environment_proxy("https://api.taptalent.io/v1/partner") == "http://proxy.corp:3128"
    assert environment_proxy("http://sandbox.corp:8080/v1/partner") is None  # HTTP_PROXY is not set
    monkeypatch.setenv("ALL_PROXY", "http://all.corp:3128")
    assert environment_proxy("http://sandbox.corp:8080/v1/partner") == "http://all.corp:3128"
    # a sandbox on this machine is never reached through a proxy (a proxy for package registries, say)
    for local in ("http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.0.0.2"):
        assert environment_proxy(f"{local}/v1/partner") is None, local
    monkeypatch.setenv("NO_PROXY", "taptalent.io,sandbox.corp")
    assert environment_proxy("https://api.taptalent.io/v1/partner") is None
    assert environment_proxy("http://sandbox.corp:8080/v1/partner") is None
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.setenv("HTTPS_PROXY", "proxy.corp:3128")  # no scheme: http, as httpx and curl take it
    assert environment_proxy("https://api.taptalent.io/v1/partner") == "http://proxy.corp:3128"


@pytest.mark.parametrize(
    ("proxy", "says"),
    [("ftp://ops:s3cret@proxy.corp:21", "not ftp://"), ("socks5://ops:s3cret@proxy.corp:1080", "socksio")],
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


# -- create recovery ------------------------------------------------------------------------------------


@pytest.fixture
def api(fake_conn, waits):
    with respx.mock(base_url=FAKE_API, assert_all_called=False) as mock:
        yield mock


def _job(job_id: int, created: float, **fields: object) -> dict:
    return {"id": job_id, **JOB, **fields, "createdAt": int(created), "updatedAt": int(created)}


def test_item2_recovery_never_adopts_a_job_that_existed_before_the_create(api):
    """Before: after a 503, a job with the same fields made 4 minutes earlier was returned as the new one."""
    older = _job(10001, time.time() - 240)
    api.get("/jobs").respond(json={"jobs": [older], "totalJobs": 1})
    created = _job(10002, time.time())
    post = api.post("/jobs").mock(
        side_effect=[httpx.Response(503, json={"error": {"code": "INTERNAL_ERROR"}}), httpx.Response(200, json=created)]
    )
    job = TapTalentHook().create_job(JOB, idempotency_key="k1")
    assert job.id == 10002
    assert post.call_count == 2


def test_item2_recovery_skips_the_jobs_the_caller_knows(api):
    known = _job(10001, time.time())  # created a moment ago, by another record of the same sync
    api.get("/jobs").respond(json={"jobs": [known], "totalJobs": 1})
    post = api.post("/jobs").mock(
        side_effect=[httpx.Response(503, json={"error": {}}), httpx.Response(200, json=_job(10002, time.time()))]
    )
    job = TapTalentHook().create_job(JOB, idempotency_key="k2", known_job_ids=[10001])
    assert job.id == 10002 and post.call_count == 2


def test_item2_recovery_still_finds_the_job_its_own_attempt_made(api):
    mine = _job(10003, time.time())
    api.get("/jobs").respond(json={"jobs": [mine], "totalJobs": 1})
    post = api.post("/jobs").mock(side_effect=[httpx.Response(502, json={"error": {}})])
    assert TapTalentHook().create_job(JOB, idempotency_key="k3", known_job_ids=[10001]).id == 10003
    assert post.call_count == 1


def test_item2_create_job_operator_without_skip_does_not_return_a_pre_existing_job(api):
    api.get("/jobs").respond(json={"jobs": [_job(10001, time.time() - 120)], "totalJobs": 1})
    api.post("/jobs").mock(
        side_effect=[httpx.Response(503, json={"error": {}}), httpx.Response(200, json=_job(10002, time.time()))]
    )
    ti = SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1, xcom_push=lambda key, value: None)
    assert TapTalentCreateJobOperator(task_id="t", job=JOB, skip_if_exists=False).execute({"ti": ti}) == 10002


def _sync(records, state_path, *, in_thread=False, **kwargs):
    ti = SimpleNamespace(dag_id="d", task_id="sync", run_id="r", map_index=-1, xcom_push=lambda key, value: None)
    operator = TapTalentSyncJobsOperator(task_id="sync", jobs=records, state_path=str(state_path), **kwargs)
    # Airflow 2's guard against execute() outside a task runner keeps thread-local state: a thread goes
    # around it, as a second worker process would.
    execute = getattr(type(operator).execute, "__wrapped__", type(operator).execute) if in_thread else None
    return execute(operator, {"ti": ti}) if execute else operator.execute({"ti": ti})


def _records(*ids: str, **fields: object) -> list[dict]:
    return [{"external_id": i, "updated_at": "2026-01-01T00:00:00Z", **JOB, **fields} for i in ids]


def test_item2_two_identical_records_get_two_jobs_when_a_create_fails_ambiguously(
    sandbox_conn, sandbox, tmp_path, monkeypatch
):
    """Before: REQ-2's create hit a 503 before commit; recovery took REQ-1's job: {'REQ-1': 10001, 'REQ-2': 10001}."""
    real_exchange = _http.SyncTransport.exchange
    posts = []

    def exchange(self, step):
        if step.call.method == "POST" and step.call.path == "/jobs":
            posts.append(step.call.idempotency_key)
            if len(posts) == 2:  # REQ-2's first attempt: a 503 before TapTalent did anything
                raise TapTalentServerError("injected 503", status_code=503)
        return real_exchange(self, step)

    monkeypatch.setattr(_http.SyncTransport, "exchange", exchange)
    monkeypatch.setattr(RetryPolicy, "sleep", staticmethod(lambda seconds: None))
    state = tmp_path / "state.json"
    counts = _sync(_records("REQ-1", "REQ-2"), state, adopt_existing=False)
    assert counts["created"] == 2
    mapped = {k: v["job_id"] for k, v in json.loads(state.read_text())["jobs"].items()}
    assert len(set(mapped.values())) == 2, mapped
    assert len(sandbox.state()["companies"]["1"]["jobs"]) == 2


# -- two syncs on one state file --------------------------------------------------------------------------


def test_item3_two_concurrent_syncs_on_one_state_create_each_job_once(sandbox_conn, sandbox, tmp_path):
    """Before: both runs crashed on the shared ``.tmp`` name and left duplicate jobs."""
    state = tmp_path / "shared" / "state.json"
    records = _records(*(f"ATS-{n}" for n in range(20)))
    for n, r in enumerate(records):
        r["title"] = f"Engineer {n}"
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def one_run() -> None:
        try:
            barrier.wait()
            _sync(records, state, in_thread=True)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    titles = [job["title"] for job in sandbox.state()["companies"]["1"]["jobs"]]
    assert sorted(titles) == sorted(r["title"] for r in records)  # each once
    assert not list(state.parent.glob("*.tmp"))


def test_item3_the_sync_operator_runs_one_instance_at_a_time_by_default():
    operator = TapTalentSyncJobsOperator(task_id="s", jobs=[], state_path="/tmp/s.json")
    assert operator.max_active_tis_per_dag == 1
    assert (
        TapTalentSyncJobsOperator(
            task_id="t", jobs=[], state_path="/x", max_active_tis_per_dag=3
        ).max_active_tis_per_dag
        == 3
    )


def test_item3_a_state_on_object_storage_changed_by_another_run_stops_the_sync(tmp_path):
    from airflow_provider_taptalent._compat import ObjectStoragePath
    from airflow_provider_taptalent.utils.sync_state import SyncState

    try:
        path = ObjectStoragePath("memory://taptalent-test/state.json")
        path.write_text(json.dumps({"version": 1, "jobs": {}}))
    except ValueError:
        pytest.skip("this Airflow's object storage has no memory:// filesystem")
    state = SyncState.load(path)
    path.write_text(json.dumps({"version": 1, "jobs": {"X": {"job_id": 1}}}))  # another run saved meanwhile
    state.jobs["Y"] = {"job_id": 2}
    with pytest.raises(Exception, match="changed by another run"):
        state.save()
    assert "Y" not in path.read_text()


# -- item 5: state writes proportional to changes ---------------------------------------------------------


def test_item5_state_writes_grow_with_chunks_not_records(sandbox_conn, sandbox, tmp_path, monkeypatch):
    from airflow_provider_taptalent.utils import job_sync as sync_module

    saves = []
    real_save = sync_module.SyncState.save
    monkeypatch.setattr(sync_module.SyncState, "save", lambda self: (saves.append(1), real_save(self))[1])
    records = _records(*(f"ATS-{n}" for n in range(120)))
    for n, r in enumerate(records):
        r["title"] = f"Engineer {n}"
    state = tmp_path / "state.json"
    assert _sync(records, state)["created"] == 120
    assert len(saves) <= 2 * (-(-120 // sync_module.CHUNK))  # before: 240 (two full rewrites per create)
    saves.clear()
    assert _sync(records, state)["unchanged"] == 120
    assert saves == []  # a run that changes nothing writes nothing


# -- item 8: Retry-After that is not a number ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-inf", "1e999"])
def test_item8_a_retry_after_that_is_not_finite_is_ignored(value):
    assert _http._retry_after(value) is None
    policy = RetryPolicy()
    error = TapTalentRateLimitError("slow down", status_code=429, retry_after=float("nan"))
    wait = policy.wait_seconds(1, error)
    assert math.isfinite(wait) and 0 <= wait <= policy.initial_wait


def test_item8_a_nan_retry_after_does_not_crash_the_sync_path(api, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(RetryPolicy, "sleep", staticmethod(slept.append))
    api.get("/jobs/1").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "NaN"}, json={"error": {"code": "RATE_LIMITED"}}),
            httpx.Response(200, json={"id": 1}),
        ]
    )
    assert TapTalentHook().get_job(1).id == 1
    assert all(math.isfinite(s) for s in slept)


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
    from airflow_provider_taptalent.client import deadline

    api.get("/jobs/7").respond(json={"success": True, "data": {"id": 7, "title": "Nurse"}})
    made: list[object] = []
    together = threading.Barrier(2, timeout=0.5)
    real = deadline.sync_transport

    def opening(**options):
        made.append(options)
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait()
        return real(**options)

    monkeypatch.setattr(deadline, "sync_transport", opening)
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


# -- item 11 (timestamps) and 14 (ids, future and naive times) ---------------------------------------------


@pytest.mark.parametrize("value", [1e300, -1e300, float("nan"), float("inf"), "99999999999999999999"])
def test_item11_an_impossible_timestamp_is_a_value_error(value):
    with pytest.raises(ValueError, match=r"not a time|year"):
        parse_timestamp(value)


def test_item11_bad_records_fail_alone(sandbox_conn, sandbox, tmp_path):
    """Before: ``updated_at: 1e300`` ended the whole sync with OverflowError; a raising mapping did too."""

    def mapping(record):
        if record["external_id"] == "BAD-MAP":
            raise KeyError("department")
        return {k: v for k, v in record.items() if k in JOB}

    records = [*_records("OK-1", "BAD-MAP"), {"external_id": "BAD-TIME", "updated_at": 1e300, **JOB}]
    pushed: dict = {}
    ti = SimpleNamespace(
        dag_id="d", task_id="s", run_id="r", map_index=-1, xcom_push=lambda key, value: pushed.update({key: value})
    )
    counts = TapTalentSyncJobsOperator(
        task_id="s", jobs=records, state_path=str(tmp_path / "s.json"), mapping=mapping
    ).execute({"ti": ti})
    assert (counts["created"], counts["failed"]) == (1, 2)
    failed = {f["external_id"]: f for f in pushed["report"]["failed"]}
    assert "KeyError" in failed["BAD-MAP"]["error"] and "mapping" in failed["BAD-MAP"]["details"]
    assert "updated_at" in failed["BAD-TIME"]["details"]


def test_item14_far_future_times_zero_ids_and_naive_times(sandbox_conn, sandbox, tmp_path):
    soon = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    records = [
        {"external_id": 0, "updated_at": soon, **JOB, "title": "Zero is an id"},
        {"external_id": "FUTURE", "updated_at": "2099-01-01T00:00:00Z", **JOB, "title": "From the future"},
        {"external_id": "NAIVE", "updated_at": "2026-01-01T09:00:00", **JOB, "title": "No time zone"},
    ]
    pushed: dict = {}
    ti = SimpleNamespace(
        dag_id="d", task_id="s", run_id="r", map_index=-1, xcom_push=lambda key, value: pushed.update({key: value})
    )
    counts = TapTalentSyncJobsOperator(task_id="s", jobs=records, state_path=str(tmp_path / "s.json")).execute(
        {"ti": ti}
    )
    assert (counts["created"], counts["failed"]) == (2, 1)
    failed = {f["external_id"]: f for f in pushed["report"]["failed"]}
    assert "in the future" in failed["FUTURE"]["error"] and "updated_at" in failed["FUTURE"]["details"]
    assert pushed["report"]["naive_timestamps"] == ["NAIVE"]
    state = json.loads((tmp_path / "s.json").read_text())
    assert set(state["jobs"]) == {"0", "NAIVE"}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("not a dict", "not an object"),
        ({"job_id": [1]}, "job_id"),
        ({"job_id": None}, "neither a job_id nor a pending"),
        ({"job_id": None, "pending": {"job": "x"}}, "pending create without its job"),
        ({"job_id": 1, "content_hash": 5}, "content_hash"),
    ],
)
def test_item11_a_state_entry_of_the_wrong_type_names_the_state_and_entry(tmp_path, entry, problem):
    from airflow_provider_taptalent._compat import ObjectStoragePath
    from airflow_provider_taptalent.exceptions import TapTalentInputError
    from airflow_provider_taptalent.utils.sync_state import SyncState

    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 1, "jobs": {"ATS-9": entry}}))
    with pytest.raises(TapTalentInputError) as raised:
        SyncState.load(ObjectStoragePath(str(path)))
    assert "ATS-9" in raised.value.details["state_path"] and problem in raised.value.details["state_path"]


# -- item 12: credentials in the base URL --------------------------------------------------------------------


@pytest.mark.parametrize("host", ["http://user:hunter2@127.0.0.1:8080", "https://admin@partner-api.taptalent.io"])
def test_item12_credentials_in_the_base_url_are_refused_without_echoing_them(monkeypatch, host):
    set_connection(monkeypatch, password=TEST_KEY, host=host)
    with pytest.raises(TapTalentConfigurationError) as raised:
        TapTalentHook().settings  # noqa: B018
    message = str(raised.value)
    assert "host" in message and "user name or password" in message
    assert "hunter2" not in message and "admin" not in message


# -- item 6: an incomplete candidates file is never published -------------------------------------------------


def test_item6_fewer_candidates_than_announced_keep_the_previous_file(sandbox_conn, sandbox, tmp_path, monkeypatch):
    """Before: the short file was moved over the good one, then the task failed."""
    from airflow_provider_taptalent.exceptions import TapTalentError
    from airflow_provider_taptalent.operators.taptalent import TapTalentFetchCandidatesOperator
    from tests.unit.deferral import upload
    from tests.unit.test_operators import context

    batch = upload(sandbox, 30)
    sandbox.advance()
    output = tmp_path / "candidates.jsonl"
    output.write_text("yesterday's complete file\n")
    task = TapTalentFetchCandidatesOperator(task_id="f", batch_ids=batch, output_path=str(output), per_page=10)
    real_page = task._page
    monkeypatch.setattr(task, "_page", lambda batch_id, n: real_page(batch_id, n)[:-1])  # the API serves one short
    with pytest.raises(TapTalentError, match="Expected 30 candidates but read 28"):
        task.execute(context())
    assert output.read_text() == "yesterday's complete file\n"
    assert not list(tmp_path.glob("*.partial"))


# -- item 9: resume URLs that are plainly not public -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1/r.pdf",
        "http://localhost:8080/r.pdf",
        "http://10.0.0.7/r.pdf",
        "http://192.168.1.2/r.pdf",
        "http://[::1]/r.pdf",
        "http://[::ffff:127.0.0.1]/r.pdf",
        "http://0/r.pdf",
        "http://2130706433/r.pdf",
        "http://127.1/r.pdf",
        "http://intranet/r.pdf",
        "http://files.corp/r.pdf",
        "http://bad host.example.com/r.pdf",
        "https://files.example.com/r\u200b.pdf",
        "https://user:s3cr3t@files.example.com/r.pdf",
        "ftp://files.example.com/r.pdf",
    ],
)
def test_item9_urls_that_are_not_public_are_refused_before_any_request(url):
    from airflow_provider_taptalent.exceptions import TapTalentInputError
    from airflow_provider_taptalent.utils.sources import resume_urls_from

    with pytest.raises(TapTalentInputError) as raised:
        resume_urls_from([url])
    assert "resume_urls[0]" in raised.value.details
    assert "s3cr3t" not in json.dumps(raised.value.details)  # never the credentials


def test_item9_public_urls_pass_and_no_error_or_log_shows_a_query_string(caplog):
    from airflow_provider_taptalent.exceptions import TapTalentInputError
    from airflow_provider_taptalent.utils.sources import resume_urls_from

    signed = "https://bucket.s3.eu-west-1.amazonaws.com/r.pdf?X-Amz-Signature=d34db33f&X-Amz-Credential=AKIA"
    assert resume_urls_from([signed, "https://8.8.8.8/r.pdf"])[0] == [signed, "https://8.8.8.8/r.pdf"]
    bad = "http://10.1.1.1/r.pdf?X-Amz-Signature=d34db33f"
    with pytest.raises(TapTalentInputError) as raised:
        resume_urls_from([signed, bad])
    text = f"{raised.value} {raised.value.details} {caplog.text}"
    assert "d34db33f" not in text and "http://10.1.1.1/r.pdf" in text


def test_item9_the_hook_applies_the_same_rule(fake_conn):
    from airflow_provider_taptalent.exceptions import TapTalentInputError

    with respx.mock(base_url=FAKE_API) as mock, pytest.raises(TapTalentInputError):
        TapTalentHook().bulk_upload_resumes(["http://169.254.169.254/x.pdf"])
    assert not mock.calls


# -- item 11: files and outputs ------------------------------------------------------------------------------


def test_item11_a_csv_saved_by_excel_with_a_byte_order_mark_is_read(sandbox_conn, sandbox, tmp_path):
    """Before: the BOM glued itself to the first column name, and every record failed 'no external id'."""
    export = tmp_path / "jobs.csv"
    export.write_bytes(
        "\ufeffexternal_id,updated_at,title,city,state,country\r\n"
        "ATS-1,2026-01-01T00:00:00Z,Data Engineer,Berlin,Berlin,Germany\r\n".encode()
    )
    assert _sync(str(export), tmp_path / "s.json")["created"] == 1


def test_item11_a_fetch_output_path_that_is_a_folder_fails_before_any_request(sandbox_conn, sandbox, tmp_path):
    from airflow_provider_taptalent.operators.taptalent import TapTalentFetchCandidatesOperator
    from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed
    from tests.unit.test_operators import context

    before = len(sandbox.requests())
    with pytest.raises(TapTalentTaskFailed, match="output_path") as raised:
        TapTalentFetchCandidatesOperator(task_id="f", batch_ids=["b"], output_path=str(tmp_path)).execute(context())
    assert "is a folder" in raised.value.details["output_path"]
    assert len(sandbox.requests()) == before


@pytest.mark.parametrize("field", ["state_path", "jobs"])
def test_item11_an_object_store_without_its_filesystem_names_the_field_and_is_not_retried(fake_conn, field):
    """Before: ``ValueError: No filesystem registered for scheme s3`` (retried, no field named)."""
    pytest.importorskip("airflow")
    try:
        import s3fs  # noqa: F401

        pytest.skip("s3fs is installed here")
    except ImportError:
        pass
    from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed

    args = {"jobs": [], "state_path": "/tmp/unused-state.json", field: "s3://bucket/key.json"}
    with respx.mock(base_url=FAKE_API, assert_all_called=False) as mock, pytest.raises(TapTalentTaskFailed) as raised:
        _sync(args["jobs"], args["state_path"])
    assert field in raised.value.details and "s3" in raised.value.details[field]
    assert not mock.calls


# -- item 4: secret extras under names Airflow redacts -----------------------------------------------------------


def test_item4_the_webhook_secret_is_redacted_by_airflows_own_connection_api():
    """Before: ``webhook_key`` came back in clear from GET /api/v2/connections and the UI's editor."""
    datamodels = pytest.importorskip("airflow.api_fastapi.core_api.datamodels.connections")
    extra = json.dumps({"webhook_secret": "whsec-1", "previous_webhook_secret": "whsec-0", "timeout": 30})
    response = datamodels.ConnectionResponse(
        connection_id="taptalent_default",
        conn_type="taptalent",
        password="sk_test_x",
        extra=extra,
        **dict.fromkeys(("description", "host", "login", "schema", "port", "team_name")),
    )
    shown = json.loads(response.extra)
    assert shown == {"webhook_secret": "***", "previous_webhook_secret": "***", "timeout": 30}
    from airflow_provider_taptalent._form import CONN_FIELDS

    secret_fields = [name for name, spec in CONN_FIELDS.items() if spec["schema"].get("format") == "password"]
    assert secret_fields  # every secret field of the form is one Airflow redacts
    shown = json.loads(
        datamodels.ConnectionResponse.model_validate(
            {**response.model_dump(by_alias=True), "extra": json.dumps(dict.fromkeys(secret_fields, "s"))}
        ).extra
    )
    assert set(shown.values()) == {"***"}


def test_item4_the_old_extra_name_is_still_read_with_airflows_deprecation_warning(monkeypatch):
    """Issue 25: the pre-release names were read silently; now with Airflow's provider deprecation warning."""
    from airflow.exceptions import AirflowProviderDeprecationWarning

    from airflow_provider_taptalent._form import CONN_FIELDS
    from airflow_provider_taptalent.webhooks.app import connection_webhook_secrets

    set_connection(monkeypatch, password=TEST_KEY, extra={"webhook_key": "old-name"})
    with pytest.warns(AirflowProviderDeprecationWarning, match="set 'webhook_key' as 'webhook_secret'"):
        assert TapTalentHook().settings.webhook_key == "old-name"
    with pytest.warns(AirflowProviderDeprecationWarning, match="webhook_key"):
        assert connection_webhook_secrets("taptalent_default") == ["old-name"]
    set_connection(monkeypatch, password=TEST_KEY, extra={"webhook_key": "old", "webhook_secret": "new"})
    with pytest.warns(AirflowProviderDeprecationWarning):
        assert TapTalentHook().settings.webhook_key == "new"
    set_connection(monkeypatch, password=TEST_KEY, extra={"extra__taptalent__timeout": 9})
    with pytest.warns(AirflowProviderDeprecationWarning, match="set 'extra__taptalent__timeout' as 'timeout'"):
        assert TapTalentHook().settings.timeout == 9
    assert "webhook_secret" in CONN_FIELDS and "webhook_key" not in CONN_FIELDS


def test_current_extra_names_warn_nothing(monkeypatch, recwarn):
    set_connection(monkeypatch, password=TEST_KEY, extra={"webhook_secret": "new", "timeout": 9})
    assert TapTalentHook().settings.timeout == 9
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning) and "extras" in str(w.message)]


# -- item 10: the webhook receiver under attack ------------------------------------------------------------------


WEBHOOK_SECRET = "whsec_hardening_test"


def _delivery(**changes: object) -> dict:
    body = {
        "event": "resume.bulk_upload_parse.completed",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "companyId": 1,
        "data": {"batchId": 7, "status": "COMPLETED", "fileCount": 1, "successCount": 1, "failedCount": 0},
    }
    body.update(changes)
    return body


class _Recorder:
    def __init__(self) -> None:
        self.events: list = []

    def record(self, conn_id, event):
        self.events.append((conn_id, event.dedupe_key))
        return "recorded"


def _client(lookup=None, **limits):
    from fastapi.testclient import TestClient

    from airflow_provider_taptalent.webhooks import create_app

    recorder = _Recorder()
    app = create_app(recorder=recorder, key_lookup=lookup or (lambda conn_id: WEBHOOK_SECRET), **limits)
    return TestClient(app), recorder


def _post(client, conn_id="taptalent_default", body=None, key=WEBHOOK_SECRET, raw=None):
    content = raw if raw is not None else json.dumps(body or _delivery()).encode()
    return client.post(f"/{conn_id}", content=content, headers={"X-Webhook-Key": key})


def test_item10_an_unverified_callers_path_never_reaches_the_log(caplog):
    client, _ = _client()
    caplog.set_level("INFO", logger="airflow_provider_taptalent.webhooks.app")
    injected = "taptalent_default%0A2026-12-01 INFO forged line"
    assert _post(client, conn_id=injected, key="wrong").status_code == 404
    assert _post(client, conn_id="made_up_conn", key="wrong").status_code == 401
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("airflow_provider_taptalent"))
    assert "forged" not in ours and "made_up_conn" not in ours  # (the test client's own request log aside)


def test_item10_a_flood_of_unauthenticated_posts_is_rate_limited_and_spends_few_lookups(monkeypatch):
    """Before: 3,000 posts in 9 s, every one a secrets look-up and a cache entry that never shrank."""
    from types import SimpleNamespace

    from airflow_provider_taptalent.webhooks import app as app_module

    # the receiver's clock stands still: the buckets never refill, however slowly a loaded machine posts
    monkeypatch.setattr(app_module, "time", SimpleNamespace(monotonic=lambda: 1000.0, perf_counter=time.perf_counter))
    lookups = []
    client, recorder = _client(lookup=lambda conn_id: lookups.append(conn_id) or None)
    answers = [_post(client, conn_id=f"conn_{n}", key="guess").status_code for n in range(300)]
    assert answers.count(429) > 200 and set(answers) <= {401, 429}
    assert len(lookups) <= 25  # the cache-miss burst; made-up ids cost nothing after it
    limited = _post(client, conn_id="conn_x", key="guess")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert recorder.events == []


def test_item10_the_per_connection_limit_answers_429_with_retry_after():
    client, recorder = _client(per_source=(1000, 1000), per_connection=(1, 3))
    codes = [_post(client, body=_delivery(data={"batchId": n, "status": "COMPLETED"})).status_code for n in range(6)]
    assert codes[:3] == [200, 200, 200] and set(codes[3:]) == {429}
    assert len(recorder.events) == 3


def test_posts_without_the_secret_never_spend_what_the_real_sender_may_deliver(monkeypatch):
    """Review 2026-12-02 #12: before, one address posting to made-up ids used up the source's and the
    'unknown connections' buckets, and wrong keys the connection's: 4 of 5 real deliveries got 429.
    Behind a proxy every caller has one address, as the test client's requests do here."""
    from airflow_provider_taptalent.webhooks import app as app_module

    client, recorder = _client(per_connection=(1, 5))
    assert _post(client, body=_delivery(data={"batchId": 0, "status": "COMPLETED"})).status_code == 200
    monkeypatch.setattr(app_module, "KEY_CACHE_SECONDS", 0)  # every real delivery a fresh look-up too
    flood = [_post(client, conn_id=f"made_up_{n}", key="guess").status_code for n in range(300)]
    flood += [_post(client, key="wrong").status_code for _ in range(50)]
    assert 429 in flood  # the flood itself is limited ...
    real = [_post(client, body=_delivery(data={"batchId": n, "status": "COMPLETED"})).status_code for n in range(1, 5)]
    assert real == [200, 200, 200, 200]  # ... but never at the real sender's expense
    assert len(recorder.events) == 5


def test_item10_the_key_cache_is_bounded():
    from airflow_provider_taptalent.webhooks import app as app_module

    keys = app_module._CachedKeys(lambda conn_id: None, app_module.RateLimit(1e9, 1e9))
    for n in range(app_module.KEY_CACHE_SIZE * 3):
        keys.get(f"c{n}")
    assert len(keys._cache) == app_module.KEY_CACHE_SIZE


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (json.dumps(_delivery(timestamp=1e300)).encode(), "not a TapTalent event"),
        (b'{"event": "x", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper"),
        (json.dumps(_delivery(timestamp="2019-05-01T00:00:00Z")).encode(), "time window"),
        (json.dumps(_delivery(timestamp=None)).encode(), "no timestamp"),
        # review 2026-12-02 #23: PostgreSQL's receipts column is 250 characters: a DataError, 500, redelivered
        (json.dumps(_delivery(data={"batchId": "9" * 251, "status": "COMPLETED"})).encode(), "batch id too long"),
    ],
)
def test_item10_hostile_bodies_with_a_valid_key_are_400_not_500(raw, says):
    """Before: ``timestamp: 1e300`` and deep nesting answered 500 for ever (redelivered); 2019 was recorded."""
    client, recorder = _client()
    response = _post(client, raw=raw)
    assert response.status_code == 400, response.text
    assert says in response.json()["error"]
    assert recorder.events == []


def test_item10_the_key_is_checked_before_the_body_is_read():
    """Before: a slow body held a connection 21 s before the key was even looked at."""
    client, _ = _client()
    read = []

    def body():
        read.append(1)
        yield json.dumps(_delivery()).encode()

    response = client.post("/taptalent_default", content=body(), headers={"X-Webhook-Key": "wrong"})
    assert response.status_code == 401
    assert read == []


def test_item10_a_body_that_does_not_arrive_in_time_is_408(monkeypatch):
    from airflow_provider_taptalent.webhooks import app as app_module

    async def never(request):
        await asyncio.sleep(3600)

    monkeypatch.setattr(app_module, "BODY_SECONDS", 0.05)
    monkeypatch.setattr(app_module, "_read_limited", never)
    client, _ = _client()
    assert _post(client).status_code == 408


def test_item10_rotation_accepts_the_current_and_the_previous_secret():
    client, recorder = _client(lookup=lambda conn_id: ["new-secret", "old-secret"])
    assert _post(client, key="old-secret").status_code == 200
    assert (
        _post(client, key="new-secret", body=_delivery(data={"batchId": 8, "status": "COMPLETED"})).status_code == 200
    )
    assert _post(client, key="older-secret").status_code == 401
    assert len(recorder.events) == 2


# -- item 14: the sandbox's control API and its listening address ------------------------------------------------


def test_item14_the_control_api_refuses_cross_site_requests(sandbox):
    """Before: a page on any site could POST text/plain to /__sandbox/reset (a 'simple' request, no preflight)."""
    root = f"{sandbox.url}/__sandbox"
    forged = httpx.post(
        f"{root}/keys",
        content=b'{"key": "sk_test_Forged0000000000000000", "companyId": 1}',
        headers={"Content-Type": "text/plain"},
    )
    assert forged.status_code == 415
    other_site = httpx.post(f"{root}/reset", headers={"Origin": "https://evil.example"})
    assert other_site.status_code == 403
    assert "sk_test_Forged0000000000000000" not in json.dumps(sandbox.control.get("/config").json())
    assert httpx.post(f"{root}/reset").status_code == 200  # a script (no Origin) still steers it
    assert httpx.patch(f"{root}/faults", json={"rate_5xx": 0}).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5"])
def test_item14_the_sandbox_cli_refuses_a_public_address_without_allow_remote(host, capsys):
    from airflow_provider_taptalent.sandbox import cli

    with pytest.raises(SystemExit) as exited:
        cli.main(["--host", host, "--port", "1"])
    assert exited.value.code == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert cli.is_loopback("127.0.0.1") and cli.is_loopback("::1") and cli.is_loopback("localhost")


# -- items 15 and 16: make airflow on any port, with the login printed -------------------------------------------


def _standalone_module():
    import importlib.util

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("standalone", REPO / "scripts" / "standalone.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_item15_one_port_setting_moves_the_server_and_the_tasks_execution_api(monkeypatch):
    """Before: AIRFLOW__API__PORT alone left the execution API on 8080, and every task failed."""
    import subprocess
    import sys
    from pathlib import Path

    settings = _standalone_module().port_settings(8091)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    airflow = Path(sys.executable).with_name("airflow")
    read = subprocess.run(
        [str(airflow), "config", "get-value", "core", "execution_api_server_url"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert read.stdout.strip().splitlines()[-1] == "http://localhost:8091/execution/"  # (3.0 logs before it)
    assert settings["AIRFLOW__API__PORT"] == settings["AIRFLOW__WEBSERVER__WEB_SERVER_PORT"] == "8091"


def test_item16_make_airflow_says_where_the_login_and_password_are(tmp_path, monkeypatch, capsys):
    """Run the script's main() with the sandbox and airflow standalone stood in for: what it prints at start."""
    import contextlib

    module = _standalone_module()
    started: list = []

    @contextlib.contextmanager
    def fake_sandbox(*args):
        started.append(args)
        yield {"url": "http://127.0.0.1:8766", "api_key": "sk_test_x", "connection": '{"conn_type": "taptalent"}'}

    monkeypatch.setattr(module, "sandbox", fake_sandbox)
    monkeypatch.setattr(module, "HOME", tmp_path)
    monkeypatch.setattr(module, "airflow_env", lambda home, fresh: {})
    monkeypatch.setattr(module.subprocess, "call", lambda command, env: started.append(env) or 0)
    monkeypatch.setenv("PORT", "8091")
    monkeypatch.setenv("SANDBOX_PORT", "8766")
    assert module.main() == 0
    out = capsys.readouterr().out
    assert "http://localhost:8091  login: admin" in out
    assert str(tmp_path / "simple_auth_manager_passwords.json.generated") in out
    assert str(tmp_path / "standalone_admin_password.txt") in out
    assert started[0][:2] == (10, 8766) and started[1]["AIRFLOW__API__PORT"] == "8091"
    assert f"export AIRFLOW_HOME={tmp_path}" in out and "API key sk_test_x" in out  # review 2026-12-02 #31


def test_make_airflow_runs_every_example_dag_with_what_it_needs(tmp_path):
    """Review 2026-12-02 #28, #32: the warehouse connection, a sandbox history from the export's first day
    (three days back on the first start: three catch-up runs, not a month), webhooks wired to the receiver."""
    from datetime import date

    module = _standalone_module()
    env, flags, secret = module.local_settings(tmp_path, 8091, date(2026, 12, 3))
    assert env["TAPTALENT_EXPORT_START"] == "2026-11-30"
    assert json.loads(env["AIRFLOW_CONN_TAPTALENT_WAREHOUSE"]) == {
        "conn_type": "sqlite",
        "host": str(tmp_path / "warehouse.db"),
    }
    assert flags[:2] == ["--history-days", "4"]
    assert flags[2:] == ["--webhook-url", "http://localhost:8091/taptalent/webhooks/taptalent_default",
                         "--webhook-key", secret]  # fmt: skip
    later, flags_later, secret_later = module.local_settings(tmp_path, 8091, date(2026, 12, 10))
    assert later["TAPTALENT_EXPORT_START"] == "2026-11-30" and flags_later[1] == "11"  # kept, history grows
    assert secret_later == secret and len(secret) >= 24


# -- item 22: the exception users catch is public ------------------------------------------------------------------


def test_item22_taptalent_task_failed_is_exported_from_exceptions():
    from airflow_provider_taptalent import exceptions
    from airflow_provider_taptalent._compat import AirflowFailException
    from airflow_provider_taptalent.exceptions import TapTalentTaskFailed
    from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed as private

    assert TapTalentTaskFailed is private and issubclass(TapTalentTaskFailed, AirflowFailException)
    assert "TapTalentTaskFailed" in exceptions.__all__
    with pytest.raises(AttributeError):
        exceptions.NoSuchError  # noqa: B018


# -- item 21: calm progress lines with counts ------------------------------------------------------------------------


def test_item21_the_trigger_logs_progress_with_counts_at_a_calm_rate(api, caplog, monkeypatch):
    """Before: one INFO line per poll per batch (the request lines), and no counts in between."""
    from airflow_provider_taptalent.triggers import taptalent as trigger_module

    polls = {"n": 0}

    def batch(request):
        polls["n"] += 1
        done = polls["n"] >= 12
        body = {"batchId": "b", "status": "COMPLETED" if done else "PROCESSING", "fileCount": 10}
        body["processedCount"] = 10 if done else polls["n"] % 10
        return httpx.Response(200, json={"success": True, "data": body})

    api.get(url__regex=r"/candidates/batch/.*").mock(side_effect=batch)
    caplog.set_level("DEBUG", logger="airflow_provider_taptalent")
    trigger = trigger_module.TapTalentBatchTrigger(["b"], "taptalent_default", 0.001, time.time() + 60)

    async def first_event():
        async for event in trigger.run():
            return event.payload

    lines: list[str] = []
    monkeypatch.setattr(trigger.log, "info", lambda message, *args: lines.append(message % args))
    assert asyncio.run(first_event())["status"] == "success"
    assert lines == ["Waiting for TapTalent batches: 0/1 batches finished, 1/10 files processed"]  # then 30 s apart
    request_lines = [r for r in caplog.records if r.name.endswith(".client") and "->" in r.getMessage()]
    assert request_lines and all(r.levelname == "DEBUG" for r in request_lines)


def test_item5_a_parallel_sync_creates_identical_jobs_one_at_a_time_and_each_once(
    sandbox_conn, sandbox, tmp_path, monkeypatch
):
    """max_concurrency sends a chunk's writes at once; two identical jobs still never race (item 2 under load)."""
    real_exchange = _http.SyncTransport.exchange
    failed_once: set[str] = set()

    def exchange(self, step):
        key = step.call.idempotency_key
        if step.call.method == "POST" and key and key not in failed_once and len(failed_once) < 4:
            failed_once.add(key)  # every create's first attempt: a 503 before TapTalent did anything
            raise TapTalentServerError("injected 503", status_code=503)
        return real_exchange(self, step)

    monkeypatch.setattr(_http.SyncTransport, "exchange", exchange)
    monkeypatch.setattr(RetryPolicy, "sleep", staticmethod(lambda seconds: None))
    records = _records(*(f"SAME-{n}" for n in range(4))) + [
        {**r, "title": f"Other {n}"} for n, r in enumerate(_records(*(f"OTHER-{n}" for n in range(8))))
    ]
    counts = _sync(records, tmp_path / "state.json", max_concurrency=8, adopt_existing=False)
    assert counts["created"] == 12
    mapped = [v["job_id"] for v in json.loads((tmp_path / "state.json").read_text())["jobs"].values()]
    assert len(set(mapped)) == 12
    assert len(sandbox.state()["companies"]["1"]["jobs"]) == 12


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
