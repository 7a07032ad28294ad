"""The docs site (mkdocs.yml, docs/): it builds with warnings as errors, every code include resolves to an
example DAG's marked section, and every public name has a reference entry."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

INCLUDE = re.compile(r'^--8<-- "([^":]+)(?::([\w-]+))?"$', re.M)
PUBLIC = [
    "airflow_provider_taptalent.operators.jobs.TapTalentCreateJobOperator",
    "airflow_provider_taptalent.operators.jobs.TapTalentSyncJobsOperator",
    "airflow_provider_taptalent.operators.export.TapTalentExportOperator",
    "airflow_provider_taptalent.operators.resumes.TapTalentBulkUploadResumesOperator",
    "airflow_provider_taptalent.operators.resumes.TapTalentFetchCandidatesOperator",
    "airflow_provider_taptalent.operators.links.TapTalentJobLink",
    "airflow_provider_taptalent.sensors.taptalent.TapTalentBatchSensor",
    "airflow_provider_taptalent.triggers.taptalent.TapTalentBatchTrigger",
    "airflow_provider_taptalent.triggers.events.TapTalentEventTrigger",
    "airflow_provider_taptalent.hooks.taptalent.TapTalentHook",
    "airflow_provider_taptalent.client.client.TapTalentClient",
    "airflow_provider_taptalent.client.settings.settings_from_connection",
    "airflow_provider_taptalent.webhooks.verify.verify_delivery",
    "airflow_provider_taptalent.webhooks.app.create_app",
    "airflow_provider_taptalent.webhooks.batch_asset",
]


def test_every_include_names_a_marked_section_of_a_file_in_the_repository():
    includes = [(page, *m) for page in (REPO / "docs").rglob("*.md") for m in INCLUDE.findall(page.read_text())]
    assert len(includes) >= 8
    for page, path, section in includes:
        source = REPO / path
        assert source.is_file(), f"{page.name}: {path} does not exist"
        if section:
            text = source.read_text()
            start, end = f"--8<-- [start:{section}]", f"--8<-- [end:{section}]"
            assert start in text and end in text, f"{page.name}: {path} has no section {section}"
            assert text.index(end) - text.index(start) > len(start) + 20, f"{page.name}: {path}:{section} is empty"


def _with_includes(page: Path) -> str:
    """A page's text with each include replaced by the section it names (as the site shows the page)."""

    def section(match: re.Match[str]) -> str:
        text = (REPO / match[1]).read_text()
        if not match[2]:
            return text
        return text[text.index(f"--8<-- [start:{match[2]}]") : text.index(f"--8<-- [end:{match[2]}]")]

    return INCLUDE.sub(section, page.read_text())


def test_every_operator_the_sensor_and_the_triggers_have_a_how_to_guide_with_their_code():
    """Issue 24: one how-to per operator, the sensor and the triggers (the export had none)."""
    from airflow.models import BaseOperator

    from airflow_provider_taptalent.operators import taptalent as operators
    from airflow_provider_taptalent.sensors.taptalent import TapTalentBatchSensor
    from airflow_provider_taptalent.triggers.events import TapTalentEventTrigger
    from airflow_provider_taptalent.triggers.taptalent import TapTalentBatchTrigger

    components = {name for name in operators.__all__ if issubclass(getattr(operators, name), BaseOperator)}
    components |= {c.__name__ for c in (TapTalentBatchSensor, TapTalentBatchTrigger, TapTalentEventTrigger)}
    guides = " ".join(_with_includes(page) for page in (REPO / "docs" / "howto").glob("*.md"))
    assert sorted(c for c in components if c not in guides) == []


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="the site is built on the main Python (3.11): on 3.10 the newest mkdocstrings and pymdown-extensions "
    "do not pair (measured on the Python 3.10 leg)",
)
def test_the_site_builds_strictly_and_every_public_name_has_its_reference_entry(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra (make setup installs it)")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    html = "".join(page.read_text() for page in (tmp_path / "reference").rglob("*.html"))
    missing = [name for name in PUBLIC if f'id="{name}"' not in html]
    from airflow_provider_taptalent import exceptions, models

    missing += [
        f"exceptions.{n}" for n in exceptions.__all__ if f'id="airflow_provider_taptalent.exceptions.{n}"' not in html
    ]
    missing += [f"models.{n}" for n in models.__all__ if f'id="airflow_provider_taptalent.models.{n}"' not in html]
    assert missing == []
    from airflow_provider_taptalent.client.operations import REGISTRY

    hook_page = (tmp_path / "reference" / "hook" / "index.html").read_text()
    assert [name for name in REGISTRY if f"<code>{name}(" not in hook_page] == []  # the generated table


def test_the_provider_infos_how_to_guides_are_pages_of_the_docs():
    from airflow_provider_taptalent.get_provider_info import get_provider_info

    (integration,) = get_provider_info()["integrations"]
    pages = [url.rsplit("/docs/", 1)[1] for url in integration["how-to-guide"]]
    assert pages and all((REPO / "docs" / page).is_file() for page in pages), pages


def test_the_readmes_performance_figures_are_the_performance_pages():
    """The README's table repeats the headline figures: each is on the page that says how it was measured,
    so a benchmark re-run that changes the page and not the front page fails here."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Performance") : readme.index("## Documentation")]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "benchmarks." in line]
    assert len(rows) >= 4
    figures = re.findall(r"\d[\d,.]*(?:-\d[\d,.]*)?(?:x|%)|\*\*[\d,.]+\*\*", "\n".join(rows))
    page = (REPO / "docs" / "performance.md").read_text()
    assert len(figures) >= 8 and [f for f in figures if f.strip("*") not in page] == []
