"""Candidates and job candidates (SPEC §7.2-7.3, A10, A11)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import calls, contract
from ..errors import TapTalentInputError
from ..models import (
    AddedCandidate,
    Candidate,
    CandidateCreate,
    CandidatePage,
    JobCandidate,
)
from ..steps import CallContext, Op, paginate, send
from ._common import (
    _filters,
    _pages,
    checked_idempotency_key,
    operation,
)

# -- candidates and job candidates -----------------------------------------------------------------------------


@operation(calls.CANDIDATES_ADD)
def add_candidate(
    ctx: CallContext, candidate: CandidateCreate | Mapping[str, Any], *, idempotency_key: str | None = None
) -> Op[AddedCandidate]:
    """Add one candidate (``POST /candidates``, C1/A10); the same email returns the existing one with
    ``already_existed``. With ``job_id`` in the candidate it is attached to that job and scored.

    Repeating it is safe: TapTalent deduplicates on the email.
    """
    body = CandidateCreate.coerce(candidate, what="candidate").to_wire()
    call = calls.CANDIDATES_ADD.call(json=body, idempotency_key=checked_idempotency_key(idempotency_key))
    return (yield from send(ctx, call))


def _candidate_filters(page_number: int, per_page: int, **filters: Any) -> dict[str, Any]:
    return {**_pages(page_number, per_page), **_filters(**filters)}


@operation(calls.CANDIDATES_LIST)
def list_candidates(
    ctx: CallContext,
    *,
    page_number: int = 1,
    per_page: int = contract.MAX_PER_PAGE,
    email: str | None = None,
    batch_id: int | str | None = None,
    job_id: int | str | None = None,
) -> Op[CandidatePage]:
    """One page of the company's candidates, newest first (``GET /candidates``, C4/A10), filtered."""
    params = _candidate_filters(page_number, per_page, email=email, batchId=batch_id, jobId=job_id)
    return (yield from send(ctx, calls.CANDIDATES_LIST.call(params=params)))


@operation(calls.CANDIDATES_LIST, items=Candidate)
def iter_candidates(
    ctx: CallContext,
    *,
    per_page: int = contract.MAX_PER_PAGE,
    email: str | None = None,
    batch_id: int | str | None = None,
    job_id: int | str | None = None,
) -> Op[None]:
    """Every candidate (matching the filters), page after page."""
    contract.check_per_page(per_page)
    yield from paginate(
        ctx,
        lambda n: calls.CANDIDATES_LIST.call(
            params=_candidate_filters(n, per_page, email=email, batchId=batch_id, jobId=job_id)
        ),
        per_page,
        lambda page: page.candidates,
        lambda page: page.total_candidates,
    )


@operation(calls.JOB_CANDIDATES_BULK_FETCH)
def bulk_fetch_job_candidates(ctx: CallContext, job_candidate_ids: Sequence[int | str]) -> Op[list[JobCandidate]]:
    """Job candidates with their AI match scores (``POST /job-candidates/bulk-fetch``, JC1), in requests of
    at most 100 ids. Unknown ids are left out (A11); scores are ``None`` while ``evaluation_status`` is
    ``PENDING``."""
    if isinstance(job_candidate_ids, (str, bytes)):
        raise TapTalentInputError("Invalid job_candidate_ids", details={"jobCandidateIds": "must be a list of ids"})
    ids = list(dict.fromkeys(job_candidate_ids))
    bad = [i for i in ids if isinstance(i, bool) or not isinstance(i, (int, str)) or str(i).strip() == ""]
    if bad or not ids:
        problem = f"not an id: {bad[0]!r}" if bad else "no ids given"
        raise TapTalentInputError("Invalid job_candidate_ids", details={"jobCandidateIds": problem})
    found: list[JobCandidate] = []
    size = contract.MAX_JOB_CANDIDATE_IDS
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        found += yield from send(ctx, calls.JOB_CANDIDATES_BULK_FETCH.call(json={"jobCandidateIds": chunk}))
    return found
