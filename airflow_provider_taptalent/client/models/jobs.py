"""Jobs: the create/update rules of SPEC §7.1 J2, and the job as the API returns it (A9)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from ._base import ApiId, FieldRuleError, RequestModel, Timestamp, WireModel

Title = Annotated[str, StringConstraints(min_length=3, max_length=500)]
Place = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Amount = Annotated[float, Field(ge=0, le=9_999_999_999)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

JobStatusOnCreate = Literal["DRAFT", "ACTIVE"]
WorkMode = Literal["ONSITE", "REMOTE", "HYBRID"]
ContractType = Literal["Permanent", "Freelance / Consultant", "Fixed term contract", "Internship", "Student"]
DegreeLevel = Literal["Bachelor's", "High School", "M.B.A.", "Master's", "Other", "Ph.D."]
SalaryCurrency = Literal[
    "USD", "PHP", "SGD", "IDR", "EUR", "INR", "GBP", "AED", "MYR", "AUD", "CAD", "JPY", "CNY", "CHF",
    "ZAR", "KRW", "THB", "VND", "BRL", "MXN", "RUB", "TRY", "SEK", "NOK", "DKK", "PLN", "HKD", "MAD",
]  # fmt: skip

MAX_SCREENING_QUESTIONS = 5
SALARY_FIELDS = ("salary_range_from", "salary_range_to", "salary_currency")


class ScreeningQuestion(RequestModel):
    """One screening question; only free-text questions are documented."""

    type: Literal["text"] = "text"
    question: Annotated[str, StringConstraints(min_length=1, max_length=3000)]


class _JobFields(RequestModel):
    """Every field a job can be created or updated with, and the rules that tie fields together."""

    title: Title | None = None
    description: Annotated[str, StringConstraints(min_length=1, max_length=10_000)] | None = None
    city: Place | None = None
    state: Place | None = None
    country: Place | None = None
    status: JobStatusOnCreate | None = None
    work_mode: WorkMode | None = None
    screening_question: Annotated[list[ScreeningQuestion], Field(max_length=MAX_SCREENING_QUESTIONS)] | None = None
    team_id: Annotated[str, StringConstraints(min_length=1)] | None = None
    contract_type: ContractType | None = None
    degree_level: DegreeLevel | None = None
    job_role: Annotated[str, StringConstraints(min_length=1)] | None = None
    salary_range_from: Amount | None = None
    salary_range_to: Amount | None = None
    salary_currency: SalaryCurrency | None = None
    potential_amount: Annotated[float, Field(ge=0)] | None = None
    potential_amount_currency: CurrencyCode | None = None
    potential_hires_count: Annotated[float, Field(ge=1)] | None = None
    year_of_experience: Annotated[float, Field(ge=0, le=50)] | None = None

    @model_validator(mode="after")
    def _fields_that_go_together(self) -> _JobFields:
        given = [name for name in SALARY_FIELDS if getattr(self, name) is not None]
        if given and len(given) < len(SALARY_FIELDS):
            missing = next(wire_name(name) for name in SALARY_FIELDS if name not in given)
            raise FieldRuleError(missing, "salaryRangeFrom, salaryRangeTo and salaryCurrency go together")
        low, high = self.salary_range_from, self.salary_range_to
        if low is not None and high is not None and low > high:
            raise FieldRuleError("salaryRangeFrom", "must not be greater than salaryRangeTo")
        if self.potential_amount is not None and self.potential_amount_currency is None:
            raise FieldRuleError("potentialAmountCurrency", "is required when potentialAmount is given")
        return self


class JobCreate(_JobFields):
    """The body of ``POST /jobs``: ``title``, ``city``, ``state`` and ``country`` are required.

    Accepts snake_case or the API's camelCase names. City is the city only ("San Francisco",
    not "San Francisco, CA"): state and country have their own fields.
    """

    title: Title
    city: Place
    state: Place
    country: Place


class JobUpdate(_JobFields):
    """The body of ``PATCH /jobs/{id}`` (A9): any subset of the create fields, under the same rules."""

    @model_validator(mode="after")
    def _not_empty(self) -> JobUpdate:
        if not self.model_fields_set:
            raise FieldRuleError("(body)", "a job update needs at least one field")
        return self


class PipelineStageCount(WireModel):
    """How many candidates sit in one stage of the job's pipeline."""

    name: str | None = None
    type: str | None = None
    total_candidate: int | None = None


class Job(WireModel):
    """A job as TapTalent returns it. Unknown fields are kept (``model_extra``), statuses stay strings."""

    id: ApiId
    title: str | None = None
    description: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    status: str | None = None
    work_mode: str | None = None
    pipeline_id: ApiId | None = None
    pipeline_stage: list[PipelineStageCount] = []
    team_id: str | None = None
    salary_range_from: float | None = None
    salary_range_to: float | None = None
    salary_currency: str | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None

    def matches(self, wanted: Mapping[str, Any]) -> bool:
        """Whether this job has every value of ``wanted`` (camelCase names, as sent on the wire).

        Text is compared without regard to case or runs of white space, numbers as numbers: TapTalent
        may tidy what it stores, and "San Francisco " is the same city as "san francisco".
        """
        have = self.model_dump(mode="json", by_alias=True)
        return all(_comparable(have.get(name)) == _comparable(value) for name, value in wanted.items())


def wire_name(name: str) -> str:
    """The camelCase name of a job field given in either spelling (``work_mode`` or ``workMode``)."""
    field = _JobFields.model_fields.get(name)
    return str(field.alias) if field is not None and field.alias else name


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True, default=str).casefold()
    return value


class JobPage(WireModel):
    """One page of ``GET /jobs``."""

    jobs: list[Job] = []
    total_jobs: int = 0
