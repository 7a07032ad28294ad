"""A company's past: jobs and candidates made on the days before the sandbox started (``--history-days``).

Exports read one day at a time, so a demo or a test needs records whose times fall on earlier days. The
records are built from the seed, and their times from whole UTC days before "today": day ``d`` (1 =
yesterday) holds ``jobs_per_day`` jobs and ``candidates_per_day`` candidates, spread over the day. Every
third job was changed again a day after it was created (so it belongs to a later day's export than its
creation), never later than now. Each candidate applied to a job of its day or before (a job candidate,
scored an hour after it applied, SPEC §7.3, or by the sandbox's start if that is sooner: the past is settled,
whatever the time of day the sandbox starts at).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_taptalent.sandbox import people

if TYPE_CHECKING:
    from airflow_provider_taptalent.sandbox.store import Company, Store

DAY = 86_400


@dataclass(frozen=True)
class History:
    """How much of a past each company starts with; ``days=0``: none."""

    days: int = 0
    jobs_per_day: int = 4
    candidates_per_day: int = 20


def seed_history(company: Company, store: Store, seed: int, history: History, now: float) -> None:
    from airflow_provider_taptalent.sandbox.api_jobs import JOB_DEFAULTS
    from airflow_provider_taptalent.sandbox.store import iso, job_candidate

    today = now // DAY * DAY
    pipeline = next(iter(company.pipelines.values()))
    stages = [{"name": s["name"], "type": s["type"], "totalCandidate": 0} for s in pipeline["stages"]]
    jobs: list[dict[str, Any]] = []
    for day_back in range(history.days, 0, -1):
        day = today - day_back * DAY
        rng = people.rng_for(seed, "history", company.id, day_back)
        for n in range(history.jobs_per_day):
            created = day + (n + 0.5) * DAY / history.jobs_per_day
            updated = min(created + DAY, now - 1) if n % 3 == 2 else created
            city, state, country = rng.choice(people.PLACES)
            title = rng.choice(people.TITLES)
            job = {
                "id": store.next_id("job"),
                **JOB_DEFAULTS,
                "title": title,
                "city": city,
                "state": state,
                "country": country,
                "description": f"We are hiring a {title} in {city}.",
                "pipelineId": pipeline["id"],
                "pipelineStage": stages,
                "createdAt": int(created),
                "updatedAt": int(updated),
                "runningRevenue": 0,
                "rejectedCandidateCount": 0,
            }
            company.jobs[job["id"]] = job
            jobs.append(job)
        for n in range(history.candidates_per_day):
            created = day + (n + 0.5) * DAY / history.candidates_per_day
            url = f"https://resumes.example.com/history/{company.id}/{day_back}/{n}.pdf"
            candidate = people.candidate(seed, url, store.next_id("candidate"), 0, iso(created))
            candidate.pop("batchId")
            candidate["updatedAt"] = candidate["createdAt"]
            open_jobs = [j for j in jobs if j["createdAt"] <= created]
            if open_jobs:
                job = open_jobs[rng.randrange(len(open_jobs))]
                candidate["jobId"] = job["id"]
                candidate["jobCandidateId"] = store.next_id("job_candidate")
                company.job_candidates[candidate["jobCandidateId"]] = job_candidate(
                    candidate["jobCandidateId"], job["id"], candidate, min(created + 3600, now)
                )
            company.candidates[candidate["id"]] = candidate
            company.candidates_by_email[candidate["email"]] = candidate["id"]
