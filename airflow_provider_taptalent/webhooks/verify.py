"""Checking one TapTalent webhook delivery (A8): its key, its size, its shape."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Final

from airflow_provider_taptalent.client import contract as _api
from airflow_provider_taptalent.client.errors import TapTalentError, TapTalentWebhookError
from airflow_provider_taptalent.client.models import WebhookEvent

MAX_BODY_BYTES: Final = 1024 * 1024  # deliveries are small JSON; anything larger is refused (413)
#: how old a delivery may be: TapTalent's redeliveries span hours (A8); older is a replay, refused
REPLAY_WINDOW: Final = timedelta(days=3)
#: how far ahead of this machine's clock a delivery's time may be
CLOCK_SKEW: Final = timedelta(minutes=10)
#: deliveries are flat JSON; deeper nesting is refused before it can exhaust the parser
MAX_JSON_DEPTH: Final = 32

Keys = str | Sequence[str] | None


def check_key(headers: Mapping[str, str], key: Keys) -> None:
    """Check ``X-Webhook-Key`` against the accepted key(s), in constant time, before the body is read.

    :param key: the connection's webhook secret, or several (the current and the previous one during a
        rotation).
    :raises TapTalentWebhookError: 401, the same for every failure, never repeating a key.
    """
    accepted = [key] if isinstance(key, str) else [k for k in (key or ()) if k]
    sent = next((v for n, v in headers.items() if n.lower() == _api.WEBHOOK_KEY_HEADER.lower()), "")
    matches = [hmac.compare_digest(sent.encode(), k.encode()) for k in accepted if k]  # every key, always
    if not any(matches):
        # One answer for every failure: a caller learns nothing about what was wrong.
        raise TapTalentWebhookError("invalid webhook key", status_code=401)


def verify_delivery(
    headers: Mapping[str, str],
    body: bytes | str,
    key: Keys,
    *,
    max_age: timedelta | None = REPLAY_WINDOW,
) -> WebhookEvent:
    """Check a delivery's ``X-Webhook-Key`` against ``key`` and parse its body.

    The key is compared in constant time, and no error ever repeats it (or what was sent instead).

    :param headers: the request headers (any case).
    :param body: the raw request body.
    :param key: the webhook secret from TapTalent's dashboard (the connection's ``webhook_secret``), or a
        list of accepted ones (current and previous, during a rotation).
    :param max_age: deliveries stamped longer ago than this are replays and refused; ``None`` accepts any.
    :raises TapTalentWebhookError: ``status_code`` 401 for a missing or wrong key (or none configured),
        413 for a body over 1 MiB, 400 for a body that is not a TapTalent event or is outside the window.
    """
    check_key(headers, key)
    lowered = {name.lower(): value for name, value in headers.items()}
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_BODY_BYTES:
        raise TapTalentWebhookError(f"webhook body larger than {MAX_BODY_BYTES} bytes", status_code=413)
    if _depth(raw) > MAX_JSON_DEPTH:
        raise TapTalentWebhookError(f"webhook body nested deeper than {MAX_JSON_DEPTH} levels", status_code=400)
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        raise TapTalentWebhookError("webhook body is not JSON", status_code=400) from None
    try:
        event = WebhookEvent.from_wire(payload)
    except TapTalentError as error:
        raise TapTalentWebhookError(
            "webhook body is not a TapTalent event", status_code=400, details=error.details
        ) from None
    announced = lowered.get(_api.WEBHOOK_EVENT_HEADER.lower())
    if announced and announced != event.event:
        raise TapTalentWebhookError(
            "X-Webhook-Event does not match the body's event",
            status_code=400,
            details={_api.WEBHOOK_EVENT_HEADER: announced, "event": event.event},
        )
    if event.event in _api.BATCH_EVENTS and event.batch_id is None:
        raise TapTalentWebhookError(
            "batch event without data.batchId", status_code=400, details={"data.batchId": "required"}
        )
    if event.batch_id is not None and len(str(event.batch_id)) > _api.WEBHOOK_BATCH_ID_MAX_LENGTH:
        # longer than any id TapTalent makes, and than the receipts table holds: a 500 would be redelivered
        raise TapTalentWebhookError(
            "batch id too long", status_code=400,
            details={"data.batchId": f"at most {_api.WEBHOOK_BATCH_ID_MAX_LENGTH} characters"},
        )  # fmt: skip
    if max_age is not None:
        _check_time(event, max_age)
    return event


def _check_time(event: WebhookEvent, max_age: timedelta) -> None:
    if event.timestamp is None:
        raise TapTalentWebhookError("webhook body has no timestamp", status_code=400, details={"timestamp": "required"})
    now = datetime.now(timezone.utc)
    if event.timestamp < now - max_age or event.timestamp > now + CLOCK_SKEW:
        raise TapTalentWebhookError(
            "webhook delivery outside the accepted time window (a replay, or a clock far off)",
            status_code=400,
            details={"timestamp": f"must be within {max_age} before now"},
        )


def _depth(raw: bytes) -> int:
    """The deepest nesting of ``[``/``{`` outside strings: checked before parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest
