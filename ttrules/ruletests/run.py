"""Running rule tests against a checked stack, and rule coverage.

Every test is decided by the reference evaluator with its explanation: a failure must say why
the winner won, and coverage needs to know which rules matched and which took effect. Rule
test suites are hundreds of cases, not millions, so the trace costs nothing that matters.

Coverage, per rule and per `forbid` of the stack:
- took effect: a rule set a slot (won one, or added a tag or notification) in at least one
  test; a forbid vetoed a rule in at least one test;
- matched only: its condition held in some test, but it never took effect (it always lost,
  or was vetoed, or vetoed nothing);
- never matched: no test reached it.
The percentage is the share that took effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ttrules.diagnostics import Diagnostic, Severity, did_you_mean
from ttrules.engine import Engine
from ttrules.evaluate.decision import Decision, RuleRef
from ttrules.i18n import _
from ttrules.ruletests.expect import Mismatch, check_expectation
from ttrules.ruletests.spec import RuleTest, RuleTestFile
from ttrules.schema.case import CaseError


@dataclass
class CaseResult:
    test: RuleTest
    path: str
    status: str  # passed | failed | invalid
    mismatches: list[Mismatch] = field(default_factory=list)
    decision: Decision | None = None
    problems: list[str] = field(default_factory=list)  # why an invalid test could not run

    @property
    def line(self) -> int:
        return self.test.span.start_line_col()[0]


@dataclass
class RuleCoverage:
    ref: RuleRef
    kind: str  # rule | forbid
    took_effect: int = 0  # tests
    matched: int = 0  # tests

    @property
    def state(self) -> str:
        return "took effect" if self.took_effect else "matched only" if self.matched else "never matched"


@dataclass
class Coverage:
    rules: list[RuleCoverage]

    @property
    def percent(self) -> Decimal:
        if not self.rules:
            return Decimal(100)
        covered = sum(1 for r in self.rules if r.took_effect)
        return (Decimal(100) * covered / len(self.rules)).quantize(Decimal("0.1"))


@dataclass
class SuiteRun:
    results: list[CaseResult]
    coverage: Coverage
    diagnostics: list[Diagnostic]  # every problem: malformed files and tests, bad cases, unknown names
    unread: list[Diagnostic] = field(default_factory=list)  # those that kept a test from being read

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return not self.diagnostics and all(r.status == "passed" for r in self.results)


def _unknown_names(test: RuleTest, labels: list[str], path: str) -> list[Diagnostic]:
    names = {label.split("/", 1)[1] for label in labels}
    found = []
    for expectation in test.expectations:
        for wanted in expectation.names_rules:
            known = wanted in labels if "/" in wanted else wanted in names
            if not known:
                found.append(
                    Diagnostic(
                        "TTR403",
                        _("`{name}` is not a rule of the stack").format(name=wanted),
                        expectation.span,
                        label=_("in this expectation"),
                        path=path,
                        help=did_you_mean(wanted, labels if "/" in wanted else names)
                        or _("write `layer/name` as `ttrules explain` prints it"),
                    )
                )
    return found


def _unknown_layers(test: RuleTest, layers: tuple[str, ...], path: str) -> list[Diagnostic]:
    return [
        Diagnostic(
            "TTR403",
            _("`{name}` is not a layer of the stack").format(name=e.value),
            e.span,
            path=path,
            help=did_you_mean(e.value, layers)
            or _("layers: {names}, default").format(names=", ".join(layers)),
        )
        for e in test.expectations
        if e.key == "layer" and e.value not in (*layers, "default")
    ]


def run_tests(engine: Engine, files: list[RuleTestFile], name_filter: str | None = None) -> SuiteRun:
    labels = [e.ref.label for e in engine.prepared.rules]
    fx = engine.prepared.fx
    # Keyed by the reference, not the label: two `forbid reject` of one layer are two entries.
    coverage = {e.ref: RuleCoverage(e.ref, "rule") for e in engine.prepared.rules}
    coverage.update({f.ref: RuleCoverage(f.ref, "forbid") for f in engine.prepared.forbids})
    results: list[CaseResult] = []
    diagnostics: list[Diagnostic] = []
    unread: list[Diagnostic] = []
    for test_file in files:
        diagnostics += test_file.diagnostics
        unread += test_file.diagnostics
        for test in test_file.tests:
            if name_filter and name_filter.lower() not in test.name.lower():
                continue
            problems = _unknown_names(test, labels, test_file.path) + _unknown_layers(
                test, engine.stack.layers, test_file.path
            )
            if problems:
                diagnostics += problems
                results.append(
                    CaseResult(test, test_file.path, "invalid", problems=[d.message for d in problems])
                )
                continue
            try:
                values = engine.values(test.record)
            except CaseError as error:
                messages = [f"{p}: {m}" if p else m for p, m in error.problems]
                diagnostics.append(
                    Diagnostic(
                        "TTR402",
                        _("the case of `{name}` is not a valid case").format(name=test.name),
                        test.span,
                        path=test_file.path,
                        notes=tuple(messages),
                        help=_("fix the fields named above; `ttrules schema` lists every field"),
                    )
                )
                results.append(CaseResult(test, test_file.path, "invalid", problems=messages))
                continue
            decision = engine.decide_values(values, explain=True)
            _count(coverage, decision)
            mismatches = [m for e in test.expectations if (m := check_expectation(e, decision, fx))]
            results.append(
                CaseResult(test, test_file.path, "failed" if mismatches else "passed", mismatches, decision)
            )
    return SuiteRun(results, Coverage(list(coverage.values())), diagnostics, unread)


def _count(coverage: dict[RuleRef, RuleCoverage], decision: Decision) -> None:
    assert decision.trace is not None
    for trace in decision.trace:
        entry = coverage.get(trace.rule)
        if entry is None:
            continue
        if trace.kind == "forbid":
            entry.matched += trace.status == "matched"
            entry.took_effect += bool(trace.vetoes)
        else:
            entry.matched += trace.status in ("won", "lost", "vetoed")
            entry.took_effect += trace.status == "won"


def failure_diagnostics(run: SuiteRun) -> list[Diagnostic]:
    """Each failed test as a located diagnostic (for SARIF and GitHub annotations)."""
    found = []
    for result in run.results:
        if result.status != "failed":
            continue
        first = result.mismatches[0]
        found.append(
            Diagnostic(
                "TTR401",
                _("rule test `{name}` failed: {key} is {actual}, expected {expected}").format(
                    name=result.test.name, key=first.key, actual=first.actual, expected=first.expected
                ),
                result.test.span,
                path=result.path,
                notes=tuple(
                    _("{key}: expected {expected}, got {actual}").format(
                        key=m.key, expected=m.expected, actual=m.actual
                    )
                    for m in result.mismatches[1:]
                ),
                help=_("run `ttrules test -k` with the test's name to see why the winner won"),
            )
        )
    return found


def coverage_diagnostic(run: SuiteRun, minimum: Decimal, where: str) -> Diagnostic | None:
    percent = run.coverage.percent
    if percent >= minimum:
        return None
    missing = [r.ref.label for r in run.coverage.rules if not r.took_effect]
    return Diagnostic(
        "TTR404",
        _("rule coverage is {percent}%, below the required {minimum}%").format(
            percent=percent, minimum=minimum
        ),
        None,
        path=where,
        severity=Severity.ERROR,
        notes=(
            _("never took effect in a test: {rules}").format(rules=", ".join(missing[:20]))
            + (" …" if len(missing) > 20 else ""),
        ),
        help=_("add tests whose cases these rules decide"),
    )
