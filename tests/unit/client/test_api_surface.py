"""One declaration per endpoint: a plain call needs nothing but its declaration to be a method, sync and
async; DELETE and answers without a body work; the generated stubs and README table follow the declarations."""

from __future__ import annotations

import asyncio
import inspect

import httpx
import pytest

from airflow_provider_taptalent.client import TapTalentClient, settings_from_connection
from airflow_provider_taptalent.client.calls import ENDPOINTS, Endpoint
from airflow_provider_taptalent.client.methods import ApiMethods, Method
from airflow_provider_taptalent.client.models import Job
from airflow_provider_taptalent.client.operations import REGISTRY, Operation, plain_call
from airflow_provider_taptalent.exceptions import TapTalentNotFoundError
from scripts import api_surface
from tests.conftest import TEST_KEY

DELETE_JOB = Endpoint(
    "jobs_delete", "DELETE", "/jobs/{jobId}", None, spec="(a test's own)", op="delete_job", doc="Delete."
)
GET_JOB_OF_TEAM = Endpoint("team_job", "GET", "/teams/{teamId}/jobs/{jobId}", Job, spec="(a test's own)", op="team_job")


class Client(TapTalentClient):
    """A client with two endpoints declared by this test only, as a new declaration would add them."""


for _endpoint in (DELETE_JOB, GET_JOB_OF_TEAM):
    _operation = Operation(plain_call(_endpoint), _endpoint)
    setattr(Client, str(_endpoint.op), Method(str(_endpoint.op), _operation, asynchronous=False))
    setattr(Client, f"a{_endpoint.op}", Method(f"a{_endpoint.op}", _operation, asynchronous=True))


def _client(handler) -> Client:
    settings = settings_from_connection("c", password=TEST_KEY, host="http://taptalent.test", port=None, extra={})
    return Client(settings, transport=httpx.MockTransport(handler), async_transport=httpx.MockTransport(handler))


def test_a_delete_answered_204_without_a_body_returns_none_sync_and_async():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = _client(handler)
    assert client.delete_job(10001) is None
    assert asyncio.run(client.adelete_job(job_id="10 01")) is None
    assert [(r.method, r.url.raw_path.decode()) for r in seen] == [
        ("DELETE", "/v1/partner/jobs/10001"),
        ("DELETE", "/v1/partner/jobs/10%2001"),  # a path parameter never changes the path
    ]


def test_a_plain_call_takes_its_path_parameters_in_order_and_names_a_wrong_call():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"id": 7, "title": "Nurse"})

    client = _client(handler)
    assert client.team_job("t-1", 7).title == "Nurse"
    assert client.team_job(team_id="t-1", job_id=7).id == 7
    assert seen == ["/v1/partner/teams/t-1/jobs/7"] * 2
    assert str(inspect.signature(client.team_job)) == "(team_id: 'int | str', job_id: 'int | str') -> 'Op[Job]'"
    with pytest.raises(TypeError, match="job_id"):
        client.team_job("t-1")
    assert seen == ["/v1/partner/teams/t-1/jobs/7"] * 2  # nothing sent


def test_a_plain_read_of_something_missing_is_a_typed_error():
    client = _client(lambda request: httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "no"}}))
    with pytest.raises(TapTalentNotFoundError):
        client.team_job("t-1", 7)


def test_a_body_where_none_was_declared_is_ignored_and_none_where_one_was_is_an_error():
    assert _client(lambda request: httpx.Response(200, json={"deleted": True})).delete_job(1) is None
    with pytest.raises(Exception, match="not JSON"):
        _client(lambda request: httpx.Response(204)).team_job("t", 1)


def test_every_declared_endpoint_is_a_method_and_every_method_has_its_async_twin():
    assert {op.endpoint.name for op in REGISTRY.values()} == set(ENDPOINTS)
    for name in REGISTRY:
        assert isinstance(vars(ApiMethods)[name], Method) and isinstance(vars(ApiMethods)[f"a{name}"], Method)
    plain = {e.op for e in ENDPOINTS.values() if e.op}
    assert plain <= set(REGISTRY) and len(plain) >= 8


def test_the_generated_stubs_and_readme_table_are_current():
    """``make generate`` after a declaration changes; this fails until then."""
    assert api_surface.STUB.read_text() == api_surface.render_stub()
    assert api_surface.readme_with_table(api_surface.README.read_text()) == api_surface.README.read_text()
