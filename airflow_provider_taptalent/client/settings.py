"""From an Airflow connection to the settings a TapTalent client runs with, checked before any request.

Errors name the connection id and the field, say how to fix it, and never contain the key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import contract as _api
from .errors import TapTalentConfigurationError

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 5
#: an attempt's hard deadline, by default, in multiples of the read timeout (which restarts per chunk)
DEFAULT_DEADLINE_FACTOR = 2.0
CONN_TYPE = "taptalent"
#: the webhook secret's extra: a name Airflow redacts (it contains "secret"); the older name is still read
WEBHOOK_SECRET_FIELD = "webhook_secret"  # noqa: S105 (a field name, not a secret)
LEGACY_WEBHOOK_SECRET_FIELD = "webhook_key"  # noqa: S105
#: accepted beside the current secret while a rotation is under way
PREVIOUS_WEBHOOK_SECRET_FIELD = "previous_webhook_secret"  # noqa: S105
#: a second key of the same company and environment, used when the primary answers 401 / ACCOUNT_INACTIVE
FALLBACK_KEY_FIELD = "fallback_api_key"


@dataclass(frozen=True)
class ClientSettings:
    """Everything a client needs; the secrets are kept out of ``repr``."""

    conn_id: str
    base_url: str
    environment: _api.Environment
    api_key: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    #: seconds one attempt may take in all, however slowly the answer arrives
    request_deadline: float = DEFAULT_TIMEOUT * DEFAULT_DEADLINE_FACTOR
    max_retries: int = DEFAULT_MAX_RETRIES
    max_batch_size: int = _api.DEFAULT_MAX_BATCH_SIZE
    webhook_key: str | None = field(default=None, repr=False)
    fallback_api_key: str | None = field(default=None, repr=False)
    #: the outbound proxy's URL (it may hold a password); ``None``: the environment's, as httpx reads it
    proxy: str | None = field(default=None, repr=False)
    #: check TapTalent's TLS certificate (against ``ca_bundle``, or the default CAs)
    verify: bool = True
    #: a PEM file of CA certificates to check it against (a proxy that re-signs TLS, say)
    ca_bundle: str | None = None

    def secrets(self) -> list[str]:
        """Every secret these settings hold, for a log masker."""
        proxy_password = urlsplit(self.proxy).password if self.proxy else None
        return [s for s in (self.api_key, self.webhook_key, self.fallback_api_key, proxy_password) if s]


def extra_value(extra: Mapping[str, Any], name: str) -> Any:
    """An extra field, under its plain name or the legacy ``extra__taptalent__<name>``; blank is absent."""
    for key in (name, f"extra__{CONN_TYPE}__{name}"):
        value = extra.get(key)
        if value is not None and value != "":
            return value.strip() if isinstance(value, str) else value
    return None


def legacy_fields(extra: Mapping[str, Any]) -> list[str]:
    """The extras a connection sets under a pre-release name (``webhook_key``, ``extra__taptalent__<name>``):
    still read, and deprecated (the hook and the receiver warn; they stop being read in 0.4)."""
    prefix = f"extra__{CONN_TYPE}__"
    return sorted(
        key
        for key, value in extra.items()
        if value not in (None, "") and (key.startswith(prefix) or key == LEGACY_WEBHOOK_SECRET_FIELD)
    )


def webhook_secret(extra: Mapping[str, Any]) -> str | None:
    """The connection's webhook secret: ``webhook_secret``, or the older ``webhook_key``."""
    value = extra_value(extra, WEBHOOK_SECRET_FIELD)
    if value is None:
        value = extra_value(extra, LEGACY_WEBHOOK_SECRET_FIELD)
    return str(value) if value is not None else None


def webhook_secrets(extra: Mapping[str, Any]) -> list[str]:
    """Every webhook secret a delivery may carry: the current one, then the previous one (rotation)."""
    previous = extra_value(extra, PREVIOUS_WEBHOOK_SECRET_FIELD)
    return [str(key) for key in (webhook_secret(extra), previous) if key]


def settings_from_connection(
    conn_id: str,
    *,
    password: str | None,
    host: str | None,
    port: int | None,
    extra: Mapping[str, Any],
    timeout: float | None = None,
    max_retries: int | None = None,
) -> ClientSettings:
    """Check a connection's fields and turn them into :class:`ClientSettings`.

    :param timeout: overrides the connection's ``timeout`` extra (seconds).
    :param max_retries: overrides the connection's ``max_retries`` extra.
    :raises TapTalentConfigurationError: for a missing or malformed key, a key that belongs to the other
        environment, or an unreadable field.
    """
    api_key = (password or "").strip()
    if not api_key:
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r} has no API key: put your TapTalent key (sk_live_... or sk_test_...) "
            "in the connection's password field ('API key' in the form)."
        )
    key_environment = _api.environment_of_key(api_key)
    if key_environment is None:
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r}: the API key is not a TapTalent key: expected 'sk_live_' or 'sk_test_' "
            "followed by 22 letters or digits. Copy it again from Account Settings > Developers."
        )
    environment = _environment(conn_id, extra_value(extra, "environment"), key_environment)
    read_timeout = _number(conn_id, "timeout", timeout, extra, DEFAULT_TIMEOUT, low=0.001)
    return ClientSettings(
        conn_id=conn_id,
        base_url=_base_url(conn_id, host, port, environment),
        environment=environment,
        api_key=api_key,
        timeout=read_timeout,
        request_deadline=_number(
            conn_id, "request_deadline", None, extra, read_timeout * DEFAULT_DEADLINE_FACTOR, low=0.001
        ),
        max_retries=int(_number(conn_id, "max_retries", max_retries, extra, DEFAULT_MAX_RETRIES, integer=True)),
        max_batch_size=int(
            _number(
                conn_id,
                "max_batch_size",
                None,
                extra,
                _api.DEFAULT_MAX_BATCH_SIZE,
                low=1,
                high=_api.DEFAULT_MAX_BATCH_SIZE,
                integer=True,
            )
        ),
        webhook_key=webhook_secret(extra),
        fallback_api_key=_fallback_key(conn_id, extra, api_key, key_environment),
        proxy=_proxy(conn_id, extra_value(extra, "proxy")),
        verify=_flag(conn_id, "verify", extra_value(extra, "verify"), default=True),
        ca_bundle=str(extra_value(extra, "ca_bundle")) if extra_value(extra, "ca_bundle") is not None else None,
    )


#: the proxy schemes httpx speaks (socks5 needs ``httpx[socks]``)
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def _proxy(conn_id: str, value: Any) -> str | None:
    """The ``proxy`` extra, checked; its text is never echoed (it may hold a password)."""
    if value is None:
        return None
    text = str(value)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r}: proxy must be a URL such as http://proxy.corp:3128 (schemes: "
            f"{', '.join(PROXY_SCHEMES)}); the value given is not (not repeated: it may hold a password)."
        )
    return text


def _flag(conn_id: str, name: str, value: Any, *, default: bool) -> bool:
    """A true/false extra: JSON's booleans, or the words a form or an environment variable gives."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    word = str(value).lower()
    if word in ("true", "1", "yes", "on"):
        return True
    if word in ("false", "0", "no", "off"):
        return False
    raise TapTalentConfigurationError(f"Connection {conn_id!r}: {name} must be true or false, not {value!r}.")


def _fallback_key(conn_id: str, extra: Mapping[str, Any], primary: str, environment: _api.Environment) -> str | None:
    """The fallback key, checked like the primary: a TapTalent key of the same environment, and another key."""
    value = extra_value(extra, FALLBACK_KEY_FIELD)
    if value is None:
        return None
    key = str(value).strip()
    if _api.environment_of_key(key) is None:
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r}: {FALLBACK_KEY_FIELD} is not a TapTalent key: expected 'sk_live_' or "
            "'sk_test_' followed by 22 letters or digits."
        )
    if _api.environment_of_key(key) != environment:
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r}: {FALLBACK_KEY_FIELD} belongs to the other environment than the API key: "
            "use a key of the same company and environment."
        )
    if key == primary:
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r}: {FALLBACK_KEY_FIELD} is the API key itself: give a second key, or none."
        )
    return key


def _environment(conn_id: str, configured: Any, from_key: _api.Environment) -> _api.Environment:
    if configured is None:
        return from_key
    name = str(configured).lower()
    if name not in _api.BASE_URLS:
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r}: environment must be 'production' or 'sandbox', not {configured!r}."
        )
    if name != from_key:
        kind, wanted = (
            ("a live key (sk_live_)", "sk_test_") if from_key == "production" else ("a test key (sk_test_)", "sk_live_")
        )
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r} is set to the {name} environment but holds {kind}. "
            f"Use an {wanted} key for {name}, or set environment to {from_key} (or leave it empty)."
        )
    return from_key  # type: ignore[return-value]


def _base_url(conn_id: str, host: str | None, port: int | None, environment: _api.Environment) -> str:
    """The API root: the environment's default, or ``host`` (+ ``port``) with ``/v1/partner`` when it has no path."""
    if not host or not host.strip():
        return _api.BASE_URLS[environment]
    text = host.strip()
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        parts = urlsplit("")
    if parts.username is not None or parts.password is not None:
        # Never echoed: the text holds a password. httpx would send it as Basic auth, and log it.
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r}: host must not contain a user name or password (user:password@): "
            "TapTalent authenticates with the API key in the password field only. Remove them from the host."
        )
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r}: host must be a base URL such as https://partner-api.taptalent.io "
            f"(no query or fragment), not {text!r}."
        )
    if parts.scheme == "http" and environment == "production":
        # A live key is never sent in clear text; http is for the local sandbox (sk_test_ keys).
        raise TapTalentConfigurationError(
            f"Connection {conn_id!r}: a production key must be sent over https, but host is {text!r}."
        )
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/") or _api.API_PATH_PREFIX
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def _number(
    conn_id: str,
    name: str,
    override: float | None,
    extra: Mapping[str, Any],
    default: float,
    *,
    low: float = 0,
    high: float | None = None,
    integer: bool = False,
) -> float:
    raw = override if override is not None else extra_value(extra, name)
    if raw is None:
        return default
    kind = "a whole number" if integer else "a number"
    try:
        value = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if math.isnan(value) or math.isinf(value) or (integer and not value.is_integer()):
        raise TapTalentConfigurationError(f"Connection {conn_id!r}: {name} must be {kind}, not {raw!r}.")
    if value < low or (high is not None and value > high):
        bounds = f"from {low:g} to {high:g}" if high is not None else f"{low:g} or more"
        raise TapTalentConfigurationError(f"Connection {conn_id!r}: {name} must be {bounds}, not {raw!r}.")
    return value
