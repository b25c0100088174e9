"""Which fields the rules read that a history does not fill: `simulate`'s pre-flight and
`ttrules check --history`.

A rule that reads a field a record lacks errors (or `has()` is false) on that record; when an
export never fills the field, every such rule is silently out of the simulation. This reads the
first records of the history as the simulation would (the same reader, mapping and case
loader), counts for each field the rules read how many records lack it, and names who reads
it, before anything is decided. Fields with a default (`buyer.blacklisted`) are never missing
once loaded, and required fields make a record invalid (it is skipped, and counted as such), so
both are left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ttrules import ast
from ttrules.diagnostics import Diagnostic, Severity
from ttrules.i18n import N_, _, ngettext
from ttrules.schema.case import CaseError
from ttrules.schema.loader import load_values
from ttrules.simulate.history import HistoryRow
from ttrules.stack import Stack

PREFLIGHT_RECORDS = 10_000  # records `simulate` reads before deciding
# Worth a warning: an expected field (order.category) missing in most records; an optional or
# derived one (order.paid_at, logistics.days_late) missing in every record, since many records
# lacking it is normal (rules read it behind `has()`), none having it is a gap in the export.
WARN_SHARE = {"expected": 0.5, "optional": 1.0, "derived": 1.0}


@dataclass(frozen=True)
class Reader:
    """A statement that reads a field."""

    kind: str  # rule, forbid, setting, limit, applies
    label: str  # layer/name, or the setting's name
    span: ast.Span | None


@dataclass
class Coverage:
    records: int = 0  # valid records read
    invalid: int = 0  # rows that are not a valid case (the simulation skips them)
    missing: Counter[str] = field(default_factory=Counter)
    readers: dict[str, list[Reader]] = field(default_factory=dict)
    presence: dict[str, str] = field(default_factory=dict)  # field -> expected, optional, derived

    def share(self, path: str) -> float:
        return self.missing[path] / self.records if self.records else 0.0

    def gaps(self, warn: dict[str, float] | None = None) -> list[str]:
        """Fields the rules read that records lack, worst first; with `warn`, only those missing
        from more than (for a share of 1.0: all of) the records their presence kind allows."""

        def worth(path: str) -> bool:
            if warn is None:
                return True
            limit = warn[self.presence[path]]
            return self.share(path) >= 1.0 if limit >= 1.0 else self.share(path) > limit

        return sorted(
            (p for p in self.readers if self.missing[p] and worth(p)), key=lambda p: (-self.missing[p], p)
        )


def readers(stack: Stack) -> dict[str, list[Reader]]:
    """Every field the stack's statements read, with the statements, in stack order."""
    found: dict[str, list[Reader]] = {}

    def note(kind: str, label: str, span: ast.Span | None, *exprs: ast.Expr | None) -> None:
        for path in sorted(set().union(*(ast.fields_read(e) for e in exprs))):
            found.setdefault(path, []).append(Reader(kind, label, span))

    for ruleset in stack.rulesets:
        note("applies", f"{ruleset.layer}/{ruleset.name}", ruleset.name_span, ruleset.applies)
        for setting in ruleset.settings:
            note("setting", setting.name, setting.span, setting.value, setting.when)
        for limit in ruleset.limits:
            note("limit", limit.name, limit.span, limit.bound, limit.when)
        for statement in (*ruleset.rules, *ruleset.forbids):
            arguments = [
                a for action in statement.actions for a in (*action.args, *(v for _name, v in action.kwargs))
            ]
            note(
                "forbid" if isinstance(statement, ast.Forbid) else "rule",
                f"{ruleset.layer}/{statement.name}",
                statement.span,
                statement.when,
                *arguments,
            )
    return found


def coverage(stack: Stack, rows: Iterable[HistoryRow], limit: int | None = PREFLIGHT_RECORDS) -> Coverage:
    """How often each field the rules read is missing in the first `limit` records of `rows`."""
    result = Coverage()
    for path, who in readers(stack).items():
        spec = stack.schema.fields.get(path)
        if spec is not None and spec.presence in WARN_SHARE:
            result.readers[path], result.presence[path] = who, spec.presence
    wanted = result.readers
    for row in rows:
        if limit is not None and result.records + result.invalid >= limit:
            break
        if row.record is None:
            result.invalid += 1
            continue
        try:
            values = load_values(row.record, stack.schema)
        except CaseError:
            result.invalid += 1
            continue
        result.records += 1
        for path in wanted:
            if path not in values:
                result.missing[path] += 1
    return result


_READERS = {
    "rule": (N_("{count} rule"), N_("{count} rules")),
    "forbid": (N_("{count} forbid"), N_("{count} forbids")),
    "setting": (N_("{count} setting"), N_("{count} settings")),
    "limit": (N_("{count} limit"), N_("{count} limits")),
    "applies": (N_("{count} ruleset's applies"), N_("{count} ruleset's applies")),
}


def describe(result: Coverage, path: str) -> str:
    """`order.category` is missing in 100.0 % of 2,000 records: 4 rules and 3 settings read it"""
    kinds = Counter(r.kind for r in result.readers[path])
    parts = [
        ngettext(*_READERS[kind], count).format(count=count)
        for kind, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    who = parts[0] if len(parts) == 1 else _(", ").join(parts[:-1]) + _(" and ") + parts[-1]
    return _("`{path}` is missing in {share} % of {records} records: {readers} read it").format(
        path=path, share=f"{result.share(path) * 100:.1f}", records=f"{result.records:,}", readers=who
    )


def gap_descriptions(result: Coverage) -> list[str]:
    """What `describe` says of each field the history rarely fills (the simulation's warnings)."""
    return [describe(result, path) for path in result.gaps(WARN_SHARE)]


def history_diagnostics(result: Coverage, history: str) -> list[Diagnostic]:
    """TTR124 warnings for the fields a history rarely fills, at the first statement reading each."""
    out = []
    for path in result.gaps(WARN_SHARE):
        first = result.readers[path][0]
        others = list(dict.fromkeys(f"{r.kind} {r.label}" for r in result.readers[path][1:]))[:5]
        out.append(
            Diagnostic(
                "TTR124",
                _("{description} (history {history})").format(
                    description=describe(result, path), history=history
                ),
                first.span,
                severity=Severity.WARNING,
                label=_("reads `{path}`").format(path=path),
                help=_(
                    "fill the field in the export or its column mapping (ttrules.yaml `history.columns`), "
                    "or rules reading it error on those records"
                ),
                notes=tuple(
                    [_("also read by {readers}").format(readers=", ".join(others))] if others else []
                ),
            )
        )
    return out
