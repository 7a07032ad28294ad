"""The API's error envelope (SPEC §5.1, A3), and the one place the sandbox builds it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

# A3: (code, type) for each status the sandbox answers with.
ERROR_KINDS: dict[int, tuple[str, str]] = {
    400: ("INVALID_REQUEST", "validation_error"),
    401: ("UNAUTHORIZED", "authentication_error"),
    403: ("FORBIDDEN", "permission_error"),
    404: ("NOT_FOUND", "not_found_error"),
    405: ("METHOD_NOT_ALLOWED", "invalid_request_error"),
    409: ("IDEMPOTENCY_CONFLICT", "idempotency_error"),
    413: ("PAYLOAD_TOO_LARGE", "invalid_request_error"),
    429: ("RATE_LIMITED", "rate_limit_error"),
    500: ("INTERNAL_ERROR", "api_error"),
    502: ("INTERNAL_ERROR", "api_error"),
    503: ("INTERNAL_ERROR", "api_error"),
}


class ApiError(Exception):
    """An error answer; raised anywhere in a handler, rendered by :func:`error_response`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or ERROR_KINDS.get(status, ERROR_KINDS[500])[0]
        self.details = dict(details or {})
        self.headers = dict(headers or {})


def error_body(
    status: int, message: str, *, code: str | None = None, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    default_code, kind = ERROR_KINDS.get(status, ERROR_KINDS[500])
    return {"error": {"code": code or default_code, "type": kind, "message": message, "details": dict(details or {})}}


def error_response(error: ApiError) -> Response:
    body = error_body(error.status, error.message, code=error.code, details=error.details)
    return json_response(body, error.status, error.headers)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    # json.dumps straight to bytes: the sandbox must never be the slow side of a benchmark.
    return Response(json.dumps(body, separators=(",", ":")), status, dict(headers or {}), "application/json")


def invalid(details: Mapping[str, str]) -> ApiError:
    """The documented validation error (SPEC §5.1)."""
    return ApiError(400, "One or more fields are invalid.", details=details)
