"""Checking one TapTalent webhook delivery (A8): its key, its size, its shape."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Final

from airflow_provider_taptalent import _api
from airflow_provider_taptalent.exceptions import TapTalentError, TapTalentWebhookError
from airflow_provider_taptalent.models import WebhookEvent

MAX_BODY_BYTES: Final = 1024 * 1024  # deliveries are small JSON; anything larger is refused (413)


def verify_delivery(headers: Mapping[str, str], body: bytes | str, key: str | None) -> WebhookEvent:
    """Check a delivery's ``X-Webhook-Key`` against ``key`` and parse its body.

    The key is compared in constant time, and no error ever repeats it (or what was sent instead).

    :param headers: the request headers (any case).
    :param body: the raw request body.
    :param key: the webhook key from TapTalent's dashboard (the connection's ``webhook_key``).
    :raises TapTalentWebhookError: ``status_code`` 401 for a missing or wrong key (or none configured),
        413 for a body over 1 MiB, 400 for a body that is not a TapTalent event.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    sent = lowered.get(_api.WEBHOOK_KEY_HEADER.lower(), "")
    if not key or not hmac.compare_digest(sent.encode(), key.encode()):
        # One answer for every failure: a caller learns nothing about what was wrong.
        raise TapTalentWebhookError("invalid webhook key", status_code=401)
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_BODY_BYTES:
        raise TapTalentWebhookError(f"webhook body larger than {MAX_BODY_BYTES} bytes", status_code=413)
    try:
        payload = json.loads(raw)
    except ValueError:
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
    return event
