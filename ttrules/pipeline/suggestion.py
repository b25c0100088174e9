"""`ttrules suggest` as one stage list: load and check the working tree's stack, find the
setting, choose the candidate values (given, or from the history's distribution of the field
the rules compare it with), sweep the history, recommend per group, and make the ruleset edit.

The edit is written only when asked, atomically, to the ruleset file as it is on disk (its
comments and value lists kept); it then goes through `simulate` and `confirm` like any edit.
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ttrules import ast
from ttrules.i18n import _
from ttrules.pipeline.simulation import SimulationError, checked_side
from ttrules.schema import types as t
from ttrules.simulate.history import HistoryError, read_history
from ttrules.suggest.recommend import Constraints, suggestion
from ttrules.suggest.sweep import Sweep, grid, sample_amounts
from ttrules.suggest.target import (
    SuggestError,
    Target,
    Value,
    edited_ruleset,
    find_target,
    parse_value,
    ruleset_file,
)
from ttrules.values import Money

MAX_VALUES = 40


@dataclass(frozen=True)
class SuggestRequest:
    setting: str
    history: Path
    by: str = "order.category"
    ruleset: str | None = None
    values: tuple[str, ...] = ()
    constraints: Constraints = field(default_factory=Constraints)
    config: Path | None = None
    history_format: str | None = None
    limit: int | None = None  # only the first records of a long history


@dataclass(frozen=True)
class Suggestion:
    report: dict[str, Any]
    path: Path  # the ruleset file the edit is for
    edited: str | None  # its new text, None when nothing is recommended
    diff: str


def run_suggestion(request: SuggestRequest) -> Suggestion:
    side = checked_side(None, request.config, "candidate")
    stack = side.engine.stack
    try:
        target = find_target(stack, request.setting, request.ruleset)
        by_type = _group_type(stack, request.by)
        columns = stack.config.history.columns
        values = _values(request, target, stack, columns)
        sweep = Sweep(stack, target, values, request.by)
        rows = read_history(request.history, columns, request.history_format)
        sweep.run(itertools.islice(rows, request.limit) if request.limit is not None else rows)
    except (SuggestError, HistoryError) as error:
        raise SimulationError(_("error: {problem}").format(problem=error)) from None
    report = suggestion(sweep, request.constraints)
    path = ruleset_file(target)
    chosen = {g["key"]: parse_value(g["recommended"], target) for g in report["groups"] if g["recommended"]}
    edited, diff = _edit(path, target, request.by, by_type, chosen)
    report["edit"] = {"file": str(path), "diff": diff} if edited is not None else None
    return Suggestion(report, path, edited, diff)


def _group_type(stack: Any, by: str) -> t.Type:
    spec = stack.schema.get(by)
    if spec is None or spec.type.kind not in ("str", "enum"):
        raise SuggestError(_("--by needs a text or enumeration field, not `{by}`").format(by=by))
    return spec.type


def _values(request: SuggestRequest, target: Target, stack: Any, columns: Any) -> list[Value]:
    if request.values:
        parsed = sorted({parse_value(v, target) for v in request.values}, key=_amount)
    else:
        if target.compared is None:
            raise SuggestError(
                _("no rule compares `{setting}` with a field: give the candidates with --values").format(
                    setting=target.setting
                )
            )
        probe = Sweep(stack, target, [], request.by)
        rows = read_history(request.history, columns, request.history_format)
        sample = sample_amounts(
            probe, itertools.islice(rows, request.limit) if request.limit is not None else rows
        )
        current = [
            s.value.amount if isinstance(s.value, ast.MoneyLit) else s.value.value for s in target.current()
        ]
        amounts = grid(sample, current, integral=target.kind == "int")
        parsed = [Money(a, target.currency) if target.currency else a for a in amounts]  # type: ignore[misc]
    if len(parsed) > MAX_VALUES:
        raise SuggestError(_("at most {limit} candidate values at once").format(limit=MAX_VALUES))
    return parsed


def _amount(value: Value) -> Decimal:
    return value.amount if isinstance(value, Money) else value


def _edit(
    path: Path, target: Target, by: str, by_type: t.Type, chosen: dict[str, Value]
) -> tuple[str | None, str]:
    """The ruleset file's new text with the recommendations, and the unified diff."""
    from ttrules.syntax.format import format_ruleset
    from ttrules.syntax.load import load_ruleset_file
    from ttrules.syntax.yaml_emit import emit_ruleset_yaml

    if not chosen:
        return None, ""
    ruleset, problems = load_ruleset_file(path)
    if ruleset is None:
        raise SimulationError(_("error: cannot read {path} to edit it").format(path=path), problems)
    edited = edited_ruleset(ruleset, target.setting, by, by_type, chosen)
    if path.suffix in (".yaml", ".yml"):
        text = emit_ruleset_yaml(edited)
    elif path.suffix == ".ttr":
        text = format_ruleset(edited)
    else:
        raise SimulationError(
            _("error: {path}: a suggestion is written to DSL or YAML rulesets only").format(path=path)
        )
    before = path.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), text.splitlines(keepends=True), str(path), str(path)
        )
    )
    return text, diff
