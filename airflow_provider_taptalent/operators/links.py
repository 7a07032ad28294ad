"""Extra links: from a task in the Airflow UI to what it made in TapTalent's dashboard."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow_provider_taptalent._compat import BaseOperatorLink, XCom
from airflow_provider_taptalent.client import contract as _api

#: the XCom a task pushes the dashboard URL of its job under
JOB_URL_XCOM_KEY = "taptalent_job_url"


def job_url(job_id: Any) -> str:
    """The dashboard page of a job (the URL pattern is one assumption, in ``contract.JOB_DASHBOARD_URL``)."""
    return _api.JOB_DASHBOARD_URL.format(job_id=quote(str(job_id), safe=""))


def push_job_link(context: Any, environment: str, job_id: Any) -> str | None:
    """Push the job's dashboard URL for the "TapTalent job" link: production jobs only (the dashboard shows
    no sandbox job, and the local sandbox has no dashboard). The URL, or ``None``."""
    if environment != "production":
        return None
    url = job_url(job_id)
    context["ti"].xcom_push(key=JOB_URL_XCOM_KEY, value=url)
    return url


class TapTalentJobLink(BaseOperatorLink):
    """ "TapTalent job": the job the task created, found or uploaded resumes to."""

    name = "TapTalent job"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        url = XCom.get_value(key=JOB_URL_XCOM_KEY, ti_key=ti_key)
        return str(url) if url else ""
