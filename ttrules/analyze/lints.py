"""Lints (TTR3xx): rules that are dead, shadowed, ambiguous or risky within their own layer.

- TTR301: a rule that higher-priority rules of its own layer beat on every slot, for every case
  it matches (proven).
- TTR302: two rules of one layer and priority that can match the same case and set one slot
  differently: only source order decides (witness confirmed by the evaluator).
- TTR303: a condition that can never be true (proven).
- TTR304: one money threshold for every category on a rule that refunds automatically.
- TTR305: a rule of the strongest layer without `because`.
- TTR306: a setting that is set but never read.
- TTR310: a window hard-coded as a literal duration where a stronger layer limits the setting
  other rules measure that window with.
"""

from __future__ import annotations

import z3

from ttrules import ast
from ttrules.analyze.context import Context, may_overlap, overlap_witness
from ttrules.analyze.encode import conjuncts
from ttrules.analyze.tables import same_table
from ttrules.diagnostics import Diagnostic, Severity
from ttrules.evaluate.prepare import RuleEntry
from ttrules.i18n import _

AUTOMATIC_REFUNDS = frozenset({"approve", "refund_without_return", "partial_refund"})
MONEY_FIELDS = frozenset({"order.total", "request.refund_amount"})
CATEGORY = "order.category"


def unreachable(ctx: Context, entry: RuleEntry) -> list[Diagnostic]:
    """TTR303: the condition (with its ruleset's `applies`) holds for no case at all."""
    matched = ctx.encoder.rule(entry)[0]
    if entry.rule.when is None or not ctx.impossible(matched):
        return []
    return [
        Diagnostic(
            "TTR303",
            _("the condition of `{rule}` can never be true").format(rule=entry.ref.label),
            entry.rule.span,
            severity=Severity.WARNING,
            label=_("no case satisfies it"),
            help=_(
                "look for contradictory bounds or values; with `applies`, check that the ruleset's "
                "condition and the rule's can hold together"
            ),
        )
    ]


def shadowed(ctx: Context, entry: RuleEntry) -> list[Diagnostic]:
    """TTR301: within its layer, earlier rules always take every slot it sets."""
    if entry.many:
        return []  # tags and notifications are added whatever wins
    enc = ctx.encoder
    rules = ctx.engine.prepared.rules
    position = rules.index(entry)
    mine = ctx.pins(entry)
    # Only rules that can meet it in some case and claim one of its slots can beat it.
    earlier = [
        r
        for r in rules[:position]
        if may_overlap(mine, ctx.pins(r, even_if_errored=r.fail_closed))
        and any(s in r.slots or (r.fail_closed and s == "resolution") for s in entry.slots)
    ]
    same = [r for r in earlier if r.layer_index == entry.layer_index]
    if not same or not ctx.possible(enc.live(entry)):
        return []
    stronger = [r for r in earlier if r.layer_index < entry.layer_index]
    if ctx.impossible(enc.takes_effect(entry, stronger)):
        return []  # the stronger layer already explains it (TTR201)
    if not ctx.impossible(enc.takes_effect(entry, earlier)):
        return []
    culprits = [
        r
        for r in same
        if any(ctx.possible(z3.And(enc.live(entry), enc.holds(r, s))) for s in entry.slots if s in r.slots)
    ]
    return [
        Diagnostic(
            "TTR301",
            _(
                "`{rule}` is shadowed: higher-priority rules of its layer take every slot it sets, for "
                "every case it matches"
            ).format(rule=entry.ref.label),
            entry.rule.span,
            severity=Severity.WARNING,
            notes=tuple(
                _("shadowed by {rule} (priority {priority}, {location})").format(
                    rule=r.ref.label, priority=r.rule.priority, location=r.ref.location
                )
                for r in culprits
            ),
            help=_("raise its priority above theirs, narrow their conditions, or delete it"),
        )
    ]


def overlaps(ctx: Context) -> list[Diagnostic]:
    """TTR302: same layer, same priority, a common case, different values for one slot."""
    rules = ctx.engine.prepared.rules
    found = []
    for i, first in enumerate(rules):
        for second in rules[i + 1 :]:
            if (second.layer_index, second.rule.priority) != (first.layer_index, first.rule.priority):
                break  # cascade order groups layer and priority together
            if same_table(first, second):
                continue  # a table's rows are ordered on purpose (first hit): TTR308 shows overlaps
            overlap = overlap_witness(ctx, first, second)
            if overlap is None:
                continue
            slot, witness = overlap
            found.append(
                Diagnostic(
                    "TTR302",
                    _(
                        "`{second}` and `{first}` have the same layer and priority ({priority}) and can "
                        "match the same case with a different {slot}"
                    ).format(
                        second=second.ref.label,
                        first=first.ref.label,
                        priority=first.rule.priority,
                        slot=slot,
                    ),
                    second.rule.span,
                    severity=Severity.WARNING,
                    notes=(
                        _("only source order decides: `{rule}` ({location}) wins").format(
                            rule=first.ref.label, location=first.ref.location
                        ),
                        witness.note(),
                    ),
                    help=_("give one of them a higher priority, or make their conditions exclusive"),
                )
            )
    return found


def uniform_thresholds(ctx: Context) -> list[Diagnostic]:
    """TTR304: an automatic refund gated by one money threshold for every category."""
    prepared = ctx.engine.prepared
    found = []
    for entry in prepared.rules:
        resolution = entry.slots.get("resolution")
        if resolution is None or resolution.name not in AUTOMATIC_REFUNDS:
            continue
        when = entry.rule.when
        read = ast.fields_read(when) | ast.fields_read(entry.owner.ruleset.applies)
        if CATEGORY in read:
            continue
        for conjunct in conjuncts(when):
            if not (
                isinstance(conjunct, ast.Compare)
                and conjunct.op in ("<", "<=")
                and isinstance(conjunct.left, ast.FieldRef)
                and conjunct.left.path in MONEY_FIELDS
            ):
                continue
            bound = conjunct.right
            if isinstance(bound, ast.SettingRef):
                guards = [s.stmt.when for s in prepared.sets.get(bound.name, ())]
                if any(CATEGORY in ast.fields_read(g) for g in guards):
                    continue  # the setting varies by category
            elif not isinstance(bound, ast.MoneyLit):
                continue
            found.append(
                Diagnostic(
                    "TTR304",
                    _("`{rule}` refunds automatically under one money threshold for every category").format(
                        rule=entry.ref.label
                    ),
                    conjunct.span or entry.rule.span,
                    severity=Severity.WARNING,
                    label=_("the same for jewelry and for socks"),
                    help=_(
                        "set the threshold per category (`set limit = 15 USD when order.category == "
                        '"jewelry"`): a single amount invites orders placed just under it'
                    ),
                )
            )
    return found


def missing_because(ctx: Context) -> list[Diagnostic]:
    """TTR305: the strongest layer explains itself; its rules override everyone else's."""
    strongest = ctx.engine.stack.layers[0] if ctx.engine.stack.layers else None
    found = []
    for entry in ctx.engine.prepared.rules:
        if entry.owner.ruleset.layer == strongest and not entry.rule.because:
            found.append(
                Diagnostic(
                    "TTR305",
                    _("`{rule}` has no `because`").format(rule=entry.ref.label),
                    entry.rule.span,
                    severity=Severity.WARNING,
                    label=_("a {layer} rule overrides merchants' rules").format(layer=strongest),
                    help=_('add `because "..."`: explanations and reports quote it to the seller'),
                )
            )
    return found


def unused_settings(ctx: Context) -> list[Diagnostic]:
    """TTR306: a `set` whose setting nothing reads."""
    prepared = ctx.engine.prepared
    read: set[str] = set()
    for entry in prepared.rules:
        read |= ast.settings_read(entry.rule.when)
        for action in entry.rule.actions:
            for expr in (*action.args, *(v for _name, v in action.kwargs)):
                read |= ast.settings_read(expr)
    for forbid in prepared.forbids:
        read |= ast.settings_read(forbid.forbid.when)
    found = []
    for name, sources in prepared.sets.items():
        if name in read:
            continue
        first = sources[0]
        found.append(
            Diagnostic(
                "TTR306",
                _("setting `{name}` is set but never read").format(name=name),
                first.stmt.span,
                severity=Severity.WARNING,
                label=_("no rule uses it"),
                help=_("use it in a rule (`order.total < {name}`) or delete its `set` statements").format(
                    name=name
                ),
            )
        )
    return found


def _since(node: ast.Expr) -> str | None:
    """`X - order.delivered_at` (or `days(X - order.delivered_at)`): the field time is measured
    from, else None."""
    if isinstance(node, ast.Call) and node.name == "days" and len(node.args) == 1:
        node = node.args[0]
    if isinstance(node, ast.Arith) and node.op == "-" and isinstance(node.right, ast.FieldRef):
        return node.right.path
    return None


def _measured(expr: ast.Expr | None) -> list[tuple[str, ast.Compare, ast.Expr]]:
    """(field measured from, the comparison, what it is compared with) of every comparison of a
    time since a field."""
    found = []
    if expr is None:
        return found
    for node in ast.walk(expr):
        if isinstance(node, ast.Compare) and node.op in ("<", "<=", ">", ">="):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                since = _since(side)
                if since is not None:
                    found.append((since, node, other))
    return found


def hard_coded_windows(ctx: Context) -> list[Diagnostic]:
    """TTR310: a rule measures a window with a literal where other rules measure the same
    window (time since the same field) with a setting a stronger layer limits: the limit binds
    the setting, not the literal, so the rule escapes it."""
    prepared = ctx.engine.prepared
    limited = {
        name: min(limit.owner.layer_index for limit in limits) for name, limits in prepared.limits.items()
    }
    windows: dict[str, tuple[str, int]] = {}  # field measured from -> (setting, limiting layer)
    for entry in prepared.rules:
        for since, _node, other in _measured(entry.rule.when):
            if isinstance(other, ast.SettingRef) and other.name in limited:
                windows.setdefault(since, (other.name, limited[other.name]))
    found = []
    for entry in prepared.rules:
        for since, node, other in _measured(entry.rule.when):
            if since not in windows or not isinstance(other, ast.DurationLit | ast.NumberLit):
                continue
            setting, layer = windows[since]
            if entry.layer_index <= layer:
                continue  # the limiting layer itself, or a stronger one: nothing to escape
            bounds = "; ".join(
                f"{limit.owner.ruleset.layer}: {limit.stmt.span.text()}"
                for limit in prepared.limits[setting]
                if limit.stmt.span is not None
            )
            found.append(
                Diagnostic(
                    "TTR310",
                    _(
                        "`{rule}` measures the time since `{field}` against a literal, not against "
                        "`{setting}`, which a stronger layer limits"
                    ).format(rule=entry.ref.label, field=since, setting=setting),
                    node.span or entry.rule.span,
                    severity=Severity.WARNING,
                    label=_("the limit on `{setting}` does not bind this").format(setting=setting),
                    notes=(_("the limits: {bounds}").format(bounds=bounds),) if bounds else (),
                    help=_(
                        "compare with the setting (`… > {setting}`) so the stronger layer's limit binds "
                        "this rule too"
                    ).format(setting=setting),
                )
            )
    return found
