"""`ttrules shadow-report`: what the shadow rules would have done on the live traffic.

Read from the decision log, where each decision under the live rules sits beside the shadow's
decision of the same case: how often they agree, the resolution transitions with the money
that changes hands (the refund each side's resolution implies, as `simulate` counts it), which
rules decided the cases that changed, and sample cases with both decisions.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from ttrules.case_files import loads
from ttrules.decision_log import Query, query
from ttrules.evaluate.decision import ActionValue
from ttrules.i18n import _, display
from ttrules.schema.case import CaseError
from ttrules.schema.fields import default_schema
from ttrules.schema.loader import load_values
from ttrules.simulate.metrics import money_text, refund_of
from ttrules.textwidth import ljust, rjust
from ttrules.values import Money, Percent

_PERCENT = re.compile(r"(-?\d+(?:\.\d+)?)%")
_SCHEMA = default_schema()  # refunds read built-in fields only


def _action(value: dict[str, Any] | None) -> ActionValue | None:
    """A resolution of a decision's JSON back as an action, its amounts as values again."""
    if value is None:
        return None
    args: dict[str, Any] = {}
    for name, arg in (value.get("args") or {}).items():
        if isinstance(arg, dict) and {"amount", "currency"} <= set(arg):
            args[name] = Money(Decimal(arg["amount"]), arg["currency"])
        elif isinstance(arg, str) and (match := _PERCENT.fullmatch(arg)):
            args[name] = Percent(Decimal(match.group(1)))
        else:
            args[name] = arg
    return ActionValue(value["action"], args)


def _refund(decision: dict[str, Any], values: dict[str, Any] | None) -> Money | None:
    action = _action(decision.get("resolution"))
    if action is None or values is None:
        return None
    return refund_of(action, values)


def _winner(decision: dict[str, Any]) -> str:
    resolution = decision.get("resolution")
    if resolution is None:
        return "(none)"
    by = resolution.get("by")
    return f"{by['layer']}/{by['rule']}" if by else "(default)"


def shadow_report(log: Path, since: str | None, until: str | None, samples: int = 10) -> dict[str, Any]:
    total = compared = agreed = unreadable = 0
    transitions: Counter[tuple[str, str]] = Counter()
    money: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    rules: Counter[tuple[str, str]] = Counter()
    label = None
    examples: list[dict[str, Any]] = []
    for entry in query(log, Query(since=since, until=until)):
        total += 1
        shadow = entry["shadow_decision"]
        if shadow is None or ("error" in shadow and "resolution" not in shadow):
            continue
        compared += 1
        label = entry["shadow_label"] or label
        live = entry["decision"]
        live_resolution = (live.get("resolution") or {}).get("action", "(none)")
        shadow_resolution = (shadow.get("resolution") or {}).get("action", "(none)")
        if live_resolution == shadow_resolution and _winner(live) == _winner(shadow):
            agreed += 1
            continue
        transitions[(live_resolution, shadow_resolution)] += 1
        rules[(_winner(live), _winner(shadow))] += 1
        values = None
        if entry["input"] is not None:
            try:
                values = load_values(loads(entry["input"]), _SCHEMA)
            except (CaseError, ValueError):
                unreadable += 1
        for side, decision in (("live", live), ("shadow", shadow)):
            refund = _refund(decision, values)
            if refund is not None:
                money[(live_resolution, shadow_resolution)][f"{side} {refund.currency}"] += refund.amount
        if len(examples) < samples:
            examples.append(
                {
                    "seq": entry["seq"],
                    "case_id": entry["case_id"],
                    "received_at": entry["received_at"],
                    "live": live,
                    "shadow": shadow,
                }
            )
    return {
        "schema": "ttrules.shadow-report/1",
        "log": str(log),
        "shadow": label,
        "window": {"since": since, "until": until},
        "decisions": total,
        "compared": compared,
        "agreed": agreed,
        "disagreed": compared - agreed,
        "inputs_unreadable": unreadable,
        "transitions": [
            {
                "live": live,
                "shadow": shadow,
                "cases": count,
                "refunds": {k: money_text(v) for k, v in sorted(money[(live, shadow)].items())},
            }
            for (live, shadow), count in transitions.most_common()
        ],
        "rules": [
            {"live_rule": live, "shadow_rule": shadow, "cases": count}
            for (live, shadow), count in rules.most_common()
        ],
        "samples": examples,
    }


def render_shadow_report(report: dict[str, Any]) -> str:
    """The report as text in the chosen language (the JSON keeps its keys)."""
    compared = report["compared"]
    lines = [
        _("shadow report: {log} (shadow: {shadow})").format(
            log=report["log"], shadow=report["shadow"] or _("none logged")
        ),
        _("decisions logged: {decisions}; decided by the shadow too: {compared}").format(
            decisions=f"{report['decisions']:,}", compared=f"{compared:,}"
        ),
    ]
    if not compared:
        lines.append(_("nothing to compare: the service ran without --shadow in this window"))
        return "\n".join(lines) + "\n"
    lines.append(
        _("agreed: {agreed} ({agreed_share}); changed: {changed} ({changed_share})").format(
            agreed=f"{report['agreed']:,}",
            agreed_share=f"{report['agreed'] / compared:.1%}",
            changed=f"{report['disagreed']:,}",
            changed_share=f"{report['disagreed'] / compared:.1%}",
        )
    )
    if report["transitions"]:
        lines += ["", _("resolution changes (live -> shadow):")]
        for t in report["transitions"]:
            refunds = ", ".join(f"{k} {v}" for k, v in t["refunds"].items())
            live, shadow = (display("resolution", str(t[side])) for side in ("live", "shadow"))
            lines.append(f"  {rjust(live, 22)} -> {ljust(shadow, 22)} {t['cases']:>8,}  {refunds}")
        lines += ["", _("deciding rules of the changed cases (live -> shadow):")]
        for r in report["rules"][:20]:
            lines.append(f"  {r['live_rule']} -> {r['shadow_rule']}: {r['cases']:,}")
    if report["samples"]:
        lines += ["", _("samples:")]
        none = _("(none)")
        for s in report["samples"]:
            live = (s["live"].get("resolution") or {}).get("action", none)
            shadow = (s["shadow"].get("resolution") or {}).get("action", none)
            at = _("at {time}").format(time=s["received_at"])
            lines.append(f"  #{s['seq']} {s['case_id']} {at}: {live} -> {shadow}")
    return "\n".join(lines) + "\n"
