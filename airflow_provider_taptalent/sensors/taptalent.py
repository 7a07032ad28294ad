"""TapTalentBatchSensor: waits for bulk-upload batches to finish, in poke, reschedule or deferrable mode."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import cached_property
from typing import Any

from airflow_provider_taptalent._compat import (
    AirflowSensorTimeout,
    BaseSensorOperator,
    Context,
    PokeReturnValue,
    default_deferrable,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.triggers.taptalent import TapTalentBatchTrigger
from airflow_provider_taptalent.utils import batches as _batches
from airflow_provider_taptalent.utils.failures import fail_without_retry

_DEFAULT_TIMEOUT = timedelta(days=1).total_seconds()


class TapTalentBatchSensor(BaseSensorOperator):
    """Waits until every given batch is COMPLETED or FAILED, and returns a summary per batch.

    It checks once right away; in deferrable mode it then hands the wait to the triggerer
    (:class:`~airflow_provider_taptalent.triggers.taptalent.TapTalentBatchTrigger`), holding no worker
    slot. FAILED batches fail the task (no retry: the files will not parse); so does a share of failed
    files over ``max_failed_ratio``; otherwise failed files are logged. A timeout fails the task, or skips
    it under ``soft_fail``, in every mode.

    .. code-block:: python

        wait = TapTalentBatchSensor(task_id="wait", batch_ids=upload.output, deferrable=True, poke_interval=30)

    :param batch_ids: one batch id, a list of them, or the upload operator's XCom (templated).
    :param max_failed_ratio: fail when more than this share (0..1) of the files failed; ``None``: never.
    :param deferrable: wait in the triggerer; defaults to ``[operators] default_deferrable``.
    :param poke_interval: seconds between checks (default 30).
    :param timeout: seconds to wait in all before timing out (default 1 day).
    :param taptalent_conn_id: the TapTalent connection (templated).
    """

    template_fields = ("batch_ids", "taptalent_conn_id")
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        batch_ids: Any,
        max_failed_ratio: float | None = None,
        deferrable: bool | None = None,
        poke_interval: float = 30,
        timeout: float = _DEFAULT_TIMEOUT,
        taptalent_conn_id: str = TapTalentHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, timeout=timeout, **kwargs)
        _batches.check_ratio(max_failed_ratio)
        self.batch_ids = batch_ids
        self.max_failed_ratio = max_failed_ratio
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self.taptalent_conn_id = taptalent_conn_id

    @cached_property
    def hook(self) -> TapTalentHook:
        return TapTalentHook(self.taptalent_conn_id)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        # Both computed before anything is sent: the deadline must not move if the trigger restarts.
        end_time = time.time() + float(self.timeout)
        done = self.poke(context)
        if done:
            return done.xcom_value
        self.defer(
            trigger=TapTalentBatchTrigger(
                batch_ids=self._batch_ids(),
                taptalent_conn_id=self.taptalent_conn_id,
                poll_interval=float(self.poke_interval),
                end_time=end_time,
            ),
            method_name="execute_complete",
            # The trigger's own deadline ends the wait: a framework timeout would bypass execute_complete.
            timeout=None,
        )
        return None

    def poke(self, context: Context) -> PokeReturnValue:
        summaries = _batches.poll(self.hook, self._batch_ids())
        if not all(_batches.is_terminal(s) for s in summaries):
            self.log.info("TapTalent batches: %s", _batches.progress(summaries))
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=_batches.check_outcome(summaries, self.max_failed_ratio))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Resume after the trigger: fail closed on a missing or unknown event."""
        summaries = _batches.read_event(event, timeout_error=AirflowSensorTimeout)
        return _batches.check_outcome(summaries, self.max_failed_ratio)

    def _batch_ids(self) -> list[int | str]:
        with fail_without_retry():
            self.hook.settings  # noqa: B018 (an unusable connection fails without retries)
            return _batches.batch_ids_from(self.batch_ids)
