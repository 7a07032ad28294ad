"""The sandbox's state, in memory: companies, their jobs, candidates and batches, and the batch clock.

Batches move PENDING -> PROCESSING -> COMPLETED | FAILED as wall-clock time passes (A7): their status is
computed from the time, so reading a batch never has to "advance" it, and a background ticker only
announces the transitions (webhooks).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from airflow_provider_taptalent.sandbox import people
from airflow_provider_taptalent.sandbox.history import History, seed_history

IDEMPOTENCY_TTL_SECONDS = 24 * 3600  # A5
PENDING_SHARE = 0.2  # the first fifth of a batch's time it waits in PENDING
UNREADABLE = "UNREADABLE_FILE"


def iso(epoch: float) -> str:
    """ISO-8601 UTC with milliseconds and a Z, as SPEC §3 shows for pipelines and webhooks."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Batch:
    """One bulk resume upload. Which files fail is fixed at upload; when is a function of time."""

    id: int
    company_id: int
    urls: list[str]
    created: float
    duration: float
    candidate_base: int
    job_id: int | None = None
    #: the first job candidate id of a batch uploaded to a job (JC2, A11): one per file
    job_candidate_base: int = 0
    ok_indices: list[int] = field(default_factory=list)
    failed_indices: list[int] = field(default_factory=list)
    done_at: float | None = None  # set when the batch is advanced to its end by the control API
    advanced_at: float | None = None  # and when that was
    announced: set[str] = field(default_factory=set)  # the webhook events already queued

    def __post_init__(self) -> None:
        for index, url in enumerate(self.urls):
            (self.failed_indices if people.is_unreadable(url) else self.ok_indices).append(index)

    @property
    def end(self) -> float:
        return self.done_at if self.done_at is not None else self.created + self.duration

    def processed(self, now: float) -> int:
        """How many files have been parsed by ``now``."""
        if now >= self.end:
            return len(self.urls)
        start = self.created + self.duration * PENDING_SHARE
        if now <= start:
            return 0
        return min(len(self.urls), math.floor(len(self.urls) * (now - start) / (self.end - start)))

    def parsed_at(self, index: int) -> float:
        """When the file at ``index`` was (or will be) parsed: its candidate's ``createdAt``, as
        :meth:`processed` counts it (a batch advanced to its end parses the rest then)."""
        start = self.created + self.duration * PENDING_SHARE
        at = start + (self.created + self.duration - start) * (index + 1) / len(self.urls)
        return at if self.advanced_at is None else min(at, self.advanced_at)

    def status(self, now: float) -> str:
        if now >= self.end:
            return "FAILED" if not self.ok_indices else "COMPLETED"
        return "PROCESSING" if now >= self.created + self.duration * PENDING_SHARE else "PENDING"

    def counts(self, now: float) -> dict[str, int]:
        processed = self.processed(now)
        succeeded = bisect.bisect_left(self.ok_indices, processed)
        return {
            "fileCount": len(self.urls),
            "processedCount": processed,
            "successCount": succeeded,
            "failedCount": processed - succeeded,
        }

    def candidate_indices(self, now: float) -> list[int]:
        """Indices of the files parsed into candidates so far, in upload order."""
        return self.ok_indices[: bisect.bisect_left(self.ok_indices, self.processed(now))]

    def failed_files(self, now: float) -> list[dict[str, str]]:
        processed = self.processed(now)
        return [{"url": self.urls[i], "reason": UNREADABLE} for i in self.failed_indices if i < processed]


@dataclass
class IdempotentResult:
    fingerprint: str
    status: int
    body: Any
    stored: float


@dataclass
class TokenBucket:
    """The per-company rate limit (A4): ``rate`` requests a second, bursts up to ``rate``."""

    rate: float
    tokens: float = 0.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.rate

    def take(self) -> float:
        """Take a token; returns 0 when one was free, else the seconds until one will be."""
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Company:
    id: int
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    candidates: dict[int, dict[str, Any]] = field(default_factory=dict)
    candidates_by_email: dict[str, int] = field(default_factory=dict)
    batches: dict[int, Batch] = field(default_factory=dict)
    job_candidates: dict[int, dict[str, Any]] = field(default_factory=dict)
    pipelines: dict[int, dict[str, Any]] = field(default_factory=dict)
    teams: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    assessments: list[dict[str, Any]] = field(default_factory=list)
    assessment_flows: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[str, IdempotentResult] = field(default_factory=dict)
    bucket: TokenBucket | None = None
    #: the candidate listing as last built, and what it was built from (:meth:`Store.all_candidates`)
    listing: tuple[Any, list[dict[str, Any]]] | None = None


class Clock:
    """The sandbox's time: the machine's, moved forward by ``POST /__sandbox/clock/advance``, so that a test
    lets time pass (a later ``updatedAt``, a finished batch, a later ``Date``) without sleeping. It never
    goes back, as TapTalent's would not."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        if not seconds >= 0:  # NaN too
            raise ValueError("seconds: a number of seconds, 0 or more")
        self.offset += seconds


class Store:
    """All companies, the keys that reach them, the id counters and the clock."""

    def __init__(self, seed: int, rate_limit: float | None = None, history: History | None = None) -> None:
        self.seed = seed
        self.clock = Clock()
        self.rate_limit = rate_limit
        self.history = history or History()
        self.keys: dict[str, int] = {}  # API key -> company id
        self.inactive_keys: set[str] = set()
        self.companies: dict[int, Company] = {}
        self.request_log: deque[dict[str, Any]] = deque(maxlen=20_000)
        self.request_count = 0
        self.reset()

    def reset(self) -> None:
        """Forget every job, candidate and batch; keys and companies stay."""
        self._ids = {name: itertools.count(start) for name, start in _ID_STARTS.items()}
        self.companies = {cid: self._new_company(cid) for cid in set(self.keys.values()) | {1, 2}}
        self.request_log.clear()
        self.request_count = 0

    def next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def reserve_ids(self, kind: str, count: int) -> int:
        """Reserve ``count`` consecutive ids; returns the first."""
        first = next(self._ids[kind])
        self._ids[kind] = itertools.count(first + max(count, 1))
        return first

    def add_key(self, key: str, company_id: int, *, active: bool = True) -> None:
        self.keys[key] = company_id
        (self.inactive_keys.discard if active else self.inactive_keys.add)(key)
        self.companies.setdefault(company_id, self._new_company(company_id))

    def company(self, company_id: int) -> Company:
        return self.companies[company_id]

    def open_batches(self) -> list[Batch]:
        return [b for c in self.companies.values() for b in c.batches.values() if "finished" not in b.announced]

    def batch_candidates(self, batch: Batch, now: float, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a batch's candidates (built on demand) and how many there are so far."""
        indices = batch.candidate_indices(now)
        return [self._batch_candidate(batch, i) for i in indices[offset : offset + limit]], len(indices)

    def _batch_candidate(self, batch: Batch, index: int) -> dict[str, Any]:
        created = iso(batch.parsed_at(index))  # a candidate exists from when its file was parsed
        candidate = people.candidate(self.seed, batch.urls[index], batch.candidate_base + index, batch.id, created)
        candidate["updatedAt"] = created
        if batch.job_id is not None:  # A11: uploaded to a job, each candidate is also a job candidate
            candidate["jobId"] = batch.job_id
            candidate["jobCandidateId"] = batch.job_candidate_base + index
        return candidate

    def all_candidates(self, company: Company, now: float) -> list[dict[str, Any]]:
        """Every candidate of the company, newest first (A10), added or parsed so far.

        Kept between requests until a candidate is added or parsed, so that paging through many
        candidates costs a slice per page, not a sort.
        """
        parsed = {batch.id: len(batch.candidate_indices(now)) for batch in company.batches.values()}
        version = (len(company.candidates), tuple(parsed.items()))
        if company.listing is None or company.listing[0] != version:
            everyone: list[dict[str, Any]] = list(company.candidates.values())
            for batch in company.batches.values():
                everyone += self.batch_candidates(batch, now, 0, len(batch.urls))[0]
            everyone.sort(key=lambda c: (c.get("createdAt") or "", c["id"]), reverse=True)
            company.listing = (version, everyone)
        return company.listing[1]

    def find_batch_candidate(self, company: Company, candidate_id: int, now: float) -> dict[str, Any] | None:
        for batch in company.batches.values():
            index = candidate_id - batch.candidate_base
            if 0 <= index < len(batch.urls) and index in set(batch.candidate_indices(now)):
                return self._batch_candidate(batch, index)
        return None

    def find_job_candidate(self, company: Company, job_candidate_id: int, now: float) -> dict[str, Any] | None:
        """A job candidate (JC1), added with C1 or parsed from a batch uploaded to a job, as of ``now``.

        Scoring takes :data:`SCORING_SHARE` of a batch's time after its candidate exists: until then the AI
        fields are null and ``evaluationStatus`` is ``PENDING`` (A11).
        """
        stored = company.job_candidates.get(job_candidate_id)
        if stored is not None:
            return scored(stored, now >= stored["_scoredAt"])
        for batch in company.batches.values():
            index = job_candidate_id - batch.job_candidate_base
            if batch.job_id is None or not 0 <= index < len(batch.urls):
                continue
            if index not in set(batch.candidate_indices(now)):
                return None
            candidate = self._batch_candidate(batch, index)
            view = job_candidate(job_candidate_id, batch.job_id, candidate, 0.0)
            return scored(view, now >= batch.end + batch.duration * SCORING_SHARE)
        return None

    def _new_company(self, company_id: int) -> Company:
        company = Company(id=company_id, bucket=TokenBucket(self.rate_limit) if self.rate_limit else None)
        _seed_fixtures(company, self.seed, self)
        if self.history.days:
            seed_history(company, self, self.seed, self.history, self.clock.now())
        return company


#: how long scoring a job candidate takes, as a share of the batch time, after the candidate exists
SCORING_SHARE = 0.5


def job_candidate(job_candidate_id: int, job_id: int, candidate: dict[str, Any], scored_at: float) -> dict[str, Any]:
    """A job candidate with a deterministic AI score (SPEC §7.3); ``_scoredAt`` is internal."""
    digest = hashlib.sha256(f"{candidate['email']}:{job_id}".encode()).digest()
    score = 40 + digest[0] % 60
    return {
        "id": job_candidate_id,
        "jobId": job_id,
        "candidateId": candidate["id"],
        "profileMatchScore": score,
        "evaluationStatus": "APPROVED" if score >= 75 else "REJECTED",
        "criteriaMatches": {
            "skills": 40 + digest[1] % 60,
            "experience": 40 + digest[2] % 60,
            "education": 40 + digest[3] % 60,
        },
        "recommendToRecruitingFirm": score >= 75,
        "aiSummary": f"{candidate['firstName']} matches {score}% of the job's criteria.",
        "candidate_details": candidate,  # snake_case, as documented
        "_scoredAt": scored_at,
    }


_AI_FIELDS = ("profileMatchScore", "criteriaMatches", "recommendToRecruitingFirm", "aiSummary")


def scored(view: dict[str, Any], done: bool) -> dict[str, Any]:
    """What JC1 shows of a job candidate: the AI fields once scored, else null and PENDING (A11)."""
    shown = {k: v for k, v in view.items() if not k.startswith("_")}
    if not done:
        shown.update(dict.fromkeys(_AI_FIELDS), evaluationStatus="PENDING")
    return shown


_ID_STARTS = {
    "job": 10_001,
    "candidate": 500_001,
    "batch": 70_001,
    "job_candidate": 900_001,
    "pipeline": 101,
    "stage": 701,
    "assessment_flow": 301,
}
DEFAULT_STAGES = ("SOURCED", "APPLIED", "ASSESSMENT", "SCREEN", "SHORTLISTED", "HIRED")  # SPEC §7.4


def new_pipeline(store: Store, name: str, now: float) -> dict[str, Any]:
    stamp = iso(now)
    stages = [
        {
            "id": store.next_id("stage"),
            "name": kind.title(),
            "type": kind,
            "order": order,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        for order, kind in enumerate(DEFAULT_STAGES, start=1)
    ]
    return {"id": store.next_id("pipeline"), "name": name, "createdAt": stamp, "updatedAt": stamp, "stages": stages}


def _seed_fixtures(company: Company, seed: int, store: Store) -> None:
    """Pipelines, teams, users and assessments a new company starts with (SPEC §7.4-7.7)."""
    rng = people.rng_for(seed, "company", company.id)
    now = store.clock.now()
    pipeline = new_pipeline(store, "Default Pipeline", now)
    company.pipelines[pipeline["id"]] = pipeline
    owner = f"user-{hashlib.sha256(f'{seed}:{company.id}:owner'.encode()).hexdigest()[:10]}"
    company.teams = [
        {
            "id": f"team-{company.id}-{n}",
            "name": name,
            "createdAt": int(now * 1000),
            "createdBy": owner,
            "userCount": size,
        }
        for n, (name, size) in enumerate((("Recruiting Team", 5), ("Engineering Hiring", 3)), start=1)
    ]
    statuses = ("ACTIVE", "ACTIVE", "ACTIVE", "INVITED", "EXPIRED")
    company.users = []
    for n in range(25):
        first, last = rng.choice(people.FIRST_NAMES), rng.choice(people.LAST_NAMES)
        status = statuses[n % len(statuses)]
        is_admin = n < 2 and status == "ACTIVE"
        company.users.append(
            {
                "id": owner if n == 0 else f"user-{company.id}-{n:03d}",
                "email": f"{first}.{last}.{n}@company{company.id}.example".lower(),
                "firstName": first,
                "lastName": last,
                "status": status,
                "role": ("Super Admin" if n == 0 else "Admin") if is_admin else None,
                "isCompanyAdmin": is_admin,
                "invitedById": owner if status != "ACTIVE" else None,
                "teamId": company.teams[n % 2]["id"],
                "teamIds": [company.teams[n % 2]["id"]],
                "reportingManagerId": None if n == 0 else owner,
            }
        )
    company.assessments = [
        {
            "assessmentId": f"assessment-{company.id}-{n}",
            "testName": f"{title} Interview",
            "companyId": str(company.id),
            "jobId": None,
            "status": "ACTIVE",
            "assessmentType": "QUIZ",
            "questionCount": 5,
            "hiringForRole": title,
            "duration": 20,
            "aiLanguage": "english",
            "skills": rng.sample(people.SKILLS, 2),
            "createdAt": int(now * 1000),
            "lastUpdatedOn": int(now * 1000),
            "submissionCount": rng.randint(0, 20),
        }
        for n, title in enumerate(people.TITLES[:3], start=1)
    ]
