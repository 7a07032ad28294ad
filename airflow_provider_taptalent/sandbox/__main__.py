from __future__ import annotations

from airflow_provider_taptalent.sandbox.cli import main

main()
