"""Diagnostics: the one channel through which every stage reports problems to the user.

A stage collects `Diagnostic`s and carries on; it never stops at the first problem and never
uses exceptions to talk to the user. Renderers turn a list of diagnostics into text or JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from ttrules import i18n, textwidth
from ttrules.codes import CODES
from ttrules.spans import Span

# A very long line (a minified or hostile file) is shown as a window around the caret.
_MAX_SHOWN_LINE = 120


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# How the text renderer names a severity (the JSON keeps the values above).
_SEVERITY_WORDS = {
    Severity.ERROR: i18n.N_("error"),
    Severity.WARNING: i18n.N_("warning"),
    Severity.INFO: i18n.N_("info"),
}


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.ERROR
    label: str = ""
    help: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    path: str | None = None  # for diagnostics about a whole file that has no text span

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"diagnostic code {self.code} is not registered in ttrules.codes")

    def location(self) -> tuple[str, int, int]:
        if self.span is not None:
            line, col = self.span.start_line_col()
            return self.span.source.display_path(), line, col
        return self.path or "", 0, 0

    def sort_key(self) -> tuple[str, int, int, str]:
        path, line, col = self.location()
        return path, line, col, self.code

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    unique: dict[tuple[object, ...], Diagnostic] = {}
    for d in diagnostics:
        key = (d.sort_key(), d.message)
        unique.setdefault(key, d)
    return sorted(unique.values(), key=Diagnostic.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def _shown_window(line_text: str, col: int, width: int) -> tuple[str, int, int]:
    """Cut a long line to a window around [col, col+width); returns text, new col, width."""
    if len(line_text) <= _MAX_SHOWN_LINE:
        return line_text, col, width
    start = max(0, col - 1 - _MAX_SHOWN_LINE // 3)
    end = min(len(line_text), start + _MAX_SHOWN_LINE)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(line_text) else ""
    shown = prefix + line_text[start:end] + suffix
    new_col = col - start + len(prefix)
    return shown, new_col, max(1, min(width, end - (col - 1)))


def render_text(diagnostic: Diagnostic) -> str:
    d = diagnostic
    out = [f"{i18n._(_SEVERITY_WORDS[d.severity])}[{d.code}]: {d.message}"]
    if d.span is None:
        if d.path:
            out.append(f"  --> {d.path}")
    else:
        source = d.span.source
        shown_line, shown_col = d.span.start_line_col()
        out.append(f"  --> {source.display_path()}:{shown_line}:{shown_col}")
        # The snippet is the text; a spreadsheet's location is its cell, its text a row a line.
        line, col = source.text_line_col(d.span.start)
        end_line, end_col = source.text_line_col(max(d.span.start, d.span.end - 1))
        line_text = source.line_text(line) if source.text else ""
        width = (end_col - col + 1) if end_line == line else len(line_text) - col + 1
        width = max(1, width)
        shown, shown_col, shown_width = _shown_window(line_text.expandtabs(1), col, width)
        gutter = " " * len(str(line))
        out.append(f"{gutter} |")
        out.append(f"{line} | {shown}")
        # Counted in terminal columns: a CJK character takes two, a combining mark none.
        before = shown[: shown_col - 1]
        under = shown[shown_col - 1 : shown_col - 1 + shown_width]
        caret = " " * textwidth.width(before) + "^" * max(1, textwidth.width(under))
        out.append(f"{gutter} | {caret}" + (f" {d.label}" if d.label else ""))
    for note in d.notes:
        out.append(i18n._("note: {note}").format(note=note))
    if d.help:
        out.append(i18n._("help: {help}").format(help=d.help))
    return "\n".join(out)


def render_text_all(diagnostics: Iterable[Diagnostic]) -> str:
    items = sorted_diagnostics(diagnostics)
    blocks = [render_text(d) for d in items]
    errors = sum(1 for d in items if d.is_error)
    warnings = sum(1 for d in items if d.severity is Severity.WARNING)
    summary = i18n._("{errors}, {warnings}").format(
        errors=i18n.ngettext("{count} error", "{count} errors", errors).format(count=errors),
        warnings=i18n.ngettext("{count} warning", "{count} warnings", warnings).format(count=warnings),
    )
    return "\n\n".join([*blocks, summary]) if blocks else summary


def to_json_dict(d: Diagnostic) -> dict[str, object]:
    path, line, col = d.location()
    result: dict[str, object] = {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "path": path,
        "line": line,
        "column": col,
    }
    if d.span is not None:
        end_line, end_col = d.span.source.line_col(d.span.end)
        result.update({"end_line": end_line, "end_column": end_col})
    if d.label:
        result["label"] = d.label
    if d.help:
        result["help"] = d.help
    if d.notes:
        result["notes"] = list(d.notes)
    return result


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    items = sorted_diagnostics(diagnostics)
    payload = {
        "version": 1,
        "diagnostics": [to_json_dict(d) for d in items],
        "summary": {
            "errors": sum(1 for d in items if d.is_error),
            "warnings": sum(1 for d in items if d.severity is Severity.WARNING),
        },
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A `help:` suggestion for a misspelt name, or '' when nothing is close."""
    import difflib

    pool = list(candidates)
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in pool}
        matches = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        matches = [lowered[m] for m in matches]
    return i18n._("did you mean `{name}`?").format(name=matches[0]) if matches else ""
