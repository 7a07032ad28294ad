"""Reading a whole page-numbered listing, pages concurrently, with nothing missed or read twice.

TapTalent's listings are newest first (A9, A10) and records are added at the head, never deleted
(:data:`~airflow_provider_taptalent.client.contract.LISTINGS_GROW_AT_THE_HEAD`). A record added while pages
are being read pushes every older record one place down: read page 3 before page 2 and the record that
slid from page 2 to page 3 is missed; read them the other way round and it is read twice. Counted from the
tail, though, a record never moves. Each page says the listing's total when it was read, so each page
covers a known range of tail positions: :func:`read_pages` yields each record once (by its key), then
reads again whatever range of the listing as it was at the start no page covered, until none is left.
A page's total and its rows need not be one snapshot
(:data:`~airflow_provider_taptalent.client.contract.PAGE_TOTAL_IS_A_SNAPSHOT`): a page counts only for the
positions it holds whatever the listing's size between its own total and that of a page asked for after it
was answered (pages read concurrently are followed by page 1 once more, to have one; the rest is read again,
each range one page past its end, so that records added meanwhile leave nothing for the next round), a short
page holds exactly the oldest records, and a full last page is followed by the next ones until a page comes
back short, so that the oldest record never slides off the end unread.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import logging
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from airflow_provider_taptalent.client import contract
from airflow_provider_taptalent.client.errors import TapTalentError

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)

#: how many times the ranges a concurrent change moved are read again before giving up
MAX_REPAIR_ROUNDS = 10

Fetch = Callable[[int], tuple[Sequence[T], int]]


def in_order(pool: ThreadPoolExecutor, calls: Iterable[Callable[[], R]], window: int) -> Iterator[R]:
    """Each call's result in the order given, with up to ``window`` of them running on ``pool`` at once
    (so at most that many results held). Calls not yet taken are cancelled when the caller stops early."""
    queue = iter(calls)
    pending: deque[Future[R]] = deque()

    def submit() -> None:
        call = next(queue, None)
        if call is not None:
            pending.append(pool.submit(call))

    for _ in range(max(window, 1)):
        submit()
    try:
        while pending:
            result = pending.popleft().result()
            submit()
            yield result
    finally:
        for future in pending:
            future.cancel()


def _numbered(fetch: Callable[[int], R], number: int, tick: Callable[[], int]) -> tuple[int, int, R, int]:
    asked = tick()
    answer = fetch(number)
    return number, asked, answer, tick()


class _Coverage:
    """Which tail positions (0 = the oldest record) the pages read so far cover.

    A page says the listing's total, and its rows come from the listing as it was then or a little later:
    at most as large as the total of any page asked for after this one was answered (the largest total seen
    when there is none). Unless a page's total and rows are one snapshot, a page counts only for the
    positions it holds at every size in between; a short page, the listing's end, holds the oldest record.
    """

    def __init__(self, per_page: int) -> None:
        self.per_page = per_page
        self.pages: list[tuple[int, int, int, int, int]] = []  # head, count, total, asked, answered
        self.tick = itertools.count().__next__  # orders requests and answers, across threads
        #: the largest and the smallest size of the listing the pages said
        self.total = 0
        self.smallest: int | None = None

    def add(self, page_number: int, count: int, total: int, asked: int, answered: int) -> None:
        self.pages.append(((page_number - 1) * self.per_page, count, total, asked, answered))
        self.total = max(self.total, total)
        self.smallest = total if self.smallest is None else min(self.smallest, total)

    @property
    def ranges(self) -> list[tuple[int, int]]:
        if contract.PAGE_TOTAL_IS_A_SNAPSHOT:
            return [(total - head - count, total - head) for head, count, total, _, _ in self.pages]
        by_asking = sorted(self.pages, key=lambda page: page[3])
        asked = [page[3] for page in by_asking]
        after = [self.total] * (len(by_asking) + 1)  # after[i]: the smallest total of the pages asked i-th or later
        for i in range(len(by_asking) - 1, -1, -1):
            after[i] = min(by_asking[i][2], after[i + 1])
        ranges = []
        for head, count, total, _, answered in self.pages:
            largest = max(after[bisect.bisect_right(asked, answered)], total)
            if 0 < count < self.per_page:  # the listing's end when its rows were read: exactly the oldest records
                ranges.append((0, count))
            else:
                ranges.append((largest - head - count, total - head))
        return ranges

    def gaps(self, low: int, high: int) -> list[tuple[int, int]]:
        missing, at = [], low
        for start, end in sorted(self.ranges):
            if start >= end:
                continue  # the listing grew by a page's worth or more meanwhile: this page vouches for nothing
            if start > at:
                missing.append((at, min(start, high)))
            at = max(at, end)
            if at >= high:
                break
        if at < high:
            missing.append((at, high))
        return [(a, b) for a, b in missing if a < b]


class PageReader(Generic[T]):
    """Every record of a listing, page by page, each once.

    :param fetch: ``fetch(page_number)`` returns the page's records and the listing's total as it says.
    :param per_page: records per page.
    :param key: a record's identity (its id).
    :param pool: the threads to read pages with; ``None`` reads one page at a time.
    :param concurrency: pages in flight at once (at most twice as many held).
    :param enough: ``enough(page)`` says that no later page is needed (newest-first listings read down to
        a time); the pages after it are not read, and the ranges before it are still completed.
    """

    def __init__(
        self,
        fetch: Fetch[T],
        per_page: int,
        key: Callable[[T], Hashable],
        *,
        pool: ThreadPoolExecutor | None = None,
        concurrency: int = 1,
        enough: Callable[[Sequence[T]], bool] | None = None,
    ) -> None:
        self.fetch = fetch
        self.per_page = per_page
        self.key = key
        self.pool = pool
        self.concurrency = max(concurrency, 1)
        self.enough = enough
        self.seen: set[Hashable] = set()
        self.pages_read = 0
        self.repaired = 0

    def __iter__(self) -> Iterator[list[T]]:
        """The records, a page's worth at a time, in the listing's order (re-read ranges last)."""
        coverage = _Coverage(self.per_page)
        first, start_total = self._read(1, coverage)
        yield self._new(first)
        low = 0
        tail: tuple[int, int] | None = (1, len(first))  # the last page read: its number and size
        confirm = False  # whether the last pages read have no later total to bound their rows by
        if self.enough is not None and self.enough(first):
            low, tail = coverage.ranges[0][0], None
        else:
            last = -(-start_total // self.per_page)
            confirm = self._concurrent and last > 1
            for number, (records, total) in self._in_order(range(2, last + 1), coverage):
                yield self._new(records)
                tail = (number, len(records))
                if self.enough is not None and self.enough(records):
                    low, tail = max(total - (number - 1) * self.per_page - len(records), 0), None
                    break
        yield from self._repair(coverage, max(low, 0), start_total, confirm=confirm)
        if tail is not None:
            yield from self._tail(*tail, coverage)

    def _tail(self, number: int, count: int, coverage: _Coverage) -> Iterator[list[T]]:
        """After a full last page, the pages from the listing's end (as its newest total says: records added
        meanwhile moved it down) until one comes back short (see the module docstring)."""
        if count < self.per_page:
            return
        number = max(number + 1, -(-coverage.total // self.per_page)) - 1  # the loop reads from the next page
        for _ in range(MAX_REPAIR_ROUNDS):
            if count < self.per_page:
                return
            number += 1
            records, _total = self._read(number, coverage)
            count = len(records)
            found = self._new(records)
            if found:
                log.info("%d record(s) past the listing's total on page %d: read them too", len(found), number)
            yield found
        raise TapTalentError(
            f"The listing went on for {MAX_REPAIR_ROUNDS} full pages past its total: it kept changing while it was "
            "read: run again"
        )

    def _read(self, number: int, coverage: _Coverage) -> tuple[Sequence[T], int]:
        _number, asked, (records, total), answered = _numbered(self.fetch, number, coverage.tick)
        self.pages_read += 1
        coverage.add(number, len(records), total, asked, answered)
        return records, total

    @property
    def _concurrent(self) -> bool:
        # Pages read out of order can be placed by tail position only in a listing that grows at its head.
        return self.pool is not None and self.concurrency > 1 and contract.LISTINGS_GROW_AT_THE_HEAD

    def _in_order(self, numbers: range, coverage: _Coverage) -> Iterator[tuple[int, tuple[Sequence[T], int]]]:
        calls = (functools.partial(_numbered, self.fetch, n, coverage.tick) for n in numbers)
        if self.pool is None or not self._concurrent:
            answers: Iterator[tuple[int, int, tuple[Sequence[T], int], int]] = (call() for call in calls)
        else:
            answers = in_order(self.pool, calls, 2 * self.concurrency)
        for number, asked, (records, total), answered in answers:
            self.pages_read += 1
            coverage.add(number, len(records), total, asked, answered)
            yield number, (records, total)

    def _repair(self, coverage: _Coverage, low: int, high: int, *, confirm: bool) -> Iterator[list[T]]:
        """Read again the tail ranges ``[low, high)`` no page covered (records added meanwhile moved them).

        Each gap is read from the page that held its newest record when last seen, then page after page
        towards the tail until a page reaches the gap's oldest position: records still being added push the
        gap further down while it is read, never past a reader that keeps going down.

        Unless totals and rows are one snapshot, the pages read last (concurrently, or in a round of this)
        have no later total to bound their rows by: page 1 is read once more first, which gives them one
        (the positions it could claim wrongly are the newest, covered by its first reading or added since).
        """
        for round_number in range(MAX_REPAIR_ROUNDS + 1):
            if confirm and not contract.PAGE_TOTAL_IS_A_SNAPSHOT:
                yield self._new(self._read(1, coverage)[0])
            confirm = True
            if coverage.smallest is not None and coverage.smallest < high:
                raise TapTalentError(
                    f"The listing shrank from {high:,} to {coverage.smallest:,} records while it was read: run again"
                )
            gaps = coverage.gaps(low, high)
            if not gaps or round_number == MAX_REPAIR_ROUNDS:
                break
            log.info("Records were added while the listing was read: reading %d range(s) again", len(gaps))
            for start, end in reversed(gaps):
                number = (coverage.total - end) // self.per_page + 1
                reached = False
                for _ in range(-(-(end - start) // self.per_page) + MAX_REPAIR_ROUNDS):
                    records, total = self._read(number, coverage)
                    self.repaired += 1
                    yield self._new(records)
                    head = (number - 1) * self.per_page
                    if reached or len(records) < self.per_page:
                        break  # the page past the gap (or the listing's end)
                    if total - head - len(records) <= start:
                        # this page reached the gap's oldest record by its own total; unless totals and rows
                        # are one snapshot, records added before the next request move its rows up by as many:
                        # the next page, asked right after, bounds them and covers what they left
                        reached = True
                        if contract.PAGE_TOTAL_IS_A_SNAPSHOT:
                            break
                    number += 1
        if not gaps:
            return
        missing = sum(end - start for start, end in gaps)
        if coverage.total == high:  # the total never moved: the listing says more than its pages serve
            raise TapTalentError(
                f"The listing reports {high:,} records but its pages never served {missing:,} of them, though its "
                f"total stayed the same over {MAX_REPAIR_ROUNDS} rounds of reading them again: a total that "
                "overcounts, which running again will not change (report it to TapTalent with the request ids)"
            )
        raise TapTalentError(
            f"The listing kept changing while it was read (its total went from {high:,} to {coverage.total:,}; "
            f"{missing:,} positions unread after {MAX_REPAIR_ROUNDS} rounds): run again"
        )

    def _new(self, records: Sequence[T]) -> list[T]:
        fresh = []
        for record in records:
            identity = self.key(record)
            if identity not in self.seen:
                self.seen.add(identity)
                fresh.append(record)
        return fresh
