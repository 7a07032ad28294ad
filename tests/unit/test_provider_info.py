"""Provider metadata: schema, importable paths, discovery, and the connection form on every Airflow."""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path

import airflow
import jsonschema
import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_taptalent._form import CONN_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_taptalent.get_provider_info import get_provider_info
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook


def _import_path(dotted: str) -> object:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_provider_info_matches_airflows_own_schema():
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_package_name_is_the_distribution_name():
    from importlib.metadata import distribution

    assert get_provider_info()["package-name"] == distribution("airflow-provider-taptalent").metadata["Name"]


def test_every_dotted_path_imports():
    info = get_provider_info()
    for kind in ("hooks", "operators", "sensors", "triggers"):
        for entry in info[kind]:
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for conn in info["connection-types"]:
        hook = _import_path(conn["hook-class-name"])
        assert hook is TapTalentHook
        assert (hook.conn_type, hook.hook_name, hook.default_conn_name) == (
            conn["connection-type"],
            conn["hook-name"],
            "taptalent_default",
        )


def test_airflow_discovers_the_provider_and_its_connection_type():
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-taptalent" in manager.providers
    hook = manager.hooks["taptalent"]
    assert hook is not None
    assert (hook.hook_class_name, hook.connection_id_attribute_name) == (
        "airflow_provider_taptalent.hooks.taptalent.TapTalentHook",
        "taptalent_conn_id",
    )


def _fake_wtforms(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-ins for WTForms / FAB that record how each field was declared (FAB may not be installed)."""

    class Field:
        def __init__(self, label, validators=(), widget=None, description=""):
            self.kind, self.label, self.validators, self.description = (
                type(self).__name__,
                label,
                list(validators),
                description,
            )

    def validator(name):
        return type(name, (), {"__init__": lambda self, *a, **k: setattr(self, "args", (a, k))})

    wtforms = types.ModuleType("wtforms")
    wtforms.StringField = type("StringField", (Field,), {})
    wtforms.IntegerField = type("IntegerField", (Field,), {})
    wtforms.PasswordField = type("PasswordField", (Field,), {})
    validators = types.ModuleType("wtforms.validators")
    validators.Optional, validators.NumberRange = validator("Optional"), validator("NumberRange")
    validators.any_of = lambda values: ("any_of", tuple(values))
    widgets = types.ModuleType("flask_appbuilder.fieldwidgets")
    widgets.BS3TextFieldWidget = widgets.BS3PasswordFieldWidget = lambda: None
    babel = types.ModuleType("flask_babel")
    babel.lazy_gettext = str
    for name, module in {
        "wtforms": wtforms,
        "wtforms.validators": validators,
        "flask_appbuilder": types.ModuleType("flask_appbuilder"),
        "flask_appbuilder.fieldwidgets": widgets,
        "flask_babel": babel,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)


def test_the_legacy_form_widgets_match_the_declarative_fields(monkeypatch):
    _fake_wtforms(monkeypatch)
    widgets = TapTalentHook.get_connection_form_widgets()
    assert list(widgets) == list(CONN_FIELDS)
    for name, spec in CONN_FIELDS.items():
        widget, schema = widgets[name], spec["schema"]
        assert widget.label == spec["label"]
        assert widget.description == spec["description"]
        expected = (
            "PasswordField"
            if schema.get("format") == "password"
            else "IntegerField"
            if "integer" in schema["type"]
            else "StringField"
        )
        assert widget.kind == expected, name
        if "examples" in schema:
            assert ("any_of", tuple(schema["examples"])) in widget.validators


def test_the_legacy_field_behaviour_matches_the_declarative_one():
    behaviour = TapTalentHook.get_ui_field_behaviour()
    assert behaviour == {
        "hidden_fields": UI_FIELD_BEHAVIOUR["hidden-fields"],
        "relabeling": UI_FIELD_BEHAVIOUR["relabeling"],
        "placeholders": UI_FIELD_BEHAVIOUR["placeholders"],
    }
    assert behaviour["relabeling"] == {
        "password": "API key",
        "host": "Base URL (optional)",
        "port": "Port (443: lets Test work)",
    }
    assert behaviour["placeholders"]["host"] == "https://partner-api.taptalent.io/v1/partner"
    assert set(behaviour["hidden_fields"]) == {"login", "schema"}  # port: what lets 3.3's Test reuse the key


def test_real_wtforms_builds_the_form_where_it_is_installed():
    pytest.importorskip("wtforms")
    pytest.importorskip("flask_appbuilder")
    widgets = TapTalentHook.get_connection_form_widgets()
    assert set(widgets) == set(CONN_FIELDS)


@pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the React connection form arrived with Airflow 3")
def test_the_connection_form_api_lists_our_fields_labels_and_placeholders():
    from airflow.api_fastapi.core_api.routes.ui.connections import hook_meta_data
    from airflow.providers_manager import ProvidersManager

    if not hasattr(ProvidersManager, "_load_ui_metadata"):
        # Before 3.2 the API builds every custom form from the hooks' WTForms fields, which FAB brings.
        pytest.importorskip("wtforms", reason="Airflow 3.0/3.1 without FAB renders no custom connection fields")

    [meta] = [m for m in hook_meta_data() if m.connection_type == "taptalent"]
    assert meta.hook_name == "TapTalent"
    assert meta.hook_class_name == "airflow_provider_taptalent.hooks.taptalent.TapTalentHook"
    standard = meta.standard_fields
    assert standard.password.title == "API key"
    assert standard.host.title == "Base URL (optional)"
    assert standard.host.placeholder == "https://partner-api.taptalent.io/v1/partner"
    assert standard.login.hidden and standard.url_schema.hidden and not standard.port.hidden
    extra = meta.extra_fields
    assert set(extra) == set(CONN_FIELDS)
    for name, spec in CONN_FIELDS.items():
        schema = extra[name]["schema"]
        assert schema["title"] == spec["label"]
    assert extra["webhook_secret"]["schema"]["format"] == "password"
    # Hardening 18: the Environment field starts empty and proposes production / sandbox, never "null".
    environment = extra["environment"]
    assert environment["value"] in (None, "")
    assert environment["schema"]["examples"] == ["production", "sandbox"]
    assert "enum" not in environment["schema"]
    assert "null" not in json.dumps(environment["schema"].get("examples"))


def test_the_webhook_plugin_is_registered_once():
    """Review 2026-12-02 #9: provider info and an entry point both registered it, relying on Airflow to drop one
    by name. The entry point alone loads in every Airflow (provider-declared plugins need lazy discovery off)."""
    from importlib.metadata import entry_points

    from airflow_provider_taptalent.get_provider_info import get_provider_info

    assert "plugins" not in get_provider_info()
    ours = [e for e in entry_points(group="airflow.plugins") if e.value.startswith("airflow_provider_taptalent.")]
    assert [e.name for e in ours] == ["taptalent_webhooks"]
