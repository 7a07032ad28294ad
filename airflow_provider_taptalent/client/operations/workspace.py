"""Pipelines, teams, workspace users, assessments and flows (SPEC §7.4-7.7, A12), and keys (A13)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import calls, contract
from ..errors import TapTalentAuthenticationError, TapTalentPermissionError
from ..models import (
    Assessment,
    AssessmentFlow,
    AssessmentFlowCreate,
    AssessmentPage,
    KeyStatus,
    Pipeline,
    PipelineName,
    StageUpsert,
    User,
    UserPage,
)
from ..steps import CallContext, KeyChoice, Op, paginate, send
from ._common import (
    KEY_CHECK_POLICY,
    _filters,
    _pages,
    checked_idempotency_key,
    operation,
)

# -- pipelines, teams, users, assessments -------------------------------------------------------------------------


@operation(calls.PIPELINES_CREATE)
def create_pipeline(ctx: CallContext, name: str, *, idempotency_key: str | None = None) -> Op[Pipeline]:
    """A new pipeline with TapTalent's default stages (``POST /pipelines``)."""
    body = PipelineName.coerce({"name": name}, what="pipeline").to_wire()
    call = calls.PIPELINES_CREATE.call(json=body, idempotency_key=checked_idempotency_key(idempotency_key))
    return (yield from send(ctx, call))


@operation(calls.PIPELINES_RENAME)
def rename_pipeline(ctx: CallContext, pipeline_id: int | str, name: str) -> Op[Pipeline]:
    """Rename a pipeline (``PUT /pipelines/{id}``)."""
    body = PipelineName.coerce({"name": name}, what="pipeline").to_wire()
    return (yield from send(ctx, calls.PIPELINES_RENAME.call({"pipelineId": pipeline_id}, json=body)))


@operation(calls.PIPELINES_STAGE_UPSERT)
def upsert_stage(
    ctx: CallContext,
    pipeline_id: int,
    *,
    name: str,
    type: str,
    order: int | None = None,
    stage_id: int | None = None,
    idempotency_key: str | None = None,
) -> Op[Pipeline]:
    """Add a stage to a pipeline, or with ``stage_id`` change one (``POST /pipelines/stages``, A12); the
    other stages are renumbered around ``order``. Returns the pipeline."""
    body = StageUpsert.coerce(
        {"pipelineId": pipeline_id, "name": name, "type": type, "order": order, "stageId": stage_id}, what="stage"
    ).to_wire()
    call = calls.PIPELINES_STAGE_UPSERT.call(json=body, idempotency_key=checked_idempotency_key(idempotency_key))
    return (yield from send(ctx, call))


def _user_params(page: int, per_page: int, filters: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= contract.MAX_USERS_PER_PAGE:
        raise ValueError(f"per_page must be 1 to {contract.MAX_USERS_PER_PAGE}, not {per_page!r}")
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError(f"page must be 1 or more, not {page!r}")
    status = filters.get("status")
    if status is not None and not isinstance(status, str):
        filters = {**filters, "status": ",".join(status)}
    return {"page": page, "perPage": per_page, **_filters(**filters)}


@operation(calls.USERS_LIST)
def list_users(
    ctx: CallContext,
    *,
    page: int = 1,
    per_page: int = contract.MAX_USERS_PER_PAGE,
    status: str | Sequence[str] | None = None,
    role: str | None = None,
    is_company_admin: bool | None = None,
    search: str | None = None,
) -> Op[UserPage]:
    """One page of workspace users and invites (``GET /users``): ``status`` is ``ACTIVE``, ``INVITED``,
    ``EXPIRED`` or several; ``role`` a code or a display name; ``search`` matches email and names."""
    filters = {"status": status, "role": role, "isCompanyAdmin": is_company_admin, "search": search}
    return (yield from send(ctx, calls.USERS_LIST.call(params=_user_params(page, per_page, filters))))


@operation(calls.USERS_LIST, items=User)
def iter_users(
    ctx: CallContext,
    *,
    per_page: int = contract.MAX_USERS_PER_PAGE,
    status: str | Sequence[str] | None = None,
    role: str | None = None,
    is_company_admin: bool | None = None,
    search: str | None = None,
) -> Op[None]:
    """Every workspace user (matching the filters), page after page."""
    filters = {"status": status, "role": role, "isCompanyAdmin": is_company_admin, "search": search}
    _user_params(1, per_page, filters)
    yield from paginate(
        ctx,
        lambda n: calls.USERS_LIST.call(params=_user_params(n, per_page, filters)),
        per_page,
        lambda page: page.users,
        lambda page: page.total,
    )


@operation(calls.ASSESSMENTS_LIST)
def list_assessments(
    ctx: CallContext, *, page_number: int = 1, per_page: int = contract.MAX_PER_PAGE
) -> Op[AssessmentPage]:
    """One page of assessments (``GET /assessment``)."""
    return (yield from send(ctx, calls.ASSESSMENTS_LIST.call(params=_pages(page_number, per_page))))


@operation(calls.ASSESSMENTS_LIST, items=Assessment)
def iter_assessments(ctx: CallContext, *, per_page: int = contract.MAX_PER_PAGE) -> Op[None]:
    """Every assessment, page after page."""
    contract.check_per_page(per_page)
    yield from paginate(
        ctx,
        lambda n: calls.ASSESSMENTS_LIST.call(params=_pages(n, per_page)),
        per_page,
        lambda page: page.assessments,
        lambda page: page.total,
    )


@operation(calls.ASSESSMENT_FLOWS_CREATE)
def create_assessment_flow(
    ctx: CallContext, flow: AssessmentFlowCreate | Mapping[str, Any], *, idempotency_key: str | None = None
) -> Op[AssessmentFlow]:
    """A new assessment flow (``POST /assessment-flows``, A12): ``flow_name`` and at least one step, each
    with ``assessment_id`` and ``pass_threshold`` (0-100)."""
    body = AssessmentFlowCreate.coerce(flow, what="assessment flow").to_wire()
    call = calls.ASSESSMENT_FLOWS_CREATE.call(json=body, idempotency_key=checked_idempotency_key(idempotency_key))
    return (yield from send(ctx, call))


# -- keys ---------------------------------------------------------------------------------------------------------


def key_state(ctx: CallContext, *, fallback: bool = False) -> Op[str]:
    """What the cheapest authenticated read says of a key (A13): active, invalid, inactive.

    :param fallback: check the connection's fallback key instead of the primary one.
    Network and server failures are raised: they say nothing about the key.
    """
    checking = ctx.with_policy(KEY_CHECK_POLICY).with_keys(KeyChoice(fallback=fallback, switch=False))
    try:
        yield from send(checking, calls.JOBS_LIST.call(params=_pages(1, contract.PER_PAGE_CHOICES[0])))
    except TapTalentAuthenticationError:
        return contract.KEY_STATES[401]
    except TapTalentPermissionError as error:
        if error.code == "ACCOUNT_INACTIVE":
            return contract.KEY_STATES[403]
        raise
    return contract.KEY_STATES[200]


@operation(calls.JOBS_LIST)
def check_key(ctx: CallContext) -> Op[KeyStatus]:
    """The state of the connection's key, and of its fallback key where it has one (A13): ``active``,
    ``invalid`` (401) or ``inactive`` (403 ``ACCOUNT_INACTIVE``). Never raises for a key problem."""
    state = yield from key_state(ctx)
    ctx.observer.key_state("primary", state)
    fallback_state = (yield from key_state(ctx, fallback=True)) if ctx.settings.fallback_api_key else None
    if fallback_state is not None:
        ctx.observer.key_state("fallback", fallback_state)
    messages = {
        "active": "the key works",
        "invalid": "TapTalent does not know this key (revoked or rotated away): put a current key in the connection",
        "inactive": "the company's subscription is inactive: renew it in TapTalent",
    }
    message = messages[state] + (f"; the fallback key: {messages[fallback_state]}" if fallback_state else "")
    return KeyStatus(
        state=state,  # type: ignore[arg-type]
        environment=ctx.settings.environment,
        fallback_state=fallback_state,  # type: ignore[arg-type]
        message=message,
    )
