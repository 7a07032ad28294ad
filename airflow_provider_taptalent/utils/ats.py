"""From the job-board exports of common ATSs to TapTalent job fields, with no glue code in the DAG.

Helpers, composable in your own mappings: :func:`field` (nested paths such as ``location.name``),
:func:`parse_location` (``"New York City, NY; San Francisco, CA"`` -> city, state, country, with explicit
policies), :func:`html_to_text`, :func:`work_mode` and :func:`country_name` (enum and code
normalisation), :func:`description_text` (the 10,000-character limit: truncate with a marker, or fail).

Ready mappings, chosen by name (``mapping="greenhouse"``): :data:`MAPPINGS`. Each turns one record of that
ATS's public job-board API into ``external_id``, ``updated_at`` (``None`` where the ATS publishes no update
time: the sync then decides "changed" by content alone) and job fields.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_taptalent.client.errors import TapTalentInputError

#: SPEC §7.1 J2: the longest description TapTalent accepts
MAX_DESCRIPTION = 10_000
TRUNCATION_MARKER = " [...] (truncated: see the posting in the ATS)"
MissingState = Literal["city", "country", "fail"]
MultiLocation = Literal["first", "fail"]
DescriptionPolicy = Literal["truncate", "fail"]

_US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
#: ISO 3166-1 alpha-2 and alpha-3 codes of the countries job boards use most, and common short names
_COUNTRIES = {
    "US": "United States", "USA": "United States", "UNITED STATES OF AMERICA": "United States",
    "GB": "United Kingdom", "GBR": "United Kingdom", "UK": "United Kingdom", "CA": "Canada", "CAN": "Canada",
    "DE": "Germany", "DEU": "Germany", "FR": "France", "FRA": "France", "ES": "Spain", "ESP": "Spain",
    "IT": "Italy", "ITA": "Italy", "NL": "Netherlands", "NLD": "Netherlands", "IE": "Ireland", "IRL": "Ireland",
    "PT": "Portugal", "PRT": "Portugal", "PL": "Poland", "POL": "Poland", "SE": "Sweden", "SWE": "Sweden",
    "NO": "Norway", "NOR": "Norway", "DK": "Denmark", "DNK": "Denmark", "FI": "Finland", "FIN": "Finland",
    "CH": "Switzerland", "CHE": "Switzerland", "AT": "Austria", "AUT": "Austria", "BE": "Belgium",
    "BEL": "Belgium", "IN": "India", "IND": "India", "SG": "Singapore", "SGP": "Singapore", "AU": "Australia",
    "AUS": "Australia", "NZ": "New Zealand", "NZL": "New Zealand", "JP": "Japan", "JPN": "Japan",
    "BR": "Brazil", "BRA": "Brazil", "MX": "Mexico", "MEX": "Mexico", "AE": "United Arab Emirates",
    "ARE": "United Arab Emirates", "IL": "Israel", "ISR": "Israel", "PH": "Philippines", "PHL": "Philippines",
    "ID": "Indonesia", "IDN": "Indonesia", "MY": "Malaysia", "MYS": "Malaysia", "ZA": "South Africa",
    "ZAF": "South Africa", "AR": "Argentina", "ARG": "Argentina", "CO": "Colombia", "COL": "Colombia",
}  # fmt: skip
_REMOTE = re.compile(r"\bremote\b|\banywhere\b", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:;|\||/|\bor\b|\band\b|\n)\s*", re.IGNORECASE)
_MODE_WORDS = re.compile(r"hybrid|on-?site|in[- ]office|in person", re.IGNORECASE)
_BLOCK_TAGS = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|blockquote)\b[^>]*>", re.I)


def field(record: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` (``"location.name"``, ``"offices.0.location"``), or ``None``."""
    value: Any = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def html_to_text(value: str | None) -> str | None:
    """Plain text from an HTML description, entity-escaped once or twice (as Greenhouse sends it)."""
    if not value:
        return None
    text = value
    for _ in range(3):  # "&amp;lt;p&amp;gt;" -> "&lt;p&gt;" -> "<p>"
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.I | re.S)
    text = _BLOCK_TAGS.sub("\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None


def description_text(value: str | None, *, policy: DescriptionPolicy = "truncate") -> str | None:
    """A description within TapTalent's limit: cut at a word with :data:`TRUNCATION_MARKER`, or refused."""
    if value is None or len(value) <= MAX_DESCRIPTION:
        return value
    if policy == "fail":
        raise TapTalentInputError(
            "description too long",
            details={"description": f"{len(value):,} characters; TapTalent takes at most {MAX_DESCRIPTION:,}"},
        )
    room = MAX_DESCRIPTION - len(TRUNCATION_MARKER)
    cut = value[:room].rsplit(" ", 1)[0] if " " in value[:room] else value[:room]
    return cut + TRUNCATION_MARKER


def country_name(value: str | None) -> str | None:
    """``"US"``, ``"usa"`` -> ``"United States"``; a name, or an unknown code, is kept as it is."""
    if not value or not value.strip():
        return None
    text = value.strip()
    return _COUNTRIES.get(text.upper(), text)


def work_mode(value: Any, *, remote: bool | None = None) -> str | None:
    """TapTalent's ``ONSITE``/``REMOTE``/``HYBRID`` from what ATSs send (``hybrid``, ``on-site``, ``OnSite``,
    ``Remote``); ``None`` for ``unspecified`` or nothing (TapTalent's default then applies)."""
    text = re.sub(r"[^a-z]", "", str(value or "").lower())
    if text in ("onsite", "inoffice", "office", "inperson"):
        return "ONSITE"
    if text in ("remote", "fullyremote", "telecommute"):
        return "REMOTE"
    if text == "hybrid":
        return "HYBRID"
    if remote:
        return "REMOTE"
    return None


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    country: str
    remote: bool = False

    def fields(self) -> dict[str, str]:
        return {"city": self.city, "state": self.state, "country": self.country}


def parse_location(
    text: str | None,
    *,
    default_country: str | None = None,
    missing_state: MissingState = "city",
    multi: MultiLocation = "first",
) -> Place:
    """City, state and country from a job board's location text.

    ``"London, United Kingdom"``, ``"Austin, TX"`` (a US state: country United States), ``"Austin, TX, United
    States"``, ``"Remote, US"`` (city and state ``Remote``), ``"Berlin"`` (with ``default_country``).

    :param missing_state: where the text names no state: ``"city"`` repeats the city (London, London),
        ``"country"`` repeats the country, ``"fail"`` refuses the record.
    :param multi: several places (``"New York City, NY; San Francisco, CA"``, ``"San Francisco or Remote"``):
        ``"first"`` takes the first one that is not only "Remote", ``"fail"`` refuses the record.

    A two-letter code after a city is read as a US state (``"Austin, TX"``) unless ``default_country`` is
    another country and the code is a country's (``"Berlin, DE"`` with ``default_country="Germany"``).
    :raises TapTalentInputError: naming ``location``.
    """
    if not text or not text.strip():
        raise TapTalentInputError("no location", details={"location": "required: city, state and country"})
    places = [p.strip(" ,()") for p in _SEPARATORS.split(text.strip()) if p and p.strip(" ,()")]
    if len(places) > 1 and multi == "fail":
        raise TapTalentInputError(
            "several locations", details={"location": f"{text!r} names {len(places)} places (multi='fail')"}
        )
    remote = bool(_REMOTE.search(text))
    on_site = [p for p in places if not _REMOTE.fullmatch(p)]
    chosen = re.sub(r"[()]|\s[-\u2013\u2014]\s", ",", on_site[0] if on_site else "")
    parts = [q.strip() for q in chosen.split(",") if q.strip()]
    parts = [q for q in parts if not _REMOTE.fullmatch(q) and not _MODE_WORDS.fullmatch(q)]
    remote_here = bool(on_site) and bool(_REMOTE.search(on_site[0]))  # "Remote (Europe)", not "SF or Remote"
    if not parts or (remote_here and len(parts) == 1):
        region = country_name(parts[0] if parts else None) or country_name(default_country) or "Remote"
        return Place("Remote", "Remote", region, remote=True)
    city = parts[0]
    state: str | None = None
    country: str | None = None
    if len(parts) >= 3:
        state, country = parts[1], country_name(parts[-1])
    elif len(parts) == 2:
        # "Dover, DE" or "Berlin, DE"? A US state code wins unless the default country is another one.
        us_style = country_name(default_country) in (None, "United States") or not _is_country(parts[1])
        if parts[1].upper() in _US_STATES and us_style:
            state, country = parts[1], "United States"
        else:
            country = country_name(parts[1])
    country = country or country_name(default_country)
    if country is None:
        raise TapTalentInputError("no country", details={"location": f"{text!r} names no country: set default_country"})
    if state is None:
        if missing_state == "fail":
            raise TapTalentInputError(
                "no state", details={"location": f"{text!r} names no state (missing_state='fail')"}
            )
        state = city if missing_state == "city" else country
    return Place(city, _US_STATES.get(state.upper(), state), country, remote=remote)


def _is_country(text: str) -> bool:
    return text.upper() in _COUNTRIES or text in _COUNTRIES.values()


Mapper = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Options:
    """How a ready mapping reads places and descriptions (see :func:`parse_location`, :func:`description_text`)."""

    default_country: str | None = None
    missing_state: MissingState = "city"
    multi: MultiLocation = "first"
    description: DescriptionPolicy = "truncate"

    def place(self, text: str | None) -> Place:
        return parse_location(
            text, default_country=self.default_country, missing_state=self.missing_state, multi=self.multi
        )


@dataclass(frozen=True)
class AtsMapping:
    """A ready mapping: ``bind(...)(record)`` gives ``external_id``, ``updated_at`` and job fields.

    :param source: where the record shape is documented.
    :param trusted_updated_at: whether the ATS publishes a real update time (else content decides "changed").
    """

    name: str
    read: Callable[[dict[str, Any], Options], dict[str, Any]]
    source: str
    trusted_updated_at: bool = True

    def bind(self, **options: Any) -> Mapper:
        """The mapping with these :class:`Options` (``default_country="United States"`` ...)."""
        chosen = Options(**options)
        return lambda record: self.read(record, chosen)


def ats_mapping(name: str, **options: Any) -> Mapper:
    """A ready mapping by name, with options: ``mapping=ats_mapping("greenhouse", default_country="US")``."""
    if name not in MAPPINGS:
        raise ValueError(
            f"mapping must be one of {', '.join(sorted(MAPPINGS))} (or a dict or a callable), not {name!r}"
        )
    return MAPPINGS[name].bind(**options)


def _job(opts: Options, place: Place, title: Any, description: str | None, mode: str | None) -> dict[str, Any]:
    fields = {
        "title": str(title).strip() if title else None,
        **place.fields(),
        "description": description_text(description, policy=opts.description),
        "work_mode": mode or ("REMOTE" if place.remote else None),
    }
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _greenhouse(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    place = opts.place(field(record, "location.name") or field(record, "offices.0.location"))
    text = html_to_text(record.get("content"))
    return {"external_id": record.get("id"), "updated_at": record.get("updated_at"),
            **_job(opts, place, record.get("title"), text, None)}  # fmt: skip


def _lever(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    location = field(record, "categories.location") or field(record, "categories.allLocations.0")
    if record.get("country") and not opts.default_country:
        opts = Options(country_name(record["country"]), opts.missing_state, opts.multi, opts.description)
    text = record.get("descriptionPlain") or html_to_text(record.get("description"))
    # Lever's postings API publishes createdAt but no update time: content decides what changed.
    mode = work_mode(record.get("workplaceType"))
    return {"external_id": record.get("id"), "updated_at": None,
            **_job(opts, opts.place(location), record.get("text"), text, mode)}  # fmt: skip


def _ashby(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    address = field(record, "address.postalAddress") or {}
    locality, region = address.get("addressLocality"), address.get("addressRegion")
    if locality:
        country = country_name(address.get("addressCountry"))
        place = opts.place(", ".join(p for p in (locality, region, country) if p))
    else:
        place = opts.place(record.get("location"))
    text = record.get("descriptionPlain") or html_to_text(record.get("descriptionHtml"))
    mode = work_mode(record.get("workplaceType"), remote=record.get("isRemote"))
    return {"external_id": record.get("id") or record.get("jobUrl"), "updated_at": record.get("publishedAt"),
            **_job(opts, place, record.get("title"), text, mode)}  # fmt: skip


def _workable(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    parts = [record.get("city"), record.get("state"), country_name(record.get("country"))]
    place = opts.place(", ".join(p for p in parts if p) or record.get("location"))
    mode = work_mode(record.get("workplace_type"), remote=record.get("telecommuting"))
    return {"external_id": record.get("shortcode") or record.get("id"),
            "updated_at": record.get("updated_at") or record.get("published_on") or record.get("created_at"),
            **_job(opts, place, record.get("title"), html_to_text(record.get("description")), mode)}  # fmt: skip


def _smartrecruiters(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    location = record.get("location") or {}
    parts = [location.get("city"), location.get("region"), country_name(location.get("country"))]
    place = opts.place(", ".join(p for p in parts if p) or location.get("fullLocation"))
    sections = field(record, "jobAd.sections") or {}
    body = " ".join(str(s.get("text", "")) for s in sections.values() if isinstance(s, Mapping))
    mode = "HYBRID" if location.get("hybrid") else work_mode(None, remote=location.get("remote"))
    return {"external_id": record.get("id") or record.get("refNumber"),
            "updated_at": record.get("releasedDate"),
            **_job(opts, place, record.get("name"), html_to_text(body), mode)}  # fmt: skip


MAPPINGS: dict[str, AtsMapping] = {
    m.name: m
    for m in (
        AtsMapping("greenhouse", _greenhouse, "Greenhouse Job Board API, GET /v1/boards/{token}/jobs?content=true"),
        AtsMapping("lever", _lever, "Lever Postings API, GET /v0/postings/{site}?mode=json", trusted_updated_at=False),
        AtsMapping("ashby", _ashby, "Ashby Job Postings API, GET /posting-api/job-board/{name}"),
        AtsMapping("workable", _workable, "Workable widget API, GET /api/v1/widget/accounts/{subdomain}?details=true"),
        AtsMapping("smartrecruiters", _smartrecruiters, "SmartRecruiters Posting API, GET /v1/companies/{id}/postings"),
    )
}
