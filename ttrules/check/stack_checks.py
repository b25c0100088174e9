"""Checking a whole stack: settings, limits, rules, forbids, names and layers."""

from __future__ import annotations

from ttrules import ast
from ttrules.actions import ACTIONS, ONE_VALUED_SLOTS
from ttrules.check.guards import present_if_true
from ttrules.check.names import lookalike_key, unusual_letters
from ttrules.check.typecheck import Scope, TypeChecker, comparable
from ttrules.diagnostics import Diagnostic, did_you_mean
from ttrules.i18n import _, ngettext
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
                        _("setting `{name}` is {previous} elsewhere but {here} here").format(
                            name=stmt.name, previous=previous.display(), here=value_type.display()
                        ),
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
                _("unknown action `{name}`").format(name=action.name),
                action,
                help=did_you_mean(action.name, ACTIONS)
                or _("actions: {names}").format(names=", ".join(ACTIONS)),
            )
            continue
        # Fulfillment may list several steps (a plan); resolution and route take one action.
        if spec.slot in ONE_VALUED_SLOTS and spec.slot != "fulfillment":
            if spec.slot in slots_taken:
                checker.error(
                    "TTR117",
                    _("{owner} sets `{slot}` twice (`{first}` and `{second}`)").format(
                        owner=owner, slot=spec.slot, first=slots_taken[spec.slot].name, second=action.name
                    ),
                    action,
                    help=_("a decision has one value per slot; split the rule"),
                )
            slots_taken[spec.slot] = action
        positional = spec.positional
        if len(action.args) > len(positional):
            checker.error(
                "TTR109",
                ngettext(
                    "`{name}` takes {count} positional argument, not {given}",
                    "`{name}` takes {count} positional arguments, not {given}",
                    len(positional),
                ).format(name=action.name, count=len(positional), given=len(action.args)),
                action,
                help=_signature(action.name),
            )
        for param, arg in zip(positional, action.args, strict=False):
            checker.expect(arg, param.types, scope, _of(param.name, action.name))
            if action.name == "partial_refund":
                _check_partial_refund(arg, checker)
        for param in positional[len(action.args) :]:
            if param.required:
                needs = _("`{action}` needs `{param}`").format(action=action.name, param=param.name)
                checker.error("TTR109", needs, action, help=_signature(action.name))
        keywords = spec.keywords
        for name, value in action.kwargs:
            if name not in keywords:
                checker.error(
                    "TTR109",
                    _("`{action}` has no argument `{name}`").format(action=action.name, name=name),
                    value,
                    help=did_you_mean(name, keywords) or _signature(action.name),
                )
                continue
            checker.expect(value, keywords[name].types, scope, _of(name, action.name))


def _of(param: str, action: str) -> str:
    return _("`{param}` of `{action}`").format(param=param, action=action)


def _check_partial_refund(amount: ast.Expr, checker: TypeChecker) -> None:
    """A written partial refund is a part of the refund asked: more than nothing, and a share of
    at most all of it (an amount above the one asked is the platform's to refuse)."""
    if isinstance(amount, ast.PercentLit) and not 0 < amount.value <= 100:
        checker.error(
            "TTR109",
            _(
                "`partial_refund({value}%)`: a share of the refund asked is more than 0 % and at most 100 %"
            ).format(value=amount.value),
            amount,
            help=_("e.g. `partial_refund(30%)`; to refund all of it, `approve`"),
        )
    elif isinstance(amount, ast.MoneyLit) and amount.amount <= 0:
        checker.error(
            "TTR109",
            _("`partial_refund` of nothing or less: the amount must be more than 0"),
            amount,
            help=_("e.g. `partial_refund(5 USD)`; to refund nothing, `reject`"),
        )


def _signature(name: str) -> str:
    spec = ACTIONS[name]
    parts = [f"{p.name}: VALUE" if p.keyword else p.name for p in spec.params]
    call = f"`{name}({', '.join(parts)})`" if parts else f"`{name}`"
    return _("usage: {call} — {summary}").format(call=call, summary=_(spec.summary))


def _check_forbid(forbid: ast.Forbid, checker: TypeChecker, scope: Scope) -> None:
    for action in forbid.actions:
        if action.name not in ACTIONS:
            unknown = _("unknown action `{name}`").format(name=action.name)
            checker.error("TTR108", unknown, action, help=did_you_mean(action.name, ACTIONS))
    if forbid.when is not None:
        checker.condition(forbid.when, scope, _("a `when` condition"))


def _check_limit(limit: ast.LimitStmt, checker: TypeChecker, settings: dict[str, t.Type]) -> None:
    scope = Scope(settings_allowed=False)
    if limit.when is not None:
        checker.condition(limit.when, scope, _("a limit's `when`"))
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
            needs = _("`limit {name} in` needs a set of {kind}").format(
                name=limit.name, kind=target.display()
            )
            checker.error("TTR116", needs, limit.bound)
        return
    bound = checker.infer(limit.bound, scope)
    if t.ERROR in (bound, target):
        return
    if not target.is_ordered:
        checker.error(
            "TTR116",
            _("`{op}` cannot bound {kind} setting `{name}`").format(
                op=limit.op, kind=target.display(), name=limit.name
            ),
            limit,
            help=_("use `limit NAME in {{...}}`").format(),
        )
    elif not comparable(bound, target):
        checker.error(
            "TTR116",
            _("setting `{name}` is {kind} but the bound is {bound}").format(
                name=limit.name, kind=target.display(), bound=bound.display()
            ),
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
                        (
                            _("ruleset `{name}` looks the same as `{first}` but is another name")
                            if kind == "ruleset"
                            else _("rule `{name}` looks the same as `{first}` but is another name")
                        ).format(name=name, first=first),
                        span,
                        notes=(_("it has {letters}").format(letters=unusual_letters(name, first)),),
                        help=_("write both names in one script, or give them names that differ visibly"),
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
                    _("ruleset `{name}` is declared twice").format(name=ruleset.name),
                    ruleset.name_span,
                    notes=(_("first declared at {where}").format(where=where),),
                    help=_("rename one of them"),
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
                        _("rule `{name}` is defined twice in layer `{layer}`").format(
                            name=rule.name, layer=ruleset.layer
                        ),
                        rule.span,
                        notes=(_("first defined at {where}").format(where=where),),
                        help=_("rename one of them"),
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
            checker.condition(ruleset.applies, Scope(settings_allowed=False), _("`applies`"))
            base = base.with_present(present_if_true(ruleset.applies))
        for stmt in ruleset.settings:
            if stmt.when is not None:
                checker.condition(
                    stmt.when, Scope(base.present, settings_allowed=False), _("a setting's `when`")
                )
        for limit in ruleset.limits:
            _check_limit(limit, checker, settings)
        for rule in ruleset.rules:
            scope = base
            if rule.when is not None:
                checker.condition(rule.when, scope, _("a `when` condition"))
                scope = scope.with_present(present_if_true(rule.when))
            check_actions(rule.actions, scope, checker, _("rule `{name}`").format(name=rule.name))
        for forbid in ruleset.forbids:
            _check_forbid(forbid, checker, base)
    return checker.diagnostics + _check_names(stack)
