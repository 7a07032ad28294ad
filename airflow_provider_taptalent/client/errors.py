"""The errors this provider raises, and the one function that turns an API response into one.

Import them from :mod:`airflow_provider_taptalent.exceptions`, their one public path (Airflow-free too);
this module is where they are defined.

Every error carries what the API said (``status_code``, ``code``, ``type``, ``message``, ``details``) and
never the API key: the key only ever lives in the ``Authorization`` header, which no error reads.

``retryable`` is the single fact the retry policy (:mod:`.retry`) reads, so
which failures are retried is decided here, next to the classes, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    "TapTalentTimeoutError",
    "TapTalentValidationError",
    "TapTalentWebhookError",
    "error_from_response",
]


class TapTalentError(Exception):
    """Base class of every error raised by this provider.

    :param message: human-readable message.
    :param status_code: HTTP status of the response, ``None`` when no response was received.
    :param code: the API's ``error.code`` (``INVALID_REQUEST``, ``NOT_FOUND`` ...), when known.
    :param type: the API's ``error.type`` (``validation_error`` ...), when known.
    :param details: the API's per-field messages, ``{field: message}``.
    :param request_id: the request id the API answered with, when it sent one.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        type: str | None = None,
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.code = code
        self.type = type
        self.details: dict[str, Any] = dict(details or {})
        self.request_id = request_id
        super().__init__(str(self))

    def __str__(self) -> str:
        head = " ".join(str(p) for p in (self.status_code, self.code) if p is not None)
        text = f"{head}: {self.message}" if head else self.message
        if self.details:
            text += " (" + "; ".join(f"{field}: {msg}" for field, msg in self.details.items()) + ")"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive pickling by default; errors cross process
        # boundaries (executors, the triggerer), so rebuild them from their fields.
        return (_rebuild, (type(self), self.message, self._fields()))

    def _fields(self) -> dict[str, Any]:
        return {
            "status_code": self.status_code,
            "code": self.code,
            "type": self.type,
            "details": self.details,
            "request_id": self.request_id,
        }


def _rebuild(cls: type[TapTalentError], message: str, fields: dict[str, Any]) -> TapTalentError:
    return cls(message, **fields)


class TapTalentValidationError(TapTalentError):
    """HTTP 400 ``INVALID_REQUEST``: the API refused a field; ``details`` names each one."""


class TapTalentInputError(TapTalentValidationError, ValueError):
    """Bad input found by the provider itself, before any request was sent.

    ``details`` maps each offending field to what is wrong with it, as the API's own 400 does, so code
    that handles :class:`TapTalentValidationError` handles both.
    """


class TapTalentConfigurationError(TapTalentError, ValueError):
    """The Airflow connection is unusable (missing or malformed key, environment mismatch ...)."""


class TapTalentAuthenticationError(TapTalentError):
    """HTTP 401: the API key is missing, invalid or deactivated."""


class TapTalentPermissionError(TapTalentError):
    """HTTP 403: the key may not do this (``FORBIDDEN``)."""


class TapTalentAccountInactiveError(TapTalentPermissionError):
    """HTTP 403 ``ACCOUNT_INACTIVE``: the company's subscription must be renewed."""


class TapTalentNotFoundError(TapTalentError):
    """HTTP 404: no such resource in this company."""


class TapTalentConflictError(TapTalentError):
    """HTTP 409 ``IDEMPOTENCY_CONFLICT``: an Idempotency-Key was reused with a different body."""


class TapTalentRateLimitError(TapTalentError):
    """HTTP 429: over the company's rate limit; ``retry_after`` is the wait the API asked for, in seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "retry_after": self.retry_after}


class TapTalentServerError(TapTalentError):
    """HTTP 5xx: the API failed; the request may or may not have taken effect."""

    retryable = True


class TapTalentConnectionError(TapTalentError):
    """No usable response: connect or read timeout, dropped connection, protocol error.

    Like a 5xx, the request may or may not have taken effect.
    """

    retryable = True


class TapTalentTimeoutError(TapTalentError, TimeoutError):
    """Waiting for TapTalent (batches to finish) took longer than the task allowed."""


class TapTalentWebhookError(TapTalentError):
    """A webhook delivery failed verification or could not be parsed."""


_BY_STATUS: dict[int, type[TapTalentError]] = {
    400: TapTalentValidationError,
    401: TapTalentAuthenticationError,
    403: TapTalentPermissionError,
    404: TapTalentNotFoundError,
    409: TapTalentConflictError,
    429: TapTalentRateLimitError,
}
_BY_CODE: dict[str, type[TapTalentError]] = {"ACCOUNT_INACTIVE": TapTalentAccountInactiveError}


def error_from_response(
    status_code: int,
    body: Any,
    *,
    retry_after: float | None = None,
    request_id: str | None = None,
) -> TapTalentError:
    """Build the typed error for an unsuccessful response.

    ``body`` is the decoded JSON body, or ``None`` when it was not JSON (a proxy's HTML 502 page, say):
    such an error is still typed by its status code.
    """
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    details = error.get("details") if isinstance(error.get("details"), Mapping) else None
    message = error.get("message") if isinstance(error.get("message"), str) else None
    cls = _BY_CODE.get(code or "") or _BY_STATUS.get(status_code)
    if cls is None:
        cls = TapTalentServerError if status_code >= 500 else TapTalentError
    fields: dict[str, Any] = {
        "status_code": status_code,
        "code": code,
        "type": error.get("type") if isinstance(error.get("type"), str) else None,
        "details": details,
        "request_id": request_id,
    }
    text = message or f"HTTP {status_code} with no TapTalent error body"
    if cls is TapTalentRateLimitError:
        return TapTalentRateLimitError(text, retry_after=retry_after, **fields)
    return cls(text, **fields)
