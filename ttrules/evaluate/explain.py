"""Decisions as JSON and as text a person reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ttrules.evaluate.decision import ActionValue, Decision, RuleRef, RuleTrace
from ttrules.values import json_value, render_value


def _ref_json(ref: RuleRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {
        "layer": ref.layer,
        "ruleset": ref.ruleset,
        "rule": ref.name,
        "path": ref.path,
        "line": ref.line,
        "because": ref.because,
    }


def _action_json(value: ActionValue | None) -> dict[str, Any] | None:
    if value is None:
        return None
    result: dict[str, Any] = {
        "action": value.action,
        "args": {k: json_value(v) for k, v in value.args.items()},
        "by": _ref_json(value.rule),
    }
    if value.fail_closed:
        result["fail_closed"] = True
    return result


def _trace_json(trace: RuleTrace) -> dict[str, Any]:
    result: dict[str, Any] = {"rule": _ref_json(trace.rule), "kind": trace.kind, "status": trace.status}
    if trace.won:
        result["won"] = trace.won
    if trace.lost:
        result["lost"] = [{"slot": s, "why": w} for s, w in trace.lost]
    if trace.vetoed_by:
        result["vetoed_by"] = _ref_json(trace.vetoed_by)
    if trace.vetoes:
        result["vetoes"] = [r.label for r in trace.vetoes]
    if trace.failed:
        result["failed"] = {"condition": trace.failed.text, "observed": dict(trace.failed.observed)}
        if trace.failed.needed:
            result["failed"]["needed"] = trace.failed.needed
    if trace.error:
        result["error"] = trace.error
    return result


def decision_json_tail(decision: Decision) -> str:
    """The decision's compact JSON text after its case_id, from the `,` on: what
    `decision_json_text` joins to any case's id (the service renders a class of cases once)."""
    body = decision_json(decision)
    del body["case_id"]
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return "," + text[1:] if len(text) > 2 else "}"


def decision_json_text(case_id: str, tail: str) -> str:
    """Compact JSON of a decision: `json.dumps(decision_json(d), separators=(",", ":"))`."""
    return '{"case_id":' + json.dumps(case_id, ensure_ascii=False) + tail


def decision_json(decision: Decision) -> dict[str, Any]:
    result: dict[str, Any] = {
        "case_id": decision.case_id,
        "resolution": _action_json(decision.resolution),
        "fulfillment": [_action_json(v) for v in decision.fulfillment],
        "route": _action_json(decision.route),
        "tags": [_action_json(v) for v in decision.tags],
        "notify": [_action_json(v) for v in decision.notify],
        "settings": {
            name: json_value(s.value) for name, s in decision.settings.items() if s.value is not None
        },
        "errors": [
            {"rule": _ref_json(e.rule), "message": e.message, "fail_closed": e.fail_closed}
            for e in decision.errors
        ],
    }
    if decision.held:
        result["held"] = {slot: ref.label for slot, ref in decision.held.items()}
    if decision.trace is not None:
        result["explanation"] = [_trace_json(t) for t in decision.trace]
        result["settings_explained"] = [
            {
                "name": s.name,
                "value": json_value(s.value),
                "set_by": _ref_json(s.set_by),
                "clamps": [
                    {
                        "by": c.limit.label,
                        "limit": c.text,
                        "before": json_value(c.before),
                        "after": json_value(c.after),
                    }
                    for c in s.clamps
                ],
                **({"error": s.error} if s.error else {}),
            }
            for s in decision.settings.values()
        ]
    return result


def _action_text(value: ActionValue | None, because: bool = True) -> str:
    if value is None:
        return "—"
    args = ", ".join(f"{k}: {render_value(v)}" for k, v in value.args.items())
    text = f"{value.action}({args})" if args else value.action
    if value.rule is None:
        return f"{text}  (stack default: no rule set it)"
    suffix = " — fail closed: the rule errored" if value.fail_closed else ""
    why = f" — {value.rule.because}" if because and value.rule.because and not value.fail_closed else ""
    return f"{text}  by {value.rule.label} ({value.rule.location}){suffix}{why}"


_STATUS_WORDS = {
    "no_match": "did not match",
    "not_applicable": "ruleset does not apply",
    "errored": "ERRORED",
    "vetoed": "vetoed",
    "won": "won",
    "lost": "lost",
    "matched": "matched",
}


def render_decision(decision: Decision, focus: Callable[[RuleTrace], bool] | None = None) -> str:
    """The decision as text; with `focus`, the rules section shows only the traces it keeps
    and counts the others."""
    lines = [f"case {decision.case_id or '(no id)'}"]
    lines.append(f"  resolution   {_action_text(decision.resolution)}")
    for slot in ("fulfillment", "route"):
        held = decision.held.get(slot)
        if held:
            shown = f"— held by errored {held.label} (fail closed)"
        elif slot == "fulfillment" and decision.fulfillment:
            steps = [v.action for v in decision.fulfillment]
            shown = " then ".join([*steps[:-1], _action_text(decision.fulfillment[-1])])
        else:
            shown = _action_text(decision.slot(slot))
        lines.append(f"  {slot:<12} {shown}")
    for slot in ("tags", "notify"):
        values = getattr(decision, slot)
        shown = ", ".join(_action_text(v, because=False) for v in values) if values else "—"
        lines.append(f"  {slot:<12} {shown}")
    if decision.settings:
        lines.append("settings")
        for s in decision.settings.values():
            if s.error:
                lines.append(f"  {s.name} = ERROR: {s.error}")
                continue
            if s.set_by is None:
                lines.append(f"  {s.name}: no `set` matched this case")
                continue
            line = f"  {s.name} = {render_value(s.value)}  (set by {s.set_by.ruleset} line {s.set_by.line}"
            for clamp in s.clamps:
                line += f"; clamped from {render_value(clamp.before)} by {clamp.limit.label} {clamp.text}"
            lines.append(line + ")")
    if decision.errors:
        lines.append("errors")
        for error in decision.errors:
            closed = " (fail closed)" if error.fail_closed else ""
            lines.append(f"  {error.rule.label} ({error.rule.location}): {error.message}{closed}")
    if decision.trace is not None:
        lines.append("rules")
        shown = [t for t in decision.trace if focus is None or focus(t)]
        for trace in shown:
            lines.extend(_trace_lines(trace))
        if len(shown) < len(decision.trace):
            lines.append(
                f"  ({len(decision.trace) - len(shown)} other rules did not match or do not "
                "apply; `ttrules explain` shows them all)"
            )
    return "\n".join(lines)


def _trace_lines(trace: RuleTrace) -> list[str]:
    name = trace.rule.label if trace.kind == "rule" else f"{trace.rule.layer}/{trace.rule.name}"
    head = f"  {_STATUS_WORDS.get(trace.status, trace.status):<14} {name}  ({trace.rule.location})"
    lines = [head]
    if trace.rule.because and trace.status in ("won", "lost", "vetoed", "matched"):
        lines.append(f"      because {trace.rule.because}")
    if trace.won:
        lines.append(f"      set {', '.join(trace.won)}")
    for slot, why in trace.lost:
        lines.append(f"      lost {slot}: {why}")
    if trace.vetoed_by:
        lines.append(
            f"      vetoed by {trace.vetoed_by.layer}/{trace.vetoed_by.name} ({trace.vetoed_by.location})"
        )
    if trace.vetoes:
        lines.append(f"      vetoes {', '.join(r.label for r in trace.vetoes)}")
    if trace.failed:
        observed = ", ".join(f"{k} = {v}" for k, v in trace.failed.observed)
        needed = f", needed {trace.failed.needed}" if trace.failed.needed else ""
        lines.append(f"      false: {trace.failed.text}")
        if observed:
            lines.append(f"        ({observed}{needed})")
    if trace.error:
        lines.append(f"      error: {trace.error}")
    return lines
