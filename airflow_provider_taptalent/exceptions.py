"""The errors this provider raises (the client's, :mod:`airflow_provider_taptalent.client.errors`), and
``TapTalentTaskFailed``, the Airflow exception a task raises when a retry cannot help."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_taptalent.client.errors import (
    TapTalentAccountInactiveError,
    TapTalentAuthenticationError,
    TapTalentConfigurationError,
    TapTalentConflictError,
    TapTalentConnectionError,
    TapTalentError,
    TapTalentInputError,
    TapTalentNotFoundError,
    TapTalentPermissionError,
    TapTalentRateLimitError,
    TapTalentServerError,
    TapTalentTimeoutError,
    TapTalentValidationError,
    TapTalentWebhookError,
    error_from_response,
)

if TYPE_CHECKING:
    from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed

__all__ = [
    "TapTalentAccountInactiveError",
    "TapTalentAuthenticationError",
    "TapTalentConfigurationError",
    "TapTalentConflictError",
    "TapTalentConnectionError",
    "TapTalentError",
    "TapTalentInputError",
    "TapTalentNotFoundError",
    "TapTalentPermissionError",
    "TapTalentRateLimitError",
    "TapTalentServerError",
    "TapTalentTaskFailed",
    "TapTalentTimeoutError",
    "TapTalentValidationError",
    "TapTalentWebhookError",
    "error_from_response",
]


def __getattr__(name: str) -> Any:
    """``TapTalentTaskFailed`` (an Airflow exception) is imported on first use, so that the errors above
    stay importable without Airflow."""
    if name == "TapTalentTaskFailed":
        from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed

        return TapTalentTaskFailed
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
