"""Streaming rows to a local path or object-storage URI, as JSON Lines or Parquet, never half written."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airflow_provider_taptalent._compat import ObjectStoragePath

#: the output formats, and the file name ending each one is usually given
FORMATS = ("jsonl", "parquet")
#: Parquet rows buffered before they are written as one row group
PARQUET_ROW_GROUP = 10_000
#: a UTF-16 surrogate on its own (an emoji cut in two by a JavaScript API): no UTF-8 encoding exists for it
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@contextlib.contextmanager
def jsonl_writer(path: ObjectStoragePath) -> Iterator[_Writer]:
    """JSON Lines to ``path``: written to a temporary file beside it, moved over ``path`` only once complete."""
    with record_writer(path, "jsonl") as writer:
        yield writer


@contextlib.contextmanager
def record_writer(path: ObjectStoragePath, format: str, columns: Mapping[str, Any] | None = None) -> Iterator[_Writer]:
    """Rows to ``path`` in ``format``; a temporary file is moved over ``path`` only when every row is written.

    A task that fails half way leaves the previous file (if any) in place, never a truncated one. Each writer
    has its own temporary name (``<path>.<random>.partial``): two runs writing one path at once (a zombie
    beside its retry, a backfill beside the scheduled run) never mix their rows; the last to finish wins,
    whole.

    :param columns: for Parquet, the Arrow type of each column (others are left out).
    """
    partial = ObjectStoragePath(f"{path}.{uuid.uuid4().hex[:12]}.partial", conn_id=getattr(path, "conn_id", None))
    if path.protocol in ("", "file"):
        path.parent.mkdir(parents=True, exist_ok=True)
    parquet = format == "parquet"
    try:
        with partial.open("wb") if parquet else partial.open("w", encoding="utf-8") as handle:
            writer = _ParquetWriter(handle, columns or {}) if parquet else _Writer(handle)
            try:
                yield writer
            except BaseException:
                writer.abort()  # the file is thrown away: nothing buffered is worth writing
                raise
            writer.close()
        partial.rename(path)
    except BaseException:
        with contextlib.suppress(Exception):
            partial.unlink()
        raise


class _Writer:
    """JSON Lines, one row a line, as compact as JSON goes.

    A string holding a lone surrogate is written as its JSON escape (``"\\ud83d"``): valid JSON that reads
    back to the same string, where raw UTF-8 has no encoding for it.
    """

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.count = 0

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            try:
                self.handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            except UnicodeEncodeError:  # encoded whole before anything is buffered: nothing was written
                self.handle.write(json.dumps(row, separators=(",", ":")) + "\n")
            self.count += 1

    def close(self) -> None:
        """Nothing is buffered."""

    def abort(self) -> None:
        """Nothing is buffered."""


class _ParquetWriter(_Writer):
    """Parquet with a fixed schema: rows are buffered into row groups of :data:`PARQUET_ROW_GROUP`.

    Parquet strings are UTF-8: a lone surrogate is written as U+FFFD (the replacement character).
    """

    def __init__(self, handle: Any, columns: Mapping[str, Any]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__(handle)
        self.schema = pa.schema(list(columns.items()))
        self.writer = pq.ParquetWriter(handle, self.schema)
        self.rows: list[dict[str, Any]] = []

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.rows.append(row)
            self.count += 1
        if len(self.rows) >= PARQUET_ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if not self.rows:
            return
        arrays = []
        for field in self.schema:
            values = [_utf8(row.get(field.name)) for row in self.rows]
            if pa.types.is_timestamp(field.type):
                arrays.append(pc.cast(pa.array(values, pa.string()), field.type))
            else:
                arrays.append(pa.array(values, field.type))
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows = []

    def close(self) -> None:
        self._flush()
        self.writer.close()

    def abort(self) -> None:
        """Close the Parquet writer before its file (else its ``__del__`` writes to a closed file)."""
        with contextlib.suppress(Exception):
            self.writer.close()


def _utf8(value: Any) -> Any:
    return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value
