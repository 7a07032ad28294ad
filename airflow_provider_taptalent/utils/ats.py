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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Literal

from airflow_provider_taptalent.client.errors import TapTalentInputError
from airflow_provider_taptalent.utils.places import (
    LocationWithoutCountry,
    MissingState,
    MultiLocation,
    Place,
    country_name,
    parse_location,
    remote_place,
    state_name,
)

__all__ = [
    "MAPPINGS",
    "AtsMapping",
    "Options",
    "Place",
    "ats_mapping",
    "country_name",
    "description_text",
    "field",
    "html_to_text",
    "parse_location",
    "remote_place",
    "work_mode",
]

#: SPEC §7.1 J2: the longest description TapTalent accepts
MAX_DESCRIPTION = 10_000
TRUNCATION_MARKER = " [...] (truncated: see the posting in the ATS)"
DescriptionPolicy = Literal["truncate", "fail"]
_BLOCK_TAGS = frozenset("p div br li ul ol h1 h2 h3 h4 h5 h6 tr table section article blockquote".split())
_SKIPPED_TAGS = frozenset({"script", "style"})
_MARKED_SECTION = re.compile(r"<!\[(?!CDATA\[)")
#: escaped markup, told apart from escaped text ("List&lt;T&gt;") by the tag names descriptions use
_ESCAPED_TAG = re.compile(
    r"&(?:amp;)*lt;\s*/?(?:p|div|br|li|ul|ol|h[1-6]|span|a|b|i|u|em|strong|table|tr|td|th|img|section"
    r"|article|blockquote|script|style|font|hr|pre|code)\b",
    re.IGNORECASE,
)


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


class _TextParser(HTMLParser):
    """The text of an HTML fragment: block elements end a line, ``script`` and ``style`` are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(value: str | None) -> str | None:
    """Plain text from an HTML description, entity-escaped once or twice (as Greenhouse sends it).

    Read by the standard library's :class:`html.parser.HTMLParser` (linear time): text such as
    ``"3 < 5 and 7 > 2"``, ``List&lt;T&gt;`` or a ``>`` inside an attribute is kept; ``script`` and ``style``
    contents are dropped; block elements end a line.
    """
    if not value:
        return None
    text = value
    # Escaped markup ("&lt;p&gt;", or "&amp;lt;p&amp;gt;" escaped twice) is unescaped until its tags are
    # tags; markup that already has tags is parsed as it is, its entities decoded once, as text.
    for _ in range(2):
        if "<" in text or not _ESCAPED_TAG.search(text):
            break
        text = html.unescape(text)
    parser = _TextParser()
    # After the last ">" no tag can end: that tail is text. Fed as such (its "<" escaped), it keeps the
    # parser linear where an older CPython's HTMLParser rescans to the end from every unclosed "<".
    text = _MARKED_SECTION.sub("&lt;![", text)  # older CPythons raise AssertionError on "<![x"
    end = text.rfind(">") + 1
    parser.feed(text[:end])
    parser.feed(text[end:].replace("<", "&lt;"))
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
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


Mapper = Callable[[dict[str, Any]], dict[str, Any]]
#: a structured place as an ATS sends it: city, region, country (each may be missing)
Address = tuple[Any, Any, Any]


@dataclass(frozen=True)
class Options:
    """How a ready mapping reads places and descriptions (see :func:`parse_location`, :func:`description_text`)."""

    default_country: str | None = None
    missing_state: MissingState = "city"
    multi: MultiLocation = "first"
    description: DescriptionPolicy = "truncate"
    remote_country: str | None = None

    def place(self, text: str | None, *, remote: bool = False, country: str | None = None) -> Place:
        """``text`` read with these options; ``country``, from the record's own fields, comes first."""
        return parse_location(
            text,
            default_country=country or self.default_country,
            missing_state=self.missing_state,
            multi=self.multi,
            remote=remote,
            remote_country=country or self.remote_country,
        )

    def locate(
        self, primary: Sequence[Address | Any], secondary: Sequence[Sequence[Address | Any]], *, remote: bool
    ) -> Place:
        """A posting's place from its ATS's fields: structured addresses first, free text last.

        ``primary`` describes the posting's main place, most trusted first (addresses as
        :data:`Address` tuples, texts as strings); ``secondary`` its other places, each described the same
        way, tried when the primary ones name no country. With ``multi="fail"`` a secondary place refuses
        the record.
        """
        others = [kept for kept in map(_present, secondary) if kept]
        if others and self.multi == "fail":
            raise TapTalentInputError(
                "several locations",
                details={"location": f"the posting names {1 + len(others)} places (multi='fail')"},
            )
        first_error: TapTalentInputError | None = None
        countries: list[str] = []
        for group in [_present(primary), *others]:  # each place's texts read with its own address's country
            country = next((country_name(str(a[2])) for a in group if isinstance(a, tuple) and a[2]), None)
            countries += [country] if country else []
            for candidate in group:
                if isinstance(candidate, tuple):
                    city, region, found = (str(v).strip() if v else "" for v in candidate)
                    if city and found:
                        state = state_name(city, region, country_name(found) or found, self.missing_state, candidate)
                        return Place(city, state, country_name(found) or found, remote=remote)
                    if not city:
                        continue
                    candidate = ", ".join(p for p in (city, region) if p)
                try:
                    return self.place(candidate, remote=remote, country=country)
                except LocationWithoutCountry as error:
                    first_error = first_error or error
        if remote:  # a remote posting needs no city: its country, else remote_country, else the defaults
            return remote_place(next(iter(countries), None), self.default_country, self.remote_country)
        raise first_error or TapTalentInputError(
            "no location", details={"location": "required: city, state and country"}
        )


def _present(candidates: Sequence[Address | Any]) -> list[Address | str]:
    """The candidates that say something: addresses with a city or a country, non-blank texts."""
    kept: list[Address | str] = []
    for candidate in candidates:
        if isinstance(candidate, tuple):
            says = bool(candidate[0] or candidate[2])
        else:
            says = isinstance(candidate, str) and bool(candidate.strip())
        if says and candidate not in kept:
            kept.append(candidate)
    return kept


def _postal(address: Any) -> Address:
    """Ashby's ``address.postalAddress`` (schema.org PostalAddress) as an :data:`Address`."""
    postal = field(address, "postalAddress") if isinstance(address, Mapping) else None
    if not isinstance(postal, Mapping):
        return (None, None, None)
    return (postal.get("addressLocality"), postal.get("addressRegion"), postal.get("addressCountry"))


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


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _greenhouse(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    # Offices carry a "City, ST, Country" location each; location.name is the board's free text.
    offices = [o.get("location") for o in _listed(record.get("offices")) if isinstance(o, Mapping)]
    primary = [*offices[:1], field(record, "location.name")]
    place = opts.locate(primary, [[o] for o in offices[1:]], remote=False)
    text = html_to_text(record.get("content"))
    return {"external_id": record.get("id"), "updated_at": record.get("updated_at"),
            **_job(opts, place, record.get("title"), text, None)}  # fmt: skip


def _lever(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    all_locations = [p for p in _listed(field(record, "categories.allLocations")) if isinstance(p, str)]
    location = field(record, "categories.location") or next(iter(all_locations), None)
    mode = work_mode(record.get("workplaceType"))
    # Lever's country (ISO 3166-1 alpha-2) is the posting's; the location texts name the city.
    primary = [(None, None, record.get("country")), location]
    others = [[p] for p in all_locations if p != location]
    place = opts.locate(primary, others, remote=mode == "REMOTE")
    text = record.get("descriptionPlain") or html_to_text(record.get("description"))
    # Lever's postings API publishes createdAt but no update time: content decides what changed.
    return {"external_id": record.get("id"), "updated_at": None,
            **_job(opts, place, record.get("text"), text, mode)}  # fmt: skip


def _ashby(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    mode = work_mode(record.get("workplaceType"), remote=record.get("isRemote"))
    secondary = [
        [_postal(other.get("address")), other.get("location")]
        for other in _listed(record.get("secondaryLocations"))
        if isinstance(other, Mapping)
    ]
    primary = [_postal(record.get("address")), record.get("location")]
    place = opts.locate(primary, secondary, remote=mode == "REMOTE" or bool(record.get("isRemote")))
    text = record.get("descriptionPlain") or html_to_text(record.get("descriptionHtml"))
    return {"external_id": record.get("id") or record.get("jobUrl"), "updated_at": record.get("publishedAt"),
            **_job(opts, place, record.get("title"), text, mode)}  # fmt: skip


def _workable(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    # The widget's own city/state/country, then its locations[] (city, region, country or countryCode).
    places = [
        (p.get("city"), p.get("region"), p.get("country") or p.get("countryCode"))
        for p in _listed(record.get("locations"))
        if isinstance(p, Mapping) and not p.get("hidden")
    ]
    own = (record.get("city"), record.get("state"), record.get("country"))
    primary = [own, *places[:1], record.get("location")]
    mode = work_mode(record.get("workplace_type"), remote=record.get("telecommuting"))
    place = opts.locate(primary, [[p] for p in places[1:] if p != own], remote=mode == "REMOTE")
    return {"external_id": record.get("shortcode") or record.get("id"),
            "updated_at": record.get("updated_at") or record.get("published_on") or record.get("created_at"),
            **_job(opts, place, record.get("title"), html_to_text(record.get("description")), mode)}  # fmt: skip


def _smartrecruiters(record: dict[str, Any], opts: Options) -> dict[str, Any]:
    location = record.get("location") or {}
    address = (location.get("city"), location.get("region"), location.get("country"))
    mode = "HYBRID" if location.get("hybrid") else work_mode(None, remote=location.get("remote"))
    place = opts.locate([address, location.get("fullLocation")], [], remote=bool(location.get("remote")))
    sections = field(record, "jobAd.sections") or {}
    body = " ".join(str(s.get("text", "")) for s in sections.values() if isinstance(s, Mapping))
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
