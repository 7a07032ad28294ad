"""The API key and the webhook key never reach a log line, an exception or a repr."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest
import respx

from airflow_provider_taptalent.exceptions import TapTalentError
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from tests.conftest import FAKE_API, FAKE_HOST, LIVE_KEY, TEST_KEY, set_connection

WEBHOOK_KEY = "whk_sEcReT_value_123456"
SECRETS = (TEST_KEY, LIVE_KEY, WEBHOOK_KEY, TEST_KEY[8:], LIVE_KEY[8:])


def failures():
    yield (
        "unauthorized",
        lambda api: api.get("/jobs").respond(401, json={"error": {"code": "UNAUTHORIZED", "message": "bad key"}}),
    )
    yield (
        "validation",
        lambda api: api.get("/jobs").respond(
            400, json={"error": {"code": "INVALID_REQUEST", "details": {"perPage": "x"}}}
        ),
    )
    yield "server", lambda api: api.get("/jobs").respond(503, text="<html>down</html>")
    yield "network", lambda api: api.get("/jobs").mock(side_effect=httpx.ConnectError("refused"))
    yield "timeout", lambda api: api.get("/jobs").mock(side_effect=httpx.ReadTimeout("slow"))
    yield "garbage", lambda api: api.get("/jobs").respond(200, text="not json")
    yield "wrong shape", lambda api: api.get("/jobs").respond(200, json={"jobs": 5})


@pytest.mark.parametrize(("name", "arrange"), list(failures()), ids=[n for n, _ in failures()])
def test_no_failure_path_leaks_the_key(monkeypatch, caplog, waits, name, arrange):
    set_connection(monkeypatch, password=TEST_KEY, host=FAKE_HOST, extra={"webhook_key": WEBHOOK_KEY})
    caplog.set_level(logging.DEBUG)
    with respx.mock(base_url=FAKE_API) as api:
        arrange(api)
        hook = TapTalentHook(max_retries=1)
        with pytest.raises(TapTalentError) as caught:
            hook.list_jobs()
        ok, message = hook.test_connection()
    assert not ok
    texts = [
        caplog.text,
        str(caught.value),
        repr(caught.value),
        "".join(traceback.format_exception(caught.value)),
        repr(caught.value.args),
        repr(caught.value.__dict__),
        message,
        repr(hook.settings),
        repr(hook),
    ]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize(
    "fields",
    [
        {"password": LIVE_KEY, "extra": {"environment": "sandbox"}},
        {"password": TEST_KEY, "extra": {"environment": "production"}},
        {"password": LIVE_KEY, "host": "http://127.0.0.1:8080"},
        {"password": TEST_KEY[:-1] + "!"},
        {"password": TEST_KEY, "extra": {"timeout": "soon", "webhook_key": WEBHOOK_KEY}},
    ],
)
def test_configuration_errors_do_not_echo_the_key(monkeypatch, caplog, fields):
    set_connection(monkeypatch, **fields)
    with pytest.raises(TapTalentError) as caught:
        TapTalentHook().list_jobs()
    for secret in (*SECRETS, TEST_KEY[:-1] + "!", TEST_KEY[8:-1]):
        assert secret not in str(caught.value)
        assert secret not in caplog.text


def test_the_keys_are_registered_with_the_secret_masker(monkeypatch):
    from airflow_provider_taptalent.hooks import taptalent

    masked = []
    monkeypatch.setattr(taptalent, "mask_secret", masked.append)
    set_connection(monkeypatch, password=TEST_KEY, host=FAKE_HOST, extra={"webhook_key": WEBHOOK_KEY})
    TapTalentHook().settings  # noqa: B018
    assert masked == [TEST_KEY, WEBHOOK_KEY]


async def test_the_async_path_registers_them_too(monkeypatch):
    from airflow_provider_taptalent.hooks import taptalent

    masked = []

    async def amask(value):
        masked.append(value)

    monkeypatch.setattr(taptalent, "amask_secret", amask)
    set_connection(monkeypatch, password=TEST_KEY, host=FAKE_HOST, extra={"webhook_key": WEBHOOK_KEY})
    await TapTalentHook().asettings()
    assert masked == [TEST_KEY, WEBHOOK_KEY]
