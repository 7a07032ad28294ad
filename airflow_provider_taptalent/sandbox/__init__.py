"""A local TapTalent Partner API: the sandbox the demo, the tests and users' DAG development run against.

It is an independent reading of SPEC.md and ASSUMPTIONS.md: it imports nothing from the client side of
this package (``client``, hooks, models), so that a misreading on one side shows up as a failing test.

- ``taptalent-sandbox --port 8080`` (or ``python -m airflow_provider_taptalent.sandbox``) serves it;
- :func:`airflow_provider_taptalent.sandbox.testing.run_sandbox` starts one in-process for tests;
- ``pytest_plugins = ["airflow_provider_taptalent.sandbox.pytest_plugin"]`` gives a ``taptalent_sandbox`` fixture.
"""

from __future__ import annotations
