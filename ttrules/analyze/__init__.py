"""The analysis stage: layering (TTR2xx) and lints (TTR3xx) over a checked stack.

Claims that something can never happen are proven by the SMT solver (z3) over an encoding of
the reference semantics (`encode.py`); claims that something can happen come with a witness
case that the reference evaluator confirms (`witness.py`). When the solver cannot decide in
time, nothing is claimed. This package is the only place that imports z3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from ttrules.analyze import layering, lints, tables
from ttrules.analyze.context import DEFAULT_BUDGET_SECONDS, Context, Witness
from ttrules.analyze.policy import apply_policy
from ttrules.diagnostics import Diagnostic
from ttrules.engine import Engine


@dataclass
class Analysis:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    witnesses: list[tuple[str, Witness]] = field(default_factory=list)
    undecided: int = 0


def _guarded(ctx: Context, analysis: Callable[..., list[Diagnostic]], *args: Any) -> list[Diagnostic]:
    """One analysis; if the solver rejects a formula (an encoding the checker let through but
    z3 cannot type), that question counts as undecided and nothing is claimed."""
    try:
        return analysis(ctx, *args)
    except z3.Z3Exception:
        ctx.undecided += 1
        return []


def analyze(engine: Engine, budget: float = DEFAULT_BUDGET_SECONDS) -> Analysis:
    """Every finding about the stack; `budget` bounds the solver time in seconds (what is left
    undecided is counted, never claimed)."""
    ctx = Context(engine, budget)
    found: list[Diagnostic] = []
    for entry in engine.prepared.rules:
        dead = _guarded(ctx, lints.unreachable, entry)
        found += dead
        if dead:
            continue
        if entry.layer_index > 0:
            found += _guarded(ctx, layering.overridden, entry)
        found += _guarded(ctx, lints.shadowed, entry)
    for whole_stack in (
        layering.clamped_settings,
        layering.idle_forbids,
        lints.overlaps,
        tables.table_overlaps,
        tables.table_gaps,
        lints.uniform_thresholds,
        lints.missing_because,
        lints.unused_settings,
        lints.hard_coded_windows,
    ):
        found += _guarded(ctx, whole_stack)
    return Analysis(apply_policy(found, engine.stack.config.lint), ctx.witnesses, ctx.undecided)
