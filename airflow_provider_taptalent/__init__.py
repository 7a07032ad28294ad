"""Apache Airflow provider for the TapTalent Partner API.

Importing the package is cheap on purpose (no Airflow import): DAG files import operators from
their own modules, and ``get_provider_info`` is read by Airflow's provider discovery.
"""

from __future__ import annotations

__version__ = "0.3.0"
