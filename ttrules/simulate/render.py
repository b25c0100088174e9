"""The simulation report as terminal text and as Markdown for a pull-request comment.

Both are views of the JSON report (the one source of every figure); they format, never compute.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ttrules import textwidth
from ttrules.i18n import N_, _, display

MONEY_LABELS = {
    "auto_refunds": N_("automatic refunds"),
    "goods_kept": N_("goods kept (refund without return)"),
    "return_postage": N_("return postage"),
    "abuse_exposure": N_("abuse exposure"),
}


BY = {
    "market": N_("By market"),
    "category": N_("By category"),
    "kind": N_("By kind"),
    "reason": N_("By reason"),
    "status": N_("By status"),
}
GROUP_HEADINGS = {
    "market": N_("market"),
    "category": N_("category"),
    "kind": N_("kind"),
    "reason": N_("reason"),
    "status": N_("status"),
}
# Breakdown keys that are enum values, shown by their display names.
GROUP_ENUMS = {"kind": "RequestKind", "reason": "ReasonCategory", "status": "OrderStatus"}


def _n(value: int) -> str:
    return f"{value:,}"


def _signed(value: Decimal | int, money: bool = False) -> str:
    if money:
        return f"{Decimal(value):+,.2f}"
    return f"{int(value):+,}"


def _pct(share: str) -> str:
    return f"{Decimal(share) * 100:.2f} %"


def table(headers: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    if not rows:
        return []
    if markdown:
        out = [
            "| " + " | ".join(headers) + " |",
            "|" + "|".join("---" if i == 0 else "---:" for i in range(len(headers))) + "|",
        ]
        out += ["| " + " | ".join(cells) + " |" for cells in rows]
        return out
    # In terminal columns, so Chinese rule names and categories line up.
    widths = [max(textwidth.width(h), *(textwidth.width(r[i]) for r in rows)) for i, h in enumerate(headers)]
    numeric = [i > 0 and all(_figure(r[i]) for r in rows) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return (
            "  "
            + "  ".join(
                " " * (w - textwidth.width(c)) + c if right else textwidth.ljust(c, w)
                for c, w, right in zip(cells, widths, numeric, strict=True)
            ).rstrip()
        )

    return [line(headers), *(line(r) for r in rows)]


def _figure(cell: str) -> bool:
    """A cell that is a figure (right-aligned): a count, an amount, a share, a delta or —."""
    return not cell or cell[0] in "0123456789+-−—" or cell.endswith("%")


def _top(rows: list[Any], top: int) -> tuple[list[Any], list[str]]:
    """The first `top` rows, and a line saying how many were left out (never silently)."""
    if len(rows) <= top:
        return rows, []
    return rows[:top], [
        _("… and {count} more (every row is in the JSON report)").format(count=_n(len(rows) - top))
    ]


def _money_cell(value: str | None) -> str:
    return _("n/a") if value is None else f"{Decimal(value):,.2f}"


def _signed_cell(value: str | None) -> str:
    return _("n/a") if value is None else _signed(Decimal(value), money=True)


def _section(title: str, markdown: bool) -> str:
    return f"\n### {title}\n" if markdown else f"\n{title}"


def render(report: dict[str, Any], markdown: bool = False, top: int = 12) -> str:
    inputs, records, changed = report["inputs"], report["records"], report["changed"]
    currency = inputs["currency"]
    out: list[str] = []
    title = _("Simulation: candidate ({candidate}) against baseline ({baseline})").format(
        candidate=inputs["candidate"]["label"], baseline=inputs["baseline"]["label"]
    )
    out.append(f"## {title}" if markdown else title)
    out.append("")
    history = {"path": inputs["history"]["path"], "decided": _n(records["decided"])}
    out.append(
        _("History `{path}`: {decided} records decided, {skipped} skipped.").format(
            **history, skipped=_n(records["skipped"])
        )
        if records["skipped"]
        else _("History `{path}`: {decided} records decided.").format(**history)
    )
    headline = _("{count} decisions change ({share})").format(
        count=_n(changed["count"]), share=_pct(changed["share"])
    )
    out.append(
        (f"**{headline}**" if markdown else headline)
        + _(", {count} of them in resolution.").format(count=_n(changed["resolution_count"]))
    )

    res = report["resolutions"]
    names = sorted(set(res["baseline"]) | set(res["candidate"]))
    out.append(_section(_("Resolutions"), markdown))
    out += table(
        [_("resolution"), _("baseline"), _("candidate"), _("delta")],
        [
            [
                display("resolution", n),
                _n(res["baseline"].get(n, 0)),
                _n(res["candidate"].get(n, 0)),
                _signed(res["candidate"].get(n, 0) - res["baseline"].get(n, 0)),
            ]
            for n in names
        ],
        markdown,
    )

    moves = [t for t in report["transitions"] if t["baseline"] != t["candidate"]]
    if moves:
        out.append(_section(_("Changed resolutions (baseline → candidate)"), markdown))
        shown, more = _top(sorted(moves, key=lambda t: -t["count"]), top)
        out += table(
            [_("transition"), _("cases")],
            [
                [
                    f"{display('resolution', t['baseline'])} → {display('resolution', t['candidate'])}",
                    _n(t["count"]),
                ]
                for t in shown
            ],
            markdown,
        )
        out += more

    out.append(_section(_("Money ({currency})").format(currency=currency), markdown))
    rows = []
    for metric, label in MONEY_LABELS.items():
        total = report["money"][metric]["total"]
        rows.append(
            [
                _(label),
                f"{Decimal(total['baseline']):,.2f}",
                f"{Decimal(total['candidate']):,.2f}",
                _signed(Decimal(total["delta"]), money=True),
            ]
        )
    review = report["review"]
    rows.append(
        [
            _("manual review cost"),
            _money_cell(review["baseline"]["cost"]),
            _money_cell(review["candidate"]["cost"]),
            _signed_cell(review["delta"]["cost"]),
        ]
    )
    out += table([_("figure"), _("baseline"), _("candidate"), _("delta")], rows, markdown)
    out.append("")
    out.append(
        _(
            "Manual review: {before} → {after} cases ({share_before} → {share_after}), {hours_before}"
            " → {hours_after} hours."
        ).format(
            before=_n(review["baseline"]["count"]),
            after=_n(review["candidate"]["count"]),
            share_before=_pct(review["baseline"]["share"]),
            share_after=_pct(review["candidate"]["share"]),
            hours_before=review["baseline"]["hours"],
            hours_after=review["candidate"]["hours"],
        )
    )
    out += money_notes(report)

    changed_rules = [r for r in report["rules"] if r["won_delta"] or r["status"] != "kept"]
    out.append(_section(_("Rules whose wins change"), markdown))
    if changed_rules:

        def won(side: dict[str, Any] | None) -> str:
            return "—" if side is None else _n(side["won"])

        shown, more = _top(sorted(changed_rules, key=lambda r: -abs(r["won_delta"])), top)
        out += table(
            [_("rule"), _("status"), _("baseline"), _("candidate"), _("delta"), _("because")],
            [
                [
                    r["rule"],
                    display("rule status", r["status"]),
                    won(r["baseline"]),
                    won(r["candidate"]),
                    _signed(r["won_delta"]),
                    _short(r.get("because") or ""),
                ]
                for r in shown
            ],
            markdown,
        )
        out += more
    else:
        out.append(_("No rule wins more or fewer cases."))
    silent = [r["rule"] for r in report["rules"] if r["never_fires"]]
    if silent:
        out.append("")
        out.append(
            _("Never matched in this history: {rules}.").format(rules=", ".join(f"`{s}`" for s in silent))
        )

    platform, errors = report["platform"], report["errors"]
    out.append(_section(_("Platform and errors"), markdown))
    before, after = platform["baseline"], platform["candidate"]
    out.append(
        _(
            "Merchant rules overridden by the platform: {before} → {after} records; vetoed:"
            " {vetoed_before} → {vetoed_after}."
        ).format(
            before=_n(before["overridden_records"]),
            after=_n(after["overridden_records"]),
            vetoed_before=_n(before["vetoed_records"]),
            vetoed_after=_n(after["vetoed_records"]),
        )
    )
    out.append(
        _("Records with an evaluation error: {before} → {after}.").format(
            before=_n(errors["baseline"]["records"]), after=_n(errors["candidate"]["records"])
        )
    )
    out += _errors_section(errors, markdown, top)

    gaming = report["threshold_gaming"]
    if gaming:
        out.append(_section(_("Threshold gaming (5 % bands around new or moved thresholds)"), markdown))
        out += table(
            [_("threshold"), _("just below"), _("just above"), _("ratio"), ""],
            [
                [
                    f"{g['field']} {g['threshold']}",
                    _n(g["just_below"]),
                    _n(g["just_above"]),
                    g["ratio"] or "—",
                    _("⚠ lopsided") if g["flagged"] else "",
                ]
                for g in gaming
            ],
            markdown,
        )

    if report.get("backtest"):
        out += backtest_section(report["backtest"], markdown)

    for group in ("market", "category", "kind", "status"):
        ordered = sorted(report["breakdowns"][group], key=lambda e: -e["changed"])
        if not any(e["changed"] for e in ordered):
            continue
        entries, more = _top(ordered, top)
        title = _(BY[group])
        body = (
            table(
                [
                    _(GROUP_HEADINGS[group]),
                    _("records"),
                    _("changed"),
                    _("auto refunds Δ ({currency})").format(currency=currency),
                    _("review Δ"),
                ],
                [
                    [
                        display(GROUP_ENUMS[group], e["key"]) if group in GROUP_ENUMS else e["key"],
                        _n(e["records"]),
                        _n(e["changed"]),
                        _signed(
                            Decimal(e["candidate_auto_refunds"]) - Decimal(e["baseline_auto_refunds"]),
                            money=True,
                        ),
                        _signed(e["candidate_review"] - e["baseline_review"]),
                    ]
                    for e in entries
                ],
                markdown,
            )
            + more
        )
        if markdown:
            out += ["", f"<details><summary>{title}</summary>", "", *body, "", "</details>"]
        else:
            out += [_section(title, markdown), *body]

    if report.get("partitions"):
        out += partitions_section(report["partitions"], currency, markdown)

    if report["samples"]:
        out.append(_section(_("Sample changed cases"), markdown))
        shown, more = _top(report["samples"], top)
        for sample in shown:

            def who(d: dict[str, Any]) -> str:
                by = d["resolution"]["by"]
                action = display("resolution", d["resolution"]["action"])
                default = _("default")
                return f"{action} ({by['layer']}/{by['rule']})" if by else f"{action} ({default})"

            out.append(f"- `{sample['case_id']}`: {who(sample['baseline'])} → {who(sample['candidate'])}")
        out += more
    return "\n".join(out) + "\n"


def partition_rows(partitions: dict[str, Any]) -> list[list[str]]:
    """One row per value of `--partition-by`: records, changes and the money that moves."""
    rows = []
    for entry in partitions["reports"]:
        money, review = entry["money"], entry["review"]
        rows.append(
            [
                entry["key"],
                _n(entry["records"]["decided"]),
                _n(entry["changed"]["count"]),
                _signed(Decimal(money["auto_refunds"]["total"]["delta"]), money=True),
                _signed(Decimal(money["abuse_exposure"]["total"]["delta"]), money=True),
                _signed(review["delta"]["count"]),
            ]
        )
    return rows


def partition_headers(partitions: dict[str, Any], currency: str) -> list[str]:
    return [
        partitions["by"],
        _("records"),
        _("changed"),
        _("auto refunds Δ ({currency})").format(currency=currency),
        _("abuse exposure Δ ({currency})").format(currency=currency),
        _("review Δ"),
    ]


def partitions_section(partitions: dict[str, Any], currency: str, markdown: bool) -> list[str]:
    """Every value of `--partition-by` (all of them: each report is whole in the JSON)."""
    title = _("By {field} (a report per value; every figure is in the JSON)").format(field=partitions["by"])
    return [
        _section(title, markdown),
        *table(partition_headers(partitions, currency), partition_rows(partitions), markdown),
    ]


def _count_money(figure: dict[str, Any]) -> str:
    return f"{_n(figure['count'])} · {_money_cell(figure['money'])}"


def backtest_rows(backtest: dict[str, Any]) -> list[list[str]]:
    """The backtest's figures, one row each: label, baseline, candidate."""
    base, cand = backtest["baseline"], backtest["candidate"]

    def share(value: str | None) -> str:
        return "—" if value is None else _pct(value)

    def row(label: str, cell: Any) -> list[str]:
        return [label, cell(base), cell(cand)]

    return [
        row(_("agreement with the agents"), lambda s: share(s["agreement"]["share"])),
        row(
            _("compared · deferred to a person"),
            lambda s: f"{_n(s['agreement']['compared'])} · {_n(s['agreement']['deferred'])}",
        ),
        row(
            _("over-granted: refunded, agent rejected"),
            lambda s: _count_money(s["agreement"]["over_granted"]),
        ),
        row(
            _("under-granted: rejected, agent granted"),
            lambda s: _count_money(s["agreement"]["under_granted"]),
        ),
        row(
            _("abuse stopped (of the abusive)"),
            lambda s: f"{_n(s['abuse']['stopped']['count'])} ({share(s['abuse']['stopped_share'])})",
        ),
        row(_("abuse let through · refunded"), lambda s: _count_money(s["abuse"]["let_through"])),
        row(_("clean requests rejected"), lambda s: _n(s["abuse"]["clean_rejected"])),
        row(_("review hours from handling minutes"), lambda s: s["review"]["hours"]),
        row(_("review cost from handling minutes"), lambda s: _money_cell(s["review"]["cost"])),
    ]


def backtest_lead(backtest: dict[str, Any]) -> str:
    """What the history labels, in one sentence."""
    labelled = backtest["labelled"]
    return _(
        "Labelled records: {decisions} with the agent's decision, {abuse} with an abuse label"
        " ({abusive} abusive), {timed} with handling minutes. Money in {currency}."
    ).format(
        decisions=_n(labelled["decisions"]),
        abuse=_n(labelled["abuse"]),
        abusive=_n(labelled["abusive"]),
        timed=_n(labelled["handling_minutes"]),
        currency=backtest["currency"],
    )


def backtest_section(backtest: dict[str, Any], markdown: bool) -> list[str]:
    """Both stacks against the outcomes the history records (simulate/backtest.py)."""
    out = [_section(_("Backtest against what happened"), markdown), backtest_lead(backtest)]
    out += table([_("figure"), _("baseline"), _("candidate")], backtest_rows(backtest), markdown)
    matrix = backtest["candidate"]["agreement"]["matrix"]
    if matrix:
        agents = sorted({m["agent"] for m in matrix})
        resolutions = sorted({m["resolution"] for m in matrix})
        counts = {(m["agent"], m["resolution"]): m["count"] for m in matrix}
        body = table(
            [_("agent \\ candidate"), *(display("resolution", r) for r in resolutions)],
            [[a or '""', *(_n(counts.get((a, r), 0)) for r in resolutions)] for a in agents],
            markdown,
        )
        title = _("Agents' decisions against the candidate's resolutions")
        if markdown:
            out += ["", f"<details><summary>{title}</summary>", "", *body, "", "</details>"]
        else:
            out += ["", title, *body]
    return out


def error_rows(errors: dict[str, Any]) -> list[list[str]]:
    """Rules that errored, most candidate errors first: label, counts on both sides, first error."""
    labels = sorted(
        set(errors["baseline"]["by_rule"]) | set(errors["candidate"]["by_rule"]),
        key=lambda label: (-errors["candidate"]["by_rule"].get(label, 0), label),
    )
    rows = []
    for label in labels:
        found = errors["candidate"]["first"].get(label) or errors["baseline"]["first"].get(label)
        rows.append(
            [
                label,
                _n(errors["baseline"]["by_rule"].get(label, 0)),
                _n(errors["candidate"]["by_rule"].get(label, 0)),
                _("record {number}: {message}").format(number=found["record"], message=found["message"])
                if found
                else "",
            ]
        )
    return rows


def money_notes(report: dict[str, Any]) -> list[str]:
    """What the money figures leave out or cannot say, and the history's own totals."""
    review, totals, currency = report["review"], report["totals"], report["inputs"]["currency"]
    notes = []
    if review.get("cost_unavailable"):
        notes.append(_("Manual review cost not available: {why}.").format(why=review["cost_unavailable"]))
    notes.append(
        _(
            "Requested in the history: {requested} {currency}; refunded in the history"
            " (`outcome.refunded`): {refunded} {currency}."
        ).format(
            requested=_money_cell(totals["requested"]["total"]),
            refunded=_money_cell(totals["refunded_in_history"]["total"]),
            currency=currency,
        )
    )
    if report["unconverted_currencies"]:
        notes.append(
            _(
                "No FX rate for {currencies}: those amounts are left out of the totals (per-currency sums"
                " are in the JSON)."
            ).format(currencies=", ".join(report["unconverted_currencies"]))
        )
    return notes


def _errors_section(errors: dict[str, Any], markdown: bool, top: int) -> list[str]:
    rows = error_rows(errors)
    if not rows:
        return []
    shown, more = _top(rows, top)
    return [
        _section(_("Rules with evaluation errors (they did not match on those records)"), markdown),
        *table([_("rule"), _("baseline"), _("candidate"), _("first error")], shown, markdown),
        *more,
    ]


def _short(text: str, width: int = 60) -> str:
    """A `because` in a table cell: one line, cut at a word."""
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    cut = line.rfind(" ", 0, width - 1)
    return line[: cut if cut > 0 else width - 1] + "…"
