"""A checked stack laid out once for evaluation: rules in cascade order, their slots, forbids.

Both the reference evaluator and any faster path start from this layout, so they agree on
order (layer, then priority, then source order) by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ttrules import ast
from ttrules.actions import ACTIONS, ONE_VALUED_SLOTS
from ttrules.evaluate.decision import RuleRef
from ttrules.stack import Stack


@dataclass(frozen=True)
class RulesetEntry:
    ruleset: ast.Ruleset
    layer_index: int
    index: int  # position in the stack


@dataclass(frozen=True)
class RuleEntry:
    rule: ast.Rule
    owner: RulesetEntry
    source_index: int
    ref: RuleRef
    slots: dict[str, ast.Action]  # one-valued slot -> the action setting it
    many: tuple[ast.Action, ...]  # tags and notify actions
    fail_closed: bool

    @property
    def layer_index(self) -> int:
        return self.owner.layer_index

    @property
    def action_names(self) -> frozenset[str]:
        return frozenset(a.name for a in self.rule.actions)


@dataclass(frozen=True)
class ForbidEntry:
    forbid: ast.Forbid
    owner: RulesetEntry
    ref: RuleRef
    actions: frozenset[str]
    fail_closed: bool


@dataclass(frozen=True)
class SettingSource:
    stmt: ast.SetStmt | ast.LimitStmt
    owner: RulesetEntry
    ref: RuleRef


@dataclass(frozen=True)
class PreparedStack:
    stack: Stack
    rulesets: tuple[RulesetEntry, ...]
    rules: tuple[RuleEntry, ...]  # cascade order
    forbids: tuple[ForbidEntry, ...]
    sets: dict[str, tuple[SettingSource, ...]]  # per setting, strongest layer first
    limits: dict[str, tuple[SettingSource, ...]]
    fx: dict[str, Decimal]
    default: str


def _ref(owner: ast.Ruleset, node: ast.Node, name: str) -> RuleRef:
    path, line = "", 0
    if node.span is not None:
        path = node.span.source.display_path()
        line = node.span.start_line_col()[0]
    because = node.because if isinstance(node, ast.Rule | ast.Forbid) else None
    return RuleRef(owner.layer, owner.name, name, path, line, because)


def prepare(stack: Stack) -> PreparedStack:
    fail_closed = set(stack.config.fail_closed)
    rulesets = tuple(RulesetEntry(r, stack.layer_index(r.layer), i) for i, r in enumerate(stack.rulesets))
    rules: list[RuleEntry] = []
    forbids: list[ForbidEntry] = []
    sets: dict[str, list[SettingSource]] = {}
    limits: dict[str, list[SettingSource]] = {}
    source_index = 0
    for owner in rulesets:
        rs = owner.ruleset
        closed = rs.layer in fail_closed
        for rule in rs.rules:
            slots = {
                ACTIONS[a.name].slot: a
                for a in rule.actions
                if a.name in ACTIONS and ACTIONS[a.name].slot in ONE_VALUED_SLOTS
            }
            many = tuple(
                a for a in rule.actions if a.name in ACTIONS and ACTIONS[a.name].slot not in ONE_VALUED_SLOTS
            )
            rules.append(RuleEntry(rule, owner, source_index, _ref(rs, rule, rule.name), slots, many, closed))
            source_index += 1
        for forbid in rs.forbids:
            forbids.append(
                ForbidEntry(
                    forbid,
                    owner,
                    _ref(rs, forbid, forbid.name),
                    frozenset(a.name for a in forbid.actions),
                    closed,
                )
            )
        for stmt in rs.settings:
            sets.setdefault(stmt.name, []).append(
                SettingSource(stmt, owner, _ref(rs, stmt, f"set {stmt.name}"))
            )
        for limit in rs.limits:
            limits.setdefault(limit.name, []).append(
                SettingSource(limit, owner, _ref(rs, limit, f"limit {limit.name}"))
            )
    rules.sort(key=lambda e: (e.layer_index, -e.rule.priority, e.source_index))
    return PreparedStack(
        stack,
        rulesets,
        tuple(rules),
        tuple(forbids),
        {k: tuple(v) for k, v in sets.items()},
        {k: tuple(v) for k, v in limits.items()},
        stack.config.fx_rates(),
        stack.config.default,
    )
