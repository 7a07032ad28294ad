"""The TapTalent connection form, declared once.

Airflow 3.2+ reads these dicts straight from provider info (``conn-fields`` and ``ui-field-behaviour``);
older versions call the hook's ``get_connection_form_widgets`` / ``get_ui_field_behaviour``, which are
built from the same dicts.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_taptalent.client.contract import BASE_URLS, DEFAULT_MAX_BATCH_SIZE

CONN_FIELDS: dict[str, dict[str, Any]] = {
    "environment": {
        "label": "Environment",
        "description": "production or sandbox. Empty: taken from the key (sk_live_ is production, sk_test_ sandbox).",
        # Proposals, not an enum: Airflow 3's form renders an enum holding null as the text "null" (and
        # refuses an empty value without it); the connection check refuses anything else.
        "schema": {"type": ["string", "null"], "examples": ["production", "sandbox"]},
    },
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "Read timeout of every request. Default 30.",
        "schema": {"type": ["integer", "null"], "minimum": 1},
    },
    "request_deadline": {
        "label": "Request deadline (seconds)",
        "description": "Longest time one attempt may take in all, however slowly the answer arrives. "
        "Default: twice the timeout.",
        "schema": {"type": ["integer", "null"], "minimum": 1},
    },
    "max_retries": {
        "label": "Max retries",
        "description": "Retries after the first attempt, on 5xx, 429 and network errors only. Default 5.",
        "schema": {"type": ["integer", "null"], "minimum": 0},
    },
    "max_batch_size": {
        "label": "Max resumes per batch",
        "description": f"Largest bulk-upload batch the account accepts. Default {DEFAULT_MAX_BATCH_SIZE}.",
        "schema": {"type": ["integer", "null"], "minimum": 1, "maximum": DEFAULT_MAX_BATCH_SIZE},
    },
    "proxy": {
        "label": "Proxy",
        "description": "Outbound proxy URL (http://host:port; user:password@ allowed, kept secret). Empty: the "
        "environment's HTTPS_PROXY / NO_PROXY.",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
    "ca_bundle": {
        "label": "CA bundle",
        "description": "Path to a PEM file of CA certificates on the workers and the triggerer (a proxy that "
        "re-signs TLS). Empty: the default CAs. (verify: false, in the extra JSON only, turns checks off.)",
        "schema": {"type": ["string", "null"]},
    },
    "webhook_secret": {
        "label": "Webhook secret",
        "description": "The webhook verification key from TapTalent's dashboard; only the webhook receiver "
        "uses it. (The older extra name webhook_key is still read, with a deprecation warning, until 0.4.)",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
    "previous_webhook_secret": {
        "label": "Previous webhook secret",
        "description": "During a rotation: the old secret, still accepted until every delivery carries the new one.",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
    "fallback_api_key": {
        "label": "Fallback API key",
        "description": "A second key of the same company and environment, used when the API key is refused "
        "(401, or 403 ACCOUNT_INACTIVE): for key rotation and critical pipelines.",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
}

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    # Port stays visible: Airflow 3.3's row Test posts a connection's port (0 when it has none) and reuses the
    # stored key only when it equals the stored one, so a saved port (443) is what lets Test work there.
    "hidden-fields": ["schema", "login"],
    "relabeling": {"password": "API key", "host": "Base URL (optional)", "port": "Port (443: lets Test work)"},
    "placeholders": {
        "password": "sk_live_... or sk_test_...",
        "host": BASE_URLS["production"],
        "port": "443",
    },
}


def connection_form_widgets() -> dict[str, Any]:
    """WTForms fields for Airflow before 3.2 (imported here: Flask AppBuilder may be absent)."""
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import IntegerField, PasswordField, StringField
    from wtforms.validators import NumberRange, Optional, any_of

    widgets: dict[str, Any] = {}
    for name, spec in CONN_FIELDS.items():
        schema, label = spec["schema"], lazy_gettext(spec["label"])
        text = spec.get("description", "")
        if "examples" in schema:
            validators = [Optional(), any_of(schema["examples"])]
            widgets[name] = StringField(label, validators=validators, widget=BS3TextFieldWidget(), description=text)
        elif "integer" in schema["type"]:
            bounds = NumberRange(min=schema.get("minimum"), max=schema.get("maximum"))
            widgets[name] = IntegerField(label, validators=[Optional(), bounds], description=text)
        elif schema.get("format") == "password":
            widgets[name] = PasswordField(label, widget=BS3PasswordFieldWidget(), description=text)
        else:
            widgets[name] = StringField(label, widget=BS3TextFieldWidget(), description=text)
    return widgets


def ui_field_behaviour() -> dict[str, Any]:
    """The kebab-case declaration in the snake_case shape the older Python API returns."""
    return {
        "hidden_fields": list(UI_FIELD_BEHAVIOUR["hidden-fields"]),
        "relabeling": dict(UI_FIELD_BEHAVIOUR["relabeling"]),
        "placeholders": dict(UI_FIELD_BEHAVIOUR["placeholders"]),
    }
