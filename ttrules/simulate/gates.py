"""`--fail-if EXPR`: CI gates written in the rule expression language over report figures.

    --fail-if 'abuse_exposure.delta > 100 USD' --fail-if 'review.share.delta > 5%'

Gates are parsed and type-checked against the figure schema before the simulation runs, so a
misspelt figure or a unit error (money compared with a number) costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ttrules import ast
from ttrules.check.typecheck import Scope, TypeChecker
from ttrules.diagnostics import Diagnostic
from ttrules.evaluate.interpret import Env, EvalError, safely, truth
from ttrules.i18n import _
from ttrules.schema import types as t
from ttrules.schema.fields import FieldSpec, Schema
from ttrules.spans import SourceFile
from ttrules.syntax.dsl import parse_fragment
from ttrules.values import Money, render_value

SIDES = ("baseline", "candidate", "delta")
MONEY_FIGURES = ("auto_refunds", "goods_kept", "return_postage", "abuse_exposure")


def figure_types() -> dict[str, tuple[t.Type, str]]:
    """Every figure a gate can name, with its type and meaning."""
    figures: dict[str, tuple[t.Type, str]] = {
        "records.decided": (t.INT, "records decided"),
        "records.skipped": (t.INT, "rows skipped as unreadable"),
        "changed.count": (t.INT, "cases whose decision changes"),
        "changed.share": (t.NUMBER, "share of cases whose decision changes (compare with %)"),
        "threshold_gaming.flagged": (t.INT, "new or moved thresholds with a lopsided band below"),
    }
    for metric in MONEY_FIGURES:
        for side in SIDES:
            figures[f"{metric}.{side}"] = (t.MONEY, f"{metric.replace('_', ' ')}, {side}")
    for name, type_ in (("count", t.INT), ("share", t.NUMBER), ("hours", t.NUMBER), ("cost", t.MONEY)):
        for side in SIDES:
            figures[f"review.{name}.{side}"] = (type_, f"manual review {name}, {side}")
    for name in ("errors", "overridden", "vetoed"):
        for side in SIDES:
            figures[f"{name}.records.{side}"] = (t.INT, f"records with {name}, {side}")
    return figures


def figure_values(report: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The figures a gate can read, and why those it cannot read are not available."""
    currency = report["inputs"]["currency"]
    unavailable: dict[str, str] = {}
    values: dict[str, Any] = {
        "records.decided": report["records"]["decided"],
        "records.skipped": report["records"]["skipped"],
        "changed.count": report["changed"]["count"],
        "changed.share": Decimal(report["changed"]["share"]),
        "threshold_gaming.flagged": sum(1 for g in report["threshold_gaming"] if g["flagged"]),
    }
    for metric in MONEY_FIGURES:
        total = report["money"][metric]["total"]
        for side in SIDES:
            values[f"{metric}.{side}"] = Money(Decimal(total[side]), currency)
            if total["left_out"]:
                unavailable[f"{metric}.{side}"] = (
                    f"amounts in {', '.join(total['left_out'])} have no FX rate to {currency}"
                )
    review = report["review"]
    for side in SIDES:
        values[f"review.count.{side}"] = review[side]["count"]
        values[f"review.share.{side}"] = Decimal(review[side]["share"])
        values[f"review.hours.{side}"] = Decimal(review[side]["hours"])
        if review[side]["cost"] is None:
            unavailable[f"review.cost.{side}"] = review["cost_unavailable"]
        else:
            values[f"review.cost.{side}"] = Money(Decimal(review[side]["cost"]), currency)
    pairs = {
        "errors": (report["errors"], "records"),
        "overridden": (report["platform"], "overridden_records"),
        "vetoed": (report["platform"], "vetoed_records"),
    }
    for name, (block, key) in pairs.items():
        before, after = block["baseline"][key], block["candidate"][key]
        values.update(
            {
                f"{name}.records.baseline": before,
                f"{name}.records.candidate": after,
                f"{name}.records.delta": after - before,
            }
        )
    return values, unavailable


@dataclass(frozen=True)
class Gate:
    text: str
    expr: ast.Expr


def parse_gates(texts: list[str], currency: str, fx: frozenset[str]) -> tuple[list[Gate], list[Diagnostic]]:
    schema = Schema(
        {
            path: FieldSpec(path, type_, "required", meaning)
            for path, (type_, meaning) in figure_types().items()
        }
    )
    gates, diagnostics = [], []
    for number, text in enumerate(texts, start=1):
        source = SourceFile(f"--fail-if #{number}", text)
        found: list[Diagnostic] = []
        expr = parse_fragment(text, "expr_only", source, lambda p: p, found)
        if expr is not None:
            checker = TypeChecker(schema, {}, currency, fx, found, schema_name="the report figures")
            checker.condition(expr, Scope(settings_allowed=False), _("a gate"))
        diagnostics += found
        if expr is not None and not found:
            gates.append(Gate(text, expr))
    return gates, diagnostics


def _shown(path: str, value: Any) -> str:
    return f"{value * 100:.2f} %" if path.endswith(".share") else render_value(value)


def tripped(gates: list[Gate], report: dict[str, Any], fx: dict[str, Decimal]) -> list[str]:
    """Messages for the gates that trip (or cannot be evaluated, which also fails: a gate on a
    figure the report cannot give never passes silently)."""
    values, unavailable = figure_values(report)
    env = Env(values, {}, fx, {})
    messages = []
    for gate in gates:
        missing = [
            f"{node.path} is not available ({unavailable[node.path]})"
            for node in ast.walk(gate.expr)
            if isinstance(node, ast.FieldRef) and node.path in unavailable
        ]
        if missing:
            messages.append(f"gate could not be evaluated: {gate.text}: {'; '.join(missing)}")
            continue
        try:
            if truth(safely(gate.expr, env)):
                shown = ", ".join(
                    f"{node.path} = {_shown(node.path, values[node.path])}"
                    for node in ast.walk(gate.expr)
                    if isinstance(node, ast.FieldRef)
                )
                messages.append(f"gate tripped: {gate.text}  ({shown})")
        except EvalError as error:
            messages.append(f"gate could not be evaluated: {gate.text}: {error}")
    return messages


def too_few_decided(records: dict[str, Any], max_skipped: float) -> list[str]:
    """A report of nothing, or of a history mostly skipped, must not pass a CI job."""
    decided, skipped = records["decided"], records["skipped"]
    if decided == 0:
        return [
            f"error: no record was decided ({skipped:,} rows skipped): the figures say "
            "nothing; fix the history or its mapping (or pass --allow-skipped)"
        ]
    share = 100 * skipped / (decided + skipped)
    if share > max_skipped:
        return [
            f"error: {skipped:,} of {decided + skipped:,} rows ({share:.2f} %) were skipped, "
            f"more than --max-skipped {max_skipped:g} %; the figures stand for part of the "
            "history only (pass --allow-skipped to accept them)"
        ]
    return []
