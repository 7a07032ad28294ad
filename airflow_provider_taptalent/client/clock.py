"""TapTalent's clock, read from its answers' ``Date`` headers: how a create's recovery tells a job its own
attempt made from one someone made before, whatever this machine's clock says.

A job's ``createdAt`` and ``Date`` are both whole seconds of TapTalent's clock (A9, RFC 9110). The recovery of
a create (:func:`.operations.jobs.find_created_job`) takes only jobs created in or after the second in which
its first attempt reached TapTalent; that second is worked out here, from the answer to that attempt, or
from the last answer before it, with this machine's monotonic clock for the time in between. Only when
TapTalent has sent no ``Date`` yet is the local wall clock used, less :data:`LOCAL_CLOCK_SKEW`.
"""

from __future__ import annotations

import email.utils
import functools
import math
import time

#: With no ``Date`` seen yet, how far (seconds) this machine's wall clock may be ahead of TapTalent's.
LOCAL_CLOCK_SKEW = 2.0


class ServerClock:
    """The latest ``Date`` TapTalent sent, with when (``time.monotonic()``) its request left and its answer
    came. One per client, shared by its threads (the last answer wins; any answer will do)."""

    def __init__(self) -> None:
        self._seen: tuple[float, float, float] | None = None

    def observe(self, date: str | None, sent: float, received: float) -> None:
        """An answer's ``Date`` header (ignored when absent or not a date)."""
        when = _epoch(date) if date else None
        if when is not None:
            self._seen = (when, sent, received)

    def second_of(self, moment: float) -> float:
        """The second of TapTalent's clock (epoch) at ``moment`` (``time.monotonic()``): a request sent then
        created nothing before it.

        From an answer to a request sent at or after ``moment`` (the failed attempt's own): its ``Date`` less
        the whole seconds since ``moment`` (an attempt that answers within a second took effect in the
        second its answer names; one that straddled a second boundary has its job looked for one second too
        late, which only means that the create is sent again, under its idempotency key, A5). From an
        earlier answer: its ``Date`` plus the time since, rounded down. Never later than the true second
        but in that one case, never more than a second earlier.
        """
        seen = self._seen
        if seen is None:
            return math.floor(time.time() - (time.monotonic() - moment) - LOCAL_CLOCK_SKEW)
        date, sent, received = seen
        if sent >= moment:
            return date - math.floor(max(received - moment, 0.0))
        return float(math.floor(date + (moment - received)))

    def now(self) -> float:
        """The current second of TapTalent's clock, as :meth:`second_of` works it out."""
        return self.second_of(time.monotonic())


@functools.lru_cache(maxsize=4)
def _epoch(date: str) -> float | None:
    """An HTTP date in epoch seconds, ``None`` for one without a zone or not a date (kept: a ``Date`` changes
    once a second, and every answer carries one)."""
    try:
        when = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None
    return when.timestamp() if when.tzinfo is not None else None
