"""Diagnostics for CI systems: SARIF 2.1.0 (GitHub code scanning) and GitHub workflow annotations.

SARIF choices, made for GitHub code scanning: one run whose driver lists the rules (codes) that
occur, with their documentation as help; paths relative to the working directory as URI
references (CI runs from the repository root); columns in Unicode code points, which is what a
span's offsets count; and a partial fingerprint built from the code, the file, the message and
the text of the line, not its number, so an alert survives lines being added above it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ttrules import __version__
from ttrules.codes import CODES
from ttrules.diagnostics import Diagnostic, Severity, sorted_diagnostics

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _relative(path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix()


def _uri(path: str) -> str:
    return quote(_relative(path), safe="/")


def _full_message(d: Diagnostic) -> str:
    parts = [d.message]
    if d.label:
        parts[0] += f" ({d.label})"
    parts += [f"note: {note}" for note in d.notes]
    if d.help:
        parts.append(f"help: {d.help}")
    return "\n".join(parts)


def _rule(code: str, level: str) -> dict[str, Any]:
    doc = CODES[code]
    return {
        "id": doc.code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.why},
        "help": {
            "text": f"{doc.summary}\n\nWhy it matters: {doc.why}\n\nExample:\n{doc.example.text}"
            f"\n\nFix: {doc.fix}",
            "markdown": f"{doc.summary}\n\n**Why it matters.** {doc.why}\n\n**Example.**\n\n"
            f"{doc.example.markdown(doc.code)}\n\n**Fix.** {doc.fix}",
        },
        "defaultConfiguration": {"level": level},
    }


def _location(d: Diagnostic) -> dict[str, Any] | None:
    path, line, column = d.location()
    if not path:
        return None
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    if d.span is not None:
        end_line, end_column = d.span.source.line_col(max(d.span.start, d.span.end))
        if (end_line, end_column) <= (line, column):
            end_line, end_column = line, column + 1
        physical["region"] = {
            "startLine": line,
            "startColumn": column,
            "endLine": end_line,
            "endColumn": end_column,
        }
    else:
        physical["region"] = {"startLine": 1}  # a whole-file finding: shown at the top
    return {"physicalLocation": physical}


def _fingerprint(d: Diagnostic) -> str:
    path, line, _ = d.location()
    line_text = d.span.source.line_text(line).strip() if d.span is not None and d.span.source.text else ""
    material = "\0".join((d.code, _relative(path) if path else "", d.message, line_text))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def render_sarif(diagnostics: Iterable[Diagnostic]) -> str:
    items = sorted_diagnostics(diagnostics)
    order: dict[str, int] = {}
    rules: list[dict[str, Any]] = []
    for d in items:
        if d.code not in order:
            order[d.code] = len(rules)
            rules.append(_rule(d.code, _SARIF_LEVEL[d.severity]))
    results = []
    for d in items:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": order[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": _full_message(d)},
            "partialFingerprints": {"ttrulesFindingHash/v1": _fingerprint(d)},
        }
        location = _location(d)
        if location is not None:
            result["locations"] = [location]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ttrules",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Iterable[Diagnostic]) -> str:
    """One workflow command per diagnostic: GitHub shows each on the line of the pull request."""
    lines = []
    for d in sorted_diagnostics(diagnostics):
        path, line, column = d.location()
        props = []
        if path:
            props.append(f"file={_escape_property(_relative(path))}")
        if line:
            props.append(f"line={line}")
            props.append(f"col={column}")
            if d.span is not None:
                end_line, end_column = d.span.source.line_col(max(d.span.start, d.span.end - 1))
                props.append(f"endLine={end_line}")
                if end_line == line:
                    props.append(f"endColumn={end_column}")
        props.append(f"title={_escape_property(f'{d.code} {CODES[d.code].name}')}")
        lines.append(f"::{_GITHUB_COMMAND[d.severity]} {','.join(props)}::{_escape_data(_full_message(d))}")
    return "\n".join(lines) + ("\n" if lines else "")
