"""The report's figures as aggregations over the `decided` table, added into an Accumulator.

Each query reads narrow columns of the rows SQL decided (`NOT esc`); the figures are added
into the same `Accumulator` the Python engine fills one record at a time, so both engines
share one report definition (ttrules/simulate/metrics.py) and escaped rows simply add on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ttrules.columnar.decisions import BITS
from ttrules.columnar.query import CompiledQuery
from ttrules.simulate.metrics import BREAKDOWNS, Accumulator

TABLE = "ttr_decided"
_DECIDED = f"FROM {TABLE} WHERE NOT esc"  # constant SQL text: no value is spliced in


def fold(con: Any, compiled: CompiledQuery, acc: Accumulator) -> None:
    def rows(query: str) -> list[tuple[Any, ...]]:
        return con.execute(query).fetchall()  # type: ignore[no-any-return]

    resolutions = compiled.resolutions
    # The query texts are constant: only column names of our own table, no values.
    (count, changed), = rows(f"SELECT count(*), coalesce(sum(changed::INT), 0) {_DECIDED}")
    acc.records += count
    acc.changed += changed
    for b, c, n in rows(f"SELECT b_resolution, c_resolution, count(*) {_DECIDED} GROUP BY ALL"):
        before, after = resolutions[b].action, resolutions[c].action
        acc.transitions[(before, after)] += n
        acc.resolution_changed += n if before != after else 0
        for side, action in (("baseline", before), ("candidate", after)):
            acc.sides[side].resolutions[action] += n
            acc.sides[side].review += n if action == "review" else 0
    for side, p in (("baseline", "b_"), ("candidate", "c_")):
        _fold_side(rows, compiled, acc, side, p)
    _fold_breakdowns(rows, compiled, acc)
    for (index, n) in rows(f"SELECT hist, count(*) {_DECIDED} AND hist IS NOT NULL GROUP BY ALL"):
        acc.histogram[index] += n
    for i in range(len(compiled.thresholds)):
        below, above = rows(f"SELECT coalesce(sum((band{i} = 1)::INT), 0), "
                            f"coalesce(sum((band{i} = 2)::INT), 0) {_DECIDED}")[0]
        acc.bands[i][0] += below
        acc.bands[i][1] += above


def _fold_side(rows: Any, compiled: CompiledQuery, acc: Accumulator, side: str, p: str) -> None:
    columns = compiled.sides[side]
    s = acc.sides[side]
    labels = [e.ref.label for e in columns.rules]
    count = len(labels)
    vetoes = " + ".join(column for _, column in columns.veto_columns) or "0"
    errors = " OR ".join(f"{column} <> 0" for column in columns.error_columns) or "false"
    (overridden, vetoed, errored), = rows(
        f"SELECT coalesce(sum({p}overridden::INT), 0), coalesce(sum((({vetoes}) > 0)::INT), 0), "
        f"coalesce(sum(({errors})::INT), 0) {_DECIDED}")
    s.overridden_records += overridden
    s.vetoed_records += vetoed
    s.errored_records += errored
    for index, n in _bit_counts(rows, columns.matched_columns, count):
        s.matched[labels[index]] += n
    for index, n in _bit_counts(rows, columns.error_columns, len(columns.error_labels)):
        s.errors[columns.error_labels[index]] += n
    for forbid, column in columns.veto_columns:
        (n,), = rows(f"SELECT coalesce(sum({column}), 0) {_DECIDED}")
        if n:
            s.vetoes[columns.forbid_labels[forbid]] += n
    for res, ful, route, n in rows(f"SELECT {p}w_resolution, {p}w_fulfillment, {p}w_route, count(*) "
                                   f"{_DECIDED} GROUP BY ALL"):
        # A held resolution names its fail-closed rule; a held fulfillment or route is empty.
        won = {labels[res % count]} if res >= 0 else set()
        won |= {labels[i] for i in (ful, route) if 0 <= i < count}
        for label in won:
            s.won[label] += n
    refunds = s.money["auto_refunds"].by_currency
    abuse = s.money["abuse_exposure"].by_currency
    for currency, amount, abused in rows(
            f"SELECT {p}refund_cur, sum({p}refund), coalesce(sum({p}refund) FILTER (WHERE abuse), 0) "
            f"{_DECIDED} AND {p}refund IS NOT NULL GROUP BY ALL"):
        refunds[currency] += amount
        if abused:
            abuse[currency] += abused
    for currency, amount in rows(f"SELECT total_cur, sum(total) {_DECIDED} AND {p}keeps GROUP BY ALL"):
        s.money["goods_kept"].by_currency[currency] += amount
    for currency, amount in rows(f"SELECT postage_cur, sum(postage) {_DECIDED} AND {p}pays_postage "
                                 "GROUP BY ALL"):
        s.money["return_postage"].by_currency[currency] += amount


def _bit_counts(rows: Any, columns: list[str], flags: int) -> list[tuple[int, int]]:
    """(flag, rows where it is set) for flags packed BITS to a column; zero counts left out."""
    sums = [f"coalesce(sum(({column} >> {i}) & 1), 0)"
            for k, column in enumerate(columns) for i in range(min(BITS, flags - k * BITS))]
    if not sums:
        return []
    counts = rows(f"SELECT {', '.join(sums)} {_DECIDED}")[0]
    return [(index, int(n)) for index, n in enumerate(counts) if n]


def _fold_breakdowns(rows: Any, compiled: CompiledQuery, acc: Accumulator) -> None:
    for group in BREAKDOWNS:
        query = (f"SELECT k_{group}, count(*), sum(changed::INT), sum(b_review::INT), "
                 "sum(c_review::INT), coalesce(sum(b_refund_rep), 0), coalesce(sum(c_refund_rep), 0) "
                 f"{_DECIDED} GROUP BY ALL")
        for key, n, changed, b_review, c_review, b_refund, c_refund in rows(query):
            entry = acc.groups[group].setdefault(key, {
                "records": 0, "changed": 0, "baseline_auto_refunds": Decimal(0),
                "candidate_auto_refunds": Decimal(0), "baseline_review": 0, "candidate_review": 0})
            entry["records"] += n
            entry["changed"] += changed
            entry["baseline_review"] += b_review
            entry["candidate_review"] += c_review
            entry["baseline_auto_refunds"] += Decimal(b_refund)
            entry["candidate_auto_refunds"] += Decimal(c_refund)

