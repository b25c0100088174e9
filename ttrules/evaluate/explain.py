"""Decisions as JSON and as text a person reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ttrules.actions import ACTIONS
from ttrules.evaluate.decision import ActionValue, Decision, Loss, RuleRef, RuleTrace
from ttrules.i18n import N_, _, display, ngettext
from ttrules.textwidth import ljust, width
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
        result["lost"] = [{"slot": loss.slot, "why": loss.why} for loss in trace.lost]
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
    action = value.action
    if ACTIONS[action].slot == "resolution":
        action = display("resolution", action)  # "人工审核 (review)"; English: the identifier
    text = f"{action}({args})" if args else action
    if value.rule is None:
        return text + "  " + _("(stack default: no rule set it)")
    suffix = _(" — fail closed: the rule errored") if value.fail_closed else ""
    why = f" — {value.rule.because}" if because and value.rule.because and not value.fail_closed else ""
    by = _("by {rule} ({location})").format(rule=value.rule.label, location=value.rule.location)
    return f"{text}  {by}{suffix}{why}"


_STATUS_WORDS = {
    "no_match": N_("did not match"),
    "not_applicable": N_("ruleset does not apply"),
    "errored": N_("ERRORED"),
    "vetoed": N_("vetoed"),
    "won": N_("won"),
    "lost": N_("lost"),
    "matched": N_("matched"),
}
_SLOT_NAMES = {
    "resolution": N_("resolution"),
    "fulfillment": N_("fulfillment"),
    "route": N_("route"),
    "tags": N_("tags"),
    "notify": N_("notify"),
}


def _slot(name: str) -> str:
    return _(_SLOT_NAMES.get(name, name))


def _loss_text(loss: Loss) -> str:
    if loss.reason == "layer":
        return _("overridden by {rule}").format(rule=loss.winner.label)
    if loss.reason == "priority":
        loser, winner = loss.priorities
        return _("lower priority than {rule} ({loser} < {winner})").format(
            rule=loss.winner.label, loser=loser, winner=winner
        )
    if loss.reason == "held":
        return _("held by errored {rule} (fail closed)").format(rule=loss.winner.label)
    return _("{rule} comes first in source order").format(rule=loss.winner.label)


def render_decision(decision: Decision, focus: Callable[[RuleTrace], bool] | None = None) -> str:
    """The decision as text in the chosen language; with `focus`, the rules section shows only
    the traces it keeps and counts the others."""
    lines = [_("case {id}").format(id=decision.case_id or _("(no id)"))]
    column = max(12, *(width(_slot(slot)) + 1 for slot in _SLOT_NAMES))
    lines.append(f"  {ljust(_slot('resolution'), column)} {_action_text(decision.resolution)}")
    for slot in ("fulfillment", "route"):
        held = decision.held.get(slot)
        if held:
            shown = _("— held by errored {rule} (fail closed)").format(rule=held.label)
        elif slot == "fulfillment" and decision.fulfillment:
            steps = [v.action for v in decision.fulfillment]
            shown = _(" then ").join([*steps[:-1], _action_text(decision.fulfillment[-1])])
        else:
            shown = _action_text(decision.slot(slot))
        lines.append(f"  {ljust(_slot(slot), column)} {shown}")
    for slot in ("tags", "notify"):
        values = getattr(decision, slot)
        shown = ", ".join(_action_text(v, because=False) for v in values) if values else "—"
        lines.append(f"  {ljust(_slot(slot), column)} {shown}")
    if decision.settings:
        lines.append(_("settings"))
        for s in decision.settings.values():
            if s.error:
                lines.append("  " + _("{name} = ERROR: {error}").format(name=s.name, error=s.error))
                continue
            if s.set_by is None:
                lines.append("  " + _("{name}: no `set` matched this case").format(name=s.name))
                continue
            clamps = "".join(
                _("; clamped from {before} by {limit} {text}").format(
                    before=render_value(clamp.before), limit=clamp.limit.label, text=clamp.text
                )
                for clamp in s.clamps
            )
            set_by = _("(set by {ruleset} line {line}{clamps})").format(
                ruleset=s.set_by.ruleset, line=s.set_by.line, clamps=clamps
            )
            lines.append(f"  {s.name} = {render_value(s.value)}  {set_by}")
    if decision.errors:
        lines.append(_("errors"))
        for error in decision.errors:
            closed = _(" (fail closed)") if error.fail_closed else ""
            lines.append(f"  {error.rule.label} ({error.rule.location}): {error.message}{closed}")
    if decision.trace is not None:
        lines.append(_("rules"))
        shown = [t for t in decision.trace if focus is None or focus(t)]
        for trace in shown:
            lines.extend(_trace_lines(trace))
        if len(shown) < len(decision.trace):
            others = len(decision.trace) - len(shown)
            lines.append(
                "  "
                + ngettext(
                    "({count} other rule did not match or does not apply; `ttrules explain` shows them all)",
                    "({count} other rules did not match or do not apply; `ttrules explain` shows them all)",
                    others,
                ).format(count=others)
            )
    return "\n".join(lines)


def _trace_lines(trace: RuleTrace) -> list[str]:
    name = trace.rule.label if trace.kind == "rule" else f"{trace.rule.layer}/{trace.rule.name}"
    status = _(_STATUS_WORDS[trace.status]) if trace.status in _STATUS_WORDS else trace.status
    head = f"  {ljust(status, 14)} {name}  ({trace.rule.location})"
    lines = [head]
    if trace.rule.because and trace.status in ("won", "lost", "vetoed", "matched"):
        lines.append("      " + _("because {because}").format(because=trace.rule.because))
    if trace.won:
        lines.append("      " + _("set {slots}").format(slots=", ".join(_slot(slot) for slot in trace.won)))
    for loss in trace.lost:
        lines.append("      " + _("lost {slot}: {why}").format(slot=_slot(loss.slot), why=_loss_text(loss)))
    if trace.vetoed_by:
        by = trace.vetoed_by
        lines.append(
            "      "
            + _("vetoed by {rule} ({location})").format(rule=f"{by.layer}/{by.name}", location=by.location)
        )
    if trace.vetoes:
        lines.append("      " + _("vetoes {rules}").format(rules=", ".join(r.label for r in trace.vetoes)))
    if trace.failed:
        observed = ", ".join(f"{k} = {v}" for k, v in trace.failed.observed)
        needed = _(", needed {needed}").format(needed=trace.failed.needed) if trace.failed.needed else ""
        lines.append("      " + _("false: {condition}").format(condition=trace.failed.text))
        if observed:
            lines.append(f"        ({observed}{needed})")
    if trace.error:
        lines.append("      " + _("error: {error}").format(error=trace.error))
    return lines
