"""The analysis stage: layering (TTR2xx) and lints (TTR3xx) over a checked stack.

Claims that something can never happen are proven by the SMT solver (z3) over an encoding of
the reference semantics (`encode.py`); claims that something can happen come with a witness
case that the reference evaluator confirms (`witness.py`). When the solver cannot decide in
time, nothing is claimed. This package is the only place that imports z3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ttrules.analyze import layering, lints
from ttrules.analyze.context import Context, Witness
from ttrules.analyze.policy import apply_policy
from ttrules.diagnostics import Diagnostic
from ttrules.engine import Engine


@dataclass
class Analysis:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    witnesses: list[tuple[str, Witness]] = field(default_factory=list)
    undecided: int = 0


def analyze(engine: Engine) -> Analysis:
    ctx = Context(engine)
    found: list[Diagnostic] = []
    for entry in engine.prepared.rules:
        dead = lints.unreachable(ctx, entry)
        found += dead
        if dead:
            continue
        if entry.layer_index > 0:
            found += layering.overridden(ctx, entry)
        found += lints.shadowed(ctx, entry)
    found += layering.clamped_settings(ctx)
    found += layering.idle_forbids(ctx)
    found += lints.overlaps(ctx)
    found += lints.uniform_thresholds(ctx)
    found += lints.missing_because(ctx)
    found += lints.unused_settings(ctx)
    return Analysis(apply_policy(found, engine.stack.config.lint), ctx.witnesses, ctx.undecided)


def analyze_stack(engine: Engine) -> list[Diagnostic]:
    return analyze(engine).diagnostics
