"""Every API operation, written once as plain logic over the calls of :mod:`.calls` (sans-I/O).

Each function takes the :class:`~.steps.Context` first and returns an operation (a generator of steps):
:mod:`.methods` turns each into a sync and an async method, and a driver runs it. Input is checked with a
request model before the first step, so nothing is sent for bad input. Every create carries an
``Idempotency-Key`` (yours, or a fresh one).
"""

from ._common import checked_idempotency_key
from .candidates import (
    add_candidate,
    bulk_fetch_job_candidates,
    get_candidate,
    iter_candidates,
    list_candidates,
)
from .jobs import (
    bulk_upload_resumes,
    create_job,
    find_created_job,
    get_batch,
    get_job,
    iter_batch_candidates,
    iter_jobs,
    list_jobs,
    update_job,
)
from .workspace import (
    check_key,
    create_assessment_flow,
    create_pipeline,
    get_pipeline,
    get_team,
    get_user,
    iter_assessments,
    iter_users,
    key_state,
    list_assessment_flows,
    list_assessments,
    list_pipelines,
    list_teams,
    list_users,
    rename_pipeline,
    upsert_stage,
)

__all__ = [
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
    "get_candidate",
    "get_job",
    "get_pipeline",
    "get_team",
    "get_user",
    "iter_assessments",
    "iter_batch_candidates",
    "iter_candidates",
    "iter_jobs",
    "iter_users",
    "key_state",
    "list_assessment_flows",
    "list_assessments",
    "list_candidates",
    "list_jobs",
    "list_pipelines",
    "list_teams",
    "list_users",
    "rename_pipeline",
    "update_job",
    "upsert_stage",
]
