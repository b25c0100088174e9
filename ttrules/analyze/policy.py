"""What to report of the analysis: `lint:` in ttrules.yaml, and suppressions in the rule files.

A suppression is a comment on the statement's first line, or in the comment lines right above
it: `# ttrules: ignore[TTR202] because the platform decides these on purpose`. It must say why;
one without a reason silences nothing and is itself reported (TTR307), so that a suppression
always carries its justification into review.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ttrules.config import ANALYSIS_PREFIXES, LintConfig
from ttrules.diagnostics import Diagnostic, Severity
from ttrules.i18n import _
from ttrules.spans import SourceFile, Span

_SUPPRESSION = re.compile(r"#\s*ttrules:\s*ignore\[([^\]]*)\](.*)$")
_REASON = re.compile(r"^\s*because\s+\S")


def _comments_above(source: SourceFile, line: int) -> list[int]:
    """`line` and the comment lines right above it."""
    candidates = [line]
    above = line - 1
    while above >= 1 and source.line_text(above).lstrip().startswith("#"):
        candidates.append(above)
        above -= 1
    return candidates


def _statement_start(source: SourceFile, line: int) -> int | None:
    """In a DSL file, the first line of the statement an indented line belongs to (a finding
    about one condition of a rule is silenced above the rule, as the docs say)."""
    if not source.path.endswith(".ttr") or not source.line_text(line)[:1].isspace():
        return None
    above = line - 1
    while above >= 1:
        text = source.line_text(above)
        if text.strip() and not text[:1].isspace() and not text.lstrip().startswith("#"):
            return above
        above -= 1
    return None


def _suppressions(source: SourceFile, line: int) -> list[tuple[int, list[str], str]]:
    """(line, codes, text after the brackets) of the suppressions that apply to a statement."""
    found = []
    candidates = _comments_above(source, line)
    start = _statement_start(source, line)
    if start is not None:
        candidates += _comments_above(source, start)
    for number in candidates:
        match = _SUPPRESSION.search(source.line_text(number))
        if match:
            codes = [c.strip() for c in match.group(1).split(",") if c.strip()]
            found.append((number, codes, match.group(2)))
    return found


def apply_policy(diagnostics: list[Diagnostic], lint: LintConfig) -> list[Diagnostic]:
    kept: list[Diagnostic] = []
    complaints: dict[tuple[str, int], Diagnostic] = {}
    for d in diagnostics:
        if not d.code.startswith(ANALYSIS_PREFIXES):
            kept.append(d)
            continue
        if not lint.matches(lint.select, d.code) or lint.matches(lint.ignore, d.code):
            continue
        silenced = False
        if d.span is not None and d.span.source.text:
            source = d.span.source
            for number, codes, rest in _suppressions(source, d.span.start_line_col()[0]):
                if not any(d.code.startswith(c) for c in codes):
                    continue
                if _REASON.match(rest):
                    silenced = True
                    continue
                start = source.line_starts()[number - 1]
                span = Span(source, start, start + len(source.line_text(number)))
                complaints[(source.path, number)] = Diagnostic(
                    "TTR307",
                    _("a suppression needs a reason"),
                    span,
                    severity=Severity.WARNING,
                    label=_("silences nothing without `because ...`"),
                    help=_("write `# ttrules: ignore[{codes}] because <why this is fine>`").format(
                        codes=", ".join(codes)
                    ),
                )
        if silenced:
            continue
        if d.code in lint.severity:
            d = replace(d, severity=Severity(lint.severity[d.code]))
        kept.append(d)
    return kept + list(complaints.values())
