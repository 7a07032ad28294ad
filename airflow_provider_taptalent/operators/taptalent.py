"""Operators for the TapTalent Partner API: create jobs, sync jobs, bulk-upload resumes, fetch candidates.

The import path users' DAGs use; the operators live in :mod:`.jobs` and :mod:`.resumes`.
"""

from __future__ import annotations

from airflow_provider_taptalent.operators.jobs import TapTalentCreateJobOperator, TapTalentSyncJobsOperator
from airflow_provider_taptalent.operators.resumes import (
    TapTalentBulkUploadResumesOperator,
    TapTalentFetchCandidatesOperator,
)

__all__ = [
    "TapTalentBulkUploadResumesOperator",
    "TapTalentCreateJobOperator",
    "TapTalentFetchCandidatesOperator",
    "TapTalentSyncJobsOperator",
]
