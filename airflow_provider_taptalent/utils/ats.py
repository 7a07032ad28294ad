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
#: what remote postings name instead of a country (a country's name counts too)
_REGIONS = frozenset(
    {"europe", "eu", "emea", "americas", "north america", "south america", "latin america", "latam", "apac",
     "asia", "asia pacific", "asia-pacific", "africa", "middle east", "mena", "oceania", "nordics", "dach",
     "benelux", "worldwide", "global", "anywhere", "international", "cet", "est", "pst", "us time zones"}
)  # fmt: skip
_REMOTE = re.compile(r"\bremote\b|\banywhere\b", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:;|\||/|\bor\b|\band\b|\n)\s*", re.IGNORECASE)
_MODE_WORDS = re.compile(r"hybrid|on-?site|in[- ]office|in person", re.IGNORECASE)
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
    remote: bool = False,
    remote_country: str | None = None,
) -> Place:
    """City, state and country from a job board's location text.

    ``"London, United Kingdom"``, ``"Austin, TX"`` (a US state: country United States), ``"Austin, TX, United
    States"``, ``"Remote, US"`` (city and state ``Remote``), ``"Berlin"`` (with ``default_country``).

    :param missing_state: where the text names no state: ``"city"`` repeats the city (London, London),
        ``"country"`` repeats the country, ``"fail"`` refuses the record.
    :param multi: several places (``"New York City, NY; San Francisco, CA"``, ``"San Francisco or Remote"``):
        ``"first"`` takes the first one that is not only "Remote", ``"fail"`` refuses the record.
    :param remote: the posting is remote (its ATS says so), whatever the text says.
    :param remote_country: the country of a remote posting whose place is only a region (``"Remote
        (Europe)"``, ``"North America"``) or nothing (``"Remote"``). Without it the region stands as the
        country (``Remote, Remote, Europe``), and ``default_country`` where the text names none.

    A two-letter code after a city is read as a US state (``"Austin, TX"``) unless ``default_country`` is
    another country and the code is a country's (``"Berlin, DE"`` with ``default_country="Germany"``).
    :raises TapTalentInputError: naming ``location``.
    """
    if not text or not text.strip():
        raise TapTalentInputError("no location", details={"location": "required: city, state and country"})
    # Whitespace runs collapsed first (in linear time): the separators' patterns then never rescan them.
    flat = "\n".join(" ".join(line.split()) for line in text.splitlines())
    places = [p.strip(" ,()") for p in _SEPARATORS.split(flat.strip()) if p and p.strip(" ,()")]
    if len(places) > 1 and multi == "fail":
        raise TapTalentInputError(
            "several locations", details={"location": f"{text!r} names {len(places)} places (multi='fail')"}
        )
    remote = remote or bool(_REMOTE.search(flat))
    on_site = [p for p in places if not _REMOTE.fullmatch(p)]
    chosen = re.sub(r"[()]|\s[-\u2013\u2014]\s", ",", on_site[0] if on_site else "")
    parts = [q.strip() for q in chosen.split(",") if q.strip()]
    parts = [q for q in parts if not _REMOTE.fullmatch(q) and not _MODE_WORDS.fullmatch(q)]
    remote_here = bool(on_site) and bool(_REMOTE.search(on_site[0]))  # "Remote (Europe)", not "SF or Remote"
    region_only = len(parts) == 1 and (remote_here or (remote and _is_region(parts[0])))
    if not parts or region_only:
        return remote_place(parts[0] if parts else None, default_country, remote_country)
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
    return Place(city, _state(city, state, country, missing_state, text), country, remote=remote)


def remote_place(region: str | None, default_country: str | None, remote_country: str | None) -> Place:
    """A remote posting's place: a country it names, else ``remote_country``, else the region it names
    (``"Europe"``), else ``default_country``, else ``"Remote"``."""
    if region and _is_country(region):
        country = country_name(region)
    else:
        country = country_name(remote_country) or region or country_name(default_country)
    return Place("Remote", "Remote", country or "Remote", remote=True)


def _state(city: str, state: str | None, country: str, missing_state: MissingState, text: object) -> str:
    if not state:
        if missing_state == "fail":
            raise TapTalentInputError(
                "no state", details={"location": f"{text!r} names no state (missing_state='fail')"}
            )
        state = city if missing_state == "city" else country
    return _US_STATES.get(state.upper(), state)


def _is_region(text: str) -> bool:
    return text.lower() in _REGIONS or _is_country(text)


def _is_country(text: str) -> bool:
    return text.upper() in _COUNTRIES or text in _COUNTRIES.values()


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
                        state = _state(city, region, country_name(found) or found, self.missing_state, candidate)
                        return Place(city, state, country_name(found) or found, remote=remote)
                    if not city:
                        continue
                    candidate = ", ".join(p for p in (city, region) if p)
                try:
                    return self.place(candidate, remote=remote, country=country)
                except TapTalentInputError as error:
                    if "names no country" not in str(error.details.get("location", "")):
                        raise
                    first_error = first_error or error
        country = next(iter(countries), None)
        if remote or country:
            fallback = remote_place(country, self.default_country, self.remote_country)
            return Place(fallback.city, fallback.state, fallback.country, remote=remote)
        raise first_error or TapTalentInputError(
            "no location", details={"location": "required: city, state and country"}
        )


def _present(candidates: Sequence[Address | Any]) -> list[Address | str]:
    """The candidates that say something: addresses with a city or a country, non-blank texts."""
    kept: list[Address | str] = []
    for candidate in candidates:
        says = candidate[0] or candidate[2] if isinstance(candidate, tuple) else isinstance(candidate, str)
        if says and (isinstance(candidate, tuple) or candidate.strip()) and candidate not in kept:
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
