"""What every TapTalent operator shares: the connection id, a lazily built hook, common checks."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow_provider_taptalent._compat import BaseOperator
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.utils.failures import fail_without_retry

DEFAULT_MATCH_FIELDS = ("title", "city", "state", "country")
DEFAULT_CONN_ID = TapTalentHook.default_conn_name
#: candidates a task may return through XCom; more must go to a file (XCom is not a data store)
MAX_CANDIDATES_IN_XCOM = 1000


class _TapTalentOperator(BaseOperator):
    """What every TapTalent operator shares: the connection id and a lazily built hook."""

    ui_color = "#e8f0fe"

    def __init__(self, *, taptalent_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.taptalent_conn_id = taptalent_conn_id

    @cached_property
    def hook(self) -> TapTalentHook:
        return TapTalentHook(self.taptalent_conn_id)

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        # The templates as the DAG wrote them, kept so that a bad rendered value names its source.
        self._templates = {
            name: value
            for name in self.template_fields
            if isinstance(value := getattr(self, name, None), str) and "{{" in value
        }
        super().render_template_fields(context, jinja_env)

    def _fail_without_retry(self) -> Any:
        """:func:`fail_without_retry`, naming the template a bad argument was rendered from."""
        return fail_without_retry(getattr(self, "_templates", None))

    @staticmethod
    def _check_concurrency(max_concurrency: int) -> int:
        if isinstance(max_concurrency, bool) or max_concurrency < 1:
            raise ValueError(f"max_concurrency must be 1 or more, not {max_concurrency!r}")
        return max_concurrency

    def _check_connection(self) -> None:
        """Read the connection now, so that an unusable one fails the task without retries."""
        with self._fail_without_retry():
            self.hook.settings  # noqa: B018 (resolved and checked on first access)
