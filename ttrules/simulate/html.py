"""The simulation report as one self-contained HTML page: inline CSS and SVG, no scripts,
no network. A view of the JSON report, like the text and Markdown renderers."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from ttrules.i18n import CHINESE, N_, _, display, language
from ttrules.simulate.render import (
    BY,
    GROUP_ENUMS,
    GROUP_HEADINGS,
    MONEY_LABELS,
    backtest_lead,
    backtest_rows,
    error_rows,
    money_notes,
    partition_headers,
    partition_rows,
)

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"PingFang SC","Hiragino Sans GB",
"Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif;
margin:0;color:#1f2933;
background:#f5f7fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:#52606d}.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-top:16px}
.card{background:#fff;border-radius:8px;padding:14px;box-shadow:0 1px 2px #0001}
.card b{display:block;font-size:22px}.card span{color:#52606d;font-size:12px}
.up{color:#c81e1e}.down{color:#0e7c3a}
section{background:#fff;border-radius:8px;padding:16px;margin-top:16px;box-shadow:0 1px 2px #0001}
table{border-collapse:collapse;width:100%}
td,th{padding:4px 8px;border-bottom:1px solid #e4e7eb;text-align:right}
td:first-child,th:first-child{text-align:left}th{color:#52606d;font-weight:600}
.flag{color:#c81e1e;font-weight:600}details{margin:6px 0}summary{cursor:pointer}
pre{background:#f5f7fa;padding:8px;overflow:auto;font-size:12px}
"""
# Messages shown inside f-strings: marked here, where Babel can read them.
_TEXT = {
    "nothing_to_show": N_("Nothing to show."),
    "baseline": N_("baseline"),
    "candidate": N_("candidate"),
    "rules_with_evaluation_errors": N_("Rules with evaluation errors"),
    "lopsided": N_("lopsided"),
    "never_matched_rules": N_("Never matched: {rules}"),
    "no_decision_changes": N_("No decision changes."),
    "ttrules_simulation": N_("ttrules simulation"),
    "transitions_of_the_resolution": N_("Transitions of the resolution"),
    "money": N_("Money"),
    "rule_wins": N_("Rule wins"),
    "order_amounts_and_thresholds": N_("Order amounts and thresholds"),
    "breakdowns": N_("Breakdowns"),
    "sample_changed_cases": N_("Sample changed cases"),
    "because": N_("because"),
    "backtest": N_("Backtest against what happened"),
    "agents_against_candidate": N_("Agents' decisions (rows) against the candidate's resolutions (columns)"),
    "matrix_legend": N_("blue: the same outcome; red: a different one; grey: not compared"),
}


def _h(key: str) -> str:
    """One of `_TEXT` in the chosen language, escaped for HTML."""
    return escape(_(_TEXT[key]))


_BASE, _CAND = "#9aa5b1", "#3366cc"


def _money(value: str | Decimal) -> str:
    return f"{Decimal(value):,.2f}"


def _delta_class(value: Decimal) -> str:
    return "up" if value > 0 else "down" if value < 0 else ""


def _svg(width: int, height: int, body: list[str]) -> str:
    # Scale down on narrow screens, never up: text stays the size it was drawn at.
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" '
        f'style="max-width:{width}px" role="img">{"".join(body)}</svg>'
    )


def heat_map(transitions: list[dict[str, Any]]) -> str:
    names = sorted({t["baseline"] for t in transitions} | {t["candidate"] for t in transitions})
    counts = {(t["baseline"], t["candidate"]): t["count"] for t in transitions}
    peak = max(counts.values(), default=1)
    cell, left, top = 64, 150, 110
    width, height = left + cell * len(names) + 10, top + cell * len(names) + 10
    body = [
        '<text x="0" y="14" font-size="12" fill="#52606d">'
        + escape(_("rows: baseline, columns: candidate; red: changed"))
        + "</text>"
    ]
    for j, name in enumerate(names):
        x = left + j * cell + cell / 2
        body.append(
            f'<text transform="translate({x},{top - 8}) rotate(-40)" font-size="11">'
            f"{escape(display('resolution', name))}</text>"
        )
    for i, row in enumerate(names):
        y = top + i * cell
        body.append(
            f'<text x="{left - 8}" y="{y + cell / 2 + 4}" font-size="11" '
            f'text-anchor="end">{escape(display("resolution", row))}</text>'
        )
        for j, col in enumerate(names):
            n = counts.get((row, col), 0)
            strength = (n / peak) ** 0.5 if n else 0
            color = (
                (
                    f"rgba(200,30,30,{0.15 + 0.85 * strength:.3f})"
                    if row != col
                    else f"rgba(51,102,204,{0.1 + 0.6 * strength:.3f})"
                )
                if n
                else "#f5f7fa"
            )
            x = left + j * cell
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{color}">'
                f"<title>{escape(row)} → {escape(col)}: {n:,}</title></rect>"
            )
            if n:
                body.append(
                    f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 4}" font-size="11" '
                    f'text-anchor="middle">{n:,}</text>'
                )
    return _svg(width, height, body)


def paired_bars(rows: list[tuple[str, float, float]], unit: str = "") -> str:
    """Horizontal bars, baseline and candidate per label."""
    if not rows:
        return f"<p>{_h('nothing_to_show')}</p>"
    peak = max(max(b, c) for _, b, c in rows) or 1
    left, bar, gap, width = 260, 11, 10, 820
    span = width - left - 90
    body: list[str] = []
    for i, (label, base, cand) in enumerate(rows):
        y = i * (2 * bar + gap)
        body.append(
            f'<text x="{left - 8}" y="{y + bar + 4}" font-size="11" text-anchor="end">{escape(label)}</text>'
        )
        for k, (value, color) in enumerate(((base, _BASE), (cand, _CAND))):
            length = span * value / peak
            body.append(
                f'<rect x="{left}" y="{y + k * bar}" width="{length:.1f}" height="{bar - 1}" '
                f'fill="{color}"><title>{value:,.2f}{unit}</title></rect>'
            )
            body.append(
                f'<text x="{left + length + 4:.1f}" y="{y + k * bar + bar - 2}" '
                f'font-size="10" fill="#52606d">{value:,.0f}</text>'
            )
    height = len(rows) * (2 * bar + gap)
    legend = (
        f'<p style="font-size:12px"><span style="color:{_BASE}">■</span> {_h("baseline")} '
        f'<span style="color:{_CAND}">■</span> {_h("candidate")}</p>'
    )
    return legend + _svg(width, height, body)


def histogram(data: dict[str, Any], thresholds: list[dict[str, Any]]) -> str:
    counts, bin_width = data["counts"], Decimal(data["bin_width"])
    peak = max(counts, default=0) or 1
    left, bottom, width, height = 50, 30, 820, 220
    bar = (width - left - 10) / len(counts)
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        'stroke="#9aa5b1"/>'
    ]
    for i, n in enumerate(counts):
        h = (height - bottom - 20) * n / peak
        x = left + i * bar
        body.append(
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar - 1:.1f}" '
            f'height="{h:.1f}" fill="{_BASE}"><title>{bin_width * i}–{bin_width * (i + 1)} '
            f"{data['currency']}: {n:,}</title></rect>"
        )
        if i % 10 == 0:
            body.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="10">{bin_width * i}</text>')
    for threshold in thresholds:
        amount, currency = threshold["threshold"].split()
        if currency != data["currency"] or threshold["field"] != data["field"]:
            continue
        x = left + float(Decimal(amount) / bin_width) * bar
        color = "#c81e1e" if threshold["flagged"] else "#3366cc"
        body.append(
            f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{height - bottom}" stroke="{color}" '
            'stroke-width="2" stroke-dasharray="4 3"/>'
        )
        body.append(
            f'<text x="{x + 4:.1f}" y="20" font-size="11" fill="{color}">'
            f"{escape(threshold['threshold'])}</text>"
        )
    text = _(
        "{field} in {currency}, {width} per bar; {overflow} above the last bar. Dashed: thresholds "
        "the candidate introduces or moves (red when the 5 % band below is lopsided)."
    ).format(
        field=data["field"], currency=data["currency"], width=bin_width, overflow=f"{data['overflow']:,}"
    )
    caption = f'<p class="sub">{escape(text)}</p>'
    return _svg(width, height, body) + caption


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def backtest_html(backtest: dict[str, Any] | None) -> str:
    """The labelled backtest: the figures of both stacks and the candidate's agreement matrix,
    its cells shaded by count: blue where the candidate does what the agent did, red where it
    does otherwise, grey where the two are not compared."""
    if not backtest:
        return ""
    from ttrules.simulate.backtest import OUTCOME_CLASSES

    lead = backtest_lead(backtest)
    figures = _table(
        [_("figure"), _("baseline"), _("candidate")],
        [[escape(c) for c in row] for row in backtest_rows(backtest)],
    )
    matrix = backtest["candidate"]["agreement"]["matrix"]
    agents = sorted({m["agent"] for m in matrix})
    resolutions = sorted({m["resolution"] for m in matrix})
    counts = {(m["agent"], m["resolution"]): m["count"] for m in matrix}
    peak = max(counts.values(), default=1)

    def cell(agent: str, resolution: str) -> str:
        n = counts.get((agent, resolution), 0)
        if not n:
            return "0"
        theirs, mine = OUTCOME_CLASSES.get(agent.strip().lower()), OUTCOME_CLASSES.get(resolution)
        # Deferred to a person, or an agent decision outside the vocabulary: not compared.
        tint = (
            "123,135,148"
            if theirs is None or mine is None
            else "51,102,204"
            if theirs == mine
            else "200,30,30"
        )
        alpha = 0.08 + 0.5 * (n / peak) ** 0.5
        return f'<span style="background:rgba({tint},{alpha:.3f});padding:2px 6px">{n:,}</span>'

    grid = (
        _table(
            ["", *(display("resolution", r) for r in resolutions)],
            [[escape(a or '""'), *(cell(a, r) for r in resolutions)] for a in agents],
        )
        if matrix
        else ""
    )
    return (
        f'<section><h2>{_h("backtest")}</h2><p class="sub">{escape(lead)}</p>{figures}'
        + (
            f'<h3>{_h("agents_against_candidate")}</h3><p class="sub">{_h("matrix_legend")}</p>{grid}'
            if grid
            else ""
        )
        + "</section>"
    )


def partitions_html(partitions: dict[str, Any] | None, currency: str) -> str:
    if not partitions:
        return ""
    title = escape(_("By {field}").format(field=partitions["by"]))
    rows = [[escape(cell) for cell in row] for row in partition_rows(partitions)]
    return f"<section><h2>{title}</h2>{_table(partition_headers(partitions, currency), rows)}</section>"


def render_html(report: dict[str, Any]) -> str:
    inputs, changed, money, review = (report["inputs"], report["changed"], report["money"], report["review"])
    currency = inputs["currency"]
    refunds = Decimal(money["auto_refunds"]["total"]["delta"])
    abuse = Decimal(money["abuse_exposure"]["total"]["delta"])
    review_delta = review["delta"]["count"]
    review_cost = (
        _("cost n/a")
        if review["delta"]["cost"] is None
        else f"{Decimal(review['delta']['cost']):+,.2f} {currency}"
    )
    cards = [
        (
            f"{Decimal(changed['share']) * 100:.2f} %",
            _("decisions change ({count})").format(count=f"{changed['count']:,}"),
            "",
        ),
        (f"{refunds:+,.2f} {currency}", _("automatic refunds"), _delta_class(refunds)),
        (f"{abuse:+,.2f} {currency}", _("abuse exposure"), _delta_class(abuse)),
        (
            f"{review_delta:+,}",
            _("manual reviews ({cost})").format(cost=review_cost),
            _delta_class(Decimal(-review_delta)),
        ),
    ]
    card_html = "".join(
        f'<div class="card"><b class="{cls}">{escape(v)}</b><span>{escape(t)}</span></div>'
        for v, t, cls in cards
    )
    money_rows = [
        (_(label), float(money[m]["total"]["baseline"]), float(money[m]["total"]["candidate"]))
        for m, label in MONEY_LABELS.items()
    ]
    if review["delta"]["cost"] is not None:
        money_rows.append(
            (_("manual review cost"), float(review["baseline"]["cost"]), float(review["candidate"]["cost"]))
        )
    money_notes_html = "".join(f'<p class="sub">{escape(n)}</p>' for n in money_notes(report))
    error_rows_html = [[escape(cell) for cell in row] for row in error_rows(report["errors"])]
    error_section = (
        (
            f"<section><h2>{_h('rules_with_evaluation_errors')}</h2>"
            + _table([_("rule"), _("baseline"), _("candidate"), _("first error")], error_rows_html)
            + "</section>"
        )
        if error_rows_html
        else ""
    )
    rules = sorted(
        report["rules"],
        key=lambda r: -max((r["baseline"] or {}).get("won", 0), (r["candidate"] or {}).get("won", 0)),
    )[:20]
    rule_rows = [
        (r["rule"], float((r["baseline"] or {}).get("won", 0)), float((r["candidate"] or {}).get("won", 0)))
        for r in rules
    ]
    reasons = [[escape(r["rule"]), escape(r["because"])] for r in rules if r.get("because")]
    because_table = _table([_("rule"), _("because")], reasons) if reasons else ""
    gaming_rows = [
        [
            escape(f"{g['field']} {g['threshold']}"),
            f"{g['just_below']:,}",
            f"{g['just_above']:,}",
            escape(g["ratio"] or "—"),
            f'<span class="flag">{_h("lopsided")}</span>' if g["flagged"] else "",
        ]
        for g in report["threshold_gaming"]
    ]
    breakdowns = []
    for group, entries in report["breakdowns"].items():
        rows = [
            [
                escape(display(GROUP_ENUMS[group], e["key"]) if group in GROUP_ENUMS else e["key"]),
                f"{e['records']:,}",
                f"{e['changed']:,}",
                _money(e["baseline_auto_refunds"]),
                _money(e["candidate_auto_refunds"]),
                f"{e['candidate_review'] - e['baseline_review']:+,}",
            ]
            for e in sorted(entries, key=lambda e: -e["changed"])
        ]
        breakdowns.append(
            f"<details><summary>{escape(_(BY[group]))}</summary>"
            + _table(
                [
                    _(GROUP_HEADINGS[group]),
                    _("records"),
                    _("changed"),
                    _("auto refunds before ({currency})").format(currency=currency),
                    _("after ({currency})").format(currency=currency),
                    _("review Δ"),
                ],
                rows,
            )
            + "</details>"
        )
    samples = "".join(
        f"<details><summary><code>{escape(s['case_id'])}</code>: "
        f"{escape(display('resolution', s['baseline']['resolution']['action']))} → "
        f"{escape(display('resolution', s['candidate']['resolution']['action']))}</summary>"
        f"<pre>{escape(_short_explanation(s))}</pre></details>"
        for s in report["samples"]
    )
    amounts = histogram(report["amount_histogram"], report["threshold_gaming"])
    never = [r["rule"] for r in report["rules"] if r["never_fires"]]
    lang = "zh-CN" if language() == CHINESE else "en"
    title = _("Simulation: candidate ({candidate}) against baseline ({baseline})").format(
        candidate=inputs["candidate"]["label"], baseline=inputs["baseline"]["label"]
    )
    history = _("History {path}: {decided} records decided, {skipped} skipped. Money in {currency}.").format(
        path=f"<code>{escape(inputs['history']['path'])}</code>",
        decided=f"{report['records']['decided']:,}",
        skipped=f"{report['records']['skipped']:,}",
        currency=escape(currency),
    )
    never_html = (
        f'<p class="sub">{escape(_(_TEXT["never_matched_rules"]).format(rules=", ".join(never)))}</p>'
        if never
        else ""
    )
    gaming_table = (
        _table([_("threshold"), _("just below"), _("just above"), _("ratio"), ""], gaming_rows)
        if gaming_rows
        else ""
    )
    no_changes = f"<p>{_h('no_decision_changes')}</p>"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{_h("ttrules_simulation")}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_CSS}</style></head>
<body><main>
<h1>{escape(title)}</h1>
<div class="sub">{history}</div>
<div class="cards">{card_html}</div>
<section><h2>{_h("transitions_of_the_resolution")}</h2>{heat_map(report["transitions"])}</section>
<section><h2>{_h("money")}</h2>{paired_bars(money_rows, " " + currency)}{money_notes_html}</section>
<section><h2>{_h("rule_wins")}</h2>{paired_bars(rule_rows)}{because_table}{never_html}</section>
{error_section}
<section><h2>{_h("order_amounts_and_thresholds")}</h2>{amounts}{gaming_table}</section>
{backtest_html(report.get("backtest"))}
{partitions_html(report.get("partitions"), currency)}
<section><h2>{_h("breakdowns")}</h2>{"".join(breakdowns)}</section>
<section><h2>{_h("sample_changed_cases")}</h2>{samples or no_changes}</section>
</main></body></html>
"""


def _short_explanation(sample: dict[str, Any]) -> str:
    lines = []
    for side in ("baseline", "candidate"):
        decision = sample[side]
        by = decision["resolution"]["by"]
        who = f"{by['layer']}/{by['rule']} ({by['path']}:{by['line']})" if by else _("the stack default")
        action = display("resolution", decision["resolution"]["action"])
        lines.append(_("{side}: {action} by {rule}").format(side=_(side), action=action, rule=who))
        if by and by.get("because"):
            lines.append(f"  {_(_TEXT['because'])}: {by['because']}")
        for trace in decision.get("explanation", []):
            if trace["status"] in ("won", "lost", "vetoed", "errored"):
                extra = "; ".join(f"{x['slot']}: {x['why']}" for x in trace.get("lost", []))
                lines.append(
                    f"  {trace['status']:<8} {trace['rule']['layer']}/{trace['rule']['rule']}"
                    + (f"  ({extra})" if extra else "")
                )
    return "\n".join(lines)
