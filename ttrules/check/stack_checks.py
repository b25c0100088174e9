"""Checking a whole stack: settings, limits, rules, forbids, names and layers."""

from __future__ import annotations

from ttrules import ast
from ttrules.actions import ACTIONS, ONE_VALUED_SLOTS
from ttrules.check.guards import present_if_true
from ttrules.check.names import lookalike_key, unusual_letters
from ttrules.check.typecheck import Scope, TypeChecker, comparable
from ttrules.diagnostics import Diagnostic, did_you_mean
from ttrules.schema import types as t
from ttrules.stack import Stack


def setting_types(stack: Stack, checker: TypeChecker) -> dict[str, t.Type]:
    """Each setting's type, from its first `set`; later ones must agree (TTR114)."""
    found: dict[str, t.Type] = {}
    no_settings = Scope(settings_allowed=False)
    for ruleset in stack.rulesets:
        for stmt in ruleset.settings:
            value_type = checker.infer(
                stmt.value, no_settings.with_present(present_if_true(stmt.when) if stmt.when else ())
            )
            if value_type == t.ERROR:
                found.setdefault(stmt.name, t.ERROR)
                continue
            if (
                value_type == t.BOOL
                or value_type.kind == "set"
                or value_type.is_ordered
                or value_type.kind == "enum"
            ):
                previous = found.get(stmt.name)
                if previous is None or previous == t.ERROR:
                    found[stmt.name] = value_type
                elif not comparable(previous, value_type):
                    checker.error(
                        "TTR114",
                        f"setting `{stmt.name}` is {previous.display()} "
                        f"elsewhere but {value_type.display()} here",
                        stmt.value,
                    )
    return found


def check_actions(actions: tuple[ast.Action, ...], scope: Scope, checker: TypeChecker, owner: str) -> None:
    slots_taken: dict[str, ast.Action] = {}
    for action in actions:
        spec = ACTIONS.get(action.name)
        if spec is None:
            checker.error(
                "TTR108",
                f"unknown action `{action.name}`",
                action,
                help=did_you_mean(action.name, ACTIONS) or "actions: " + ", ".join(ACTIONS),
            )
            continue
        # Fulfillment may list several steps (a plan); resolution and route take one action.
        if spec.slot in ONE_VALUED_SLOTS and spec.slot != "fulfillment":
            if spec.slot in slots_taken:
                checker.error(
                    "TTR117",
                    f"{owner} sets `{spec.slot}` twice (`{slots_taken[spec.slot].name}` and `{action.name}`)",
                    action,
                    help="a decision has one value per slot; split the rule",
                )
            slots_taken[spec.slot] = action
        positional = spec.positional
        if len(action.args) > len(positional):
            checker.error(
                "TTR109",
                f"`{action.name}` takes {len(positional)} positional "
                f"argument{'s' if len(positional) != 1 else ''}, not {len(action.args)}",
                action,
                help=_signature(action.name),
            )
        for param, arg in zip(positional, action.args, strict=False):
            checker.expect(arg, param.types, scope, f"`{param.name}` of `{action.name}`")
            if action.name == "partial_refund":
                _check_partial_refund(arg, checker)
        for param in positional[len(action.args) :]:
            if param.required:
                checker.error(
                    "TTR109", f"`{action.name}` needs `{param.name}`", action, help=_signature(action.name)
                )
        keywords = spec.keywords
        for name, value in action.kwargs:
            if name not in keywords:
                checker.error(
                    "TTR109",
                    f"`{action.name}` has no argument `{name}`",
                    value,
                    help=did_you_mean(name, keywords) or _signature(action.name),
                )
                continue
            checker.expect(value, keywords[name].types, scope, f"`{name}` of `{action.name}`")


def _check_partial_refund(amount: ast.Expr, checker: TypeChecker) -> None:
    """A written partial refund is a part of the refund asked: more than nothing, and a share of
    at most all of it (an amount above the one asked is the platform's to refuse)."""
    if isinstance(amount, ast.PercentLit) and not 0 < amount.value <= 100:
        checker.error(
            "TTR109",
            f"`partial_refund({amount.value}%)`: a share of the refund asked is more than 0 % "
            "and at most 100 %",
            amount,
            help="e.g. `partial_refund(30%)`; to refund all of it, `approve`",
        )
    elif isinstance(amount, ast.MoneyLit) and amount.amount <= 0:
        checker.error(
            "TTR109",
            "`partial_refund` of nothing or less: the amount must be more than 0",
            amount,
            help="e.g. `partial_refund(5 USD)`; to refund nothing, `reject`",
        )


def _signature(name: str) -> str:
    spec = ACTIONS[name]
    parts = [f"{p.name}: VALUE" if p.keyword else p.name for p in spec.params]
    return f"usage: `{name}" + (f"({', '.join(parts)})`" if parts else "`") + f" — {spec.summary}"


def _check_forbid(forbid: ast.Forbid, checker: TypeChecker, scope: Scope) -> None:
    for action in forbid.actions:
        if action.name not in ACTIONS:
            checker.error(
                "TTR108", f"unknown action `{action.name}`", action, help=did_you_mean(action.name, ACTIONS)
            )
    if forbid.when is not None:
        checker.condition(forbid.when, scope, "a `when` condition")


def _check_limit(limit: ast.LimitStmt, checker: TypeChecker, settings: dict[str, t.Type]) -> None:
    scope = Scope(settings_allowed=False)
    if limit.when is not None:
        checker.condition(limit.when, scope, "a limit's `when`")
        scope = scope.with_present(present_if_true(limit.when))
    target = settings.get(limit.name)
    if target is None:
        # A limit on a setting no ruleset sets is a standing constraint (a pinned platform
        # policy limits settings a shop may or may not use), not a mistake.
        checker.infer(limit.bound, scope)
        return
    if limit.op == "in":
        if isinstance(limit.bound, ast.SetLit):
            checker._set_literal(limit.bound.items, scope, target)
            return
        bound = checker.infer(limit.bound, scope)
        if bound != t.ERROR and (bound.kind != "set" or not comparable(bound.element or t.ERROR, target)):
            checker.error("TTR116", f"`limit {limit.name} in` needs a set of {target.display()}", limit.bound)
        return
    bound = checker.infer(limit.bound, scope)
    if t.ERROR in (bound, target):
        return
    if not target.is_ordered:
        checker.error(
            "TTR116",
            f"`{limit.op}` cannot bound {target.display()} setting `{limit.name}`",
            limit,
            help="use `limit NAME in {...}`",
        )
    elif not comparable(bound, target):
        checker.error(
            "TTR116",
            f"setting `{limit.name}` is {target.display()} but the bound is {bound.display()}",
            limit.bound,
        )


def _check_names(stack: Stack) -> list[Diagnostic]:
    diagnostics = _duplicate_names(stack)
    looks: dict[str, str] = {}  # look-alike key -> the name first seen with it
    for ruleset in stack.rulesets:
        for kind, name, span in [
            ("ruleset", ruleset.name, ruleset.name_span),
            *(("rule", rule.name, rule.span) for rule in ruleset.rules),
        ]:
            first = looks.setdefault(lookalike_key(name), name)
            if first != name:
                diagnostics.append(
                    Diagnostic(
                        "TTR120" if kind == "ruleset" else "TTR110",
                        f"{kind} `{name}` looks the same as `{first}` but is another name",
                        span,
                        notes=(f"it has {unusual_letters(name, first)}",),
                        help="write both names in one script, or give them names that differ visibly",
                    )
                )
    return diagnostics


def _duplicate_names(stack: Stack) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    seen_rulesets: dict[str, ast.Ruleset] = {}
    seen_rules: dict[tuple[str, str], ast.Rule] = {}
    for ruleset in stack.rulesets:
        if ruleset.name in seen_rulesets:
            first = seen_rulesets[ruleset.name]
            where = first.name_span.location() if first.name_span else ""
            diagnostics.append(
                Diagnostic(
                    "TTR120",
                    f"ruleset `{ruleset.name}` is declared twice",
                    ruleset.name_span,
                    notes=(f"first declared at {where}",),
                    help="rename one of them",
                )
            )
        seen_rulesets.setdefault(ruleset.name, ruleset)
        for rule in ruleset.rules:
            key = (ruleset.layer, rule.name)
            if key in seen_rules:
                first_rule = seen_rules[key]
                where = first_rule.span.location() if first_rule.span else ""
                diagnostics.append(
                    Diagnostic(
                        "TTR110",
                        f"rule `{rule.name}` is defined twice in layer `{ruleset.layer}`",
                        rule.span,
                        notes=(f"first defined at {where}",),
                        help="rename one of them",
                    )
                )
            seen_rules.setdefault(key, rule)
    return diagnostics


def check_stack(stack: Stack) -> list[Diagnostic]:
    """Every problem in a loaded stack (syntax problems come from loading)."""
    checker = TypeChecker(stack.schema, {}, stack.config.currency, frozenset(stack.config.fx))
    settings = setting_types(stack, checker)
    checker.settings = settings
    for ruleset in stack.rulesets:
        base = Scope()
        if ruleset.applies is not None:
            # `applies` also guards the ruleset's settings, so it is computed before them and
            # cannot read them.
            checker.condition(ruleset.applies, Scope(settings_allowed=False), "`applies`")
            base = base.with_present(present_if_true(ruleset.applies))
        for stmt in ruleset.settings:
            if stmt.when is not None:
                checker.condition(
                    stmt.when, Scope(base.present, settings_allowed=False), "a setting's `when`"
                )
        for limit in ruleset.limits:
            _check_limit(limit, checker, settings)
        for rule in ruleset.rules:
            scope = base
            if rule.when is not None:
                checker.condition(rule.when, scope, "a `when` condition")
                scope = scope.with_present(present_if_true(rule.when))
            check_actions(rule.actions, scope, checker, f"rule `{rule.name}`")
        for forbid in ruleset.forbids:
            _check_forbid(forbid, checker, base)
    return checker.diagnostics + _check_names(stack)
