"""Operations as plain logic over "the next request to send" (sans-I/O), written once for sync and async.

An operation is a generator that yields steps and gets their results back:

- :class:`Exchange`: send this call under this deadline; the driver sends back the parsed answer, or
  throws the call's typed error into the generator;
- :class:`Sleep`: wait (between attempts);
- :class:`Item`: one result of a listing, handed to whoever iterates.

Its return value is the operation's result. :func:`send` (one call with the retry policy and, for calls
that must not take effect twice, recovery) and :func:`paginate` (every page of a listing) are the loops;
:mod:`.drivers` runs operations over a sync or an async transport. Nothing here does I/O.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from . import contract
from .calls import Call
from .clock import ServerClock
from .errors import TapTalentAccountInactiveError, TapTalentAuthenticationError, TapTalentError
from .retry import RetryPolicy, is_ambiguous
from .settings import ClientSettings

T = TypeVar("T")
log = logging.getLogger("airflow_provider_taptalent.client")


@dataclass(frozen=True, slots=True)
class Exchange(Generic[T]):
    call: Call[T]
    #: ``time.monotonic()`` by which the attempt must be over
    deadline: float
    attempt: int
    #: send it with the connection's fallback key instead of the primary one
    fallback: bool = False


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Item:
    value: Any


Step = Exchange[Any] | Sleep | Item
#: an operation: yields steps, receives their results, returns ``T``
Op = Generator[Step, Any, T]


class Observer:
    """What the core reports, for metrics (the hook sends them to Airflow's Stats); does nothing here."""

    def request(self, call: Call[Any], status: str, elapsed_ms: float, attempt: int) -> None:
        """One attempt ended: ``status`` is the HTTP status, or the network error's name."""

    def retry(self, call: Call[Any], error: TapTalentError, attempt: int, wait: float) -> None:
        """An attempt failed and will be retried after ``wait`` seconds."""

    def outcome(self, call: Call[Any], error: TapTalentError | None, attempts: int, elapsed_ms: float) -> None:
        """The call ended, after ``attempts`` attempts: ``error`` is ``None`` on success."""

    def fallback(self, call: Call[Any], error: TapTalentError) -> None:
        """The primary key was refused (``error``); the call is repeated with the fallback key."""

    def key_state(self, key: str, state: str) -> None:
        """``key`` (``primary`` or ``fallback``) was checked and found ``state`` (A13)."""


@dataclass
class KeyChoice:
    """Which key a context's calls use. ``switch``: may move to the fallback key when the primary is refused."""

    fallback: bool = False
    switch: bool = True


class ResponseCache:
    """Answers of the reads a task repeats (declared ``cacheable`` in :mod:`.calls`), kept ``ttl`` seconds.

    One per client, so never shared across connections; emptied by any write (a create may change a
    listing) and when the client switches keys.
    """

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._answers: dict[tuple[str, str], tuple[float, Any]] = {}
        #: counts the clears: an answer read across one (a write landed meanwhile) is not kept
        self.generation = 0

    @staticmethod
    def _key(call: Call[Any]) -> tuple[str, str]:
        return call.path, repr(sorted((call.params or {}).items()))

    def get(self, call: Call[Any]) -> tuple[bool, Any]:
        found = self._answers.get(self._key(call))
        if found is None or found[0] < time.monotonic():
            return False, None
        return True, found[1]

    def put(self, call: Call[Any], value: Any, generation: int) -> None:
        """Keep ``value``, read since :attr:`generation` was ``generation``, unless a clear came in between."""
        if generation == self.generation:
            self._answers[self._key(call)] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        self.generation += 1
        self._answers.clear()


@dataclass(frozen=True, slots=True)
class CallContext:
    """What operations read: the connection's settings, the retry policy, the observer, the key in use, the
    cache of repeated reads (``None``: no cache) and TapTalent's clock as its answers show it."""

    settings: ClientSettings
    policy: RetryPolicy
    observer: Observer = field(default_factory=Observer)
    keys: KeyChoice = field(default_factory=KeyChoice)
    cache: ResponseCache | None = None
    clock: ServerClock = field(default_factory=ServerClock)

    def with_policy(self, policy: RetryPolicy) -> CallContext:
        return CallContext(self.settings, policy, self.observer, self.keys, self.cache, self.clock)

    def with_keys(self, keys: KeyChoice) -> CallContext:
        return CallContext(self.settings, self.policy, self.observer, keys, None, self.clock)


def _refused_key(error: TapTalentError) -> bool:
    """401, or 403 ACCOUNT_INACTIVE: the key's own problem, which another key of the company may not have."""
    return isinstance(error, (TapTalentAuthenticationError, TapTalentAccountInactiveError))


Recover = Callable[[float], Op[Any]]


def send(ctx: CallContext, call: Call[T], recover: Recover | None = None) -> Op[T]:
    """One API call under the retry policy: the loop every request goes through.

    Each attempt has a hard deadline (``request_deadline``, within the call's ``max_total`` budget).
    Retried failures wait as the policy says. With ``recover``, after an ambiguous failure (5xx, no
    answer) and before the next attempt, ``recover(since)`` (an operation; ``since`` is the second of
    TapTalent's clock in which the first attempt began, :meth:`.clock.ServerClock.second_of`) looks for the
    effect of the earlier attempts; what it finds is returned instead of sending again.
    """
    if recover is not None and not call.endpoint.recoverable:
        raise ValueError(f"{call.endpoint.name} is not declared recoverable (calls.py): no recovery for it")
    cache = ctx.cache
    if cache is not None:
        if call.endpoint.cacheable:
            hit, answer = cache.get(call)
            if hit:
                return answer  # type: ignore[no-any-return]
        elif call.method != "GET":
            cache.clear()  # a write may change what a cached read would answer
    policy = ctx.policy
    generation = cache.generation if cache is not None else 0
    started = time.monotonic()
    budget_end, slept, attempt = started + policy.max_total, 0.0, 0
    since: float | None = None
    while True:
        attempt += 1
        deadline = min(time.monotonic() + ctx.settings.request_deadline, budget_end)
        try:
            result: T = yield Exchange(call, deadline, attempt, ctx.keys.fallback)
        except TapTalentError as error:
            if _refused_key(error) and ctx.keys.switch and not ctx.keys.fallback and ctx.settings.fallback_api_key:
                # Once, for this call and the ones after it on this client; never back and forth.
                log.warning(
                    "TapTalent refused the primary key (%s) for %s %s; repeating it with the fallback key",
                    error.code or error.status_code, call.method, call.path,
                )  # fmt: skip
                ctx.observer.fallback(call, error)
                ctx.keys.fallback = True
                if cache is not None:
                    cache.clear()  # never an answer given to another key
                continue
            if recover is not None and since is None:  # now: the failed first attempt's answer is the latest
                since = ctx.clock.second_of(started)
            spent = max(time.monotonic() - started, slept)
            wait = policy.next_wait(error, attempt, spent)
            if wait is None:
                ctx.observer.outcome(call, error, attempt, (time.monotonic() - started) * 1000)
                raise
            log.info(
                "TapTalent %s %s failed (%s); retry %d of %d in %.1f s",
                call.method, call.path, error, attempt, policy.max_retries, wait,
            )  # fmt: skip
            ctx.observer.retry(call, error, attempt, wait)
            yield Sleep(wait)
            slept += wait
            if recover is not None and since is not None and is_ambiguous(error):
                if cache is not None:
                    cache.clear()  # the search must see what this attempt may have made
                found = yield from recover(since)
                if found is not None:
                    ctx.observer.outcome(call, None, attempt, (time.monotonic() - started) * 1000)
                    return found  # type: ignore[no-any-return]
            continue
        ctx.observer.outcome(call, None, attempt, (time.monotonic() - started) * 1000)
        if cache is not None and call.endpoint.cacheable:
            cache.put(call, result, generation)  # not if a write emptied the cache while this read was out
        return result


def paginate(
    ctx: CallContext,
    page_call: Callable[[int], Call[T]],
    per_page: int,
    items: Callable[[T], Iterable[Any]],
    total: Callable[[T], int],
) -> Op[None]:
    """Every item of a page-numbered listing, page after page, as :class:`Item` steps.

    :param page_call: the call for page ``n`` (1-based), asking for ``per_page`` items.
    :param items: the items of a page.
    :param total: how many items the listing has, as a page says.
    """
    first = page_call(1)
    if first.endpoint.paging is None:
        raise ValueError(f"{first.endpoint.name} is not declared as a paged listing (calls.py)")
    page_number, call = 1, first
    while True:
        page = yield from send(ctx, call)
        found = list(items(page))
        for item in found:
            yield Item(item)
        if not found or not contract.has_next_page(page_number, per_page, total(page)):
            return
        page_number += 1
        call = page_call(page_number)
