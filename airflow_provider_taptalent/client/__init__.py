"""The TapTalent Partner API client core, with no Airflow import (a test enforces it).

Layers, top down: :mod:`.methods` (every call, sync and async) -> :mod:`.operations` (each call's logic,
once, sans-I/O) -> :mod:`.steps` (the retry/recovery and pagination loops) -> :mod:`.drivers` (sync and
async I/O) -> :mod:`.transport` (httpx, with :mod:`.deadline`). Beside them: :mod:`.contract` (every wire
fact and assumption), :mod:`.calls` (every endpoint, declared once), :mod:`.models`, :mod:`.errors`,
:mod:`.settings`, :mod:`.retry`.
"""

from .client import BaseClient, TapTalentClient
from .retry import RetryPolicy
from .settings import ClientSettings, settings_from_connection
from .steps import CallContext, Observer

__all__ = [
    "BaseClient",
    "CallContext",
    "ClientSettings",
    "Observer",
    "RetryPolicy",
    "TapTalentClient",
    "settings_from_connection",
]
