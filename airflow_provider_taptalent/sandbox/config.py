"""How a sandbox runs: its batch clock, webhook target, faults and limits. Every CLI flag maps here."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_taptalent.sandbox.history import History

MAX_BODY_BYTES = 10 * 1024 * 1024  # larger bodies get 413


FAULT_NAMES = ("429", "5xx_before", "5xx_after", "drop")


@dataclass
class Faults:
    """Failures injected into API requests (never into /__sandbox/ control calls), seeded for replay.

    ``rate_5xx`` answers 500/502/503: half of them before the request is handled, half after it took
    effect (as a failing proxy would). ``rate_drop`` handles the request, then drops the connection
    without an answer. ``rate_429`` answers 429 with ``Retry-After: retry_after``. ``next`` scripts the
    next API requests' faults, in order, before any random one (e.g. ``["5xx_before"]``: one 503, now).
    """

    rate_5xx: float = 0.0
    rate_429: float = 0.0
    rate_drop: float = 0.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    retry_after: int = 1
    seed: int = 0
    next: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self) -> str | None:
        """Which fault, if any, this request gets: 429, 5xx_before, 5xx_after or drop."""
        if self.next:
            name = self.next.pop(0)
            self.counts[name] = self.counts.get(name, 0) + 1
            return name
        roll = self._rng.random()
        for name, rate in (("429", self.rate_429), ("5xx", self.rate_5xx), ("drop", self.rate_drop)):
            if roll < rate:
                if name == "5xx":
                    name = "5xx_before" if self._rng.random() < 0.5 else "5xx_after"
                self.counts[name] = self.counts.get(name, 0) + 1
                return name
            roll -= rate
        return None

    def delay(self) -> float:
        if not self.latency_ms and not self.jitter_ms:
            return 0.0
        return max(0.0, self.latency_ms + self._rng.uniform(-self.jitter_ms, self.jitter_ms)) / 1000

    def update(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if name in ("counts",) or not hasattr(self, name):
                raise KeyError(name)
            setattr(self, name, type(getattr(self, name))(value))
        if any(name not in FAULT_NAMES for name in self.next):
            self.next = []
            raise ValueError(f"next: each one of {', '.join(FAULT_NAMES)}")
        if "seed" in changes:
            self._rng = random.Random(self.seed)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class WebhookSettings:
    """Where batch events go (A8) and how delivery misbehaves on purpose, for testing receivers."""

    url: str | None = None
    key: str | None = None
    timeout: float = 5.0
    retry_base: float = 1.0  # seconds before the first redelivery; doubles each time
    max_attempts: int = 6
    duplicate_rate: float = 0.0  # share of deliveries sent twice
    reorder_seconds: float = 0.0  # each delivery is held up to this long, so that later events can overtake

    def update(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if not hasattr(self, name):
                raise KeyError(name)
            current = getattr(self, name)
            setattr(self, name, value if current is None or value is None else type(current)(value))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["key"] = "***" if self.key else None
        return data


@dataclass
class SandboxConfig:
    """Everything a sandbox starts with.

    :param seed: fixes the keys, the synthetic people, the fixtures and the faults.
    :param batch_seconds: how long a bulk upload takes from accepted to COMPLETED/FAILED.
    :param batch_limit: most resume URLs per upload (A6: 5,000).
    :param rate_limit: requests per second per company; ``None``: unlimited.
    :param api_keys: extra ``sk_test_`` keys, each mapped to a company id.
    :param inactive_keys: keys that answer 403 ACCOUNT_INACTIVE.
    :param history: jobs and candidates each company has from the days before (for exports).
    """

    seed: int = 0
    batch_seconds: float = 5.0
    batch_limit: int = 5000
    rate_limit: float | None = None
    api_keys: dict[str, int] = field(default_factory=dict)
    inactive_keys: list[str] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    max_body_bytes: int = MAX_BODY_BYTES
    history: History = field(default_factory=History)
