"""``[core] hostname_callable`` for the distributed test: each worker's name, so a task instance says which ran it.

The two Celery workers run on one machine; in a real deployment each has its own host name already.
"""

from __future__ import annotations

import os
import socket


def name() -> str:
    return os.environ.get("TAPTALENT_TEST_WORKER") or socket.getfqdn()
