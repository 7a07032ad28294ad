"""Request validation the way TapTalent's API reports it: Joi-style messages keyed by field (SPEC §5.1).

``"title" length must be at least 3 characters long`` is the documented example; the other messages
follow Joi's wording for the same rules. The sandbox reports every problem at once (Joi's
``abortEarly: false``), which is kinder to someone fixing a request than one error per round trip.

This module is the sandbox's own reading of SPEC §7; it shares nothing with the client's models, so that
the two readings check each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URI = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """What one field must be. ``kind`` is string, number, integer, boolean, array or object."""

    kind: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    enum: tuple[Any, ...] | None = None
    pattern: str | None = None
    email: bool = False
    uri: bool = False
    items: Rule | None = None
    fields: Mapping[str, Rule] | None = None
    allow_null: bool = False
    alternatives: tuple[Rule, ...] = field(default_factory=tuple)


Errors = dict[str, str]


def check_object(value: Any, fields: Mapping[str, Rule], *, label: str = "value") -> tuple[dict[str, Any], Errors]:
    """Validate a JSON object against ``fields``; returns the converted object and the errors."""
    if not isinstance(value, dict):
        return {}, {label: f'"{label}" must be of type object'}
    errors: Errors = {}
    clean: dict[str, Any] = {}
    for name in value:
        if name not in fields:
            errors[name] = f'"{name}" is not allowed'
    for name, rule in fields.items():
        if name not in value:
            if rule.required:
                errors[name] = f'"{name}" is required'
            continue
        converted, problem = check(value[name], rule, name)
        if problem:
            errors.update(problem)
        else:
            clean[name] = converted
    return clean, errors


def check(value: Any, rule: Rule, label: str) -> tuple[Any, Errors]:
    """Validate one value; ``label`` is its path (``screeningQuestion[0].question``)."""
    if value is None:
        return (None, {}) if rule.allow_null else (None, {label: f'"{label}" must be {_article(rule.kind)}'})
    if rule.alternatives:
        for option in rule.alternatives:
            converted, problem = check(value, option, label)
            if not problem:
                return converted, {}
        kinds = ", ".join(_article(option.kind) for option in rule.alternatives)
        return None, {label: f'"{label}" must be one of {kinds}'}
    checker = _CHECKERS[rule.kind]
    return checker(value, rule, label)


def _article(kind: str) -> str:
    return {"array": "an array", "integer": "an integer", "object": "of type object"}.get(kind, f"a {kind}")


def _string(value: Any, rule: Rule, label: str) -> tuple[Any, Errors]:
    if not isinstance(value, str):
        return None, {label: f'"{label}" must be a string'}
    if value == "" and (rule.min is None or rule.min > 0):
        return None, {label: f'"{label}" is not allowed to be empty'}
    if rule.min is not None and len(value) < rule.min:
        return None, {label: f'"{label}" length must be at least {rule.min:g} characters long'}
    if rule.max is not None and len(value) > rule.max:
        return None, {label: f'"{label}" length must be less than or equal to {rule.max:g} characters long'}
    if rule.enum is not None and value not in rule.enum:
        return None, {label: f'"{label}" must be one of [{", ".join(map(str, rule.enum))}]'}
    if rule.pattern is not None and not re.fullmatch(rule.pattern, value):
        return None, {label: f'"{label}" with value "{value}" fails to match the required pattern: /{rule.pattern}/'}
    if rule.email and not _EMAIL.match(value):
        return None, {label: f'"{label}" must be a valid email'}
    if rule.uri and not _URI.match(value):
        return None, {label: f'"{label}" must be a valid uri'}
    return value, {}


def _number(value: Any, rule: Rule, label: str) -> tuple[Any, Errors]:
    if isinstance(value, str):
        # Joi converts numeric strings by default.
        try:
            value = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return None, {label: f'"{label}" must be a number'}
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None, {label: f'"{label}" must be a number'}
    if rule.kind == "integer" and not float(value).is_integer():
        return None, {label: f'"{label}" must be an integer'}
    if rule.enum is not None and value not in rule.enum:
        return None, {label: f'"{label}" must be one of [{", ".join(map(str, rule.enum))}]'}
    if rule.min is not None and value < rule.min:
        return None, {label: f'"{label}" must be greater than or equal to {rule.min:g}'}
    if rule.max is not None and value > rule.max:
        return None, {label: f'"{label}" must be less than or equal to {rule.max:.0f}'}
    return (int(value) if rule.kind == "integer" else value), {}


def _boolean(value: Any, rule: Rule, label: str) -> tuple[Any, Errors]:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true", {}
    if not isinstance(value, bool):
        return None, {label: f'"{label}" must be a boolean'}
    return value, {}


def _array(value: Any, rule: Rule, label: str) -> tuple[Any, Errors]:
    if not isinstance(value, list):
        return None, {label: f'"{label}" must be an array'}
    if rule.min is not None and len(value) < rule.min:
        return None, {label: f'"{label}" must contain at least {rule.min:g} items'}
    if rule.max is not None and len(value) > rule.max:
        return None, {label: f'"{label}" must contain less than or equal to {rule.max:g} items'}
    if rule.items is None:
        return value, {}
    clean, errors = [], {}
    for index, item in enumerate(value):
        converted, problem = check(item, rule.items, f"{label}[{index}]")
        errors.update(problem)
        clean.append(converted)
    return (None, errors) if errors else (clean, {})


def _object(value: Any, rule: Rule, label: str) -> tuple[Any, Errors]:
    if rule.fields is None:
        return (value, {}) if isinstance(value, dict) else (None, {label: f'"{label}" must be of type object'})
    clean, errors = check_object(value, rule.fields, label=label)
    prefixed = {
        (k if k == label else f"{label}.{k}"): v.replace(f'"{k}"', f'"{label}.{k}"', 1) for k, v in errors.items()
    }
    return (None, prefixed) if errors else (clean, {})


_CHECKERS: dict[str, Callable[[Any, Rule, str], tuple[Any, Errors]]] = {
    "string": _string,
    "number": _number,
    "integer": _number,
    "boolean": _boolean,
    "array": _array,
    "object": _object,
}


def together(body: Mapping[str, Any], names: tuple[str, ...]) -> Errors:
    """Joi's ``.and()``: these fields come all together or not at all."""
    present = [n for n in names if n in body]
    if not present or len(present) == len(names):
        return {}
    missing = [n for n in names if n not in body]
    return {missing[0]: f'"value" contains [{", ".join(present)}] without its required peers [{", ".join(missing)}]'}
