"""How a task says "retrying cannot help": bad input, an unusable connection, batches that failed.

Airflow does not retry an ``AirflowFailException``, and sensors skip it under ``soft_fail`` in poke and
deferrable mode alike; every other error of this provider is an ordinary, retryable task failure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from airflow_provider_taptalent._compat import AirflowFailException
from airflow_provider_taptalent.client.errors import (
    TapTalentConfigurationError,
    TapTalentError,
    TapTalentInputError,
    TapTalentValidationError,
)


class TapTalentTaskFailed(AirflowFailException):
    """The task failed for a reason a retry cannot fix; ``details`` names the fields or batches."""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})


@contextlib.contextmanager
def fail_without_retry(templates: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn errors that the same input would raise again into :class:`TapTalentTaskFailed`.

    :param templates: the operator's arguments that were templates, as written in the DAG (``resume_urls``:
        ``"{{ params.resume_list }}"``): a bad value is then traced to the template (a DAG param, say) it
        was rendered from.
    """
    try:
        yield
    except (TapTalentInputError, TapTalentConfigurationError, TapTalentValidationError) as error:
        message = str(error)
        named = " ".join([message, *map(str, error.details)])
        sources = [f"{field} from {template!r}" for field, template in (templates or {}).items() if field in named]
        if sources:
            message = f"{message} (rendered: {'; '.join(sources)})"
        # from None: the message is the error's own, whole; its traceback would only repeat it
        raise TapTalentTaskFailed(message, details=error.details) from None


def describe(error: BaseException) -> str:
    """A one-line description for logs and trigger events."""
    return f"{type(error).__name__}: {error}" if not isinstance(error, TapTalentError) else str(error)
