"""Resume URLs that are plainly not public are refused before any request.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import json

import pytest
import respx

from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from tests.conftest import FAKE_API

# -- item 9: resume URLs that are plainly not public -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1/r.pdf",
        "http://localhost:8080/r.pdf",
        "http://10.0.0.7/r.pdf",
        "http://192.168.1.2/r.pdf",
        "http://[::1]/r.pdf",
        "http://[::ffff:127.0.0.1]/r.pdf",
        "http://0/r.pdf",
        "http://2130706433/r.pdf",
        "http://127.1/r.pdf",
        "http://intranet/r.pdf",
        "http://files.corp/r.pdf",
        "http://bad host.example.com/r.pdf",
        "https://files.example.com/r\u200b.pdf",
        "https://user:s3cr3t@files.example.com/r.pdf",
        "ftp://files.example.com/r.pdf",
    ],
)
def test_item9_urls_that_are_not_public_are_refused_before_any_request(url):
    from airflow_provider_taptalent.exceptions import TapTalentInputError
    from airflow_provider_taptalent.utils.sources import resume_urls_from

    with pytest.raises(TapTalentInputError) as raised:
        resume_urls_from([url])
    assert "resume_urls[0]" in raised.value.details
    assert "s3cr3t" not in json.dumps(raised.value.details)  # never the credentials


def test_item9_public_urls_pass_and_no_error_or_log_shows_a_query_string(caplog):
    from airflow_provider_taptalent.exceptions import TapTalentInputError
    from airflow_provider_taptalent.utils.sources import resume_urls_from

    signed = "https://bucket.s3.eu-west-1.amazonaws.com/r.pdf?X-Amz-Signature=d34db33f&X-Amz-Credential=AKIA"
    assert resume_urls_from([signed, "https://8.8.8.8/r.pdf"])[0] == [signed, "https://8.8.8.8/r.pdf"]
    bad = "http://10.1.1.1/r.pdf?X-Amz-Signature=d34db33f"
    with pytest.raises(TapTalentInputError) as raised:
        resume_urls_from([signed, bad])
    text = f"{raised.value} {raised.value.details} {caplog.text}"
    assert "d34db33f" not in text and "http://10.1.1.1/r.pdf" in text


def test_item9_the_hook_applies_the_same_rule(fake_conn):
    from airflow_provider_taptalent.exceptions import TapTalentInputError

    with respx.mock(base_url=FAKE_API) as mock, pytest.raises(TapTalentInputError):
        TapTalentHook().bulk_upload_resumes(["http://169.254.169.254/x.pdf"])
    assert not mock.calls
