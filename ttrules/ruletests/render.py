"""Rule test results as text for a person, JSON for machines and JUnit XML for CI dashboards."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from ttrules.diagnostics import render_text_all, to_json_dict
from ttrules.evaluate.decision import RuleTrace
from ttrules.evaluate.explain import decision_json, render_decision
from ttrules.i18n import N_, _
from ttrules.ruletests.run import CaseResult, SuiteRun
from ttrules.textwidth import ljust

REPORT_VERSION = 1


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in text.splitlines())


_QUIET = ("no_match", "not_applicable")


def _failure_text(result: CaseResult) -> str:
    failed = _("FAILED {test}  ({path}:{line})")
    lines = [failed.format(test=result.test.name, path=result.path, line=result.line)]
    mismatch = _("{key}: expected {expected}, got {actual}")
    for m in result.mismatches:
        lines.append("  " + mismatch.format(key=m.key, expected=m.expected, actual=m.actual))
    if result.decision is not None:
        # The rules that took part, and the one the test expected (to say why it did not win).
        expected = {e.value for e in result.test.expectations if e.key == "rule"}

        def relevant(trace: RuleTrace) -> bool:
            return trace.status not in _QUIET or trace.rule.label in expected or trace.rule.name in expected

        lines += ["  " + _("why:"), _indent(render_decision(result.decision, relevant))]
    return "\n".join(lines)


def summary_line(run: SuiteRun) -> str:
    parts = [
        _("{count} passed").format(count=run.count("passed")),
        _("{count} failed").format(count=run.count("failed")),
    ]
    if run.count("invalid"):
        parts.append(_("{count} invalid").format(count=run.count("invalid")))
    return _("tests: {counts}").format(counts=_(", ").join(parts))


_COVERAGE_STATES = {"matched only": N_("matched only"), "never matched": N_("never matched")}


def coverage_lines(run: SuiteRun) -> list[str]:
    rules = run.coverage.rules
    took = sum(1 for r in rules if r.took_effect)
    lines = [
        _("coverage: {took} of {total} rules and forbids took effect in a test ({percent}%)").format(
            took=took, total=len(rules), percent=run.coverage.percent
        )
    ]
    for state, shown in _COVERAGE_STATES.items():
        for entry in (r for r in rules if r.state == state):
            lines.append(f"  {ljust(_(shown), 14)} {entry.ref.label}  ({entry.ref.location})")
    return lines


def render_text(run: SuiteRun, verbose: bool = False) -> str:
    blocks = []
    if run.diagnostics:
        blocks.append(render_text_all(run.diagnostics))
    for result in run.results:
        if result.status == "failed":
            blocks.append(_failure_text(result))
        elif verbose and result.status == "passed":
            passed = _("passed {test}  ({path}:{line})")
            blocks.append(passed.format(test=result.test.name, path=result.path, line=result.line))
    blocks.append("\n".join([summary_line(run), *coverage_lines(run)]))
    return "\n\n".join(blocks) + "\n"


def _result_json(result: CaseResult) -> dict[str, Any]:
    return {
        "name": result.test.name,
        "path": result.path,
        "line": result.line,
        "status": result.status,
        "mismatches": [{"key": m.key, "expected": m.expected, "actual": m.actual} for m in result.mismatches],
        "problems": result.problems,
        "decision": decision_json(result.decision) if result.decision is not None else None,
    }


def render_json(run: SuiteRun) -> str:
    payload = {
        "version": REPORT_VERSION,
        "summary": {status: run.count(status) for status in ("passed", "failed", "invalid")},
        "tests": [_result_json(r) for r in run.results],
        "coverage": {
            "percent": str(run.coverage.percent),
            "rules": [
                {
                    "rule": r.ref.label,
                    "kind": r.kind,
                    "path": r.ref.path,
                    "line": r.ref.line,
                    "state": r.state,
                    "took_effect": r.took_effect,
                    "matched": r.matched,
                }
                for r in run.coverage.rules
            ],
        },
        "diagnostics": [to_json_dict(d) for d in run.diagnostics],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def render_junit(run: SuiteRun) -> str:
    """JUnit XML as CI dashboards read it: one suite per test file, one case per test or row."""
    by_path: dict[str, list[CaseResult]] = {}
    for result in run.results:
        by_path.setdefault(result.path, []).append(result)
    suites = ET.Element(
        "testsuites",
        name="ttrules",
        tests=str(len(run.results)),
        failures=str(run.count("failed")),
        errors=str(run.count("invalid")),
    )
    for path, results in by_path.items():
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=path,
            tests=str(len(results)),
            failures=str(sum(r.status == "failed" for r in results)),
            errors=str(sum(r.status == "invalid" for r in results)),
        )
        for result in results:
            case = ET.SubElement(
                suite, "testcase", classname=path, name=result.test.name, file=path, line=str(result.line)
            )
            if result.status == "failed":
                first = result.mismatches[0]
                failure = ET.SubElement(
                    case,
                    "failure",
                    type="TTR401",
                    message=f"{first.key}: expected {first.expected}, got {first.actual}",
                )
                failure.text = _failure_text(result)
            elif result.status == "invalid":
                error = ET.SubElement(case, "error", type="TTR402", message=result.problems[0])
                error.text = "\n".join(result.problems)
    if run.unread:
        # Tests that could not even be read are no test case of their own; they still fail
        # the run visibly.
        suite = ET.SubElement(suites, "testsuite", name="test files", tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname="test files", name="test files are valid")
        error = ET.SubElement(case, "error", type=run.unread[0].code, message=run.unread[0].message)
        error.text = render_text_all(run.unread)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
