"""What every model shares: camelCase on the wire, snake_case in Python, one timestamp parser."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from ..errors import TapTalentError, TapTalentInputError

M = TypeVar("M", bound=BaseModel)

# Seconds since 1970 stay below this until the year 5138; a larger number is milliseconds.
_EPOCH_MILLISECONDS_FROM = 100_000_000_000


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from epoch seconds, epoch milliseconds or an ISO-8601 string (SPEC §3).

    Job times are documented as epoch seconds, team and assessment times as milliseconds, pipeline
    and webhook times as ISO strings; this is the only place that tells them apart.
    """
    if type(value) is int and abs(value) < _EPOCH_MILLISECONDS_FROM:  # the common case first: epoch seconds
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"not a time between the years 1 and 9999: {value!r}") from None
    if value is None or value == "" or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value or None
    if isinstance(value, bool):
        raise ValueError("a timestamp cannot be a boolean")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, (int, float)):
        seconds = value / 1000 if abs(value) >= _EPOCH_MILLISECONDS_FROM else value
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            # 1e300, NaN, inf: a ValueError, so that pydantic and callers report the field, not crash
            raise ValueError(f"not a time between the years 1 and 9999: {value!r}") from None
    if isinstance(value, str):
        parsed = _iso(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    raise ValueError(f"not a timestamp: {type(value).__name__}")


def _iso(value: str) -> datetime:
    # Python 3.10's fromisoformat does not read a trailing "Z".
    text = value.strip()
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)


def is_naive_timestamp(value: Any) -> bool:
    """Whether ``value`` names a time without saying its time zone (:func:`parse_timestamp` takes UTC)."""
    if isinstance(value, datetime):
        return value.tzinfo is None
    if isinstance(value, str) and value.strip() and not value.strip().lstrip("-").isdigit():
        try:
            return _iso(value).tzinfo is None
        except ValueError:
            return False
    return False


Timestamp = Annotated[datetime | None, BeforeValidator(parse_timestamp)]
#: TapTalent ids are integers in the current docs and UUID strings in older ones (SPEC §3): both are kept
#: as they came, and never computed with.
ApiId = int | str


class FieldRuleError(ValueError):
    """A rule across fields, broken: raised by model validators so that the error still names a field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def field_errors(error: ValidationError) -> dict[str, str]:
    """``{"salaryRangeFrom": "Input should be greater than or equal to 0", ...}`` from a pydantic error."""
    details: dict[str, str] = {}
    for item in error.errors(include_url=False):
        cause = item.get("ctx", {}).get("error")
        where = ".".join(str(part) for part in item["loc"])
        if isinstance(cause, FieldRuleError):
            where = ".".join(filter(None, (where, cause.field)))
        where = where or "(body)"
        message = item["msg"].removeprefix("Value error, ")
        details[where] = f"{details[where]}; {message}" if where in details else message
    return details


class WireModel(BaseModel):
    """Responses: tolerant of fields and enum values TapTalent adds later."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)

    @classmethod
    def from_wire(cls: type[M], payload: Any) -> M:
        """Parse an API payload; a payload of the wrong shape is an API error, not a crash."""
        try:
            return cls.model_validate(payload)
        except ValidationError as error:
            raise TapTalentError(
                f"TapTalent sent a {cls.__name__} this provider cannot read", details=field_errors(error)
            ) from None


class RequestModel(BaseModel):
    """Requests: strict about unknown fields, so that a typo fails here instead of at the API."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    @classmethod
    def coerce(cls: type[M], value: Any, *, what: str | None = None) -> M:
        """``value`` as this model (a mapping, in snake_case or camelCase, or the model itself).

        :raises TapTalentInputError: naming every bad field, before anything is sent.
        """
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            value = dict(value) if hasattr(value, "keys") else value
        try:
            return cls.model_validate(value)
        except ValidationError as error:
            raise TapTalentInputError(f"Invalid {what or cls.__name__}", details=field_errors(error)) from None

    def to_wire(self) -> dict[str, Any]:
        """The JSON body, camelCase, without the fields that were not given."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
