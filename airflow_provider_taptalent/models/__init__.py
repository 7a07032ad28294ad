"""The API's models (pydantic; snake_case in Python, camelCase on the wire), from the client core
(:mod:`airflow_provider_taptalent.client.models`)."""

from airflow_provider_taptalent.client.models import *  # noqa: F403
from airflow_provider_taptalent.client.models import __all__ as __all__
