"""Each operation of :data:`.operations.REGISTRY` as a sync and an ``a``-prefixed async method, generated.

A class that provides ``_driver()`` (a :class:`~.drivers.SyncDriver`) and ``async _adriver()`` (an
:class:`~.drivers.AsyncDriver`) gets every API method from :class:`ApiMethods`: the standalone
:class:`~.client.TapTalentClient`, and the Airflow hook, which builds its drivers from a connection.
Each method keeps its operation's docstring and signature (without the context) for readers;
``methods.pyi``, generated from the same registry (``make generate``), gives type checkers their types.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any

from . import operations as ops

if TYPE_CHECKING:
    from .drivers import AsyncDriver, SyncDriver


class Method:
    """A descriptor: operation ``operation`` as a method of a host, sync or async; an iterator of the
    operation's items when it has ``items``, else its result. On the class, a plain function of the host."""

    def __init__(self, name: str, operation: ops.Operation, *, asynchronous: bool) -> None:
        self.name = name
        self.operation = operation
        self.asynchronous = asynchronous
        self.__doc__ = operation.function.__doc__

    def __get__(self, host: Any, owner: type | None = None) -> Any:
        if host is None:  # Class.method(host, ...), as monkeypatching and super() calls do
            return functools.wraps(self.operation.function)(lambda host, *a, **k: self._bind(host)(*a, **k))
        bound = self._bind(host)
        # Kept on the instance: the next look-up finds it there, and nothing is built per call.
        host.__dict__[self.name] = bound
        return bound

    def _bind(self, host: Any) -> Any:
        op = self.operation.function
        method: Any
        if self.operation.items is None and not self.asynchronous:

            def method(*args: Any, **kwargs: Any) -> Any:
                driver: SyncDriver = host._driver()
                return driver.run(op(driver.context, *args, **kwargs))

        elif self.operation.items is None:

            async def method(*args: Any, **kwargs: Any) -> Any:
                driver: AsyncDriver = await host._adriver()
                return await driver.run(op(driver.context, *args, **kwargs))

        elif not self.asynchronous:

            def method(*args: Any, **kwargs: Any) -> Any:
                driver: SyncDriver = host._driver()
                return driver.iterate(op(driver.context, *args, **kwargs))

        else:

            async def method(*args: Any, **kwargs: Any) -> Any:
                driver: AsyncDriver = await host._adriver()
                async for item in driver.iterate(op(driver.context, *args, **kwargs)):
                    yield item

        method.__name__ = method.__qualname__ = self.name
        method.__doc__ = op.__doc__
        signature = inspect.signature(op)
        method.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])
        return method


class ApiMethods:
    """Every TapTalent API call, sync and ``a``-prefixed async (PUBLIC_API.md): one method of each kind per
    entry of :data:`.operations.REGISTRY`."""

    def _driver(self) -> SyncDriver:
        raise NotImplementedError

    async def _adriver(self) -> AsyncDriver:
        raise NotImplementedError


for _name, _operation in ops.REGISTRY.items():
    setattr(ApiMethods, _name, Method(_name, _operation, asynchronous=False))
    setattr(ApiMethods, f"a{_name}", Method(f"a{_name}", _operation, asynchronous=True))
