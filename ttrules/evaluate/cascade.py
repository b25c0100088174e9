"""The reference decision procedure: settings, matching, vetoes and the per-slot cascade.

This is SPEC §4 written once; it is the definition any faster path is tested against.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ttrules import ast
from ttrules.actions import ACTIONS, ONE_VALUED_SLOTS
from ttrules.evaluate.decision import (
    ActionValue,
    Clamp,
    Decision,
    FailedCondition,
    Loss,
    RuleError,
    RuleRef,
    RuleTrace,
    SettingTrace,
)
from ttrules.evaluate.interpret import Env, EvalError, compare, safely, truth
from ttrules.evaluate.prepare import (
    ForbidEntry,
    PreparedStack,
    RuleEntry,
    RulesetEntry,
    SettingSource,
)
from ttrules.syntax.format import format_expr
from ttrules.values import render_value


@dataclass
class Match:
    status: str  # matched | no_match | errored | not_applicable
    error: str = ""
    failed: FailedCondition | None = None
    args: dict[int, dict[str, Any]] = field(default_factory=dict)  # action index -> arguments


# ---- settings ----------------------------------------------------------------------


def _applies(owner: RulesetEntry, env: Env, cache: dict[int, bool | str]) -> bool | str:
    """True/False, or the error message when `applies` cannot be evaluated."""
    if owner.index not in cache:
        condition = owner.ruleset.applies
        if condition is None:
            cache[owner.index] = True
        else:
            try:
                cache[owner.index] = truth(safely(condition, env))
            except EvalError as error:
                cache[owner.index] = f"`applies` could not be evaluated: {error}"
    return cache[owner.index]


def _guard(
    stmt: ast.SetStmt | ast.LimitStmt, owner: RulesetEntry, env: Env, cache: dict[int, bool | str]
) -> bool:
    applies = _applies(owner, env, cache)
    if isinstance(applies, str):
        raise EvalError(applies)
    if not applies:
        return False
    return stmt.when is None or truth(safely(stmt.when, env))


def compute_settings(
    prepared: PreparedStack,
    env: Env,
    cache: dict[int, bool | str],
) -> tuple[dict[str, Any], dict[str, tuple[str, SettingSource]], dict[str, SettingTrace]]:
    """Effective settings: the strongest layer's first matching `set`, clamped by the limits
    of that layer and every stronger one. Errors name the `set` or `limit` that failed."""
    values: dict[str, Any] = {}
    errors: dict[str, tuple[str, SettingSource]] = {}
    traces: dict[str, SettingTrace] = {}
    settings_env = Env(env.values, {}, env.fx, {})
    for name, sources in prepared.sets.items():
        chosen = None
        current = sources[0]
        try:
            for source in sources:
                current = source
                if _guard(source.stmt, source.owner, settings_env, cache):
                    assert isinstance(source.stmt, ast.SetStmt)
                    value = safely(source.stmt.value, settings_env)
                    chosen = source
                    break
        except EvalError as error:
            errors[name] = (str(error), current)
            traces[name] = SettingTrace(name, None, None, error=str(error))
            continue
        if chosen is None:
            traces[name] = SettingTrace(name, None, None)
            continue
        clamps: list[Clamp] = []
        current = chosen
        try:
            for limit in prepared.limits.get(name, ()):
                current = limit
                if limit.owner.layer_index > chosen.owner.layer_index:
                    continue  # a weaker layer cannot constrain a stronger one's value
                if not _guard(limit.stmt, limit.owner, settings_env, cache):
                    continue
                assert isinstance(limit.stmt, ast.LimitStmt)
                bound = safely(limit.stmt.bound, settings_env)
                new = clamp(limit.stmt.op, value, bound, settings_env)
                if new is not value:
                    text = f"{limit.stmt.op} {render_value(bound)}"
                    clamps.append(Clamp(limit.ref, text, value, new))
                    value = new
        except EvalError as error:
            errors[name] = (str(error), current)
            traces[name] = SettingTrace(name, None, chosen.ref, tuple(clamps), str(error))
            continue
        values[name] = value
        traces[name] = SettingTrace(name, value, chosen.ref, tuple(clamps))
    return values, errors, traces


def clamp(op: str, value: Any, bound: Any, env: Env) -> Any:
    if op == "<=":
        return bound if compare(">", value, bound, env) else value
    if op == ">=":
        return bound if compare("<", value, bound, env) else value
    if not isinstance(bound, frozenset):
        raise EvalError("`limit ... in` needs a set")
    if any(compare("==", value, allowed, env) for allowed in bound):
        return value
    raise EvalError(f"value {render_value(value)} is outside the allowed {render_value(bound)}")


# ---- matching ----------------------------------------------------------------------


def conjuncts(when: ast.Expr | None) -> tuple[ast.Expr, ...]:
    """A condition's `and`-ed parts, in order (none for a rule without `when`)."""
    if when is None:
        return ()
    return when.items if isinstance(when, ast.And) else (when,)


def _observed(expr: ast.Expr, env: Env) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for node in ast.walk(expr):
        if isinstance(node, ast.FieldRef):
            seen.setdefault(node.path, render_value(env.values.get(node.path)))
        elif isinstance(node, ast.SettingRef):
            seen.setdefault(node.name, render_value(env.settings.get(node.name)))
    return tuple(seen.items())


def _failed(conjunct: ast.Expr, env: Env) -> FailedCondition:
    needed = ""
    observed = _observed(conjunct, env)
    if isinstance(conjunct, ast.Compare | ast.Between | ast.In):
        left = (
            conjunct.left
            if isinstance(conjunct, ast.Compare)
            else conjunct.value
            if isinstance(conjunct, ast.Between)
            else conjunct.item
        )
        if not isinstance(left, ast.FieldRef | ast.SettingRef) and ast.children(left):
            with contextlib.suppress(EvalError):
                observed = ((format_expr(left), render_value(safely(left, env))), *observed)
    if isinstance(conjunct, ast.Compare) and not isinstance(conjunct.right, ast.FieldRef):
        try:
            needed = f"{conjunct.op} {render_value(safely(conjunct.right, env))}"
        except EvalError:
            needed = ""
    return FailedCondition(format_expr(conjunct), observed, needed)


def match_condition(
    when: ast.Expr | None, owner: RulesetEntry, env: Env, cache: dict[int, bool | str], detail: bool
) -> Match:
    applies = _applies(owner, env, cache)
    if isinstance(applies, str):
        return Match("errored", error=applies)
    if not applies:
        return Match("not_applicable")
    if when is None:
        return Match("matched")
    for conjunct in conjuncts(when):
        try:
            holds = truth(safely(conjunct, env))
        except EvalError as error:
            return Match("errored", error=str(error))
        if not holds:
            return Match("no_match", failed=_failed(conjunct, env) if detail else None)
    return Match("matched")


def action_arguments(action: ast.Action, env: Env) -> dict[str, Any]:
    spec = ACTIONS[action.name]
    args = {p.name: safely(a, env) for p, a in zip(spec.positional, action.args, strict=False)}
    args.update((name, safely(value, env)) for name, value in action.kwargs)
    return args


def match_rule(entry: RuleEntry, env: Env, cache: dict[int, bool | str], detail: bool) -> Match:
    match = match_condition(entry.rule.when, entry.owner, env, cache, detail)
    if match.status != "matched":
        return match
    try:
        match.args = {i: action_arguments(a, env) for i, a in enumerate(entry.rule.actions)}
    except EvalError as error:
        return Match("errored", error=f"an action's argument: {error}")
    return match


# ---- the cascade -------------------------------------------------------------------


def _loss(slot: str, loser: RuleEntry, winner: RuleEntry) -> Loss:
    if winner.layer_index < loser.layer_index:
        return Loss(slot, "layer", winner.ref)
    if winner.rule.priority > loser.rule.priority:
        return Loss(slot, "priority", winner.ref, (loser.rule.priority, winner.rule.priority))
    return Loss(slot, "order", winner.ref)


def _value(entry: RuleEntry, action: ast.Action, match: Match) -> ActionValue:
    index = entry.rule.actions.index(action)
    return ActionValue(action.name, match.args.get(index, {}), entry.ref)


def decide(prepared: PreparedStack, values: Mapping[str, Any], *, explain: bool = False) -> Decision:
    """Decide one case (its field values as `case_values` gives them). Never raises for data."""
    cache: dict[int, bool | str] = {}
    base_env = Env(values, {}, prepared.fx, {})
    settings, setting_errors, setting_traces = compute_settings(prepared, base_env, cache)
    env = Env(values, settings, prepared.fx, {k: m for k, (m, _) in setting_errors.items()})

    matches = {id(e): match_rule(e, env, cache, explain) for e in prepared.rules}
    forbid_matches = {
        id(f): match_condition(f.forbid.when, f.owner, env, cache, explain) for f in prepared.forbids
    }

    # Vetoes: a matching forbid sets aside every matching rule of a weaker layer that would
    # take one of its actions. In a fail-closed layer an errored forbid still vetoes.
    vetoed: dict[int, ForbidEntry] = {}
    for forbid in prepared.forbids:
        fm = forbid_matches[id(forbid)]
        if fm.status == "matched" or (fm.status == "errored" and forbid.fail_closed):
            for entry in prepared.rules:
                if (
                    entry.layer_index > forbid.owner.layer_index
                    and id(entry) not in vetoed
                    and matches[id(entry)].status == "matched"
                    and entry.action_names & forbid.actions
                ):
                    vetoed[id(entry)] = forbid

    def live(entry: RuleEntry) -> bool:
        return matches[id(entry)].status == "matched" and id(entry) not in vetoed

    def closed(entry: RuleEntry) -> bool:
        return matches[id(entry)].status == "errored" and entry.fail_closed

    winners: dict[str, RuleEntry] = {}
    slot_values: dict[str, Any] = {}
    held: dict[str, RuleRef] = {}
    for slot in ONE_VALUED_SLOTS:
        for entry in prepared.rules:
            if live(entry) and slot in entry.slots:
                winners[slot] = entry
                if slot == "fulfillment":
                    # The fulfillment slot holds the winning rule's plan: its steps in order.
                    slot_values[slot] = [
                        _value(entry, a, matches[id(entry)])
                        for a in entry.rule.actions
                        if ACTIONS[a.name].slot == "fulfillment"
                    ]
                else:
                    slot_values[slot] = _value(entry, entry.slots[slot], matches[id(entry)])
                break
            if closed(entry) and (slot == "resolution" or slot in entry.slots):
                # A platform guard that could not be evaluated must not stop guarding.
                winners[slot] = entry
                if slot == "resolution":
                    slot_values[slot] = ActionValue("review", {}, entry.ref, fail_closed=True)
                else:
                    slot_values[slot] = None
                    held[slot] = entry.ref
                break

    resolution = slot_values.get("resolution") or ActionValue(prepared.default)
    tags: list[ActionValue] = []
    notify: list[ActionValue] = []
    for entry in prepared.rules:
        if live(entry):
            for action in entry.many:
                value = _value(entry, action, matches[id(entry)])
                bucket = tags if ACTIONS[action.name].slot == "tags" else notify
                if all((v.action, v.args) != (value.action, value.args) for v in bucket):
                    bucket.append(value)

    errors = [
        RuleError(e.ref, matches[id(e)].error, e.fail_closed)
        for e in prepared.rules
        if matches[id(e)].status == "errored"
    ]
    errors += [
        RuleError(f.ref, forbid_matches[id(f)].error, f.fail_closed)
        for f in prepared.forbids
        if forbid_matches[id(f)].status == "errored"
    ]
    # A setting that cannot be computed is unavailable: the rules reading it are errored in
    # their own right (and fail closed where their layer does); the setting forces nothing.
    errors += [RuleError(source.ref, message, False) for message, source in setting_errors.values()]

    overridden = [
        e.ref
        for e in prepared.rules
        if live(e)
        and any(
            winners.get(slot) is not None and winners[slot].layer_index < e.layer_index for slot in e.slots
        )
    ]
    decision = Decision(
        case_id=str(values.get("case.id", "")),
        resolution=resolution,
        fulfillment=slot_values.get("fulfillment") or [],
        route=slot_values.get("route"),
        tags=tags,
        notify=notify,
        settings=setting_traces,
        errors=errors,
        held=held,
        matched=[e.ref for e in prepared.rules if matches[id(e)].status == "matched"],
        vetoed=[(e.ref, vetoed[id(e)].ref) for e in prepared.rules if id(e) in vetoed],
        overridden=overridden,
        trace=_trace(prepared, matches, forbid_matches, vetoed, winners) if explain else None,
    )
    return decision


def _trace(
    prepared: PreparedStack,
    matches: dict[int, Match],
    forbid_matches: dict[int, Match],
    vetoed: dict[int, ForbidEntry],
    winners: dict[str, RuleEntry],
) -> list[RuleTrace]:
    traces: list[RuleTrace] = []
    vetoes: dict[int, list[RuleRef]] = {}
    for entry_id, forbid in vetoed.items():
        entry = next(e for e in prepared.rules if id(e) == entry_id)
        vetoes.setdefault(id(forbid), []).append(entry.ref)
    for entry in sorted(prepared.rules, key=lambda e: e.source_index):
        m = matches[id(entry)]
        trace = RuleTrace(entry.ref, "rule", m.status, entry.rule.priority, failed=m.failed, error=m.error)
        if id(entry) in vetoed:
            trace.status, trace.vetoed_by = "vetoed", vetoed[id(entry)].ref
        elif m.status == "matched":
            for slot in entry.slots:
                winner = winners.get(slot)
                if winner is entry:
                    trace.won.append(slot)
                elif winner is not None:
                    trace.lost.append(
                        _loss(slot, entry, winner)
                        if matches[id(winner)].status == "matched"
                        else Loss(slot, "held", winner.ref)
                    )
            if entry.many:
                trace.won += sorted({ACTIONS[a.name].slot for a in entry.many})
            trace.status = "won" if trace.won else "lost"
        elif m.status == "errored" and entry.fail_closed and winners.get("resolution") is entry:
            trace.won.append("resolution")
        traces.append(trace)
    for forbid in prepared.forbids:
        fm = forbid_matches[id(forbid)]
        traces.append(
            RuleTrace(
                forbid.ref,
                "forbid",
                fm.status,
                failed=fm.failed,
                error=fm.error,
                vetoes=vetoes.get(id(forbid), []),
            )
        )
    return traces
