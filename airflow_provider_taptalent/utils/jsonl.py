"""Streaming rows to JSON Lines at a local path or object-storage URI, without a half-written result."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from airflow_provider_taptalent._compat import ObjectStoragePath


@contextlib.contextmanager
def jsonl_writer(path: ObjectStoragePath) -> Iterator[_Writer]:
    """Write to ``<path>.partial`` and move it over ``path`` only when every row is written.

    A task that fails half way leaves the previous file (if any) in place, never a truncated one.
    """
    partial = ObjectStoragePath(f"{path}.partial", conn_id=getattr(path, "conn_id", None))
    if path.protocol in ("", "file"):
        path.parent.mkdir(parents=True, exist_ok=True)
    writer = _Writer()
    try:
        with partial.open("w", encoding="utf-8") as handle:
            writer.handle = handle
            yield writer
        partial.rename(path)
    except BaseException:
        with contextlib.suppress(Exception):
            partial.unlink()
        raise


class _Writer:
    handle: Any = None
    count = 0

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            self.count += 1
