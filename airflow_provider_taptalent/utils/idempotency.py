"""Idempotency keys derived from what makes a piece of work the same work (A5).

A task that is retried, or a DAG run that is cleared and run again, sends the same keys, so TapTalent
answers with what it already did instead of doing it twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def content_hash(value: Any) -> str:
    """A stable hash of JSON-able content (key order does not matter)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def task_key(context: Mapping[str, Any], purpose: str, content: Any) -> str:
    """``taptalent-<purpose>-<hash>`` from the task instance (dag, task, run, map index) and the content."""
    ti = context["ti"]
    identity = [ti.dag_id, ti.task_id, ti.run_id, getattr(ti, "map_index", -1), purpose, content_hash(content)]
    return f"taptalent-{purpose}-{content_hash(identity)[:48]}"
