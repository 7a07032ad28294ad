"""Fixtures the unit tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from tests.conftest import FAKE_API


@pytest.fixture
def api(fake_conn: str, waits: list[float]) -> Iterator[respx.MockRouter]:
    """respx answering the fake connection's API; retries' waits recorded, not slept."""
    with respx.mock(base_url=FAKE_API, assert_all_called=False) as mock:
        yield mock
