from __future__ import annotations

import pickle
import re

import pytest

from airflow_provider_taptalent.exceptions import (
    TapTalentAccountInactiveError,
    TapTalentAuthenticationError,
    TapTalentConflictError,
    TapTalentConnectionError,
    TapTalentError,
    TapTalentInputError,
    TapTalentNotFoundError,
    TapTalentPermissionError,
    TapTalentRateLimitError,
    TapTalentServerError,
    TapTalentValidationError,
    error_from_response,
)
from tests.conftest import REPO


def envelope(code: str, type_: str, message: str = "m", details: dict | None = None) -> dict:
    return {"error": {"code": code, "type": type_, "message": message, "details": details or {}}}


@pytest.mark.parametrize(
    ("status", "code", "type_", "expected"),
    [
        (400, "INVALID_REQUEST", "validation_error", TapTalentValidationError),
        (401, "UNAUTHORIZED", "authentication_error", TapTalentAuthenticationError),
        (403, "FORBIDDEN", "permission_error", TapTalentPermissionError),
        (403, "ACCOUNT_INACTIVE", "permission_error", TapTalentAccountInactiveError),
        (404, "NOT_FOUND", "not_found_error", TapTalentNotFoundError),
        (409, "IDEMPOTENCY_CONFLICT", "idempotency_error", TapTalentConflictError),
        (429, "RATE_LIMITED", "rate_limit_error", TapTalentRateLimitError),
        (500, "INTERNAL_ERROR", "api_error", TapTalentServerError),
        (502, "INTERNAL_ERROR", "api_error", TapTalentServerError),
        (503, "INTERNAL_ERROR", "api_error", TapTalentServerError),
        (504, "INTERNAL_ERROR", "api_error", TapTalentServerError),
    ],
)
def test_each_documented_error_maps_to_its_class(status, code, type_, expected):
    error = error_from_response(status, envelope(code, type_, "went wrong"), request_id="req-1")
    assert type(error) is expected
    assert (error.status_code, error.code, error.type, error.message) == (status, code, type_, "went wrong")
    assert error.request_id == "req-1"


def test_only_server_rate_limit_and_connection_errors_are_retryable():
    retryable = {cls for cls in (TapTalentServerError, TapTalentRateLimitError, TapTalentConnectionError)}
    for cls in (
        TapTalentValidationError,
        TapTalentAuthenticationError,
        TapTalentPermissionError,
        TapTalentAccountInactiveError,
        TapTalentNotFoundError,
        TapTalentConflictError,
        TapTalentInputError,
        *retryable,
    ):
        assert cls.retryable is (cls in retryable), cls


def test_a_proxy_html_page_still_maps_by_status():
    error = error_from_response(502, None)
    assert isinstance(error, TapTalentServerError)
    assert error.code is None
    assert "502" in str(error)


def test_an_unexpected_status_is_a_plain_taptalent_error():
    error = error_from_response(418, {"unexpected": True})
    assert type(error) is TapTalentError
    assert error.status_code == 418


def test_str_shows_code_message_and_every_field():
    error = error_from_response(
        400,
        envelope(
            "INVALID_REQUEST",
            "validation_error",
            "One or more fields are invalid.",
            {"title": "too short", "city": "required"},
        ),
    )
    assert str(error) == "400 INVALID_REQUEST: One or more fields are invalid. (title: too short; city: required)"
    assert error.details == {"title": "too short", "city": "required"}


def test_rate_limit_carries_retry_after():
    error = error_from_response(429, envelope("RATE_LIMITED", "rate_limit_error"), retry_after=3.0)
    assert isinstance(error, TapTalentRateLimitError)
    assert error.retry_after == 3.0


@pytest.mark.parametrize(
    "error",
    [
        error_from_response(400, envelope("INVALID_REQUEST", "validation_error", "bad", {"title": "x"})),
        error_from_response(429, envelope("RATE_LIMITED", "rate_limit_error"), retry_after=2),
        TapTalentInputError("Invalid job", details={"title": "short"}),
    ],
)
def test_errors_survive_pickling(error):
    # Errors cross process boundaries (executors, triggerer): they must come back whole.
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.details == error.details


def test_input_errors_are_validation_errors_and_value_errors():
    error = TapTalentInputError("Invalid job", details={"title": "short"})
    assert isinstance(error, TapTalentValidationError)
    assert isinstance(error, ValueError)
    assert error.status_code is None


# -- item 22: the exception users catch is public ------------------------------------------------------------------


def test_item22_taptalent_task_failed_is_exported_from_exceptions():
    from airflow_provider_taptalent import exceptions
    from airflow_provider_taptalent._compat import AirflowFailException
    from airflow_provider_taptalent.exceptions import TapTalentTaskFailed
    from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed as private

    assert TapTalentTaskFailed is private and issubclass(TapTalentTaskFailed, AirflowFailException)
    assert "TapTalentTaskFailed" in exceptions.__all__
    with pytest.raises(AttributeError):
        exceptions.NoSuchError  # noqa: B018


def test_errors_and_models_have_one_public_path_which_the_docs_and_examples_use():
    """``exceptions`` and ``models`` export every error and model the client defines; what users read
    (README, example DAGs, benchmarks, scripts) never imports them from the client's own modules."""
    from airflow_provider_taptalent import exceptions, models
    from airflow_provider_taptalent.client import errors
    from airflow_provider_taptalent.client import models as client_models

    assert set(errors.__all__) <= set(exceptions.__all__)
    assert set(client_models.__all__) == set(models.__all__)
    readers = [
        REPO / "README.md",
        *sorted((REPO / "example_dags").glob("*.py")),
        *sorted((REPO / "benchmarks").glob("*.py")),
    ]
    private = re.compile(r"airflow_provider_taptalent\.client\.(errors|models)")
    offenders = [str(path.relative_to(REPO)) for path in readers if private.search(path.read_text())]
    assert offenders == []
