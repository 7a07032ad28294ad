"""The retry policy: which failures are retried, how long to wait, when to give up. No I/O here: the
retry loop is :func:`.steps.send`, written once, and the drivers do the waiting."""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass

from .errors import TapTalentConnectionError, TapTalentError, TapTalentRateLimitError, TapTalentServerError


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are retried, how long to wait between attempts, and when to give up.

    Retried: errors whose class says ``retryable`` (5xx, 429, timeouts, dropped connections); never another
    4xx. Waits grow exponentially with full jitter (a random wait between 0 and the exponential step, so
    that many clients that failed together do not retry together), capped per wait by ``max_wait``; a 429's
    ``Retry-After`` is honoured instead, capped by ``max_retry_after`` (a value that is not a finite number
    is ignored). ``max_total`` caps the time spent on one call, waits included.

    :param max_retries: retries after the first attempt (5: at most 6 attempts).
    :param initial_wait: the first exponential step, in seconds.
    :param max_wait: the largest exponential wait, in seconds.
    :param max_retry_after: the largest wait a 429 may ask for, in seconds.
    :param max_total: the most seconds one call may take across its attempts.
    """

    max_retries: int = 5
    initial_wait: float = 1.0
    max_wait: float = 60.0
    max_retry_after: float = 300.0
    max_total: float = 900.0

    @staticmethod
    def is_retryable(error: BaseException) -> bool:
        return isinstance(error, TapTalentError) and error.retryable

    def wait_seconds(self, attempt: int, error: BaseException | None) -> float:
        """How long to wait after failed attempt number ``attempt`` (1-based)."""
        retry_after = error.retry_after if isinstance(error, TapTalentRateLimitError) else None
        if retry_after is not None and math.isfinite(retry_after):
            return min(max(retry_after, 0.0), self.max_retry_after)
        step = min(self.max_wait, self.initial_wait * 2 ** (attempt - 1))
        return random.uniform(0, step)

    def next_wait(self, error: BaseException, attempt: int, spent: float) -> float | None:
        """The wait before the next attempt, or ``None`` when ``error`` ends the call.

        :param spent: seconds the call has taken so far, waits included.
        """
        if not self.is_retryable(error) or attempt > self.max_retries:
            return None
        wait = self.wait_seconds(attempt, error)
        return None if spent + wait > self.max_total else wait

    # How the drivers wait; methods, so that tests can record waits instead of sleeping.
    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)

    @staticmethod
    async def asleep(seconds: float) -> None:
        await asyncio.sleep(seconds)


def is_ambiguous(error: BaseException | None) -> bool:
    """Whether a failed request may have taken effect anyway (a 5xx, or no answer at all)."""
    return isinstance(error, (TapTalentServerError, TapTalentConnectionError))
