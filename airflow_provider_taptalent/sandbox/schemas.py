"""The request rules of SPEC §7, as the sandbox enforces them (with the assumptions of ASSUMPTIONS.md)."""

from __future__ import annotations

from typing import Any

from airflow_provider_taptalent.sandbox.validation import Errors, Rule, check, check_object, together

PER_PAGE = (10, 20, 40, 80, 100)  # SPEC §3.1
MAX_SCREENING_QUESTIONS = 5  # SPEC §7.1 J2
MAX_JOB_CANDIDATE_IDS = 100  # SPEC §7.3 JC1
SALARY_FIELDS = ("salaryRangeFrom", "salaryRangeTo", "salaryCurrency")
CURRENCIES = (
    "USD PHP SGD IDR EUR INR GBP AED MYR AUD CAD JPY CNY CHF ZAR KRW THB VND BRL MXN RUB TRY SEK NOK DKK PLN HKD MAD"
).split()

_PLACE = Rule("string", required=True, max=200)
_AMOUNT = Rule("number", min=0, max=9_999_999_999)

JOB_FIELDS: dict[str, Rule] = {
    "title": Rule("string", required=True, min=3, max=500),
    "description": Rule("string", max=10_000),
    "city": _PLACE,
    "state": _PLACE,
    "country": _PLACE,
    "status": Rule("string", enum=("DRAFT", "ACTIVE")),
    "workMode": Rule("string", enum=("ONSITE", "REMOTE", "HYBRID")),
    "screeningQuestion": Rule(
        "array",
        max=MAX_SCREENING_QUESTIONS,
        items=Rule(
            "object",
            fields={
                "type": Rule("string", required=True, enum=("text",)),
                "question": Rule("string", required=True, min=1, max=3000),
            },
        ),
    ),
    "teamId": Rule("string"),
    "contractType": Rule(
        "string", enum=("Permanent", "Freelance / Consultant", "Fixed term contract", "Internship", "Student")
    ),
    "degreeLevel": Rule("string", enum=("Bachelor's", "High School", "M.B.A.", "Master's", "Other", "Ph.D.")),
    "jobRole": Rule("string"),
    "salaryRangeFrom": _AMOUNT,
    "salaryRangeTo": _AMOUNT,
    "salaryCurrency": Rule("string", enum=tuple(CURRENCIES)),
    "potentialAmount": Rule("number", min=0),
    "potentialAmountCurrency": Rule("string", pattern=r"[A-Z]{3}"),
    "potentialHiresCount": Rule("number", min=1),
    "yearOfExperience": Rule("number", min=0, max=50),
}
# A9: a PATCH takes any subset of the create fields, under the same rules.
JOB_UPDATE_FIELDS = {name: Rule(**{**rule.__dict__, "required": False}) for name, rule in JOB_FIELDS.items()}

CANDIDATE_FIELDS: dict[str, Rule] = {
    "firstName": Rule("string", required=True, min=1, max=200),
    "lastName": Rule("string", required=True, min=1, max=200),
    "email": Rule("string", required=True, max=500, email=True),
    "phone": Rule("string"),
    "resume": Rule("string", uri=True),
    "currentJobTitle": Rule("string"),
    "currentCompany": Rule("string"),
    "city": Rule("string"),
    "country": Rule("string"),
    "skills": Rule("string", alternatives=(Rule("array", items=Rule("string", max=200)), Rule("string"))),
    "linkedin": Rule("string"),
    "coverLetter": Rule("string"),
    "gender": Rule("string", enum=("male", "female", "other", "Male", "Female", "Other")),
    "dateOfBirth": Rule("string"),
    "nationality": Rule("string"),
    "industry": Rule("string"),
    "category": Rule("string"),
    "jobId": Rule("integer"),
    "shouldParseResume": Rule("boolean"),
    "majors": Rule("string"),
    "summary": Rule("string"),
    "educations": Rule("array"),
    "workExperiences": Rule("array"),
}

PIPELINE_FIELDS: dict[str, Rule] = {"name": Rule("string", required=True, min=1, max=200)}

_PAGE_NUMBER = Rule("integer", min=1)


def job_create(body: Any) -> tuple[dict[str, Any], Errors]:
    clean, errors = check_object(body, JOB_FIELDS)
    return clean, {**errors, **_job_rules(body)}


def job_update(body: Any) -> tuple[dict[str, Any], Errors]:
    clean, errors = check_object(body, JOB_UPDATE_FIELDS)
    if isinstance(body, dict) and not body:
        errors["value"] = '"value" must have at least 1 key'
    return clean, {**errors, **_job_rules(body)}


def _job_rules(body: Any) -> Errors:
    if not isinstance(body, dict):
        return {}
    errors = together(body, SALARY_FIELDS)
    if "potentialAmount" in body and "potentialAmountCurrency" not in body:
        errors["potentialAmountCurrency"] = '"potentialAmountCurrency" is required'
    return errors


def bulk_resume_upload(body: Any, limit: int) -> tuple[list[str], int | None, Errors]:
    """C2 (+A6): a non-empty array of non-empty strings, at most ``limit`` of them; JC2 (A11): an
    optional integer ``jobId``."""
    fields = {
        "resumeURLs": Rule("array", required=True, min=1, max=limit, items=Rule("string", min=1)),
        "jobId": Rule("integer", min=1),
    }
    clean, errors = check_object(body, fields)
    return clean.get("resumeURLs", []), clean.get("jobId"), errors


ASSESSMENT_FLOW_FIELDS: dict[str, Rule] = {
    "flowName": Rule("string", required=True, min=1, max=200),
    "description": Rule("string"),
    "steps": Rule(
        "array",
        required=True,
        min=1,
        items=Rule(
            "object",
            fields={
                "assessmentId": Rule("string", required=True, alternatives=(Rule("integer"), Rule("string", min=1))),
                "passThreshold": Rule("number", required=True, min=0, max=100),
                "name": Rule("string"),
                "instructions": Rule("string"),
                "passAction": Rule("string"),
            },
        ),
    ),
}


def bulk_fetch(body: Any) -> tuple[list[Any], Errors]:
    """JC1: 1 to 100 ids, strings or numbers."""
    item = Rule("string", alternatives=(Rule("integer"), Rule("string", min=1)))
    rule = Rule("array", required=True, min=1, max=MAX_JOB_CANDIDATE_IDS, items=item)
    clean, errors = check_object(body, {"jobCandidateIds": rule})
    return clean.get("jobCandidateIds", []), errors


def paging(query: dict[str, str], *, page: str = "pageNumber", default_size: int = 10) -> tuple[int, int, Errors]:
    """``pageNumber`` (or ``page``) >= 1 and ``perPage`` in the enum of SPEC §3.1."""
    errors: Errors = {}
    number, problem = check(query.get(page, "1"), Rule("integer", min=1), page)
    errors.update(problem)
    size, problem = check(query.get("perPage", str(default_size)), Rule("integer", enum=PER_PAGE), "perPage")
    errors.update(problem)
    return (number or 1), (size or default_size), errors


def users_paging(query: dict[str, str]) -> tuple[int, int, Errors]:
    """``GET /users`` pages differently (SPEC §7.6): ``page``, and ``perPage`` up to 100, default 20."""
    errors: Errors = {}
    number, problem = check(query.get("page", "1"), _PAGE_NUMBER, "page")
    errors.update(problem)
    size, problem = check(query.get("perPage", "20"), Rule("integer", min=1, max=100), "perPage")
    errors.update(problem)
    return (number or 1), (size or 20), errors
