"""What the operations share: their registry, idempotency keys, page parameters, filters."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from .. import contract
from ..calls import Endpoint
from ..errors import TapTalentInputError
from ..retry import RetryPolicy
from ..steps import Op

F = TypeVar("F", bound=Callable[..., Op[Any]])


@dataclass(frozen=True)
class Operation:
    """An operation a client offers as a method (sync, and ``a``-prefixed async).

    :param function: ``function(ctx, ...)`` returns the operation's steps.
    :param endpoint: the call it makes (the docs' table names it).
    :param items: for an iterator, the type of its items (its method yields them).
    """

    function: Callable[..., Op[Any]]
    endpoint: Endpoint[Any]
    items: type | None = None


#: every operation a client offers, by method name (:mod:`.methods` makes the methods)
REGISTRY: dict[str, Operation] = {}


def operation(endpoint: Endpoint[Any], *, items: type | None = None) -> Callable[[F], F]:
    """Register an operation written for ``endpoint`` as a client method (its function name)."""

    def register(function: F) -> F:
        REGISTRY[function.__name__] = Operation(function, endpoint, items)
        return function

    return register


# Jobs list newest first (A9): a job created moments ago is on the first pages, if anywhere.
RECOVERY_MAX_PAGES = 5
#: a key check retries once at most: someone is waiting for the answer
KEY_CHECK_POLICY = RetryPolicy(max_retries=1, max_total=20.0)


def checked_idempotency_key(key: str | None) -> str:
    """``key`` checked (A5: 1 to 255 printable ASCII characters), or a fresh one."""
    if key is None:
        return uuid.uuid4().hex
    if not key or len(key) > contract.IDEMPOTENCY_KEY_MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise TapTalentInputError(
            "Invalid idempotency key",
            details={"idempotency_key": f"1 to {contract.IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters"},
        )
    return key


def _pages(page_number: int, per_page: int, *, name: str = "pageNumber") -> dict[str, int]:
    contract.check_per_page(per_page)
    if isinstance(page_number, bool) or not isinstance(page_number, int) or page_number < 1:
        raise ValueError(f"page_number must be 1 or more, not {page_number!r}")
    return {name: page_number, "perPage": per_page}


def _filters(**values: Any) -> dict[str, Any]:
    return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in values.items() if v is not None}


def _ids(ids: Collection[int | str]) -> frozenset[str]:
    return frozenset(str(i) for i in ids)
