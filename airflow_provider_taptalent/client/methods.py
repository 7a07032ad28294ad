"""Each operation of :mod:`.operations` as a sync and an async method, generated, not copied.

A class that provides ``_driver()`` (a :class:`~.drivers.SyncDriver`) and ``async _adriver()`` (an
:class:`~.drivers.AsyncDriver`) gets every API method from :class:`ApiMethods`: the standalone
:class:`~.client.TapTalentClient`, and the Airflow hook, which builds its drivers from a connection.
The descriptors keep each operation's signature for type checkers and its docstring for readers.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

from . import operations as ops
from .models import Assessment, Candidate, Job, User
from .steps import Context, Op

if TYPE_CHECKING:
    from .drivers import AsyncDriver, SyncDriver

P = ParamSpec("P")
T = TypeVar("T")
OpFactory = Callable[Concatenate[Context, P], Op[T]]


class _Method(Generic[P, T]):
    """A descriptor: the method of operation ``op`` for a host; on the class, a plain function of it."""

    def __init__(self, op: Callable[..., Op[Any]]) -> None:
        self.op = op
        self.__doc__ = op.__doc__

    def _bind(self, host: Any) -> Any:
        raise NotImplementedError

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, host: Any, owner: type | None = None) -> Any:
        if host is None:  # Class.method(host, ...), as monkeypatching and super() calls do

            @functools.wraps(self.op)
            def unbound(host: Any, *args: Any, **kwargs: Any) -> Any:
                return self._bind(host)(*args, **kwargs)

            return unbound
        bound = self._bind(host)
        # Kept on the instance: the next look-up finds it there, and nothing is built per call.
        host.__dict__[self.name] = bound
        return bound


class call(_Method[P, T]):
    """A sync method: runs the operation and returns its result."""

    def __init__(self, op: OpFactory[P, T]) -> None:
        super().__init__(op)

    def __get__(self, host: Any, owner: type | None = None) -> Callable[P, T]:
        return super().__get__(host, owner)  # type: ignore[no-any-return]

    def _bind(self, host: Any) -> Callable[P, T]:
        op = self.op

        @functools.wraps(op)
        def method(*args: P.args, **kwargs: P.kwargs) -> T:
            driver: SyncDriver = host._driver()
            return driver.run(op(driver.context, *args, **kwargs))  # type: ignore[no-any-return]

        return method


class acall(_Method[P, T]):
    """An async method: awaits the operation's result."""

    def __init__(self, op: OpFactory[P, T]) -> None:
        super().__init__(op)

    def __get__(self, host: Any, owner: type | None = None) -> Callable[P, Awaitable[T]]:
        return super().__get__(host, owner)  # type: ignore[no-any-return]

    def _bind(self, host: Any) -> Callable[P, Awaitable[T]]:
        op = self.op

        @functools.wraps(op)
        async def method(*args: P.args, **kwargs: P.kwargs) -> T:
            driver: AsyncDriver = await host._adriver()
            return await driver.run(op(driver.context, *args, **kwargs))  # type: ignore[no-any-return]

        return method


class iterate(_Method[P, T]):
    """A sync iterator method: the operation's items (of type ``item``)."""

    def __init__(self, op: OpFactory[P, None], item: type[T]) -> None:
        super().__init__(op)

    def __get__(self, host: Any, owner: type | None = None) -> Callable[P, Iterator[T]]:
        return super().__get__(host, owner)  # type: ignore[no-any-return]

    def _bind(self, host: Any) -> Callable[P, Iterator[T]]:
        op = self.op

        @functools.wraps(op)
        def method(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
            driver: SyncDriver = host._driver()
            return driver.iterate(op(driver.context, *args, **kwargs))

        return method


class aiterate(_Method[P, T]):
    """An async iterator method: the operation's items (of type ``item``)."""

    def __init__(self, op: OpFactory[P, None], item: type[T]) -> None:
        super().__init__(op)

    def __get__(self, host: Any, owner: type | None = None) -> Callable[P, AsyncIterator[T]]:
        return super().__get__(host, owner)  # type: ignore[no-any-return]

    def _bind(self, host: Any) -> Callable[P, AsyncIterator[T]]:
        op = self.op

        @functools.wraps(op)
        async def method(*args: P.args, **kwargs: P.kwargs) -> AsyncIterator[T]:
            driver: AsyncDriver = await host._adriver()
            async for item in driver.iterate(op(driver.context, *args, **kwargs)):
                yield item

        return method


class ApiMethods:
    """Every TapTalent API call, sync and ``a``-prefixed async (PUBLIC_API.md)."""

    # jobs
    create_job = call(ops.create_job)
    acreate_job = acall(ops.create_job)
    find_created_job = call(ops.find_created_job)
    afind_created_job = acall(ops.find_created_job)
    get_job = call(ops.get_job)
    aget_job = acall(ops.get_job)
    update_job = call(ops.update_job)
    aupdate_job = acall(ops.update_job)
    list_jobs = call(ops.list_jobs)
    alist_jobs = acall(ops.list_jobs)
    iter_jobs = iterate(ops.iter_jobs, Job)
    aiter_jobs = aiterate(ops.iter_jobs, Job)
    # bulk resume upload and batches
    bulk_upload_resumes = call(ops.bulk_upload_resumes)
    abulk_upload_resumes = acall(ops.bulk_upload_resumes)
    get_batch = call(ops.get_batch)
    aget_batch = acall(ops.get_batch)
    iter_batch_candidates = iterate(ops.iter_batch_candidates, Candidate)
    aiter_batch_candidates = aiterate(ops.iter_batch_candidates, Candidate)
    # candidates and job candidates
    add_candidate = call(ops.add_candidate)
    aadd_candidate = acall(ops.add_candidate)
    list_candidates = call(ops.list_candidates)
    alist_candidates = acall(ops.list_candidates)
    iter_candidates = iterate(ops.iter_candidates, Candidate)
    aiter_candidates = aiterate(ops.iter_candidates, Candidate)
    get_candidate = call(ops.get_candidate)
    aget_candidate = acall(ops.get_candidate)
    bulk_fetch_job_candidates = call(ops.bulk_fetch_job_candidates)
    abulk_fetch_job_candidates = acall(ops.bulk_fetch_job_candidates)
    # pipelines and stages
    list_pipelines = call(ops.list_pipelines)
    alist_pipelines = acall(ops.list_pipelines)
    get_pipeline = call(ops.get_pipeline)
    aget_pipeline = acall(ops.get_pipeline)
    create_pipeline = call(ops.create_pipeline)
    acreate_pipeline = acall(ops.create_pipeline)
    rename_pipeline = call(ops.rename_pipeline)
    arename_pipeline = acall(ops.rename_pipeline)
    upsert_stage = call(ops.upsert_stage)
    aupsert_stage = acall(ops.upsert_stage)
    # teams and users
    list_teams = call(ops.list_teams)
    alist_teams = acall(ops.list_teams)
    get_team = call(ops.get_team)
    aget_team = acall(ops.get_team)
    list_users = call(ops.list_users)
    alist_users = acall(ops.list_users)
    iter_users = iterate(ops.iter_users, User)
    aiter_users = aiterate(ops.iter_users, User)
    get_user = call(ops.get_user)
    aget_user = acall(ops.get_user)
    # assessments
    list_assessments = call(ops.list_assessments)
    alist_assessments = acall(ops.list_assessments)
    iter_assessments = iterate(ops.iter_assessments, Assessment)
    aiter_assessments = aiterate(ops.iter_assessments, Assessment)
    list_assessment_flows = call(ops.list_assessment_flows)
    alist_assessment_flows = acall(ops.list_assessment_flows)
    create_assessment_flow = call(ops.create_assessment_flow)
    acreate_assessment_flow = acall(ops.create_assessment_flow)
    # keys
    check_key = call(ops.check_key)
    acheck_key = acall(ops.check_key)

    def _driver(self) -> SyncDriver:
        raise NotImplementedError

    async def _adriver(self) -> AsyncDriver:
        raise NotImplementedError
