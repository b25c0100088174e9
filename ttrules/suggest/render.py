"""A suggestion as terminal text and as a self-contained HTML page of curves (inline SVG, no
scripts). Views of the suggestion JSON: they format, never compute."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from ttrules.i18n import N_, _
from ttrules.simulate.render import table

_CURVES = (
    ("coverage", "#3366cc", N_("coverage")),
    ("automatic_share", "#0e7c3a", N_("automatic")),
    ("abuse_share", "#c81e1e", N_("abuse share")),
)


_CSS = (
    'body{font:14px/1.45 system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f5f7fa;'
    "color:#1f2933}main{max-width:900px;margin:0 auto;padding:24px}"
    "section{background:#fff;border-radius:8px;padding:16px;margin-top:16px}"
    "h2{font-size:16px;margin:0 0 6px}pre{background:#f5f7fa;padding:8px;overflow:auto}"
)


def _pct(share: str | None) -> str:
    return "—" if share is None else f"{Decimal(share) * 100:.1f} %"


def _constraints(s: dict[str, Any]) -> str:
    c = s["constraints"]
    parts = []
    if c["cover"] is not None:
        parts.append(_("cover {share}").format(share=_pct(c["cover"])))
    if c["max_abuse"] is not None:
        parts.append(_("abuse ≤ {share}").format(share=_pct(c["max_abuse"])))
    if c["max_gaming_ratio"] is not None:
        parts.append(_("gaming ratio ≤ {ratio}").format(ratio=c["max_gaming_ratio"]))
    return _(", ").join(parts)


def render_text(s: dict[str, Any], diff: str = "") -> str:
    out = [
        _("Suggest `{setting}` of ruleset `{ruleset}` by {by} (read by {rules}).").format(
            setting=s["setting"], ruleset=s["ruleset"], by=s["by"], rules=", ".join(s["rules"]) or "—"
        ),
        _(
            "{decided} records decided, {skipped} skipped. Constraints: {constraints}. Money in {currency}."
        ).format(
            decided=f"{s['records']['decided']:,}",
            skipped=f"{s['records']['skipped']:,}",
            constraints=_constraints(s),
            currency=s["currency"],
        ),
    ]
    if s["compared"]:
        out.append(
            _("Coverage: the share of a group's records with `{field} {op} value`.").format(
                field=s["compared"]["field"], op=s["compared"]["op"]
            )
        )
    for group in s["groups"]:
        current = group["current"]
        out.append("")
        head = _("{key} ({records} records; today {automatic} automatic, {refunds} refunded)").format(
            key=group["key"],
            records=f"{current['records']:,}",
            automatic=_pct(current["automatic_share"]),
            refunds=f"{Decimal(current['refunds']):,.2f}",
        )
        verdict = (
            _("recommend {value}: {why}").format(value=group["recommended"], why=group["why"])
            if group["recommended"]
            else _("no recommendation: {why}").format(why=group["why"])
        )
        out.append(_("{group}: {verdict}").format(group=head, verdict=verdict))
        rows = []
        for row in group["rows"]:
            mark = "→" if row["value"] == group["recommended"] else ""
            below = "—" if row["just_below"] is None else f"{row['just_below']:,}/{row['just_above']:,}"
            rows.append(
                [
                    f"{mark} {row['value']}".strip(),
                    _pct(row["coverage"]),
                    _pct(row["automatic_share"]),
                    f"{Decimal(row['refunds']):,.2f}",
                    _pct(row["abuse_share"]),
                    f"{Decimal(row['abuse_money']):,.2f}",
                    below,
                    row["gaming_ratio"] or "—",
                    ", ".join(_(FAILS[f]) for f in row["fails"]),
                ]
            )
        out += table(
            [
                _("value"),
                _("coverage"),
                _("automatic"),
                _("refunds"),
                _("abuse share"),
                _("abuse refunds"),
                _("below/above"),
                _("gaming ratio"),
                _("breaks"),
            ],
            rows,
            markdown=False,
        )
    if s["unconverted_currencies"]:
        out.append("")
        out.append(
            _("No FX rate for {currencies}: those refunds are left out.").format(
                currencies=", ".join(s["unconverted_currencies"])
            )
        )
    if diff:
        out += ["", diff.rstrip("\n")]
    return "\n".join(out) + "\n"


FAILS = {"abuse": N_("abuse limit"), "gaming": N_("gaming limit")}


def _chart(group: dict[str, Any]) -> str:
    """Coverage, automatic share and abuse share against the value; the recommendation marked."""
    rows = group["rows"]
    xs = [Decimal(r["value"].split()[0]) for r in rows]
    if not xs:
        return ""
    width, height, left, bottom, top = 640, 220, 44, 28, 10
    low, high = min(xs), max(xs)
    span = (high - low) or Decimal(1)

    def x(v: Decimal) -> float:
        return float(left + (v - low) / span * (width - left - 12))

    def y(share: Decimal) -> float:
        return float(top + (1 - share) * (height - top - bottom))

    body = [
        f'<line x1="{left}" y1="{y(Decimal(0))}" x2="{width - 12}" y2="{y(Decimal(0))}" stroke="#9aa5b1"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(Decimal(0))}" stroke="#9aa5b1"/>',
    ]
    for tick in (0, 50, 100):
        body.append(
            f'<text x="{left - 6}" y="{y(Decimal(tick) / 100) + 4}" font-size="10" '
            f'text-anchor="end">{tick} %</text>'
        )
    for v in (low, high):
        body.append(
            f'<text x="{x(v)}" y="{height - 8}" font-size="10" text-anchor="middle">{escape(str(v))}</text>'
        )
    for key, color, _label in _CURVES:
        points = [(x(v), y(Decimal(r[key]))) for v, r in zip(xs, rows, strict=True) if r[key] is not None]
        if points:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
    if group["recommended"]:
        v = Decimal(group["recommended"].split()[0])
        body.append(
            f'<line x1="{x(v):.1f}" y1="{top}" x2="{x(v):.1f}" y2="{y(Decimal(0))}" stroke="#1f2933" '
            f'stroke-dasharray="4 3"><title>{escape(group["recommended"])}</title></line>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{"".join(body)}</svg>'
    )


def render_html(s: dict[str, Any], diff: str = "") -> str:
    legend = " ".join(
        f'<span style="color:{color}">━ {escape(_(label))}</span>' for _key, color, label in _CURVES
    )
    sections = []
    for group in s["groups"]:
        verdict = (
            _("recommend {value}: {why}").format(value=group["recommended"], why=group["why"])
            if group["recommended"]
            else _("no recommendation: {why}").format(why=group["why"])
        )
        sections.append(
            f"<section><h2>{escape(group['key'])}</h2><p>{escape(verdict)}</p>{_chart(group)}</section>"
        )
    title = _("Suggest `{setting}` of ruleset `{ruleset}` by {by} (read by {rules}).").format(
        setting=s["setting"], ruleset=s["ruleset"], by=s["by"], rules=", ".join(s["rules"]) or "—"
    )
    edit = f"<section><pre>{escape(diff)}</pre></section>" if diff else ""
    page_title = escape(_("ttrules suggest"))
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{page_title}</title>
<style>{_CSS}</style>
</head><body><main><h1>{escape(title)}</h1><p>{escape(_constraints(s))}</p><p>{legend}</p>
{"".join(sections)}{edit}</main></body></html>
"""
