"""The JSON Schema of the YAML rule format, for editors (completion, hover, red squiggles).

It describes the shapes the YAML reader accepts; expressions stay strings (the DSL inside them
is checked by `ttrules check`, not by the editor). The key lists come from the reader itself,
so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from ttrules.actions import ACTIONS
from ttrules.syntax.yaml_rules import FORBID_KEYS, LIMIT_KEYS, RULE_KEYS, SET_KEYS, TOP_KEYS

SCHEMA_ID = "urn:ttrules:schema:ruleset:1"
_EXPRESSION = {
    "type": "string",
    "description": "an expression of the rule language, e.g. `order.total < 50 USD`",
}


def _closed(
    properties: dict[str, Any], required: list[str], keys: tuple[str, ...], description: str
) -> dict[str, Any]:
    assert set(properties) == set(keys), (sorted(properties), keys)  # follows the reader
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def ruleset_json_schema() -> dict[str, Any]:
    action_names = sorted(ACTIONS)
    action = {
        "type": "string",
        "description": "an action, as in the DSL: " + ", ".join(action_names),
        "examples": ["approve", 'reject("out of stock")', 'route("risk", sla: 4h)'],
    }
    condition = {"$ref": "#/$defs/condition"}
    rule = _closed(
        {
            "name": {"type": "string", "description": "unique in the stack; explanations use it"},
            "priority": {"type": "integer", "description": "higher first within a layer (default 0)"},
            "when": condition,
            "then": {"oneOf": [action, {"type": "array", "items": action, "minItems": 1}]},
            "because": {"type": "string", "description": "why: quoted by explanations and reports"},
        },
        ["name", "then"],
        RULE_KEYS,
        "a rule",
    )
    forbid = _closed(
        {
            "forbid": {"oneOf": [action, {"type": "array", "items": action, "minItems": 1}]},
            "when": condition,
            "because": {"type": "string"},
        },
        ["forbid"],
        FORBID_KEYS,
        "a forbid: vetoes weaker layers' rules that take these actions",
    )
    limit_text = {
        "type": "string",
        "description": "`NAME <= VALUE`, `NAME >= VALUE` or `NAME in {...}`",
        "examples": ["return_window <= 7d"],
    }
    limit = {
        "oneOf": [
            limit_text,
            _closed({"limit": limit_text, "when": condition}, ["limit"], LIMIT_KEYS, "a conditional limit"),
        ]
    }
    set_variant = {
        "oneOf": [
            _EXPRESSION,
            _closed({"value": _EXPRESSION, "when": condition}, ["value"], SET_KEYS, "a conditional value"),
        ]
    }
    top = _closed(
        {
            "ruleset": {"type": "string", "description": "the ruleset's name"},
            "layer": {
                "type": "string",
                "description": "its layer in the stack",
                "examples": ["merchant", "platform"],
            },
            "applies": condition,
            "description": {"type": "string"},
            "settings": {
                "type": "object",
                "description": "setting name: value, or a list of "
                "conditional values (the first that matches wins)",
                "additionalProperties": {"oneOf": [set_variant, {"type": "array", "items": set_variant}]},
            },
            "limits": {"type": "array", "items": limit},
            "rules": {"type": "array", "items": rule},
            "forbids": {"type": "array", "items": forbid},
            "tests": {
                "type": "array",
                "description": "rule tests (see docs/testing.md)",
                "items": {"type": "object"},
            },
        },
        ["ruleset", "layer"],
        TOP_KEYS,
        "a ttrules ruleset in YAML form",
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "ttrules ruleset (YAML form)",
        **top,
        "$defs": {
            "condition": {
                "oneOf": [
                    _EXPRESSION,
                    {
                        "type": "object",
                        "properties": {"all": {"type": "array", "items": condition, "minItems": 1}},
                        "required": ["all"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {"any": {"type": "array", "items": condition, "minItems": 1}},
                        "required": ["any"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {"not": condition},
                        "required": ["not"],
                        "additionalProperties": False,
                    },
                ]
            }
        },
    }
