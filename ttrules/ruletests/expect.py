"""What a rule test expects of a decision, and whether a decision meets it.

Actions are written as in a rule (`reject("out of stock")`, `route("risk", sla: 30m)`) and parsed
by the DSL grammar. An argument that is written is checked; one that is left out is not, so
`reject` matches any rejection and `reject("out of stock")` only that one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ttrules import ast
from ttrules.actions import ACTIONS
from ttrules.diagnostics import Diagnostic, did_you_mean
from ttrules.evaluate.decision import ActionValue, Decision
from ttrules.evaluate.interpret import Env, EvalError, compare, evaluate
from ttrules.i18n import _, ngettext
from ttrules.spans import Span
from ttrules.syntax.dsl import parse_fragment
from ttrules.syntax.yaml_source import YNode
from ttrules.values import render_value

EXPECT_KEYS = (
    "resolution",
    "rule",
    "layer",
    "fulfillment",
    "route",
    "tags",
    "tags_include",
    "notify",
    "errors",
    "settings",
)
DEFAULT = "default"  # `rule: default` / `layer: default`: no rule set the resolution
_SLOT_OF_KEY = {"resolution": "resolution", "fulfillment": "fulfillment", "route": "route"}
_NO_ENV = Env({}, {}, {}, {})


@dataclass(frozen=True)
class ActionPattern:
    name: str
    args: tuple[tuple[str, Any], ...]  # only the arguments written
    text: str

    def matches(self, value: ActionValue | None, fx: Mapping[str, Decimal]) -> bool:
        if value is None or value.action != self.name:
            return False
        env = Env({}, {}, fx, {})
        for name, wanted in self.args:
            if name not in value.args:
                return False
            try:
                if not compare("==", value.args[name], wanted, env):
                    return False
            except EvalError:  # a value of another kind is simply not equal
                return False
        return True


@dataclass(frozen=True)
class Expectation:
    key: str
    value: Any  # ActionPattern, a list of them, str, frozenset, dict, or None
    span: Span

    @property
    def names_rules(self) -> tuple[str, ...]:
        """Rule names this expectation refers to (checked against the stack)."""
        if self.key == "rule" and self.value != DEFAULT:
            return (self.value,)
        if self.key == "errors":
            return tuple(sorted(self.value))
        return ()


@dataclass(frozen=True)
class Mismatch:
    key: str
    expected: str
    actual: str


# ---- parsing -----------------------------------------------------------------------------


def _error(diagnostics: list[Diagnostic], message: str, span: Span, help: str = "") -> None:
    diagnostics.append(Diagnostic("TTR402", message, span, help=help))


def _pattern(action: ast.Action, slot: str, diagnostics: list[Diagnostic]) -> ActionPattern | None:
    span = action.span
    assert span is not None
    spec = ACTIONS.get(action.name)
    if spec is None:
        _error(
            diagnostics,
            _("unknown action `{name}`").format(name=action.name),
            span,
            help=did_you_mean(action.name, ACTIONS) or _("see the language reference for actions"),
        )
        return None
    if spec.slot != slot:
        wrong_slot = _("`{name}` sets the {slot} slot, not {wanted}").format(
            name=action.name, slot=spec.slot, wanted=slot
        )
        _error(diagnostics, wrong_slot, span)
        return None
    if len(action.args) > len(spec.positional):
        at_most = ngettext(
            "`{name}` takes at most {count} argument",
            "`{name}` takes at most {count} arguments",
            len(spec.positional),
        ).format(name=action.name, count=len(spec.positional))
        _error(diagnostics, at_most, span)
        return None
    written = [(p.name, a) for p, a in zip(spec.positional, action.args, strict=False)]
    for name, value in action.kwargs:
        if name not in spec.keywords:
            _error(
                diagnostics,
                _("`{action}` has no argument `{name}`").format(action=action.name, name=name),
                value.span or span,
                help=did_you_mean(name, spec.keywords) or "",
            )
            return None
        written.append((name, value))
    args = []
    for name, expr in written:
        try:
            args.append((name, evaluate(expr, _NO_ENV)))
        except EvalError:
            _error(
                diagnostics,
                _("the expected `{name}` of `{action}` must be a literal value").format(
                    name=name, action=action.name
                ),
                expr.span or span,
                help=_('write the value itself, e.g. "out of stock", 30m, 25 USD'),
            )
            return None
    return ActionPattern(action.name, tuple(args), span.text())


def _actions(node: YNode, slot: str, diagnostics: list[Diagnostic]) -> list[ActionPattern] | None:
    items = node.items if node.kind == "seq" else [node]
    patterns = []
    for item in items:
        if item.kind != "scalar" or item.is_null:
            _error(
                diagnostics,
                _(
                    'an expected {slot} action must be written as text, like `approve` or `reject("reason")`'
                ).format(slot=slot),
                item.span,
            )
            return None
        parsed = parse_fragment(item.value, "actions_only", item.span.source, item.offset_of, diagnostics)
        if parsed is None:
            return None
        for action in parsed:
            pattern = _pattern(action, slot, diagnostics)
            if pattern is None:
                return None
            patterns.append(pattern)
    return patterns


def _strings(node: YNode, key: str, diagnostics: list[Diagnostic]) -> frozenset[str] | None:
    items = node.items if node.kind == "seq" else [node]
    if node.is_null:
        return frozenset()
    if any(i.kind != "scalar" or i.is_null for i in items):
        _error(diagnostics, _("`{key}` must be a list of names").format(key=key), node.span)
        return None
    return frozenset(i.value for i in items)


def _literal(node: YNode, what: str, diagnostics: list[Diagnostic]) -> tuple[bool, Any]:
    if node.is_null:
        return True, None
    if node.kind != "scalar":
        _error(
            diagnostics, _("{what} must be a value such as `15d` or `30 USD`").format(what=what), node.span
        )
        return False, None
    expr = parse_fragment(node.value, "expr_only", node.span.source, node.offset_of, diagnostics)
    if expr is None:
        return False, None
    try:
        return True, evaluate(expr, _NO_ENV)
    except EvalError:
        _error(diagnostics, _("{what} must be a literal value").format(what=what), node.span)
        return False, None


def parse_expectation(key: str, node: YNode, diagnostics: list[Diagnostic]) -> Expectation | None:
    """One `expect` entry; None (with a located diagnostic) when it is malformed."""
    if key in ("resolution", "route"):
        if key == "route" and node.is_null:
            return Expectation(key, None, node.span)
        patterns = _actions(node, key, diagnostics)
        if patterns is None:
            return None
        if len(patterns) != 1:
            _error(diagnostics, _("`{key}` expects exactly one action").format(key=key), node.span)
            return None
        return Expectation(key, patterns[0], node.span)
    if key == "fulfillment":
        if node.is_null:
            return Expectation(key, [], node.span)
        patterns = _actions(node, key, diagnostics)
        return Expectation(key, patterns, node.span) if patterns is not None else None
    if key in ("rule", "layer"):
        if node.kind != "scalar" or node.is_null or not node.value.strip():
            a_name = _("`{key}` must be a name (`{default}` for the stack default)").format(
                key=key, default=DEFAULT
            )
            _error(diagnostics, a_name, node.span)
            return None
        return Expectation(key, node.value.strip(), node.span)
    if key in ("tags", "tags_include", "notify", "errors"):
        names = _strings(node, key, diagnostics)
        return Expectation(key, names, node.span) if names is not None else None
    if key == "settings":
        if node.kind != "map":
            _error(diagnostics, _("`settings` must map setting names to values"), node.span)
            return None
        wanted = {}
        for name_node, value_node in node.pairs:
            expected = _("the expected value of `{name}`").format(name=name_node.value)
            ok, value = _literal(value_node, expected, diagnostics)
            if not ok:
                return None
            wanted[name_node.value] = value
        return Expectation(key, wanted, node.span)
    raise ValueError(f"unknown expectation {key}")


# ---- checking ----------------------------------------------------------------------------


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else render_value(value)


def action_text(value: ActionValue | None) -> str:
    """An action as it would be written in a rule: `route("risk", sla: 30m)`."""
    if value is None:
        return "(none)"
    spec = ACTIONS.get(value.action)
    keywords = spec.keywords if spec else {}
    args = [f"{name}: {_shown(v)}" if name in keywords else _shown(v) for name, v in value.args.items()]
    return f"{value.action}({', '.join(args)})" if args else value.action


def _names(labels: frozenset[str]) -> str:
    return "[" + ", ".join(sorted(labels)) + "]"


def _same_rule(wanted: str, label: str) -> bool:
    return wanted == label if "/" in wanted else wanted == label.split("/", 1)[1]


def check_expectation(
    expectation: Expectation, decision: Decision, fx: Mapping[str, Decimal]
) -> Mismatch | None:
    key, wanted = expectation.key, expectation.value
    if key in ("resolution", "route"):
        actual = decision.resolution if key == "resolution" else decision.route
        if wanted is None:
            return None if actual is None else Mismatch(key, "(none)", action_text(actual))
        return None if wanted.matches(actual, fx) else Mismatch(key, wanted.text, action_text(actual))
    if key == "fulfillment":
        steps = decision.fulfillment
        ok = len(steps) == len(wanted) and all(p.matches(s, fx) for p, s in zip(wanted, steps, strict=True))
        expected = ", ".join(p.text for p in wanted) or "(none)"
        return None if ok else Mismatch(key, expected, ", ".join(action_text(s) for s in steps) or "(none)")
    if key in ("rule", "layer"):
        ref = decision.resolution.rule
        if key == "rule":
            actual = ref.label if ref is not None else DEFAULT
            ok = ref is None if wanted == DEFAULT else ref is not None and _same_rule(wanted, ref.label)
        else:
            actual = ref.layer if ref is not None else DEFAULT
            ok = wanted == actual
        return None if ok else Mismatch(f"{key} (who set the resolution)", wanted, actual)
    if key in ("tags", "tags_include", "notify"):
        field = "template" if key == "notify" else "label"
        values = decision.notify if key == "notify" else decision.tags
        got = frozenset(str(v.args.get(field, "")) for v in values)
        ok = wanted <= got if key == "tags_include" else wanted == got
        return None if ok else Mismatch(key, _names(wanted), _names(got))
    if key == "errors":
        labels = [e.rule.label for e in decision.errors]
        ok = len(labels) == len(wanted) and all(any(_same_rule(w, lab) for lab in labels) for w in wanted)
        return None if ok else Mismatch(key, _names(wanted), _names(frozenset(labels)))
    if key == "settings":
        env = Env({}, {}, fx, {})
        for name, value in wanted.items():
            trace = decision.settings.get(name)
            actual = trace.value if trace is not None else None
            try:
                same = (
                    actual is None
                    if value is None
                    else actual is not None and compare("==", actual, value, env)
                )
            except EvalError:
                same = False
            if not same:
                return Mismatch(f"setting {name}", render_value(value), render_value(actual))
        return None
    raise ValueError(f"unknown expectation {key}")
