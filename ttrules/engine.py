"""The library entry point: load a stack, check it, and decide cases.

engine, diagnostics = Engine.load([Path("rulesets/")])
decision = engine.decide({"order": {...}, "request": {...}})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ttrules.check import check_stack
from ttrules.diagnostics import Diagnostic, has_errors
from ttrules.evaluate.cascade import decide
from ttrules.evaluate.class_memo import ClassMemo
from ttrules.evaluate.compiled import compile_stack
from ttrules.evaluate.decision import Decision
from ttrules.evaluate.explain import decision_json_tail, decision_json_text
from ttrules.evaluate.prepare import PreparedStack, prepare
from ttrules.schema.loader import load_values
from ttrules.stack import Stack, load_stack


@dataclass(frozen=True)
class Engine:
    stack: Stack
    prepared: PreparedStack
    compiled: ClassMemo  # the compiled stack, deciding once per class of case

    @classmethod
    def from_stack(cls, stack: Stack) -> Engine:
        prepared = prepare(stack)
        return cls(stack, prepared, ClassMemo(compile_stack(prepared)))

    @classmethod
    def load(
        cls,
        paths: list[Path] | None = None,
        config: Path | None = None,
    ) -> tuple[Engine | None, list[Diagnostic]]:
        """A checked engine, or None with the diagnostics that prevent one."""
        stack, diagnostics = load_stack(paths, config)
        if stack is None:
            return None, diagnostics
        diagnostics += check_stack(stack)
        if has_errors(diagnostics):
            return None, diagnostics
        return cls.from_stack(stack), diagnostics

    def values(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A raw case record to field values; raises CaseError for an invalid record."""
        return load_values(record, self.stack.schema)

    def decide(self, record: Mapping[str, Any], *, explain: bool = False) -> Decision:
        """Decide a raw record: the reference with its explanation, else the compiled path
        (tested to give the same decision)."""
        return self.decide_values(self.values(record), explain=explain)

    def decide_json(self, values: Mapping[str, Any]) -> tuple[Decision, str]:
        """The decision and its compact JSON text (`decision_json`), rendered once per class
        of case: what the service answers with."""
        decision, tail = self.compiled.decide_rendered(values, decision_json_tail)
        return decision, decision_json_text(decision.case_id, tail)

    def decide_values(self, values: Mapping[str, Any], *, explain: bool = False) -> Decision:
        if explain:
            return decide(self.prepared, values, explain=True)
        return self.compiled.decide(values)
