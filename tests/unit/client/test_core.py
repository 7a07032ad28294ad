"""The client core's shape: no Airflow in client/, each call declared once, no sync/async twin bodies,
modules that read in one sitting, and the client usable outside Airflow with an injected transport."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from airflow_provider_taptalent.client import TapTalentClient, settings_from_connection
from airflow_provider_taptalent.client.calls import ENDPOINTS
from airflow_provider_taptalent.client.methods import ApiMethods
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from tests.conftest import REPO, TEST_KEY

PACKAGE = REPO / "airflow_provider_taptalent"


def test_the_client_core_imports_nothing_from_airflow():
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for path in (PACKAGE / "client").rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "import airflow" in line or "from airflow" in line
    ]
    assert offenders == []


def test_the_client_core_runs_in_a_python_without_airflow(tmp_path):
    """Import the core with ``airflow`` made unimportable: it must not need it."""
    script = (
        "import sys; sys.modules['airflow'] = None\n"
        "from airflow_provider_taptalent.client import TapTalentClient\n"
        "from airflow_provider_taptalent.client.models import JobCreate\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert result.stdout.strip() == "ok", result.stderr


def _normalised(node: ast.AST) -> str:
    """A function's body with ``await`` and ``async`` removed, and its name blanked."""

    class Strip(ast.NodeTransformer):
        def visit_Await(self, node: ast.Await) -> ast.AST:
            return self.visit(node.value)

        def visit_AsyncFor(self, node: ast.AsyncFor) -> ast.AST:
            return self.visit(ast.For(**{f: getattr(node, f) for f in ("target", "iter", "body", "orelse")}))

        def visit_AsyncWith(self, node: ast.AsyncWith) -> ast.AST:
            return self.visit(ast.With(items=node.items, body=node.body))

    copy = ast.parse(ast.unparse(node)).body[0]
    body = [Strip().visit(statement) for statement in copy.body]  # type: ignore[attr-defined]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def test_no_two_function_bodies_differ_only_by_await():
    bodies: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(node.body) > 2:
                bodies.setdefault(_normalised(node), []).append(f"{path.relative_to(REPO)}:{node.name}")
    twins = [places for places in bodies.values() if len(places) > 1]
    assert twins == []


def test_modules_read_in_one_sitting():
    long = {
        str(path.relative_to(REPO)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 420
    }
    assert long == {}


def test_every_endpoint_is_declared_once_and_used_by_an_operation():
    from airflow_provider_taptalent.client import calls, operations

    source = "".join(path.read_text() for path in Path(operations.__file__).parent.glob("*.py"))
    assert len({(e.method, e.path) for e in ENDPOINTS.values()}) == len(ENDPOINTS)
    unused = [
        name
        for name, endpoint in ENDPOINTS.items()
        if not endpoint.op and f"calls.{_constant(calls, endpoint)}" not in source
    ]
    assert unused == []
    assert all(name.replace("_", "").isalnum() for name in ENDPOINTS)  # valid metric names


def _constant(module, endpoint):
    return next(name for name, value in vars(module).items() if value is endpoint)


def test_every_public_method_has_an_async_twin_on_the_hook_and_the_client():
    sync = [
        name for name, value in vars(ApiMethods).items() if not name.startswith(("_", "a")) or name == "add_candidate"
    ]
    for name in sync:
        assert hasattr(ApiMethods, f"a{name}"), name
        assert callable(getattr(TapTalentHook("x"), name)) and callable(getattr(TapTalentHook("x"), f"a{name}"))


def _settings():
    return settings_from_connection("c", password=TEST_KEY, host="http://taptalent.test", port=None, extra={})


def test_the_client_works_without_airflow_over_an_injected_transport():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"jobs": [{"id": 1, "title": "Analyst"}], "totalJobs": 1})

    with TapTalentClient(_settings(), transport=httpx.MockTransport(handler)) as client:
        assert [job.id for job in client.iter_jobs()] == [1]
    assert str(seen[0].url) == "http://taptalent.test/v1/partner/jobs?pageNumber=1&perPage=100"
    assert seen[0].headers["Authorization"] == f"Bearer {TEST_KEY}"

    async def handler_async(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 7, "title": "Analyst"})

    async def main() -> int:
        async with TapTalentClient(_settings(), async_transport=httpx.MockTransport(handler_async)) as client:
            return (await client.aget_job(7)).id

    assert asyncio.run(main()) == 7


def test_a_method_reached_through_the_class_takes_its_host():
    client = TapTalentClient(_settings(), transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"id": 3})))
    assert TapTalentClient.get_job(client, 3).id == 3


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_each_endpoint_names_its_spec_section(name):
    assert ENDPOINTS[name].spec


def test_only_compat_imports_airflow():
    """One place knows Airflow versions: every other module goes through ``_compat``."""
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "_compat.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if line.strip().startswith(("from airflow.", "import airflow", "from airflow import"))
    ]
    assert offenders == []


def test_the_declarations_are_what_the_loops_read():
    """Recovery only for calls declared recoverable; pagination only over calls declared paged."""
    from airflow_provider_taptalent.client import calls
    from airflow_provider_taptalent.client.retry import RetryPolicy
    from airflow_provider_taptalent.client.steps import CallContext, paginate, send

    ctx = CallContext(_settings(), RetryPolicy())
    with pytest.raises(ValueError, match="not declared recoverable"):
        next(send(ctx, calls.JOBS_GET.call({"jobId": 1}), recover=lambda since: iter(())))
    with pytest.raises(ValueError, match="not declared as a paged listing"):
        next(paginate(ctx, lambda n: calls.TEAMS_LIST.call(), 10, lambda p: p, lambda p: 0))
    assert [e.name for e in calls.ENDPOINTS.values() if e.recoverable] == ["jobs_create"]
