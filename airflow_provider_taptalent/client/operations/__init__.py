"""Every API operation, written once as plain logic over the calls of :mod:`.calls` (sans-I/O).

Each function takes the :class:`~.steps.CallContext` first and returns an operation (a generator of steps);
:data:`REGISTRY` holds them by method name: those written here (``@operation``), and one for each plain
call that :mod:`.calls` declares with ``op=``. :mod:`.methods` turns each into a sync and an async
method, and a driver runs it. Input is checked with a request model before the first step, so nothing is
sent for bad input. Every create carries an ``Idempotency-Key`` (yours, or a fresh one).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from .. import calls
from ..calls import Endpoint
from ..steps import CallContext, Op, send
from ._common import REGISTRY, Operation, checked_idempotency_key
from .candidates import (
    add_candidate,
    bulk_fetch_job_candidates,
    iter_candidates,
    list_candidates,
)
from .jobs import (
    bulk_upload_resumes,
    create_job,
    find_created_job,
    get_batch,
    iter_batch_candidates,
    iter_jobs,
    list_jobs,
    update_job,
)
from .workspace import (
    check_key,
    create_assessment_flow,
    create_pipeline,
    iter_assessments,
    iter_users,
    key_state,
    list_assessments,
    list_users,
    rename_pipeline,
    upsert_stage,
)

__all__ = [
    "REGISTRY",
    "Operation",
    "add_candidate",
    "bulk_fetch_job_candidates",
    "bulk_upload_resumes",
    "check_key",
    "checked_idempotency_key",
    "create_assessment_flow",
    "create_job",
    "create_pipeline",
    "find_created_job",
    "get_batch",
    "iter_assessments",
    "iter_batch_candidates",
    "iter_candidates",
    "iter_jobs",
    "iter_users",
    "key_state",
    "list_assessments",
    "list_candidates",
    "list_jobs",
    "list_users",
    "plain_call",
    "rename_pipeline",
    "update_job",
    "upsert_stage",
]


def plain_call(endpoint: Endpoint[Any]) -> Any:
    """The operation of a plain call: its path parameters (snake_case) in, its parsed answer out."""
    names = endpoint.parameters
    parameters = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_ONLY)] + [
        inspect.Parameter(_snake(name), inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="int | str")
        for name in names
    ]
    signature = inspect.Signature(parameters, return_annotation=f"Op[{_returns(endpoint)}]")

    def function(ctx: CallContext, *args: Any, **kwargs: Any) -> Op[Any]:
        values = signature.bind(ctx, *args, **kwargs).arguments  # a wrong call is a TypeError naming them
        return (yield from send(ctx, endpoint.call({name: values[_snake(name)] for name in names})))

    function.__name__ = function.__qualname__ = str(endpoint.op)
    function.__signature__ = signature  # type: ignore[attr-defined]
    missing = "; :class:`TapTalentNotFoundError` when it does not exist" if names else ""
    function.__doc__ = f"{endpoint.doc.rstrip('.')} (``{endpoint.method} {endpoint.path}``){missing}."
    return function


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _returns(endpoint: Endpoint[Any]) -> str:
    response = endpoint.response
    if response is None:
        return "None"
    if isinstance(response, list):
        return f"list[{response[0].__name__}]"
    return str(response.__name__)


for _endpoint in calls.ENDPOINTS.values():
    if _endpoint.op:
        REGISTRY[_endpoint.op] = Operation(plain_call(_endpoint), _endpoint)
