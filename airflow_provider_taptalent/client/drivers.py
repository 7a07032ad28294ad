"""The two drivers: they run operations (:mod:`.steps`) over a sync or an async transport.

This is the only place where sync and async code stand side by side: the loop that feeds an operation
its answers, once with ``transport.exchange(...)`` and once with ``await transport.exchange(...)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import TapTalentError
from .steps import CallContext, Exchange, Item, Op, Sleep
from .transport import AsyncTransport, SyncTransport

T = TypeVar("T")


@dataclass(frozen=True)
class _Done:
    value: Any


class SyncDriver:
    """Runs operations with blocking I/O."""

    def __init__(self, context: CallContext, transport: SyncTransport) -> None:
        self.context = context
        self.transport = transport

    def _drive(self, op: Op[T]) -> Generator[Any, None, T]:
        reply: Any = None
        error: TapTalentError | None = None
        while True:
            try:
                step = op.throw(error) if error is not None else op.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            reply = error = None
            if isinstance(step, Exchange):
                try:
                    reply = self.transport.exchange(step)
                except TapTalentError as failed:
                    error = failed
            elif isinstance(step, Sleep):
                self.context.policy.sleep(step.seconds)
            elif isinstance(step, Item):
                yield step.value

    def run(self, op: Op[T]) -> T:
        """The operation's result."""
        steps = self._drive(op)
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]

    def iterate(self, op: Op[Any]) -> Iterator[Any]:
        """The operation's items, as they come."""
        yield from self._drive(op)

    def close(self) -> None:
        self.transport.close()


class AsyncDriver:
    """Runs operations on the running event loop."""

    def __init__(self, context: CallContext, transport: AsyncTransport) -> None:
        self.context = context
        self.transport = transport

    async def _drive(self, op: Op[Any]) -> AsyncIterator[Any]:
        reply: Any = None
        error: TapTalentError | None = None
        while True:
            try:
                step = op.throw(error) if error is not None else op.send(reply)
            except StopIteration as stop:
                yield _Done(stop.value)
                return
            reply = error = None
            if isinstance(step, Exchange):
                try:
                    reply = await self.transport.exchange(step)
                except TapTalentError as failed:
                    error = failed
            elif isinstance(step, Sleep):
                await self.context.policy.asleep(step.seconds)
            elif isinstance(step, Item):
                yield step.value

    async def run(self, op: Op[T]) -> T:
        """The operation's result."""
        async for value in self._drive(op):
            if isinstance(value, _Done):
                return value.value  # type: ignore[no-any-return]
        raise AssertionError("unreachable: the drive ends with _Done")  # pragma: no cover

    async def iterate(self, op: Op[Any]) -> AsyncIterator[Any]:
        """The operation's items, as they come."""
        async for value in self._drive(op):
            if not isinstance(value, _Done):
                yield value

    async def aclose(self) -> None:
        await self.transport.aclose()
