"""A webhook delivery's body (A8): ``{"event", "timestamp", "companyId", "data"}``."""

from __future__ import annotations

from typing import Any

from ._base import ApiId, Timestamp, WireModel


class WebhookEvent(WireModel):
    """One event TapTalent pushed. ``data`` is kept as sent; ``batch_id`` reads it for batch events."""

    event: str
    timestamp: Timestamp = None
    company_id: ApiId | None = None
    data: dict[str, Any] = {}

    @property
    def batch_id(self) -> ApiId | None:
        value = self.data.get("batchId")
        return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """What identifies a delivery: TapTalent sends no event id, and retries deliveries (A8)."""
        return self.event, str(self.batch_id)
