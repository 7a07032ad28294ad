from __future__ import annotations

import pytest

from airflow_provider_taptalent.client.settings import settings_from_connection
from airflow_provider_taptalent.exceptions import TapTalentConfigurationError
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from tests.conftest import LIVE_KEY, TEST_KEY, set_connection


def settings(password=TEST_KEY, host=None, port=None, **extra):
    return settings_from_connection("tt", password=password, host=host, port=port, extra=extra)


def test_environment_comes_from_the_key_prefix():
    assert settings(TEST_KEY).environment == "sandbox"
    assert settings(LIVE_KEY).environment == "production"
    assert settings(TEST_KEY).base_url == "https://sandbox.partner-api.taptalent.io/v1/partner"
    assert settings(LIVE_KEY).base_url == "https://partner-api.taptalent.io/v1/partner"


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("http://127.0.0.1:8080", None, "http://127.0.0.1:8080/v1/partner"),
        ("http://127.0.0.1", 8080, "http://127.0.0.1:8080/v1/partner"),
        ("http://127.0.0.1:8080/", None, "http://127.0.0.1:8080/v1/partner"),
        ("https://proxy.example.com/taptalent/v1/partner", None, "https://proxy.example.com/taptalent/v1/partner"),
        ("sandbox.partner-api.taptalent.io", None, "https://sandbox.partner-api.taptalent.io/v1/partner"),
    ],
)
def test_a_host_without_a_path_gets_the_api_prefix(host, port, expected):
    assert settings(host=host, port=port).base_url == expected


@pytest.mark.parametrize(
    ("key", "environment", "says"),
    [
        (LIVE_KEY, "sandbox", "Use an sk_test_ key for sandbox"),
        (TEST_KEY, "production", "Use an sk_live_ key for production"),
    ],
)
def test_a_key_of_the_other_environment_is_refused_with_the_fix(key, environment, says):
    with pytest.raises(TapTalentConfigurationError) as caught:
        settings(key, environment=environment)
    assert says in str(caught.value)
    assert "'tt'" in str(caught.value)
    assert key not in str(caught.value) and key[8:] not in str(caught.value)


def test_environment_matching_the_key_is_accepted_in_any_case():
    assert settings(LIVE_KEY, environment="Production").environment == "production"


@pytest.mark.parametrize("password", [None, "", "   "])
def test_a_missing_key_names_the_connection(password):
    with pytest.raises(TapTalentConfigurationError, match="Connection 'tt' has no API key"):
        settings(password)


@pytest.mark.parametrize(
    "password", ["sk_test_short", "pk_test_AbCdEfGhIjKlMnOpQrStUv", "sk_test_AbCdEfGhIjKlMnOpQrSt!v"]
)
def test_a_malformed_key_is_refused_without_echoing_it(password):
    with pytest.raises(TapTalentConfigurationError, match="not a TapTalent key") as caught:
        settings(password)
    assert password not in str(caught.value)


def test_a_key_pasted_with_white_space_is_trimmed():
    assert settings(f"  {TEST_KEY}\n").api_key == TEST_KEY


def test_a_live_key_is_never_sent_over_plain_http():
    with pytest.raises(TapTalentConfigurationError, match="https"):
        settings(LIVE_KEY, host="http://127.0.0.1:8080")


@pytest.mark.parametrize("host", ["ftp://example.com", "http://", "://"])
def test_a_host_that_is_not_a_base_url_is_refused(host):
    with pytest.raises(TapTalentConfigurationError, match="host must be a base URL"):
        settings(host=host)


def test_extras_are_read_as_typed_values_from_strings_too():
    s = settings(timeout="12.5", max_retries="2", max_batch_size="200", webhook_key="whk")
    assert (s.timeout, s.max_retries, s.max_batch_size, s.webhook_key) == (12.5, 2, 200, "whk")


def test_legacy_prefixed_extras_are_read():
    s = settings(**{"extra__taptalent__timeout": 7, "extra__taptalent__environment": "sandbox"})
    assert s.timeout == 7 and s.environment == "sandbox"


def test_blank_extras_from_the_ui_form_mean_default():
    s = settings(timeout="", max_retries="", environment="", max_batch_size=None)
    assert (s.timeout, s.max_retries, s.max_batch_size, s.environment) == (30.0, 5, 5000, "sandbox")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"timeout": "soon"}, "timeout must be a number"),
        ({"timeout": 0}, "timeout must be 0.001 or more"),
        ({"max_retries": 1.5}, "max_retries must be a whole number"),
        ({"max_retries": -1}, "max_retries must be 0 or more"),
        ({"max_batch_size": 6000}, "max_batch_size must be from 1 to 5000"),
        ({"max_batch_size": True}, "max_batch_size must be a whole number"),
        ({"environment": "staging"}, "environment must be 'production' or 'sandbox'"),
    ],
)
def test_unreadable_extras_name_the_field(extra, message):
    with pytest.raises(TapTalentConfigurationError, match=message):
        settings(**extra)


def test_hook_arguments_override_the_connection():
    s = settings_from_connection(
        "tt", password=TEST_KEY, host=None, port=None, extra={"timeout": 5}, timeout=9, max_retries=0
    )
    assert (s.timeout, s.max_retries) == (9, 0)


def test_repr_hides_the_secrets():
    s = settings(webhook_key="super-secret-webhook")
    assert TEST_KEY not in repr(s) and "super-secret-webhook" not in repr(s)


@pytest.mark.parametrize(
    ("uri", "base_url", "environment"),
    [
        (
            f"taptalent://:{TEST_KEY}@?environment=sandbox",
            "https://sandbox.partner-api.taptalent.io/v1/partner",
            "sandbox",
        ),
        (f"taptalent://http://:{TEST_KEY}@127.0.0.1:8080", "http://127.0.0.1:8080/v1/partner", "sandbox"),
        (
            f"taptalent://:{LIVE_KEY}@partner-api.taptalent.io?timeout=60",
            "https://partner-api.taptalent.io/v1/partner",
            "production",
        ),
    ],
)
def test_connections_given_as_uris_as_the_readme_shows(monkeypatch, uri, base_url, environment):
    from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

    monkeypatch.setenv("AIRFLOW_CONN_FROM_URI", uri)
    settings = TapTalentHook("from_uri").settings
    assert (settings.base_url, settings.environment) == (base_url, environment)


# -- item 12: credentials in the base URL --------------------------------------------------------------------


@pytest.mark.parametrize("host", ["http://user:hunter2@127.0.0.1:8080", "https://admin@partner-api.taptalent.io"])
def test_item12_credentials_in_the_base_url_are_refused_without_echoing_them(monkeypatch, host):
    set_connection(monkeypatch, password=TEST_KEY, host=host)
    with pytest.raises(TapTalentConfigurationError) as raised:
        TapTalentHook().settings  # noqa: B018
    message = str(raised.value)
    assert "host" in message and "user name or password" in message
    assert "hunter2" not in message and "admin" not in message
