"""The decision-table analysis (as Drools verifies a table): per table, the rows that overlap
with different outcomes (TTR308) and the cases no row decides (TTR309), each shown by a witness
case the reference evaluator confirms.

A table's hit policy is *first*: rows are tried by priority and from the top, so an overlap is
not an ambiguity (TTR302 leaves rows of one table alone) but something the author should see:
the lower row never decides the overlapping cases. A gap is a case that passes the tests every
row of the table shares (the table's subject, e.g. `request.kind == CANCEL`) and that no row
matches: the stack's default or another ruleset decides it.
"""

from __future__ import annotations

from itertools import groupby

import z3

from ttrules import ast
from ttrules.analyze.context import Context, overlap_witness
from ttrules.analyze.encode import conjuncts
from ttrules.diagnostics import Diagnostic, Severity
from ttrules.evaluate.decision import Decision
from ttrules.evaluate.prepare import RuleEntry
from ttrules.i18n import _
from ttrules.syntax.format import format_expr
from ttrules.syntax.table import TABLE_SUFFIXES


def is_table(entry: RuleEntry) -> bool:
    return entry.ref.path.endswith(TABLE_SUFFIXES)


def same_table(first: RuleEntry, second: RuleEntry) -> bool:
    return is_table(first) and first.ref.path == second.ref.path


def _tables(ctx: Context) -> list[list[RuleEntry]]:
    rows = [e for e in ctx.engine.prepared.rules if is_table(e)]
    rows.sort(key=lambda e: (e.ref.path, e.source_index))
    return [list(group) for _path, group in groupby(rows, key=lambda e: e.ref.path)]


def table_overlaps(ctx: Context) -> list[Diagnostic]:
    """TTR308: two rows of one table that can match one case and decide a slot differently."""
    found = []
    for table in _tables(ctx):
        order = sorted(table, key=lambda e: (-e.rule.priority, e.source_index))  # the hit order
        for i, winner in enumerate(order):
            for loser in order[i + 1 :]:
                overlap = overlap_witness(ctx, winner, loser)
                if overlap is None:
                    continue
                slot, witness = overlap
                found.append(
                    Diagnostic(
                        "TTR308",
                        _(
                            "rows `{winner}` and `{loser}` of the table overlap with a different {slot}: "
                            "`{winner}` comes first and decides those cases"
                        ).format(winner=winner.rule.name, loser=loser.rule.name, slot=slot),
                        loser.rule.span,
                        severity=Severity.INFO,
                        notes=(witness.note(),),
                        help=_(
                            "if the lower row should decide some of them, narrow the upper one or raise "
                            "the lower row's priority"
                        ),
                    )
                )
    return found


def _shared_tests(table: list[RuleEntry]) -> list[ast.Expr]:
    """The conjuncts every row of the table has: the table's subject."""

    shared = list(conjuncts(table[0].rule.when))
    for entry in table[1:]:
        theirs = conjuncts(entry.rule.when)
        shared = [c for c in shared if c in theirs]
    return shared


def table_gaps(ctx: Context) -> list[Diagnostic]:
    """TTR309: a case within the table's subject that no row of it matches."""
    enc = ctx.encoder
    found = []
    for table in _tables(ctx):
        owner = table[0].owner
        applies = enc.applies(owner)
        subject = [enc.term(c) for c in _shared_tests(table)]
        within = [applies.ok, applies.value, *(t.ok for t in subject), *(t.value for t in subject)]
        no_row = [z3.Not(z3.Or(enc.rule(entry)[0], enc.rule(entry)[1])) for entry in table]
        query = z3.And(*within, *no_row)

        def uncovered(decision: Decision, rows: list[RuleEntry] = table) -> bool:
            return not any(r.ref in decision.matched for r in rows) and not decision.errors

        witness = ctx.witness(query, uncovered, f"{owner.ruleset.name} gap")
        if witness is None:
            continue
        shared = " and ".join(format_expr(c) for c in _shared_tests(table)) or "true"
        found.append(
            Diagnostic(
                "TTR309",
                _("no row of table `{table}` decides some cases where `{subject}`").format(
                    table=owner.ruleset.name, subject=shared
                ),
                owner.ruleset.name_span,
                severity=Severity.INFO,
                notes=(witness.note(),),
                help=_(
                    "add a last row with empty condition cells (any value) if every such case needs a "
                    "decision"
                ),
            )
        )
    return found
