"""The report's figures from the `decided` table, added into an Accumulator.

The table holds the decided records grouped (query._grouped): one row per combination of
decision pattern and report keys, with its record count `n` and amount sums. The per-rule
figures (matches, errors, vetoes, wins), transitions and record flags come from one GROUP BY
over the pattern columns (a few hundred patterns for the bundled stack over millions of
records), each pattern's count spread over the figures in Python; money per currency, the
breakdowns, the histogram and the threshold bands each read a few columns in a query of their
own. The figures go into the same `Accumulator` the python engine fills one record at a time,
so both engines share one report definition (ttrules/simulate/metrics.py) and rows the python
engine decided add on.

The query texts are built from our own column names and integer codes only; no value from a
rule file or the history is spliced into them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ttrules.columnar.decisions import ERRORED, MATCHED, SideColumns
from ttrules.columnar.query import FIRST_ERRORED, CompiledQuery
from ttrules.simulate.metrics import BREAKDOWNS, Accumulator

TABLE = "ttr_decided"
_DECIDED = f"FROM {TABLE} WHERE NOT esc"
_SIDES = (("baseline", "b_"), ("candidate", "c_"))
_FLAGS = ("overridden", "vetoed", "errored")
_SLOTS = ("resolution", "fulfillment", "route")


def fold(con: Any, compiled: CompiledQuery, acc: Accumulator) -> None:
    def rows(query: str) -> list[tuple[Any, ...]]:
        return con.execute(query).fetchall()  # type: ignore[no-any-return]

    _fold_patterns(rows, compiled, acc)
    _fold_groups(rows, compiled, acc)
    _fold_backtest(rows, compiled, acc)
    if compiled.thresholds:
        bands = ", ".join(
            f"coalesce(sum(n) FILTER (WHERE band{i} = {b}), 0)"
            for i in range(len(compiled.thresholds))
            for b in (1, 2)
        )
        figures = rows(f"SELECT {bands} {_DECIDED}")[0]
        for i in range(len(compiled.thresholds)):
            acc.bands[i][0] += figures[2 * i]
            acc.bands[i][1] += figures[2 * i + 1]


def _fold_backtest(rows: Any, compiled: CompiledQuery, acc: Accumulator) -> None:
    """The labelled records' figures per stack (simulate/backtest.py), by labels and
    resolution."""
    labelled = "(agent IS NOT NULL OR abuse IS NOT NULL OR timed)"
    for side, p in _SIDES:
        query = (
            f'SELECT agent, abuse, timed, "{p}resolution", "{p}refund_cur", asked_cur, sum(n),'
            f' sum("{p}refund"), sum(asked), coalesce(sum(minutes), 0) {_DECIDED} AND {labelled} GROUP BY ALL'
        )
        for agent, abuse, timed, code, refund_cur, asked_cur, n, refund, asked, minutes in rows(query):
            if side == "baseline":
                acc.backtest.add_records(n, agent, abuse, n if timed else 0)
            acc.backtest.add_decided(
                side,
                n,
                agent,
                abuse,
                compiled.resolutions[code].action,
                (refund_cur, refund) if refund_cur is not None else None,
                (asked_cur, asked) if asked_cur is not None else None,
                Decimal(minutes),
                n if timed else 0,
            )


def _pattern_columns(compiled: CompiledQuery) -> list[str]:
    columns = ["changed"]
    for side, p in _SIDES:
        c = compiled.sides[side]
        columns += [f"{p}{slot}" for slot in _SLOTS] + [f"{p}w_{slot}" for slot in _SLOTS]
        columns += [f"{p}{flag}" for flag in _FLAGS]
        columns += [name for name, _, _, _ in c.packed] + [x for x, _ in c.setting_errors]
    return list(dict.fromkeys(columns))  # a column both stacks share is read once


def _fold_patterns(rows: Any, compiled: CompiledQuery, acc: Accumulator) -> None:
    columns = _pattern_columns(compiled)
    quoted = ", ".join(f'"{c}"' for c in columns)
    firsts = ", ".join(f'min("{c}")' for c in FIRST_ERRORED)
    for row in rows(f"SELECT {quoted}, {firsts}, sum(n) {_DECIDED} GROUP BY ALL"):
        value, n = dict(zip(columns, row, strict=False)), row[-1]
        value.update(zip(FIRST_ERRORED, row[len(columns) : -1], strict=True))
        acc.records += n
        acc.changed += n if value["changed"] else 0
        actions = {}
        for side, p in _SIDES:
            actions[side] = compiled.resolutions[value[p + "resolution"]].action
            _add_side(acc, compiled, side, p, value, n)
        before, after = actions["baseline"], actions["candidate"]
        acc.transitions[(before, after)] += n
        acc.resolution_changed += n if before != after else 0


def _add_side(
    acc: Accumulator, compiled: CompiledQuery, side: str, p: str, value: dict[str, Any], n: int
) -> None:
    s, columns = acc.sides[side], compiled.sides[side]
    action = compiled.resolutions[value[p + "resolution"]].action
    s.resolutions[action] += n
    s.review += n if action == "review" else 0
    s.overridden_records += n if value[p + "overridden"] else 0
    s.vetoed_records += n if value[p + "vetoed"] else 0
    s.errored_records += n if value[p + "errored"] else 0
    labels = [e.ref.label for e in columns.rules]
    unpacked = _unpacked(columns, value)
    statuses = [unpacked[c] for c in columns.statuses]
    errored: list[str] = []
    for r, (_, code) in enumerate(columns.rule_status):
        if statuses[r] == MATCHED:
            s.matched[labels[r]] += n
        elif statuses[r] == ERRORED:
            errored.append(columns.error_labels[code])
    for f, (_, code) in enumerate(columns.forbid_status):
        if statuses[len(columns.rule_status) + f] == ERRORED:
            errored.append(columns.error_labels[code])
    for column, _ in columns.setting_errors:
        if value[column]:
            errored.append(columns.error_labels[value[column] - 1])
    first = value[f"{p}first_err"]
    for label in errored:
        s.errors[label] += n
        if first is not None:
            # The message is read later, by deciding that record in Python (run.py).
            s.note_error(label, first + 1, "")
    for column in columns.vetoed_by:
        if unpacked[column] >= 0:
            s.vetoes[columns.forbid_labels[unpacked[column]]] += n
    # A held resolution names its fail-closed rule; a held fulfillment or route is empty.
    count = len(labels)
    res, ful, route = (value[f"{p}w_{slot}"] for slot in _SLOTS)
    won = {labels[res % count]} if res >= 0 else set()
    won |= {labels[i] for i in (ful, route) if 0 <= i < count}
    for label in won:
        s.won[label] += n


def _unpacked(columns: SideColumns, value: dict[str, Any]) -> dict[str, int]:
    out = {}
    for name, packed, bits, offset in columns.packed:
        word = value[name]
        for j, column in enumerate(packed):
            out[column] = ((word >> (bits * j)) & ((1 << bits) - 1)) - offset
    return out


def _resolution_is(compiled: CompiledQuery, p: str, action: str) -> str:
    codes = [str(code) for code, value in compiled.resolutions.items() if value.action == action]
    return f'"{p}resolution" IN ({", ".join(codes)})' if codes else "FALSE"


def _groups(compiled: CompiledQuery) -> dict[str, tuple[str, str]]:
    """Per-key figures: a query each, reading only its columns."""

    def both(template: str, action: str) -> str:
        return ", ".join(template.format(_resolution_is(compiled, p, action)) for _, p in _SIDES)

    # The platform pays the return postage of an approved return-and-refund; a record with
    # no postage has no currency key, and no key adds nothing (`_add_group`).
    postage = "sum(postage) FILTER (WHERE {} AND k_kind = 'RETURN_AND_REFUND')"
    reviewed = both("sum(n) FILTER (WHERE {})", "review")
    return {
        "b_refunds": ("b_refund_cur", "sum(b_refund), sum(b_refund) FILTER (WHERE abuse)"),
        "c_refunds": ("c_refund_cur", "sum(c_refund), sum(c_refund) FILTER (WHERE abuse)"),
        "goods": ("total_cur", both("sum(total) FILTER (WHERE {})", "refund_without_return")),
        "postage": ("postage_cur", both(postage, "approve")),
        "hist": ("hist", "sum(n), 0"),
        "asked": ("asked_cur", "sum(asked), 0"),
        "hrefund": ("hrefund_cur", "sum(hrefund), 0"),
        **{
            f"k_{group}": (
                f"k_{group}",
                f"sum(n), sum(changed::INT * n), {reviewed}, "
                "coalesce(sum(b_refund_rep), 0), "
                "coalesce(sum(c_refund_rep), 0)",
            )
            for group in BREAKDOWNS
        },
    }


def _fold_groups(rows: Any, compiled: CompiledQuery, acc: Accumulator) -> None:
    for name, (key, sums) in _groups(compiled).items():
        for row in rows(f"SELECT {key}, {sums} {_DECIDED} GROUP BY ALL"):
            _add_group(acc, name, row[0], row[1:])


def _add_group(acc: Accumulator, name: str, key: Any, sums: tuple[Any, ...]) -> None:
    if key is None:
        return  # no refund, no postage, a currency without a rate: nothing to add
    if name in ("b_refunds", "c_refunds"):
        money = acc.sides["baseline" if name == "b_refunds" else "candidate"].money
        amount, abused = sums
        money["auto_refunds"].by_currency[key] += amount
        if abused is not None:  # a sum of zero still names the currency, as in python
            money["abuse_exposure"].by_currency[key] += abused
    elif name in ("goods", "postage"):
        metric = "goods_kept" if name == "goods" else "return_postage"
        for side, amount in zip(("baseline", "candidate"), sums, strict=True):
            if amount is not None:
                acc.sides[side].money[metric].by_currency[key] += amount
    elif name == "hist":
        acc.histogram[key] += sums[0]
    elif name in ("asked", "hrefund"):
        total = "requested" if name == "asked" else "refunded_in_history"
        acc.totals[total].by_currency[key] += sums[0]
    else:
        n, changed, b_review, c_review, b_rep, c_rep = sums
        b_review, c_review = b_review or 0, c_review or 0  # a FILTER that took no row: NULL
        entry = acc.groups[name.removeprefix("k_")].setdefault(
            key,
            {
                "records": 0,
                "changed": 0,
                "baseline_auto_refunds": Decimal(0),
                "candidate_auto_refunds": Decimal(0),
                "baseline_review": 0,
                "candidate_review": 0,
            },
        )
        entry["records"] += n
        entry["changed"] += changed
        entry["baseline_review"] += b_review
        entry["candidate_review"] += c_review
        entry["baseline_auto_refunds"] += Decimal(b_rep)
        entry["candidate_auto_refunds"] += Decimal(c_rep)
