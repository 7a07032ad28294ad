"""TapTalent's wire contract, as this provider reads it: hosts, paths, limits, envelopes, header names.

Everything here is either documented (../shared/taptalent-api/SPEC.md, cited by section) or one of the
assumptions of ASSUMPTIONS.md (cited as A1..A13) where the public docs are silent. Each fact is written
once, here (and the paths of the calls once, in :mod:`.calls`), so that it can be corrected in one line
when TapTalent's real behaviour is known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Literal

Environment = Literal["production", "sandbox"]

# A1: hosts and the path every endpoint hangs off.
API_PATH_PREFIX: Final = "/v1/partner"
BASE_URLS: Final[Mapping[Environment, str]] = {
    "production": "https://partner-api.taptalent.io/v1/partner",
    "sandbox": "https://sandbox.partner-api.taptalent.io/v1/partner",
}

# SPEC §2 (format) and A1 (which key belongs where).
API_KEY_PATTERN: Final = re.compile(r"^sk_(live|test)_[A-Za-z0-9]{22}$")
KEY_ENVIRONMENTS: Final[Mapping[str, Environment]] = {"live": "production", "test": "sandbox"}

# SPEC §3.1: every paged endpoint accepts only these page sizes.
PER_PAGE_CHOICES: Final = (10, 20, 40, 80, 100)
MAX_PER_PAGE: Final = 100

# A6: the newest guide says 5,000 resumes per batch, an older page 200; 5,000 unless lowered.
DEFAULT_MAX_BATCH_SIZE: Final = 5000

# A7: batch states; COMPLETED and FAILED are final.
BATCH_TERMINAL_STATUSES: Final = frozenset({"COMPLETED", "FAILED"})
BATCH_FAILED_STATUS: Final = "FAILED"

# A5: the header that makes a POST safe to repeat, and its length limit.
#: the most bytes an answer may have once decoded (the largest page is a few hundred KB; a gzip bomb is not)
MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH: Final = 255
# A3/A4: the header a 429 carries.
RETRY_AFTER_HEADER: Final = "Retry-After"
# Not documented; read when present so that support tickets can quote it.
REQUEST_ID_HEADERS: Final = ("X-Request-Id", "X-Request-ID", "Request-Id")

# A8: webhook deliveries.
WEBHOOK_KEY_HEADER: Final = "X-Webhook-Key"
WEBHOOK_EVENT_HEADER: Final = "X-Webhook-Event"
WEBHOOK_TIMESTAMP_HEADER: Final = "X-Webhook-Timestamp"
#: the longest batch id a webhook may carry (no TapTalent id comes near it; the receipts table's column)
WEBHOOK_BATCH_ID_MAX_LENGTH: Final = 250
BATCH_EVENTS: Final = frozenset(
    {
        "resume.bulk_upload_parse.started",
        "resume.bulk_upload_parse.completed",
        "resume.bulk_upload_parse.failed",
    }
)


# A9, A10: paged listings are newest first, and records are only ever added (at the head): no endpoint
# deletes. Readers count on it to read every record once while others are being added: utils/pages.py
# reads pages concurrently, placed by tail position, only while this holds (else one after another).
LISTINGS_GROW_AT_THE_HEAD: Final = True
# Not documented, and not assumed: that a page's total and its rows are one snapshot. A server that counts,
# then reads the rows (count + skip/limit) answers a page whose rows lie one place older than its total says
# when a record was added in between: read out of order, it can hide the record between it and the next page,
# and the last record slides past the last page. So readers count a page only for the positions it holds at
# every total up to that of any page asked for after it was answered (reading page 1 once more after pages
# read concurrently, to have one), and read on past the total until a page comes back short (a short page is
# the listing's end: it holds exactly the oldest records, whatever it counted) (utils/pages.py): a record can
# only be missed as an error.
PAGE_TOTAL_IS_A_SNAPSHOT: Final = False
# Not documented: each record's time of last change, per exported resource (None: the resource has none).
UPDATED_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "jobs": ("updated_at", "created_at"),
    "candidates": ("updated_at", "created_at"),
    "pipelines": ("updated_at", "created_at"),
    "teams": ("created_at",),
    "users": (),
    "assessments": ("last_updated_on", "created_at"),
    "assessment_flows": (),
}
# Not documented: the dashboard page of a job, for the operators' extra links. The host is the one the
# docs' assessment URLs use (SPEC §7.7, ``talent.taptalent.io``); the path is a guess, kept here alone.
JOB_DASHBOARD_URL: Final = "https://talent.taptalent.io/jobs/{job_id}"

# SPEC §7.3 JC1: ids per bulk fetch.
MAX_JOB_CANDIDATE_IDS: Final = 100
# A12 (SPEC §7.6): users page by ``page``, up to 100 a page, 20 by default.
MAX_USERS_PER_PAGE: Final = 100
# A11: a job candidate's evaluation while the AI is still scoring it.
PENDING_EVALUATION: Final = "PENDING"
# A13: what the cheapest authenticated read answers for a key.
KEY_STATES: Final[Mapping[int, str]] = {200: "active", 401: "invalid", 403: "inactive"}


def environment_of_key(api_key: str) -> Environment | None:
    """The environment an API key belongs to (A1), or ``None`` when it is not a TapTalent key."""
    match = API_KEY_PATTERN.match(api_key)
    return KEY_ENVIRONMENTS[match.group(1)] if match else None


def unwrap(body: Any) -> Any:
    """Return the payload of a success body, whatever its envelope (SPEC §4, A2).

    ``{"success": true, "data": X}`` and ``{"status": "success", "data": X}`` give ``X``; a bare object
    (``GET /jobs``, the job endpoints) is its own payload.
    """
    if isinstance(body, Mapping) and "data" in body and ("success" in body or "status" in body):
        return body["data"]
    return body


def check_per_page(per_page: int) -> None:
    """Page sizes are one of SPEC §3.1's five; anything else is refused before it is sent."""
    if per_page not in PER_PAGE_CHOICES:
        raise ValueError(f"per_page must be one of {', '.join(map(str, PER_PAGE_CHOICES))}, not {per_page!r}")


def has_next_page(page_number: int, per_page: int, total: int) -> bool:
    """Whether a page-numbered listing has more after ``page_number``."""
    return page_number * per_page < total
