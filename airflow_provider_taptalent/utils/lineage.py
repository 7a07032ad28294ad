"""OpenLineage for the operators that move data: TapTalent resources in, files out.

A TapTalent resource is the dataset ``taptalent://<company>/<resource>``: ``<company>`` is the connection's
``company`` extra when set (a name or id that stays the same across connections to one company; percent-encoded),
else the connection id. A file is named as OpenLineage names files: ``file`` + its absolute path, or
``<scheme>://<bucket>`` + its key on object storage. Built only when the OpenLineage provider is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from airflow_provider_taptalent._compat import openlineage

NAMESPACE_SCHEME = "taptalent"


def company_of(conn_id: str) -> str:
    """The ``<company>`` of a connection's datasets (see the module docstring)."""
    from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

    try:
        extra = TapTalentHook.get_connection(conn_id).extra_dejson
    except Exception:  # lineage never fails a task
        return conn_id
    return str(extra.get("company") or conn_id)


def resource_dataset(conn_id: str, resource: str) -> tuple[str, str]:
    """(namespace, name) of a TapTalent resource; the company percent-encoded (``Acme Corp/EU`` is
    ``Acme%20Corp%2FEU``), so that the namespace is one URI authority, whatever the name holds."""
    return f"{NAMESPACE_SCHEME}://{quote(company_of(conn_id), safe='')}", resource


def file_dataset(location: str) -> tuple[str, str]:
    """(namespace, name) of a file at a local path or an object-storage URI."""
    parts = urlsplit(str(location))
    if parts.scheme in ("", "file"):
        return "file", parts.path if parts.scheme else str(location)
    # the bucket only: never credentials a URI may carry before it (user:secret@bucket)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}", parts.path.lstrip("/")


def operator_lineage(inputs: Sequence[tuple[str, str]], outputs: Sequence[tuple[str, str]]) -> Any:
    """An ``OperatorLineage`` of these datasets, or ``None`` without the OpenLineage provider."""
    classes = openlineage()
    if classes is None:
        return None
    Dataset, OperatorLineage = classes
    return OperatorLineage(
        inputs=[Dataset(namespace=ns, name=name) for ns, name in inputs],
        outputs=[Dataset(namespace=ns, name=name) for ns, name in outputs],
    )
