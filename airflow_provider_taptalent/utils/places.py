"""Places from job-board location text: city, state and country as TapTalent wants them, with explicit
policies for what the text leaves out (no state, several places, a remote posting naming only a region)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from airflow_provider_taptalent.client.errors import TapTalentInputError


class LocationWithoutCountry(TapTalentInputError):
    """A place that names no country (``"Berlin"`` without ``default_country``): a mapping may try another."""


MissingState = Literal["city", "country", "fail"]
MultiLocation = Literal["first", "fail"]

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


def country_name(value: str | None) -> str | None:
    """``"US"``, ``"usa"`` -> ``"United States"``; a name, or an unknown code, is kept as it is."""
    if not value or not value.strip():
        return None
    text = value.strip()
    return _COUNTRIES.get(text.upper(), text)


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
        raise LocationWithoutCountry(
            "no country", details={"location": f"{text!r} names no country: set default_country"}
        )
    return Place(city, state_name(city, state, country, missing_state, text), country, remote=remote)


def remote_place(region: str | None, default_country: str | None, remote_country: str | None) -> Place:
    """A remote posting's place: a country it names, else ``remote_country``, else the region it names
    (``"Europe"``), else ``default_country``, else ``"Remote"``."""
    if region and _is_country(region):
        country = country_name(region)
    else:
        country = country_name(remote_country) or region or country_name(default_country)
    return Place("Remote", "Remote", country or "Remote", remote=True)


def state_name(city: str, state: str | None, country: str, missing_state: MissingState, text: object) -> str:
    """The state TapTalent gets: a US code spelled out (``TX`` -> Texas), a missing one by ``missing_state``."""
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
