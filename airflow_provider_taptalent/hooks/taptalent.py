"""TapTalentHook: the connection's credentials and settings, and one method per TapTalent API call."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Collection, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

from airflow_provider_taptalent import _api, _form
from airflow_provider_taptalent._compat import (
    BaseHook,
    Connection,
    amask_secret,
    get_async_connection,
    get_async_extra_dejson,
    mask_secret,
)
from airflow_provider_taptalent._http import AsyncTransport, RetryPolicy, Transport
from airflow_provider_taptalent._settings import CONN_TYPE, ClientSettings, settings_from_connection
from airflow_provider_taptalent.exceptions import TapTalentInputError
from airflow_provider_taptalent.models import (
    BatchPage,
    BulkUpload,
    Candidate,
    Job,
    JobCreate,
    JobPage,
    JobUpdate,
    ResumeUpload,
)

# How far back (seconds) a job's createdAt may lie before the first attempt of a create and still be the
# job that attempt made: createdAt is in whole seconds (A9), and the clocks of this machine and TapTalent
# are assumed to agree within a second (NTP). A wider window would take other creates' jobs for ours; a
# job missed for skew is not lost: the create is sent again with its idempotency key (A5).
_RECOVERY_CLOCK_SKEW = 2.0
# Jobs list newest first (A9): a job created moments ago is on the first pages, if anywhere.
_RECOVERY_MAX_PAGES = 5
# Seconds a connection test may take, retry included.
_TEST_CONNECTION_BUDGET = 20.0


class TapTalentHook(BaseHook):
    """Talks to the TapTalent Partner API with the key and settings of an Airflow connection.

    The constructor only stores its arguments: the connection is looked up on first use and cached,
    by the sync methods (workers) and the ``a``-prefixed async ones (the triggerer) alike. Each hook
    keeps one pooled HTTP client per kind; close it with :meth:`close` / :meth:`aclose`, or use the hook
    as a (async) context manager.

    :param taptalent_conn_id: the Airflow connection to use (type ``taptalent``).
    :param timeout: read timeout in seconds; overrides the connection's ``timeout`` extra (default 30).
    :param max_retries: retries after the first attempt; overrides the connection's ``max_retries`` (default 5).
    """

    conn_name_attr = "taptalent_conn_id"
    default_conn_name = "taptalent_default"
    conn_type = CONN_TYPE
    hook_name = "TapTalent"

    def __init__(
        self,
        taptalent_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        super().__init__()
        self.taptalent_conn_id = taptalent_conn_id
        self.timeout = timeout
        self.max_retries = max_retries

    # -- the connection form (Airflow < 3.2; 3.2+ reads get_provider_info) --------------------------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        return _form.connection_form_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return _form.ui_field_behaviour()

    # -- settings: resolved once per hook, from whichever path asks first ----------------------------------

    @cached_property
    def settings(self) -> ClientSettings:
        """The connection's settings, checked (sync path: worker processes)."""
        conn = self.get_connection(self.taptalent_conn_id)
        settings = self._settings_of(conn, conn.extra_dejson)
        mask_secret(settings.api_key)
        if settings.webhook_key:
            mask_secret(settings.webhook_key)
        return settings

    async def asettings(self) -> ClientSettings:
        """The same settings, resolved without blocking the event loop (the triggerer).

        The sync look-up masks secrets with a synchronous call to the supervisor, which breaks inside a
        running event loop (apache/airflow#70398, #71891); this path awaits the async equivalents and
        stores its result in the same cache slot as :attr:`settings`.
        """
        if "settings" not in self.__dict__:
            conn = await get_async_connection(self.taptalent_conn_id, hook=self)
            settings = self._settings_of(conn, await get_async_extra_dejson(conn))
            await amask_secret(settings.api_key)
            if settings.webhook_key:
                await amask_secret(settings.webhook_key)
            self.__dict__["settings"] = settings
        cached: ClientSettings = self.__dict__["settings"]
        return cached

    def _settings_of(self, conn: Connection, extra: Mapping[str, Any]) -> ClientSettings:
        return settings_from_connection(
            self.taptalent_conn_id,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            extra=extra,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    @cached_property
    def _transport(self) -> Transport:
        return Transport(self.settings, RetryPolicy(max_retries=self.settings.max_retries))

    async def _atransport(self) -> AsyncTransport:
        """The async transport of the running event loop: one per hook and loop.

        An httpx.AsyncClient belongs to the loop it first ran on, so a hook used under one
        ``asyncio.run()`` and then another gets a new client for the new loop. Concurrent first calls
        (a trigger polling several batches) share one: the check is repeated after the only ``await``.
        """
        loop = asyncio.get_running_loop()
        current = self.__dict__.get("_async_transport")
        if current is None or current[0] is not loop:
            settings = await self.asettings()
            current = self.__dict__.get("_async_transport")
            if current is None or current[0] is not loop:
                current = (loop, AsyncTransport(settings, RetryPolicy(max_retries=settings.max_retries)))
                self.__dict__["_async_transport"] = current
        transport: AsyncTransport = current[1]
        return transport

    def close(self) -> None:
        """Close the pooled sync client (the hook stays usable: a new client is opened on the next call)."""
        if "_transport" in self.__dict__:
            self._transport.close()

    async def aclose(self) -> None:
        """Close the pooled async client."""
        if "_async_transport" in self.__dict__:
            loop, transport = self.__dict__.pop("_async_transport")
            if loop is asyncio.get_running_loop():
                await transport.aclose()

    def __enter__(self) -> TapTalentHook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> TapTalentHook:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def max_batch_size(self) -> int:
        """The most resumes one bulk upload may hold, from the connection (A6)."""
        return self.settings.max_batch_size

    # -- connection test --------------------------------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """Check the key with a cheap authenticated read (one page of jobs). Never raises.

        It retries once at most: someone is waiting for the answer in the UI or the CLI.
        """
        transport = None
        try:
            settings = self.settings
            transport = Transport(settings, RetryPolicy(max_retries=1, max_total=_TEST_CONNECTION_BUDGET))
            page = transport.send(_api.list_jobs(1, _api.PER_PAGE_CHOICES[0]))
        except Exception as error:  # a connection test reports every failure instead of raising
            return False, f"{type(error).__name__}: {error}"
        finally:
            if transport is not None:
                transport.close()
        return True, (
            f"Connected to the TapTalent {settings.environment} API at {settings.base_url}: "
            f"{page.total_jobs} job(s) visible to this key."
        )

    # -- jobs -------------------------------------------------------------------------------------------

    def create_job(
        self,
        job: JobCreate | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        known_job_ids: Collection[int | str] = (),
    ) -> Job:
        """Create a job (``POST /jobs``), never twice.

        The job is validated before anything is sent. The request carries an ``Idempotency-Key`` (yours,
        or a fresh one) that stays the same across retries; and when an attempt's outcome is unknown
        (timeout, dropped connection, 5xx), the newest jobs are searched for the one it may have created
        before anything is sent again: a job with the same fields, created after the first attempt began,
        and not one of ``known_job_ids``.

        :param job: the job, as a :class:`JobCreate` or a mapping of its fields (snake_case or camelCase).
        :param idempotency_key: a key that identifies this create across task retries (at most 255 chars).
        :param known_job_ids: jobs that existed, or belong to something else, already: never taken for
            the one this create made (a sync passes the jobs it maps and the ones it listed).
        """
        call = _api.create_job(JobCreate.coerce(job, what="job"), _idempotency_key(idempotency_key))
        known = _id_set(known_job_ids)
        return self._transport.send(
            call, recover=lambda since: self.find_created_job(call.request.json, since, exclude=known)
        )

    async def acreate_job(
        self,
        job: JobCreate | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        known_job_ids: Collection[int | str] = (),
    ) -> Job:
        """Async :meth:`create_job`."""
        call = _api.create_job(JobCreate.coerce(job, what="job"), _idempotency_key(idempotency_key))
        known = _id_set(known_job_ids)
        transport = await self._atransport()
        return await transport.send(
            call, recover=lambda since: self.afind_created_job(call.request.json, since, exclude=known)
        )

    def find_created_job(
        self, sent: Mapping[str, Any], since: float, *, exclude: Collection[int | str] = ()
    ) -> Job | None:
        """The newest job with every field of ``sent`` (a create's body), created after ``since`` (epoch s)
        and not in ``exclude``.

        How an interrupted create is resolved without creating twice: jobs list newest first (A9), so only
        the first pages are read, back to ``since`` (less a second or two of clock skew).
        """
        excluded = _id_set(exclude)
        for page_number in range(1, _RECOVERY_MAX_PAGES + 1):
            page = self.list_jobs(page_number=page_number, per_page=_api.MAX_PER_PAGE)
            found, done = _api.find_created_job(page, sent, since - _RECOVERY_CLOCK_SKEW, excluded)
            if found is not None or done:
                return found
        return None

    async def afind_created_job(
        self, sent: Mapping[str, Any], since: float, *, exclude: Collection[int | str] = ()
    ) -> Job | None:
        """Async :meth:`find_created_job`."""
        excluded = _id_set(exclude)
        for page_number in range(1, _RECOVERY_MAX_PAGES + 1):
            page = await self.alist_jobs(page_number=page_number, per_page=_api.MAX_PER_PAGE)
            found, done = _api.find_created_job(page, sent, since - _RECOVERY_CLOCK_SKEW, excluded)
            if found is not None or done:
                return found
        return None

    def get_job(self, job_id: int | str) -> Job:
        """One job (``GET /jobs/{id}``); :class:`TapTalentNotFoundError` when it does not exist."""
        return self._transport.send(_api.get_job(job_id))

    async def aget_job(self, job_id: int | str) -> Job:
        """Async :meth:`get_job`."""
        return await (await self._atransport()).send(_api.get_job(job_id))

    def update_job(self, job_id: int | str, changes: JobUpdate | Mapping[str, Any]) -> Job:
        """Change some fields of a job (``PATCH /jobs/{id}``, A9); the same rules as create apply.

        A PATCH that sets fields to given values is safe to repeat, so it is retried like a read.
        """
        return self._transport.send(_api.update_job(job_id, JobUpdate.coerce(changes, what="job update")))

    async def aupdate_job(self, job_id: int | str, changes: JobUpdate | Mapping[str, Any]) -> Job:
        """Async :meth:`update_job`."""
        call = _api.update_job(job_id, JobUpdate.coerce(changes, what="job update"))
        return await (await self._atransport()).send(call)

    def list_jobs(self, *, page_number: int = 1, per_page: int = _api.MAX_PER_PAGE) -> JobPage:
        """One page of the company's jobs, newest first (``GET /jobs``); ``per_page`` is 10, 20, 40, 80 or 100."""
        return self._transport.send(_api.list_jobs(page_number, per_page))

    async def alist_jobs(self, *, page_number: int = 1, per_page: int = _api.MAX_PER_PAGE) -> JobPage:
        """Async :meth:`list_jobs`."""
        return await (await self._atransport()).send(_api.list_jobs(page_number, per_page))

    def iter_jobs(self, *, per_page: int = _api.MAX_PER_PAGE) -> Iterator[Job]:
        """Every job of the company, page after page."""
        page_number = 1
        while True:
            page = self.list_jobs(page_number=page_number, per_page=per_page)
            yield from page.jobs
            if not page.jobs or not _api.has_next_page(page_number, per_page, page.total_jobs):
                return
            page_number += 1

    async def aiter_jobs(self, *, per_page: int = _api.MAX_PER_PAGE) -> AsyncIterator[Job]:
        """Async :meth:`iter_jobs`."""
        page_number = 1
        while True:
            page = await self.alist_jobs(page_number=page_number, per_page=per_page)
            for job in page.jobs:
                yield job
            if not page.jobs or not _api.has_next_page(page_number, per_page, page.total_jobs):
                return
            page_number += 1

    # -- bulk resume upload and batches -----------------------------------------------------------------

    def bulk_upload_resumes(self, resume_urls: Sequence[str], *, idempotency_key: str | None = None) -> BulkUpload:
        """Start parsing up to ``max_batch_size`` resumes (``POST /candidates/bulk/resume``).

        :param resume_urls: public http(s) URLs of PDF, DOC or DOCX files.
        :param idempotency_key: identifies this batch across retries, so that a retried upload is not
            accepted twice (A5).
        """
        call = _api.bulk_upload_resumes(self._checked_batch(resume_urls), _idempotency_key(idempotency_key))
        return self._transport.send(call)

    async def abulk_upload_resumes(
        self, resume_urls: Sequence[str], *, idempotency_key: str | None = None
    ) -> BulkUpload:
        """Async :meth:`bulk_upload_resumes`."""
        await self.asettings()  # fills the cache slot that _checked_batch's self.settings then reads
        call = _api.bulk_upload_resumes(self._checked_batch(resume_urls), _idempotency_key(idempotency_key))
        return await (await self._atransport()).send(call)

    def _checked_batch(self, resume_urls: Sequence[str]) -> list[str]:
        if isinstance(resume_urls, (str, bytes)):
            raise TapTalentInputError(
                "resume_urls must be a list of URLs, not one string", details={"resumeURLs": "must be a list"}
            )
        urls = ResumeUpload.coerce({"resumeURLs": list(resume_urls)}, what="resume upload").resume_urls
        limit = self.settings.max_batch_size
        if len(urls) > limit:
            raise TapTalentInputError(
                f"{len(urls)} resumes do not fit one batch",
                details={
                    "resumeURLs": f"at most {limit} per batch (the connection's max_batch_size); split them "
                    "into batches, as TapTalentBulkUploadResumesOperator does"
                },
            )
        return urls

    def get_batch(self, batch_id: int | str, *, page_number: int = 1, per_page: int = _api.MAX_PER_PAGE) -> BatchPage:
        """A batch's status, counts, failed files and one page of its candidates (``GET /candidates/batch/{id}``)."""
        return self._transport.send(_api.get_batch(batch_id, page_number, per_page))

    async def aget_batch(
        self, batch_id: int | str, *, page_number: int = 1, per_page: int = _api.MAX_PER_PAGE
    ) -> BatchPage:
        """Async :meth:`get_batch`."""
        return await (await self._atransport()).send(_api.get_batch(batch_id, page_number, per_page))

    def iter_batch_candidates(self, batch_id: int | str, *, per_page: int = _api.MAX_PER_PAGE) -> Iterator[Candidate]:
        """Every parsed candidate of a batch, page after page."""
        page_number = 1
        while True:
            page = self.get_batch(batch_id, page_number=page_number, per_page=per_page)
            yield from page.candidates
            total = page.pagination.total_candidates
            if not page.candidates or not _api.has_next_page(page_number, per_page, total):
                return
            page_number += 1

    async def aiter_batch_candidates(
        self, batch_id: int | str, *, per_page: int = _api.MAX_PER_PAGE
    ) -> AsyncIterator[Candidate]:
        """Async :meth:`iter_batch_candidates`."""
        page_number = 1
        while True:
            page = await self.aget_batch(batch_id, page_number=page_number, per_page=per_page)
            for candidate in page.candidates:
                yield candidate
            total = page.pagination.total_candidates
            if not page.candidates or not _api.has_next_page(page_number, per_page, total):
                return
            page_number += 1


def _id_set(ids: Collection[int | str]) -> frozenset[str]:
    return frozenset(str(job_id) for job_id in ids)


def _idempotency_key(key: str | None) -> str:
    if key is None:
        return uuid.uuid4().hex
    if not key or len(key) > _api.IDEMPOTENCY_KEY_MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise TapTalentInputError(
            "Invalid idempotency key",
            details={"idempotency_key": f"1 to {_api.IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters"},
        )
    return key
