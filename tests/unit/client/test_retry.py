"""The retry policy on hostile Retry-After values.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import math

import httpx
import pytest

from airflow_provider_taptalent.client import transport as _http
from airflow_provider_taptalent.client.retry import RetryPolicy
from airflow_provider_taptalent.exceptions import (
    TapTalentRateLimitError,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

# -- item 8: Retry-After that is not a number ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-inf", "1e999"])
def test_item8_a_retry_after_that_is_not_finite_is_ignored(value):
    assert _http._retry_after(value) is None
    policy = RetryPolicy()
    error = TapTalentRateLimitError("slow down", status_code=429, retry_after=float("nan"))
    wait = policy.wait_seconds(1, error)
    assert math.isfinite(wait) and 0 <= wait <= policy.initial_wait


def test_item8_a_nan_retry_after_does_not_crash_the_sync_path(api, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(RetryPolicy, "sleep", staticmethod(slept.append))
    api.get("/jobs/1").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "NaN"}, json={"error": {"code": "RATE_LIMITED"}}),
            httpx.Response(200, json={"id": 1}),
        ]
    )
    assert TapTalentHook().get_job(1).id == 1
    assert all(math.isfinite(s) for s in slept)
