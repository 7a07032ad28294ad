"""Running the test DAGs with dag.test(), on every supported Airflow."""

from __future__ import annotations

from typing import Any

from tests.conftest import E2E_DAGS


def load_dag(dag_id: str) -> Any:
    """The DAG, parsed from the test DAG folder as Airflow would parse it."""
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3.1+
    except ImportError:
        from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(E2E_DAGS))  # examples are off: AIRFLOW__CORE__LOAD_EXAMPLES=False
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def run_dag(dag_id: str, conf: dict[str, Any] | None = None) -> Any:
    """Run the DAG once with dag.test() (triggers run in-process: no triggerer needed)."""
    dag = load_dag(dag_id)
    return dag.test(run_conf=conf or {})


def task_states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
