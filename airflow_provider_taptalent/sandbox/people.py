"""Deterministic synthetic data: the same resume URL and seed always parse into the same person."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any
from urllib.parse import urlsplit

FIRST_NAMES = (
    "Ada Alan Amara Ana Arjun Ava Bea Carlos Chen Dana Diego Elif Emma Farah Femi Grace Hana Ivan Jae Jamal "
    "Joao Kai Keiko Lara Leo Lin Maya Mei Mohammed Nia Noah Olga Omar Priya Quinn Ravi Rosa Sam Sara Sven "
    "Tariq Tomas Uma Vera Wei Yara Yusuf Zoe"
).split()
LAST_NAMES = (
    "Adeyemi Alvarez Andersen Bauer Becker Chen Costa Dubois Evans Fischer Garcia Gupta Haddad Hansen Ito "
    "Jensen Kim Kowalski Kumar Larsen Lee Lopez Martin Meyer Moreau Nakamura Nguyen Novak Okafor Olsen Patel "
    "Perez Rossi Santos Schmidt Silva Singh Smith Suzuki Tanaka Torres Wang Weber Wilson Yilmaz Zhang"
).split()
TITLES = (
    "Software Engineer",
    "Senior Software Engineer",
    "Data Engineer",
    "Product Manager",
    "Data Scientist",
    "DevOps Engineer",
    "UX Designer",
    "QA Engineer",
    "Engineering Manager",
    "Recruiter",
)
COMPANIES = ("Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises")
#: (city, state or region, country)
PLACES = (
    ("San Francisco", "California", "United States"),
    ("London", "England", "United Kingdom"),
    ("Singapore", "Singapore", "Singapore"),
    ("Berlin", "Berlin", "Germany"),
    ("Bangalore", "Karnataka", "India"),
    ("Manila", "Metro Manila", "Philippines"),
    ("Toronto", "Ontario", "Canada"),
    ("Sydney", "New South Wales", "Australia"),
)
SKILLS = (
    "Python SQL Airflow Spark Kubernetes AWS GCP Docker React TypeScript Go Java Terraform dbt Kafka "
    "Recruiting Leadership Communication"
).split()


def rng_for(seed: int, *parts: object) -> random.Random:
    """A random stream fixed by the seed and ``parts`` (stable across processes, unlike ``hash()``)."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def is_unreadable(url: str) -> bool:
    """Resumes whose URL path says ``corrupt`` fail to parse (how tests and demos ask for failures)."""
    return "corrupt" in urlsplit(url).path.lower()


def candidate(seed: int, url: str, candidate_id: int, batch_id: int, created_at: str) -> dict[str, Any]:
    """The candidate a resume URL parses into (A7's candidate object)."""
    rng = rng_for(seed, "candidate", url)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, _state, country = rng.choice(PLACES)
    tag = hashlib.sha256(f"{seed}:{url}".encode()).hexdigest()[:8]
    return {
        "id": candidate_id,
        "firstName": first,
        "lastName": last,
        "email": f"{first}.{last}.{tag}@example.com".lower(),
        "phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        "currentJobTitle": rng.choice(TITLES),
        "currentCompany": rng.choice(COMPANIES),
        "city": city,
        "country": country,
        "skills": ", ".join(rng.sample(SKILLS, 4)),
        "resume": url,
        "batchId": batch_id,
        "createdAt": created_at,
    }


#: SPEC §2: a sandbox key is ``sk_test_`` and 22 letters or digits (the sandbox serves test keys only)
KEY_FORMAT = re.compile(r"^sk_test_[A-Za-z0-9]{22}$")


def api_key(seed: int, name: str) -> str:
    """A well-formed ``sk_test_`` key (SPEC §2) that the seed fixes."""
    rng = rng_for(seed, "key", name)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "sk_test_" + "".join(rng.choice(alphabet) for _ in range(22))
