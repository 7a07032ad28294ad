"""observability/: the alert rules (promtool's own unit tests), the dashboard and the exporter mapping agree."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO

OBSERVABILITY = REPO / "observability"


def _metric_names_in(expr: str) -> set[str]:
    return {name.removesuffix("_bucket") for name in re.findall(r"\b(taptalent_[a-z_]+)", expr)}


def _exported() -> set[str]:
    mapping = yaml.safe_load((OBSERVABILITY / "statsd_exporter.yml").read_text())["mappings"]
    return {m["name"] for m in mapping if m.get("action") != "drop"}


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian package prometheus) not installed")
def test_the_alert_rules_pass_their_promtool_tests():
    checked = subprocess.run(
        ["promtool", "check", "rules", "alerts.yml"], cwd=OBSERVABILITY, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        ["promtool", "test", "rules", "alerts_test.yml"], cwd=OBSERVABILITY, capture_output=True, text=True
    )
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr


def test_the_rules_and_the_dashboard_read_only_metrics_the_mapping_exports():
    exported = _exported()
    rules = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    used = {name for group in rules["groups"] for rule in group["rules"] for name in _metric_names_in(rule["expr"])}
    dashboard = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    used |= {name for panel in dashboard["panels"] for t in panel["targets"] for name in _metric_names_in(t["expr"])}
    assert used and used <= exported, used - exported
    expected = {"TapTalentErrorRateHigh", "TapTalentKeyRefused", "TapTalentNoActiveKey", "TapTalentKeyNotActive",
                "TapTalentFallbackKeyInUse", "TapTalentWebhookRejections"}  # fmt: skip
    assert {rule["alert"] for group in rules["groups"] for rule in group["rules"]} == expected
