"""Money thresholds in a stack: which money field is compared with which amount, by which rule.

`order.total < 30 USD` gives (order.total, 30 USD); `order.total < small_cancel_limit` gives one
threshold per money value the setting can take. The candidate's thresholds that the baseline
does not have are the ones a threshold-gaming check looks at.
"""

from __future__ import annotations

from collections import defaultdict

from ttrules import ast
from ttrules.schema import types as t
from ttrules.simulate.metrics import Threshold
from ttrules.stack import Stack
from ttrules.values import Money

Key = tuple[str, Money]


def _setting_amounts(stack: Stack) -> dict[str, list[Money]]:
    amounts: dict[str, list[Money]] = defaultdict(list)
    for ruleset in stack.rulesets:
        for stmt in ruleset.settings:
            if isinstance(stmt.value, ast.MoneyLit):
                amounts[stmt.name].append(Money(stmt.value.amount, stmt.value.currency))
    return amounts


def _pairs(expr: ast.Expr, stack: Stack, settings: dict[str, list[Money]]) -> list[Key]:
    found: list[Key] = []

    def amounts(node: ast.Expr) -> list[Money]:
        if isinstance(node, ast.MoneyLit):
            return [Money(node.amount, node.currency)]
        if isinstance(node, ast.SettingRef):
            return settings.get(node.name, [])
        return []

    def money_field(node: ast.Expr) -> str | None:
        if isinstance(node, ast.FieldRef):
            spec = stack.schema.get(node.path)
            if spec is not None and spec.type == t.MONEY:
                return node.path
        return None

    for node in ast.walk(expr):
        if isinstance(node, ast.Compare) and node.op in ("<", "<=", ">", ">="):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                path = money_field(side)
                if path:
                    found += [(path, m) for m in amounts(other)]
        elif isinstance(node, ast.Between):
            path = money_field(node.value)
            if path:
                found += [(path, m) for m in amounts(node.low) + amounts(node.high)]
    return found


def money_thresholds(stack: Stack) -> dict[Key, set[str]]:
    settings = _setting_amounts(stack)
    result: dict[Key, set[str]] = defaultdict(set)
    for ruleset in stack.rulesets:
        for rule in ruleset.rules:
            if rule.when is not None:
                for key in _pairs(rule.when, stack, settings):
                    result[key].add(f"{ruleset.layer}/{rule.name}")
    return result


def new_thresholds(baseline: Stack, candidate: Stack) -> list[Threshold]:
    """Thresholds of the candidate that the baseline does not have (introduced or moved)."""
    before = money_thresholds(baseline)
    after = money_thresholds(candidate)
    fresh = [
        Threshold(path, money, tuple(sorted(rules)))
        for (path, money), rules in after.items()
        if (path, money) not in before
    ]
    return sorted(fresh, key=lambda th: (th.field, th.amount.currency, th.amount.amount))
