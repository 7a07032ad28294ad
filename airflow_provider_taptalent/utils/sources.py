"""Reading what operators are given: lists, XCom values, or files at a local path or object-storage URI.

Files are read through Airflow's ``ObjectStoragePath``, so ``s3://``, ``gs://`` ... work wherever the
matching Airflow provider is installed.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_taptalent._compat import ObjectStoragePath
from airflow_provider_taptalent.client.errors import TapTalentInputError
from airflow_provider_taptalent.client.models.urls import url_problem

log = logging.getLogger(__name__)
#: the keys job-board exports wrap their list of records in
WRAPPER_KEYS = ("jobs", "postings", "content", "results", "data")
#: problems listed in one error: enough to see the pattern, short enough to read
MAX_LISTED_PROBLEMS = 10


def storage_path(location: str, *, field: str) -> ObjectStoragePath:
    """An ``ObjectStoragePath`` for a local path or URI whose filesystem is installed, or an error naming
    ``field`` (``s3://`` without s3fs fails here, before any request, not after the work is done)."""
    if not isinstance(location, str) or not location.strip():
        raise TapTalentInputError(f"Invalid {field}", details={field: "must be a path or an object-storage URI"})
    try:
        path = ObjectStoragePath(location.strip())
        path.fs  # noqa: B018 (resolves the scheme's filesystem: raises when it is not installed)
    except Exception as error:  # fsspec raises many kinds for unknown schemes or missing providers
        scheme = location.strip().split("://", 1)[0] if "://" in location else "file"
        raise TapTalentInputError(
            f"Invalid {field}",
            details={
                field: f"cannot open {location!r}: {error}. For {scheme}:// install its filesystem "
                "(e.g. the Airflow provider for it, or s3fs / gcsfs / adlfs) on every worker"
            },
        ) from None
    return path


def output_path(location: str, *, field: str) -> ObjectStoragePath:
    """Where a task will write a file: usable, and not a folder (checked before any request)."""
    path = storage_path(location, field=field)
    try:
        is_dir = path.is_dir()
    except ImportError as error:  # the filesystem's package is missing (s3fs, gcsfs, ...)
        raise TapTalentInputError(f"Invalid {field}", details={field: f"cannot open {location!r}: {error}"}) from None
    except OSError:
        is_dir = False
    if is_dir:
        raise TapTalentInputError(
            f"Invalid {field}", details={field: f"{location!r} is a folder: give the path of a file in it"}
        )
    return path


def read_text(location: str, *, field: str) -> str:
    path = storage_path(location, field=field)
    try:
        # utf-8-sig: a CSV saved by Excel starts with a byte-order mark, which would hide its first column
        return str(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise TapTalentInputError(f"Invalid {field}", details={field: f"no file at {location!r}"}) from None
    except (OSError, UnicodeDecodeError, ImportError) as error:
        raise TapTalentInputError(f"Invalid {field}", details={field: f"cannot read {location!r}: {error}"}) from None


def resume_urls_from(value: Any, *, field: str = "resume_urls") -> tuple[list[str], int]:
    """Validated, de-duplicated resume URLs, and how many exact duplicates were dropped.

    ``value`` is a list of URLs, or the location of a file with one URL a line (blank lines and ``#``
    comments skipped) or a JSON list.

    :raises TapTalentInputError: naming the first bad items (``resume_urls[3]`` / ``resume_urls line 4``).
    """
    if isinstance(value, str):
        if value.strip().lower().startswith(("http://", "https://")) and "\n" not in value.strip():
            raise TapTalentInputError(
                f"Invalid {field}",
                details={field: "a single URL was given: pass a list of URLs, or the path of a file that lists them"},
            )
        items, label = _lines_or_json(read_text(value, field=field), field), f"{field} line"
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        items, label = [(n, item) for n, item in enumerate(value)], f"{field}[]"
    else:
        raise TapTalentInputError(
            f"Invalid {field}", details={field: f"expected a list or a file, got {type(value).__name__}"}
        )
    problems: dict[str, str] = {}
    urls: list[str] = []
    seen: set[str] = set()
    for position, item in items:
        where = f"{label[:-2]}[{position}]" if label.endswith("[]") else f"{label} {position}"
        problem = url_problem(item)
        if problem:
            problems[where] = problem
            continue
        url = str(item).strip()
        if url not in seen:
            seen.add(url)
            urls.append(url)
    if problems:
        listed = dict(list(problems.items())[:MAX_LISTED_PROBLEMS])
        if len(problems) > MAX_LISTED_PROBLEMS:
            listed["..."] = f"{len(problems) - MAX_LISTED_PROBLEMS} more"
        raise TapTalentInputError(f"{len(problems)} invalid resume URL(s)", details=listed)
    if not urls:
        raise TapTalentInputError(f"Invalid {field}", details={field: "no resume URLs given"})
    dropped = len(items) - len(urls)
    if dropped:
        log.warning("Dropped %d duplicate resume URL(s); %d unique remain", dropped, len(urls))
    return urls, dropped


def _lines_or_json(text: str, field: str) -> list[tuple[int, Any]]:
    if text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise TapTalentInputError(
                f"Invalid {field}", details={field: f"the file is not valid JSON: {error}"}
            ) from None
        if not isinstance(data, list):
            raise TapTalentInputError(f"Invalid {field}", details={field: "the JSON file must hold a list of URLs"})
        return list(enumerate(data))
    numbered = enumerate(text.splitlines(), start=1)
    return [(n, line.strip()) for n, line in numbered if line.strip() and not line.lstrip().startswith("#")]


def records_from(value: Any, *, field: str) -> list[dict[str, Any]]:
    """Source records: a list of mappings, or the location of a JSON (list) or CSV export.

    :raises TapTalentInputError: naming ``field`` when the value or the file holds no records.
    """
    if isinstance(value, str):
        text = read_text(value, field=field)
        if value.lower().rsplit("?", 1)[0].endswith(".csv") or not text.lstrip().startswith(("[", "{")):
            value = list(csv.DictReader(io.StringIO(text)))
        else:
            try:
                value = json.loads(text)
            except ValueError as error:
                raise TapTalentInputError(f"Invalid {field}", details={field: f"not valid JSON: {error}"}) from None
            if isinstance(value, Mapping):
                # {"jobs": [...]} (Greenhouse, Ashby, Workable), {"content": [...]} (SmartRecruiters) ...
                wrapper = next((k for k in (field, *WRAPPER_KEYS) if isinstance(value.get(k), list)), None)
                value = value[wrapper] if wrapper else value
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        raise TapTalentInputError(
            f"Invalid {field}", details={field: f"expected a list of records, got {type(value).__name__}"}
        )
    bad = [n for n, record in enumerate(value) if not isinstance(record, Mapping)]
    if bad:
        raise TapTalentInputError(
            f"Invalid {field}", details={f"{field}[{n}]": "must be an object" for n in bad[:MAX_LISTED_PROBLEMS]}
        )
    return [dict(record) for record in value]
