"""What `ttrules suggest` sweeps: one setting of one ruleset, the field its rules compare it
with, the stacks with the setting at each candidate value, and the edit that writes the
recommended values back into the ruleset.

A swept stack is the loaded stack with the ruleset's `set`s of the setting replaced by one
unguarded `set NAME = value`; every other statement (and every other layer's limits, which
still clamp it) stays, so each candidate is decided by the same engine as the real rules.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ttrules import ast
from ttrules.i18n import _
from ttrules.schema import types as t
from ttrules.stack import Stack
from ttrules.syntax.literals import format_decimal, parse_money
from ttrules.values import Money

SWEEPABLE = ("money", "int", "number")
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
Value = Money | Decimal


class SuggestError(Exception):
    """The setting cannot be swept as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    setting: str
    ruleset: ast.Ruleset  # the ruleset whose `set`s are swept and edited
    index: int  # its position in the stack
    kind: str  # money, int or number
    currency: str | None  # of a money setting: the candidates' currency
    compared: tuple[str, str] | None  # (field, op): the rules admit a case when `field op value`
    rules: tuple[str, ...]  # the rules that read the setting

    @property
    def path(self) -> str | None:
        span = self.ruleset.name_span
        return span.source.path if span is not None else None

    def current(self) -> list[ast.SetStmt]:
        return [s for s in self.ruleset.settings if s.name == self.setting]


def find_target(stack: Stack, setting: str, ruleset: str | None = None) -> Target:
    owners = [
        (i, r)
        for i, r in enumerate(stack.rulesets)
        if any(s.name == setting for s in r.settings) and (ruleset is None or r.name == ruleset)
    ]
    if not owners:
        where = _(" in ruleset `{name}`").format(name=ruleset) if ruleset else ""
        raise SuggestError(_("no ruleset sets `{setting}`{where}").format(setting=setting, where=where))
    if len(owners) > 1:
        names = ", ".join(f"`{r.name}`" for _i, r in owners)
        raise SuggestError(
            _("`{setting}` is set in several rulesets ({names}): choose one with --ruleset").format(
                setting=setting, names=names
            )
        )
    index, owner = owners[0]
    values = [s.value for s in owner.settings if s.name == setting]
    kinds = {_kind(v) for v in values}
    if len(kinds) != 1 or next(iter(kinds)) not in SWEEPABLE:
        raise SuggestError(
            _("`{setting}` is not set to plain amounts or numbers, so it cannot be swept").format(
                setting=setting
            )
        )
    kind = next(iter(kinds))
    currencies = {v.currency for v in values if isinstance(v, ast.MoneyLit)}
    if len(currencies) > 1:
        raise SuggestError(
            _("`{setting}` is set in several currencies ({currencies})").format(
                setting=setting, currencies=", ".join(sorted(currencies))
            )
        )
    compared, rules = _comparison(stack, setting)
    return Target(setting, owner, index, kind, next(iter(currencies), None), compared, rules)


def _kind(value: ast.Expr) -> str:
    if isinstance(value, ast.MoneyLit):
        return "money"
    if isinstance(value, ast.NumberLit):
        integral = value.value == value.value.to_integral_value() and value.value.as_tuple().exponent == 0
        return "int" if integral else "number"
    return "other"


def _comparison(stack: Stack, setting: str) -> tuple[tuple[str, str] | None, tuple[str, ...]]:
    """The first `FIELD op setting` (or `setting op FIELD`) in a rule, as (field, op) with the
    setting on the right; and the rules that read the setting."""
    found: tuple[str, str] | None = None
    rules = []
    for ruleset in stack.rulesets:
        for rule in ruleset.rules:
            if rule.when is None:
                continue
            reads = False
            for node in ast.walk(rule.when):
                if isinstance(node, ast.SettingRef) and node.name == setting:
                    reads = True
                if isinstance(node, ast.Compare) and node.op in FLIPPED:
                    pair = _field_against(node, setting)
                    if pair is not None and found is None:
                        found = pair
            if reads:
                rules.append(f"{ruleset.layer}/{rule.name}")
    return found, tuple(rules)


def _field_against(node: ast.Compare, setting: str) -> tuple[str, str] | None:
    left, right = node.left, node.right
    if isinstance(left, ast.FieldRef) and isinstance(right, ast.SettingRef) and right.name == setting:
        return left.path, node.op
    if isinstance(right, ast.FieldRef) and isinstance(left, ast.SettingRef) and left.name == setting:
        return right.path, FLIPPED[node.op]
    return None


def parse_value(text: str, target: Target) -> Value:
    """One candidate value as written on the command line (`35 USD`, `35`, `0.5`)."""
    text = text.strip()
    if target.kind == "money":
        money = parse_money(text)
        if money is None:
            try:
                amount = Decimal(text)
            except InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite():
                raise SuggestError(_("`{text}` is not an amount such as `35 USD`").format(text=text))
            money = (amount, target.currency or "")
        if money[1] != target.currency:
            raise SuggestError(
                _("`{text}` is not in {currency}, the currency of `{setting}`").format(
                    text=text, currency=target.currency, setting=target.setting
                )
            )
        return Money(money[0], money[1])
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or (target.kind == "int" and number != int(number)):
        what = _("a whole number") if target.kind == "int" else _("a number")
        raise SuggestError(_("`{text}` is not {what}").format(text=text, what=what))
    return number


def value_text(value: Value) -> str:
    return str(value) if isinstance(value, Money) else format_decimal(value)


def literal(value: Value) -> ast.Expr:
    if isinstance(value, Money):
        return ast.MoneyLit(amount=value.amount, currency=value.currency)
    return ast.NumberLit(value=value)


def swept_stack(stack: Stack, target: Target, value: Value) -> Stack:
    """The stack with the target ruleset's `set`s of the setting replaced by `set NAME = value`."""
    ruleset = _with_sets(
        target.ruleset, target.setting, [ast.SetStmt(name=target.setting, value=literal(value))]
    )
    rulesets = list(stack.rulesets)
    rulesets[target.index] = ruleset
    return dataclasses.replace(stack, rulesets=tuple(rulesets))


def _with_sets(ruleset: ast.Ruleset, setting: str, sets: list[ast.SetStmt]) -> ast.Ruleset:
    settings: list[ast.SetStmt] = []
    for stmt in ruleset.settings:
        if stmt.name != setting:
            settings.append(stmt)
        elif sets:
            settings += sets  # where the first one was: the order among settings is kept
            sets = []
    return dataclasses.replace(ruleset, settings=tuple(settings))


def group_guard(by: str, key: str, schema_type: t.Type) -> ast.Expr:
    value: ast.Expr = ast.EnumLit(name=key) if schema_type.kind == "enum" else ast.StringLit(value=key)
    return ast.Compare(op="==", left=ast.FieldRef(path=by), right=value)


def edited_ruleset(
    ruleset: ast.Ruleset, setting: str, by: str, by_type: t.Type, chosen: dict[str, Value]
) -> ast.Ruleset:
    """The ruleset (as read from its file, comments and all) with a guarded `set` for every
    group that has a recommendation, first, then the `set`s it had; those guarded by exactly
    one of the recommended groups are dropped, as the new ones shadow them."""
    guards = {key: group_guard(by, key, by_type) for key in chosen}
    new = [ast.SetStmt(name=setting, value=literal(v), when=guards[k]) for k, v in sorted(chosen.items())]
    kept = [
        s for s in ruleset.settings if s.name == setting and not any(s.when == g for g in guards.values())
    ]
    return _with_sets(ruleset, setting, new + kept)


def ruleset_file(target: Target) -> Path:
    if target.path is None:
        raise SuggestError(_("ruleset `{name}` has no file to edit").format(name=target.ruleset.name))
    return Path(target.path)
