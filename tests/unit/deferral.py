"""Test helpers: drive a deferrable task through its trigger without a triggerer, and seed batches."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from airflow.providers.common.compat.sdk import TaskDeferred

__all__ = ["TaskDeferred", "run_deferrable", "upload"]


def run_deferrable(task: Any, context: dict[str, Any], max_deferrals: int = 5) -> Any:
    """Call ``execute``; each time it defers, run the trigger to its first event and resume the task."""
    call, kwargs = task.execute, {}
    for _ in range(max_deferrals):
        try:
            return call(context, **kwargs)
        except TaskDeferred as deferred:
            event = asyncio.run(anext(deferred.trigger.run()))
            call, kwargs = getattr(task, deferred.method_name), {"event": event.payload, **(deferred.kwargs or {})}
    raise AssertionError("the task kept deferring")


def upload(sandbox: Any, good: int, corrupt: int = 0, prefix: str = "r") -> Any:
    """A batch of ``good`` readable and ``corrupt`` unreadable resumes, uploaded straight to the sandbox."""
    urls = [f"https://f.example/{prefix}{n}.pdf" for n in range(good)]
    urls += [f"https://f.example/corrupt-{prefix}{n}.pdf" for n in range(corrupt)]
    response = httpx.post(
        f"{sandbox.api_url}/candidates/bulk/resume",
        json={"resumeURLs": urls},
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
    )
    response.raise_for_status()
    return response.json()["data"]["batchId"]
