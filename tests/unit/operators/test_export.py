"""Exports: whole listings read concurrently with nothing missed or doubled, intervals, rows, formats."""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_taptalent.client.errors import TapTalentError
from airflow_provider_taptalent.client.models import Job
from airflow_provider_taptalent.exceptions import TapTalentTaskFailed
from airflow_provider_taptalent.operators.taptalent import TapTalentExportOperator
from airflow_provider_taptalent.utils import export as ex
from airflow_provider_taptalent.utils.pages import PageReader
from tests.unit.operators.test_operators import context


class GrowingListing:
    """A newest-first listing that records are added to (at the head) while it is read."""

    def __init__(self, size: int, per_page: int, *, adds: dict[int, int] | None = None, seed: int = 0) -> None:
        self.records = list(range(size, 0, -1))  # newest first: the highest id first
        self.next_id = size + 1
        self.per_page = per_page
        self.adds = adds or {}  # fetch number -> records added just before that fetch answers
        self.rng = random.Random(seed)
        self.fetches = 0
        self.lock = threading.Lock()

    def fetch(self, number: int) -> tuple[list[int], int]:
        with self.lock:
            self.fetches += 1
            for _ in range(self.adds.get(self.fetches, 0)):
                self.records.insert(0, self.next_id)
                self.next_id += 1
            start = (number - 1) * self.per_page
            return self.records[start : start + self.per_page], len(self.records)


def read_all(listing: GrowingListing, concurrency: int = 1) -> list[int]:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        reader = PageReader(listing.fetch, listing.per_page, key=lambda r: r, pool=pool, concurrency=concurrency)
        return [r for page in reader for r in page]


def test_a_quiet_listing_is_read_once_page_by_page_and_page_1_once_more():
    listing = GrowingListing(95, 10)
    assert read_all(listing, concurrency=4) == list(range(95, 0, -1))
    assert listing.fetches == 11  # the 10 pages, and page 1 once more: a total asked for after all of them
    one_at_a_time = GrowingListing(95, 10)
    assert read_all(one_at_a_time, concurrency=1) == list(range(95, 0, -1))
    assert one_at_a_time.fetches == 10  # read in order, each page is bounded by the next


@pytest.mark.parametrize("concurrency", [1, 4])
def test_records_added_while_reading_neither_hide_nor_double_the_others(concurrency):
    for seed in range(150):
        rng = random.Random(seed)
        size = rng.randint(1, 300)
        adds = {rng.randint(1, 40): rng.randint(1, 25) for _ in range(rng.randint(1, 5))}
        listing = GrowingListing(size, 10, adds=adds, seed=seed)
        read = read_all(listing, concurrency)
        assert len(read) == len(set(read)), f"seed {seed}: a record was read twice"
        assert set(range(1, size + 1)) <= set(read), f"seed {seed}: missed {set(range(1, size + 1)) - set(read)}"


def test_a_record_added_between_two_pages_read_out_of_order_is_not_lost():
    """Page 2 is read after page 3 and after an add: without reading again, record 81 would be missed."""
    listing = GrowingListing(100, 10)
    answers = {}

    def fetch(number: int):
        if number == 2 and 3 not in answers:  # page 3 first, then an add, then page 2
            answers[3] = listing.fetch(3)
            listing.records.insert(0, 101)
        answers[number] = listing.fetch(number)
        return answers[number]

    reader = PageReader(fetch, 10, key=lambda r: r)
    read = [r for page in reader for r in page]
    assert set(range(1, 101)) <= set(read)
    assert len(read) == len(set(read))


class CountThenRows(GrowingListing):
    """A server that counts, then reads the rows (count + skip/limit): a record added in between makes the
    page's rows one place older than its total says (review 2026-12-02 #16)."""

    def fetch(self, number: int) -> tuple[list[int], int]:
        with self.lock:
            self.fetches += 1
            total = len(self.records)  # counted ...
            for _ in range(self.adds.get(self.fetches, 0)):  # ... then records are added ...
                self.records.insert(0, self.next_id)
                self.next_id += 1
            start = (number - 1) * self.per_page  # ... then the rows are read
            return self.records[start : start + self.per_page], total


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_record_added_between_a_pages_count_and_its_rows_is_never_missed(concurrency):
    """Before: the oldest record slid past the last page unread, silently, in some of these trials; and read
    concurrently, a page whose count and rows disagree hid a record in the middle of the listing."""
    missed = 0
    for seed in range(300):
        rng = random.Random(seed)
        size = rng.choice([rng.randint(1, 300), 10 * rng.randint(1, 30)])  # full last pages too
        adds = {rng.randint(1, 35): rng.randint(1, 3) for _ in range(rng.randint(1, 3))}
        listing = CountThenRows(size, 10, adds=adds)
        read = read_all(listing, concurrency)
        assert len(read) == len(set(read)), f"seed {seed}: a record was read twice"
        missed += bool(set(range(1, size + 1)) - set(read))
    assert missed == 0


def test_a_page_counted_before_an_add_and_read_after_it_hides_nothing_between_out_of_order_pages():
    """Pages 3 and 4 are read first; page 2 is counted (40), then a record is added, then its rows are read:
    they lie one place newer than its total says, and no page read so far says 41. Record 21 (between pages 2
    and 3) was in neither, silently (with no later page, also after the first fix)."""
    listing = GrowingListing(40, 10)
    read_first = {3: threading.Event(), 4: threading.Event()}

    def fetch(number: int) -> tuple[list[int], int]:
        if number == 2 and 41 not in listing.records:
            assert all(event.wait(10) for event in read_first.values())
            with listing.lock:
                total = len(listing.records)
                listing.records.insert(0, 41)
                return listing.records[10:20], total
        answer = listing.fetch(number)
        if number in read_first:
            read_first[number].set()
        return answer

    with ThreadPoolExecutor(max_workers=4) as pool:
        read = [r for page in PageReader(fetch, 10, key=lambda r: r, pool=pool, concurrency=4) for r in page]
    assert set(range(1, 41)) <= set(read)
    assert len(read) == len(set(read))


@pytest.mark.parametrize("listing_kind", [GrowingListing, CountThenRows])
@pytest.mark.parametrize("adds", [1, 3])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_listing_added_to_before_every_answer_is_read_whole_in_a_few_requests_more(listing_kind, adds, concurrency):
    """Records added without pause (a busy account; the sandbox test that creates jobs while an export runs).
    Before: each repair round ended on a page whose rows the next request's total moved up, so a gap of the
    adds' size was left for the next round, for ever: "The listing kept changing ... (0 positions unread
    after 10 rounds)". Now a short page counts for the oldest records exactly, and a gap is read one page
    past its end."""
    listing = listing_kind(93, 10, adds=dict.fromkeys(range(1, 10_000), adds))
    read = read_all(listing, concurrency)
    assert set(range(1, 94)) <= set(read)
    assert len(read) == len(set(read))
    # 10 pages: 13-17 requests read one at a time; 4 at a time, 14-18 on Python 3.11 and up to 32 on 3.13
    # (answered truly out of order: more to read again), over 200 runs each
    assert listing.fetches <= 4 * 10


def test_a_listing_that_shrinks_while_read_fails_instead_of_exporting_a_hole():
    listing = GrowingListing(50, 10)

    def fetch(number: int):
        if number == 3:
            del listing.records[:5]
        return listing.fetch(number)

    with pytest.raises(TapTalentError, match="shrank"):
        list(PageReader(fetch, 10, key=lambda r: r))


def test_reading_stops_at_the_first_page_that_is_enough():
    listing = GrowingListing(1000, 10)
    reader = PageReader(listing.fetch, 10, key=lambda r: r, enough=lambda page: page[-1] < 960)
    read = [r for page in reader for r in page]
    assert read == list(range(1000, 950, -1))
    assert listing.fetches == 5


# --- rows and intervals -------------------------------------------------------------------------------


def test_rows_are_snake_case_even_for_fields_this_provider_does_not_know():
    job = Job.model_validate({"id": 1, "title": "X", "workMode": "REMOTE", "hiringManagerEmail": "a@b.c"})
    out = ex.row(job)
    assert out["work_mode"] == "REMOTE" and out["hiring_manager_email"] == "a@b.c"
    assert "workMode" not in out and "hiringManagerEmail" not in out


@pytest.mark.parametrize(
    ("since", "before", "field"),
    [
        ("yesterday", None, "updated_since"),
        (None, "2026-13-01", "updated_before"),
        ("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z", "updated_before"),
        ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", "updated_before"),
    ],
)
def test_a_bad_interval_names_its_field_before_any_request(fake_conn, tmp_path, since, before, field):
    op = TapTalentExportOperator(
        task_id="e", resource="jobs", output_path=str(tmp_path / "j.jsonl"), updated_since=since, updated_before=before
    )
    with pytest.raises(TapTalentTaskFailed) as failure:
        op.execute(context())  # respx is not active: a request would fail differently
    assert field in failure.value.details


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"resource": "applications"}, "resource"),
        ({"resource": "jobs", "include_match": True}, "include_match"),
        ({"resource": "jobs", "output_path": ""}, "output_path"),
    ],
)
def test_bad_arguments_name_their_field_before_any_request(fake_conn, tmp_path, kwargs, field):
    kwargs = {"output_path": str(tmp_path / "x.jsonl"), **kwargs}
    with pytest.raises(TapTalentTaskFailed) as failure:
        TapTalentExportOperator(task_id="e", **kwargs).execute(context())
    assert field in failure.value.details


def test_format_and_interval_field_are_checked_when_the_dag_is_parsed():
    with pytest.raises(ValueError, match="format"):
        TapTalentExportOperator(task_id="e", resource="jobs", output_path="x", format="csv")
    with pytest.raises(ValueError, match="interval_field"):
        TapTalentExportOperator(task_id="e", resource="jobs", output_path="x", interval_field="deleted_at")


def test_naive_and_date_bounds_are_utc():
    day = datetime(2026, 11, 30, tzinfo=timezone.utc)
    assert ex.Interval.of("2026-11-30", "2026-12-01T00:00:00").since == day
    assert ex.Interval.of(day.date(), None).since == day
    assert datetime(2026, 11, 30, 23, 59, tzinfo=timezone.utc) in ex.Interval.of(day, day + timedelta(days=1))
    assert day + timedelta(days=1) not in ex.Interval.of(day, day + timedelta(days=1))


def test_parquet_columns_follow_the_model():
    pa = pytest.importorskip("pyarrow")
    columns = ex.parquet_columns(ex.RESOURCES["candidates"], include_match=True)
    assert columns["id"] == pa.string()  # ids may be integers or UUID strings (SPEC §3)
    assert columns["created_at"] == pa.timestamp("us", tz="UTC")
    assert columns["profile_match_score"] == pa.float64()
    assert columns["recommend_to_recruiting_firm"] == pa.bool_()
    shaped = ex.parquet_row({"id": 7, "skills": ["a"], "new_field": 1}, columns)
    assert shaped["id"] == "7" and json.loads(shaped["skills"]) == ["a"]
    assert json.loads(shaped[ex.EXTRA_COLUMN]) == {"new_field": 1}


# -- the writer: two runs on one path, and strings UTF-8 cannot hold (review 2026-12-02, findings 11, 14) -------


def test_two_writers_on_one_path_never_mix_and_the_last_to_finish_publishes_its_whole_output(tmp_path):
    """Before: both wrote through one `<path>.partial`: a mixed file was published and the other writer failed
    with a raw FileNotFoundError."""
    from airflow_provider_taptalent._compat import ObjectStoragePath
    from airflow_provider_taptalent.utils.outputs import record_writer

    path = ObjectStoragePath(str(tmp_path / "jobs.jsonl"))
    with record_writer(path, "jsonl") as zombie:
        zombie.write({"run": "zombie", "n": n} for n in range(50))
        with record_writer(path, "jsonl") as retry:
            retry.write({"run": "retry", "n": n} for n in range(30))
            zombie.write({"run": "zombie", "n": n} for n in range(50, 100))
        assert [json.loads(line)["run"] for line in (tmp_path / "jobs.jsonl").read_text().splitlines()] == [
            "retry"
        ] * 30
    rows = [json.loads(line) for line in (tmp_path / "jobs.jsonl").read_text().splitlines()]
    assert rows == [{"run": "zombie", "n": n} for n in range(100)]
    assert [p.name for p in tmp_path.iterdir()] == ["jobs.jsonl"]


def test_a_lone_surrogate_is_written_escaped_in_json_lines_and_replaced_in_parquet(tmp_path):
    """Before: a raw UnicodeEncodeError failed every export of the interval (and Parquet logged 'write to closed
    file' from __del__)."""
    from airflow_provider_taptalent._compat import ObjectStoragePath
    from airflow_provider_taptalent.utils.outputs import record_writer

    rows = [{"id": 1, "title": "Chef \ud83d", "note": "fine \U0001f600"}, {"id": 2, "title": "plain", "note": None}]
    jsonl = ObjectStoragePath(str(tmp_path / "jobs.jsonl"))
    with record_writer(jsonl, "jsonl") as writer:
        writer.write(rows)
    text = (tmp_path / "jobs.jsonl").read_bytes().decode("utf-8")  # valid UTF-8 throughout
    assert [json.loads(line) for line in text.splitlines()] == rows  # and it reads back to the same strings
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    parquet = ObjectStoragePath(str(tmp_path / "jobs.parquet"))
    with record_writer(parquet, "parquet", {"id": pa.int64(), "title": pa.string(), "note": pa.string()}) as writer:
        writer.write(rows)
    assert pq.read_table(str(tmp_path / "jobs.parquet")).to_pylist()[0] == {
        "id": 1, "title": "Chef \ufffd", "note": "fine \U0001f600"
    }  # fmt: skip


def test_a_total_that_overcounts_is_named_as_such_not_as_a_listing_that_kept_changing():
    """Review 2026-12-02 #24: a `total` one above what the pages serve failed every export with "The listing
    kept changing while it was read (10 rounds): run again", which never helps."""
    rows = list(range(25))

    def fetch(number):
        return rows[(number - 1) * 10 : number * 10], len(rows) + 1

    with pytest.raises(TapTalentError, match="reports 26 records but its pages never served 1 of them") as raised:
        list(PageReader(fetch, 10, key=lambda r: r))
    assert "run again" not in str(raised.value)


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_parquet_export_failing_half_way_leaves_no_file_and_no_error_from_the_writer(tmp_path):
    """Review 2026-12-02 #14: a failed Parquet export also logged 'write to closed file' from the Parquet
    writer's __del__ (it outlived its file)."""
    import gc

    pa = pytest.importorskip("pyarrow")
    from airflow_provider_taptalent._compat import ObjectStoragePath
    from airflow_provider_taptalent.utils.outputs import record_writer

    path = ObjectStoragePath(str(tmp_path / "jobs.parquet"))

    def export() -> None:
        with record_writer(path, "parquet", {"id": pa.int64()}) as writer:
            writer.write({"id": n} for n in range(10))
            raise RuntimeError("the API went away")

    with pytest.raises(RuntimeError, match="the API went away"):
        export()
    gc.collect()
    assert list(tmp_path.iterdir()) == []


def test_a_field_that_snake_cases_to_a_declared_one_is_kept_and_times_are_utc_in_every_format(tmp_path):
    """Review 2026-12-02 #26: ``Title`` was dropped from the row beside ``title``, and JSON Lines kept the
    source's offsets (``-01:00``) where Parquet wrote UTC."""
    job = Job.model_validate({"id": 1, "title": "a", "Title": "X", "updatedAt": "2025-11-29T23:00:00-01:00"})
    out = ex.row(job)
    assert (out["title"], out["Title"]) == ("a", "X")
    assert out["updated_at"] == "2025-11-30T00:00:00Z"


def test_pages_are_read_out_of_order_only_while_listings_grow_at_the_head(monkeypatch):
    """The assumption (contract.LISTINGS_GROW_AT_THE_HEAD) is what the concurrent reading rests on: without
    it, the reader reads one page after another, in order, even with a pool."""
    from airflow_provider_taptalent.client import contract

    threads: set[str] = set()
    listing = GrowingListing(95, 10)

    def fetch(number: int) -> tuple[list[int], int]:
        threads.add(threading.current_thread().name)
        return listing.fetch(number)

    def read() -> list[int]:
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="page") as pool:
            return [r for page in PageReader(fetch, 10, key=lambda r: r, pool=pool, concurrency=4) for r in page]

    assert read() == list(range(95, 0, -1))
    assert any(name.startswith("page") for name in threads)
    threads.clear()
    monkeypatch.setattr(contract, "LISTINGS_GROW_AT_THE_HEAD", False)
    assert read() == list(range(95, 0, -1))
    assert threads == {threading.current_thread().name}
