"""What every analysis shares: the encoder, the solver, witnesses, and a cheap pre-filter."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import z3

from ttrules import ast
from ttrules.actions import ACTIONS, ONE_VALUED_SLOTS
from ttrules.analyze.encode import Encoder, conjuncts
from ttrules.analyze.witness import SOLVER_TIMEOUT_MS, Check, find_witness, preferences, solver
from ttrules.engine import Engine
from ttrules.evaluate.decision import Decision
from ttrules.evaluate.prepare import ForbidEntry, RuleEntry
from ttrules.i18n import _
from ttrules.spans import Span

# The whole analysis gets this long; past it, the remaining questions are undecided and nothing
# more is claimed, so a pathological rule set (non-linear arithmetic everywhere) cannot stall CI.
DEFAULT_BUDGET_SECONDS = 300.0


@dataclass
class Witness:
    record: dict[str, Any]
    decision: Decision

    def note(self) -> str:
        case = json.dumps(self.record, ensure_ascii=False, separators=(", ", ": "))
        return _("for example: {case}").format(case=case)


@dataclass
class Context:
    engine: Engine
    budget: float = DEFAULT_BUDGET_SECONDS  # for the whole analysis; then nothing more is claimed
    encoder: Encoder = field(init=False)
    undecided: int = 0  # queries the solver could not answer in time (no claim was made)
    witnesses: list[tuple[str, Witness]] = field(default_factory=list)  # (finding, witness)
    _pins: dict[tuple[int, bool], dict[str, frozenset[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.budget
        self.encoder = Encoder(self.engine.prepared, self.engine.stack.schema)
        # One incremental solver: the facts every case satisfies are asserted once, each query
        # in its own push/pop scope.
        self._solver = solver(self.encoder)
        self._asserted = len(self.encoder.facts)
        self._preferred: tuple[int, list[Any]] = (-1, [])

    def _sync(self) -> None:
        facts = self.encoder.facts  # encoding a query may have declared new fields
        if len(facts) > self._asserted:
            self._solver.add(*facts[self._asserted :])
            self._asserted = len(facts)

    def _preferences(self) -> list[Any]:
        if self._preferred[0] != len(self.encoder.fields):
            self._preferred = (len(self.encoder.fields), preferences(self.encoder))
        return self._preferred[1]

    def _within_budget(self) -> bool:
        """Whether time is left; sets the solver's limit for the next question to fit in it."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.undecided += 1
            return False
        self._solver.set("timeout", int(min(SOLVER_TIMEOUT_MS, left * 1000)) + 1)
        return True

    @contextmanager
    def _asking(self, query: Any) -> Iterator[Any]:
        """The solver with `query` asserted in a scope of its own, or None when the analysis'
        time budget is spent (the question then counts as undecided)."""
        if not self._within_budget():
            yield None
            return
        self._sync()
        self._solver.push()
        try:
            self._solver.add(query)
            yield self._solver
        finally:
            self._solver.pop()

    def possible(self, query: Any) -> bool | None:
        """True: some case satisfies it; False: proven impossible; None: undecided (the solver
        gave up on it, or the analysis' time budget is spent)."""
        with self._asking(query) as s:
            if s is None:
                return None
            result = s.check()
        if result == z3.unknown:
            self.undecided += 1
            return None
        return bool(result == z3.sat)

    def impossible(self, query: Any) -> bool:
        """Proven impossible (never claimed when the solver gives up)."""
        return self.possible(query) is False

    def pins(
        self,
        entry: RuleEntry | ForbidEntry,
        *,
        even_if_errored: bool = False,
    ) -> dict[str, frozenset[str]]:
        """Fields the entry's condition pins to literal values: valid where it matches, or with
        `even_if_errored` also where it errors (see `must`). The entries live as long as this."""
        key = (id(entry), even_if_errored)
        if key not in self._pins:
            safe_for = None
            if even_if_errored:
                fields = self.engine.stack.schema.fields.values()
                safe_for = frozenset(f.path for f in fields if f.always_present)
            self._pins[key] = _pins_of(entry, safe_for)
        return self._pins[key]

    def witness(self, query: Any, check: Check, finding: str) -> Witness | None:
        with self._asking(query) as s:
            if s is None:
                return None
            found = find_witness(self.engine, self.encoder, s, self._preferences(), check)
        if found is None:
            return None
        witness = Witness(*found)
        self.witnesses.append((finding, witness))
        return witness


def _literal_values(expr: ast.Expr) -> frozenset[str] | None:
    if isinstance(expr, ast.StringLit):
        return frozenset({expr.value})
    if isinstance(expr, ast.EnumLit):
        return frozenset({expr.name})
    if isinstance(expr, ast.SetLit):
        values = [_literal_values(i) for i in expr.items]
        if all(v is not None and len(v) == 1 for v in values):
            return frozenset().union(*values)  # type: ignore[arg-type]
    return None


def must(
    when: ast.Expr | None, applies: ast.Expr | None, safe_for: frozenset[str] | None = None
) -> dict[str, frozenset[str]]:
    """Fields a condition pins to a set of literal values (`f == X`, `f in {X, Y}`).

    Without `safe_for`, every top-level conjunct counts: the pins hold in every case where the
    entry *matches*. An entry can also *error* (and, in a fail-closed layer, hold a slot or
    veto) when a conjunct before its pin reads a missing field; with `safe_for` (the fields
    always present), collecting stops at the first conjunct that could error, so the pins hold
    whenever the entry matches or errors.
    """
    found: dict[str, frozenset[str]] = {}
    for conjunct in (*conjuncts(applies), *conjuncts(when)):
        match conjunct:
            case (
                ast.Compare(op="==", left=ast.FieldRef(path=path), right=right)
                | ast.In(item=ast.FieldRef(path=path), collection=right, negated=False)
            ):
                values = _literal_values(right)
                if values is not None and (safe_for is None or path in safe_for):
                    found[path] = found[path] & values if path in found else values
                    continue
        if safe_for is not None:
            return found
    return found


def may_overlap(a: dict[str, frozenset[str]], b: dict[str, frozenset[str]]) -> bool:
    return all(a[path] & b[path] for path in a.keys() & b.keys())


def _actions_in(entry: RuleEntry, slot: str) -> tuple[ast.Action, ...]:
    return tuple(a for a in entry.rule.actions if ACTIONS[a.name].slot == slot)


def overlap_witness(ctx: Context, first: RuleEntry, second: RuleEntry) -> tuple[str, Witness] | None:
    """A one-valued slot the two rules set differently and a confirmed case both match (neither
    vetoed), or None: TTR302 between rules of one priority, TTR308 between rows of one table."""
    slots = [
        s
        for s in ONE_VALUED_SLOTS
        if s in first.slots and s in second.slots and _actions_in(first, s) != _actions_in(second, s)
    ]
    if not slots or not may_overlap(ctx.pins(first), ctx.pins(second)):
        return None

    def both_matched(decision: Decision) -> bool:
        vetoed = {r for r, _by in decision.vetoed}
        return all(r in decision.matched and r not in vetoed for r in (first.ref, second.ref))

    query = z3.And(ctx.encoder.live(first), ctx.encoder.live(second))
    witness = ctx.witness(query, both_matched, f"{first.ref.label} and {second.ref.label} overlap")
    return None if witness is None else (slots[0], witness)


def _pins_of(entry: RuleEntry | ForbidEntry, safe_for: frozenset[str] | None) -> dict[str, frozenset[str]]:
    node = entry.rule if isinstance(entry, RuleEntry) else entry.forbid
    return must(node.when, entry.owner.ruleset.applies, safe_for)


def where(entry: RuleEntry | ForbidEntry) -> Span | None:
    return entry.rule.span if isinstance(entry, RuleEntry) else entry.forbid.span


def condition_text(entry: RuleEntry | ForbidEntry) -> str:
    return condition_text_of(entry.rule.when if isinstance(entry, RuleEntry) else entry.forbid.when)


def condition_text_of(when: ast.Expr | None) -> str:
    from ttrules.syntax.format import format_expr

    return format_expr(when) if when is not None else "always"
