"""Operators for the TapTalent Partner API: create and sync jobs, bulk-upload resumes, fetch candidates, export.

The import path users' DAGs use; the operators live in :mod:`.jobs`, :mod:`.resumes` and :mod:`.export`.
"""

from __future__ import annotations

from airflow_provider_taptalent.operators.export import TapTalentExportOperator
from airflow_provider_taptalent.operators.jobs import TapTalentCreateJobOperator, TapTalentSyncJobsOperator
from airflow_provider_taptalent.operators.resumes import (
    TapTalentBulkUploadResumesOperator,
    TapTalentFetchCandidatesOperator,
)

__all__ = [
    "TapTalentBulkUploadResumesOperator",
    "TapTalentCreateJobOperator",
    "TapTalentExportOperator",
    "TapTalentFetchCandidatesOperator",
    "TapTalentSyncJobsOperator",
]
