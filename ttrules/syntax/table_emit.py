"""A ruleset written as a decision table (CSV), the inverse of `syntax/table.py`.

A ruleset fits a table when each rule's condition is an `and` of tests of one field against a
literal (`order.total < 30 USD`, `request.reason in {A, B}`) and it has no settings, limits or
forbids: those have no cell to live in. The columns are the (field, operator) pairs in the order
the rules first use them; a rule that does not test a column leaves its cell empty (any value).
"""

from __future__ import annotations

import csv
import io

from ttrules import ast
from ttrules.i18n import _
from ttrules.syntax.format import format_action, format_expr
from ttrules.syntax.table import LITERAL


class NotATable(ValueError):
    """The ruleset has something a decision table cannot hold; the message says what."""


def _tests(rule: ast.Rule) -> list[tuple[str, str, ast.Expr]]:
    """(field, operator, literal) of each conjunct of the rule's condition."""
    if rule.when is None:
        return []
    items = rule.when.items if isinstance(rule.when, ast.And) else (rule.when,)
    found = []
    for item in items:
        if isinstance(item, ast.Compare) and isinstance(item.left, ast.FieldRef) and _is_literal(item.right):
            found.append((item.left.path, item.op, item.right))
        elif (
            isinstance(item, ast.In)
            and isinstance(item.item, ast.FieldRef)
            and isinstance(item.collection, ast.SetLit)
        ):
            found.append((item.item.path, "not in" if item.negated else "in", item.collection))
        else:
            raise NotATable(
                _("rule `{rule}`: `{test}` is not a test of one field against a value").format(
                    rule=rule.name, test=format_expr(item)
                )
            )
    return found


def _is_literal(expr: ast.Expr) -> bool:
    return isinstance(
        expr,
        ast.NumberLit
        | ast.MoneyLit
        | ast.DurationLit
        | ast.PercentLit
        | ast.StringLit
        | ast.EnumLit
        | ast.BoolLit,
    )


def _cell(expr: ast.Expr) -> str:
    """A literal as a cell: as the DSL writes it, a string without its quotes when it would not
    read back as something else."""
    if isinstance(expr, ast.SetLit):
        return ", ".join(_cell(item) for item in expr.items)
    text = format_expr(expr)
    bare = isinstance(expr, ast.StringLit) and not LITERAL.fullmatch(expr.value)
    if bare and "," not in expr.value and expr.value.strip() == expr.value and expr.value not in ("", "-"):
        return expr.value
    return text


def emit_ruleset_table(ruleset: ast.Ruleset) -> str:
    """The ruleset as CSV; raises NotATable for what a table cannot hold."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in table_rows(ruleset):
        if row:
            writer.writerow(row)
        else:
            out.write("\n")
    return out.getvalue()


def table_rows(ruleset: ast.Ruleset) -> list[list[str]]:
    """The sheet's rows (an empty one between the header lines and the table); raises
    NotATable for what a table cannot hold."""
    if ruleset.settings or ruleset.limits or ruleset.forbids:
        raise NotATable(_("a decision table holds rules only (no `set`, `limit` or `forbid`)"))
    rows = [(rule, _tests(rule)) for rule in ruleset.rules]
    columns: list[tuple[str, str]] = []
    for _rule, tests in rows:
        for field, op, _value in tests:
            if (field, op) not in columns:
                columns.append((field, op))
    for rule, tests in rows:
        keys = [(field, op) for field, op, _value in tests]
        if len(set(keys)) != len(keys):
            raise NotATable(_("rule `{rule}` tests one column twice").format(rule=rule.name))
    with_priority = any(rule.priority for rule in ruleset.rules)
    header = ["name", *(["priority"] if with_priority else [])]
    header += [field if op == "==" else f"{field} {op}" for field, op in columns]
    header += ["then", "because"]
    sheet = [["ruleset", ruleset.name], ["layer", ruleset.layer]]
    if ruleset.applies is not None:
        sheet.append(["applies", format_expr(ruleset.applies)])
    sheet += [[], header]
    for rule, tests in rows:
        by_column = {(field, op): value for field, op, value in tests}
        cells = [rule.name, *([str(rule.priority)] if with_priority else [])]
        cells += [_cell(by_column[c]) if c in by_column else "" for c in columns]
        cells += [", ".join(format_action(a) for a in rule.actions), rule.because or ""]
        sheet.append(cells)
    return sheet
