"""Layering analysis (TTR2xx): what the stronger layers take away from the weaker ones.

- TTR201: a rule a stronger layer overrides or vetoes for every case it matches: proven with
  the solver (it can never take effect), never sampled.
- TTR202: a rule a stronger layer overrides or vetoes for part of the cases it matches, naming
  the rule and its condition (the region), with a witness case the evaluator confirms.
- TTR203: a `set` whose value a stronger layer's limit clamps for every case it is chosen in.
- TTR205: a `forbid` that vetoes nothing any weaker rule can do.
"""

from __future__ import annotations

import z3

from ttrules import ast
from ttrules.actions import ONE_VALUED_SLOTS
from ttrules.analyze.context import Context, condition_text, condition_text_of, may_overlap
from ttrules.diagnostics import Diagnostic, Severity
from ttrules.evaluate.decision import Decision
from ttrules.evaluate.prepare import RuleEntry, SettingSource
from ttrules.i18n import _


def _contests(other: RuleEntry, slot: str) -> bool:
    return slot in other.slots or (other.fail_closed and slot == "resolution")


def overridden(ctx: Context, entry: RuleEntry) -> list[Diagnostic]:
    """TTR201 or TTR202 for one rule of a weaker layer."""
    enc = ctx.encoder
    prepared = ctx.engine.prepared
    matched = enc.rule(entry)[0]
    mine = ctx.pins(entry)
    # Rules of fail-closed layers and forbids act when they error too: set them aside only on
    # their error-safe pins.
    stronger = [
        r
        for r in prepared.rules
        if r.layer_index < entry.layer_index
        and any(_contests(r, s) for s in entry.slots)
        and may_overlap(mine, ctx.pins(r, even_if_errored=r.fail_closed))
    ]
    forbids = [
        f
        for f in prepared.forbids
        if f.owner.layer_index < entry.layer_index
        and f.actions & entry.action_names
        and may_overlap(mine, ctx.pins(f, even_if_errored=f.fail_closed))
    ]
    if not stronger and not forbids:
        return []
    # Who can take something from it, each with a confirmed example.
    notes: list[str] = []
    for forbid in forbids:
        query = z3.And(matched, enc.forbid_active(forbid))
        if ctx.possible(query):
            notes.append(
                _("vetoed by {rule} ({location}) when `{condition}`").format(
                    rule=forbid.ref.label, location=forbid.ref.location, condition=condition_text(forbid)
                )
            )
    for other in stronger:
        for slot in (s for s in ONE_VALUED_SLOTS if s in entry.slots and _contests(other, s)):
            query = z3.And(enc.live(entry), enc.holds(other, slot))
            if ctx.possible(query):
                notes.append(
                    _("{slot} taken by {rule} ({location}) when `{condition}`").format(
                        slot=slot,
                        rule=other.ref.label,
                        location=other.ref.location,
                        condition=condition_text(other),
                    )
                )
    if not notes:
        return []
    if ctx.impossible(enc.takes_effect(entry, stronger)):
        # Proven: every case it matches, a stronger layer takes every slot it sets (or vetoes it).
        return [
            Diagnostic(
                "TTR201",
                _(
                    "`{rule}` can never take effect: a stronger layer overrides or vetoes it for every "
                    "case it matches"
                ).format(rule=entry.ref.label),
                entry.rule.span,
                notes=tuple(notes),
                help=_("delete the rule, or narrow it to the cases the stronger layer leaves open"),
            )
        ]

    # Partly: show one confirmed case where it matches and loses to the stronger layer.
    def lost_to_stronger(decision: Decision) -> bool:
        return entry.ref in decision.overridden or any(r == entry.ref for r, _by in decision.vetoed)

    query = z3.And(
        matched,
        z3.Or(
            [enc.vetoed(entry)] + [enc.holds(o, s) for o in stronger for s in entry.slots if _contests(o, s)]
        ),
    )
    witness = ctx.witness(query, lost_to_stronger, f"{entry.ref.label} overridden")
    if witness is None:
        return []  # the solver's candidate did not survive the evaluator: claim nothing
    return [
        Diagnostic(
            "TTR202",
            _("`{rule}` is overridden by a stronger layer for part of the cases it matches").format(
                rule=entry.ref.label
            ),
            entry.rule.span,
            severity=Severity.WARNING,
            notes=(*notes, witness.note()),
            help=_(
                "if that is intended, say so in the rule's `because`; otherwise narrow the rule so it "
                "does not compete with the stronger layer"
            ),
        )
    ]


def clamped_settings(ctx: Context) -> list[Diagnostic]:
    """TTR203 (always) and TTR204 (sometimes): a weaker layer's `set` that a stronger limit
    clamps in the cases where that `set` is the one chosen."""
    enc = ctx.encoder
    prepared = ctx.engine.prepared
    found = []
    for name, sources in prepared.sets.items():
        limits = prepared.limits.get(name, ())
        for index, source in enumerate(sources):
            stmt = source.stmt
            assert isinstance(stmt, ast.SetStmt)
            earlier = [enc._guard(s.owner, s.stmt.when) for s in sources[:index]]
            guard = enc._guard(source.owner, stmt.when)
            chosen = z3.And(guard.ok, guard.value, *[z3.And(g.ok, z3.Not(g.value)) for g in earlier])
            value = enc.term(stmt.value)
            for limit in limits:
                bound_stmt = limit.stmt
                assert isinstance(bound_stmt, ast.LimitStmt)
                if limit.owner.layer_index >= source.owner.layer_index or bound_stmt.op == "in":
                    continue
                limit_guard = enc._guard(limit.owner, bound_stmt.when)
                bound = enc.term(bound_stmt.bound)
                beyond = value.value > bound.value if bound_stmt.op == "<=" else value.value < bound.value
                clamps = z3.And(limit_guard.ok, limit_guard.value, bound.ok, value.ok, beyond)
                if not ctx.possible(z3.And(chosen, clamps)):
                    continue
                where = _("the limit at {location}").format(location=limit.ref.location)
                if ctx.impossible(z3.And(chosen, z3.Not(clamps))):
                    found.append(
                        Diagnostic(
                            "TTR203",
                            _(
                                "`set {name}` is always clamped by {limit} ({op} …): its value never applies"
                            ).format(name=name, limit=limit.ref.label, op=bound_stmt.op),
                            stmt.span,
                            severity=Severity.WARNING,
                            notes=(where,),
                            help=_("set a value within the limit, so the rule text says what happens"),
                        )
                    )
                    continue

                def clamped_here(
                    decision: Decision,
                    setting: str = name,
                    s: SettingSource = source,
                    lim: SettingSource = limit,
                ) -> bool:
                    trace = decision.settings.get(setting)
                    return (
                        trace is not None
                        and trace.set_by == s.ref
                        and any(c.limit == lim.ref for c in trace.clamps)
                    )

                witness = ctx.witness(z3.And(chosen, clamps), clamped_here, f"set {name} clamped")
                if witness is None:
                    continue
                region = condition_text_of(bound_stmt.when)
                found.append(
                    Diagnostic(
                        "TTR204",
                        _("`set {name}` is clamped by {limit} for part of the cases it applies to").format(
                            name=name, limit=limit.ref.label
                        ),
                        stmt.span,
                        severity=Severity.WARNING,
                        notes=(
                            _("{where}: `{bound}` when `{region}`").format(
                                where=where, bound=f"{name} {bound_stmt.op} …", region=region
                            ),
                            witness.note(),
                        ),
                        help=_(
                            "if the platform's bound is meant to win there, say so with a conditional `set` "
                            "for that region; otherwise nothing to do"
                        ),
                    )
                )
    return found


def idle_forbids(ctx: Context) -> list[Diagnostic]:
    """TTR205: a forbid no weaker rule can ever run into."""
    enc = ctx.encoder
    prepared = ctx.engine.prepared
    found = []
    for forbid in prepared.forbids:
        # The forbid vetoes when it errors too (fail closed): only its error-safe pins may
        # set a rule aside; the rule must match, so all of its pins count.
        targets = [
            r
            for r in prepared.rules
            if r.layer_index > forbid.owner.layer_index
            and r.action_names & forbid.actions
            and may_overlap(ctx.pins(forbid, even_if_errored=True), ctx.pins(r))
        ]
        active = enc.forbid_active(forbid)
        if all(ctx.impossible(z3.And(active, enc.rule(r)[0])) for r in targets):
            what = ", ".join(sorted(forbid.actions))
            found.append(
                Diagnostic(
                    "TTR205",
                    _(
                        "`{forbid}` vetoes nothing: no rule of a weaker layer can {actions} in a case it "
                        "matches"
                    ).format(forbid=forbid.ref.label, actions=what),
                    forbid.forbid.span,
                    severity=Severity.WARNING,
                    notes=(
                        _("rules that take `{actions}`: {rules}").format(
                            actions=what,
                            rules=", ".join(r.ref.label for r in targets) if targets else _("none"),
                        ),
                    ),
                    help=_("keep it only as a guard against future rules; otherwise delete it"),
                )
            )
    return found
