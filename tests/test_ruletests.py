"""`ttrules test`: reading test files, expectations, tables, defaults, coverage and reports."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ttrules.case_files import DEFAULT_CASE
from ttrules.ruletests.render import render_junit, render_text
from ttrules.ruletests.run import SuiteRun, run_tests
from ttrules.ruletests.spec import read_ruleset_tests, read_test_file

from conftest import check_golden
from helpers import ROOT, bundled_engine, engine_from_texts

STACK = [
    """ruleset "p"
layer platform

rule "p-reject-lost"
  when request.kind == REFUND and logistics.exception == LOST
  then reject("claim from the carrier"), route("claims", sla: 1h)

forbid refund_without_return
  when order.category == "luxury"
""",
    """ruleset "m"
layer merchant

set cap = 30 USD when order.category == "jewelry"
set cap = 50 USD

rule "m-approve-small"
  priority 10
  when order.total < cap
  then approve, tag("small"), notify("approved", within: 2h)

rule "m-keep-it"
  priority 5
  when order.total < 100 USD
  then refund_without_return, intercept_at_supplier, return_to_stock, tag("keep")

rule "m-never"
  when order.quantity > 1000
  then review
""",
]


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return engine_from_texts(STACK)


def _run(engine, tmp_path: Path, text: str, name: str = "t.yaml") -> SuiteRun:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return run_tests(engine, [read_test_file(path)])


def _one(engine, tmp_path: Path, case: str, expect: str) -> SuiteRun:  # type: ignore[no-untyped-def]
    return _run(engine, tmp_path, f"{DEFAULTS}tests:\n  - name: x\n    case: {case}\n    expect: {expect}\n")


DEFAULTS = "defaults: {order.category: apparel}\n"
SMALL = "{order.total: 20 USD}"
MIDDLE = "{order.total: 70 USD}"
LOST = "{request.kind: REFUND, logistics.exception: LOST}"

# (case, expectation that holds, expectation that does not hold)
EXPECTATIONS = [
    (SMALL, "{resolution: approve}", "{resolution: review}"),
    (LOST, "{resolution: reject}", "{resolution: approve}"),
    (LOST, '{resolution: reject("claim from the carrier")}', '{resolution: reject("other")}'),
    (SMALL, "{rule: m-approve-small}", "{rule: m-keep-it}"),
    (SMALL, "{rule: merchant/m-approve-small}", "{rule: platform/p-reject-lost}"),
    (LOST, "{layer: platform}", "{layer: merchant}"),
    ("{order.total: 500 USD}", "{rule: default, layer: default, resolution: review}", "{rule: m-never}"),
    (MIDDLE, "{fulfillment: [intercept_at_supplier, return_to_stock]}", "{fulfillment: [return_to_stock]}"),
    ("{order.total: 500 USD}", "{fulfillment: []}", "{fulfillment: [abandon]}"),
    (LOST, "{route: 'route(\"claims\", sla: 1h)'}", "{route: 'route(\"claims\", sla: 2h)'}"),
    (LOST, '{route: route("claims")}', '{route: route("risk")}'),
    (SMALL, "{route: null}", '{route: route("claims")}'),
    (SMALL, "{tags: [small, keep]}", "{tags: [small]}"),
    (SMALL, "{tags_include: [small]}", "{tags_include: [small, vip]}"),
    (SMALL, "{notify: [approved]}", "{notify: []}"),
    (SMALL, "{errors: []}", "{errors: [m-never]}"),
    ("{order.category: jewelry}", "{settings: {cap: 30 USD}}", "{settings: {cap: 50 USD}}"),
]


@pytest.mark.parametrize(
    ("case", "holds", "fails"), EXPECTATIONS, ids=[f"{i}:{e[1][:40]}" for i, e in enumerate(EXPECTATIONS)]
)
def test_each_expectation_can_pass_and_fail(
    engine,
    tmp_path: Path,
    case: str,
    holds: str,  # type: ignore[no-untyped-def]
    fails: str,
) -> None:
    good = _one(engine, tmp_path, case, holds)
    assert good.ok, render_text(good)
    bad = _one(engine, tmp_path, case, fails)
    assert not bad.diagnostics, render_text(bad)
    assert [r.status for r in bad.results] == ["failed"]


def test_a_failure_names_what_was_expected_and_what_came(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = _one(engine, tmp_path, MIDDLE, "{resolution: approve, rule: m-approve-small}")
    [result] = run.results
    assert [(m.key, m.expected, m.actual) for m in result.mismatches] == [
        ("resolution", "approve", "refund_without_return"),
        ("rule (who set the resolution)", "m-approve-small", "merchant/m-keep-it"),
    ]
    text = render_text(run).split("\ntests: ")[0]
    # The explanation shows the winner and why the expected rule did not match, not every rule.
    assert "won            merchant/m-keep-it" in text
    assert "false: order.total < cap" in text and "needed < 50 USD" in text
    assert "p-reject-lost" not in text


def test_table_rows_are_tests_of_their_own(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = _run(
        engine,
        tmp_path,
        """\
tests:
  - name: amounts
    case: {order.category: apparel}
    expect: {layer: merchant}
    table:
      columns: [order.total, expect.resolution]
      rows:
        - [20 USD, approve]
        - {order.total: 70 USD, expect.resolution: refund_without_return}
        - [70 USD, approve]
""",
    )
    assert [r.status for r in run.results] == ["passed", "passed", "failed"]
    assert run.results[2].test.name == "amounts [row 3: order.total=70 USD]"
    assert run.results[2].line == 10


def test_defaults_merge_and_null_removes(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = _run(
        engine,
        tmp_path,
        """\
defaults:
  order: {total: 20 USD, paid_at: 2026-01-01T10:00:00Z, category: apparel}
tests:
  - name: inherits the file default
    expect: {resolution: approve}
  - name: removes a default with null
    case: {order.paid_at: null, order.total: 70 USD}
    expect: {resolution: refund_without_return}
""",
    )
    assert run.ok, render_text(run)
    first, second = run.results
    assert first.test.record["order"]["total"] == "20 USD"
    assert first.test.record["order"]["status"] == DEFAULT_CASE["order"]["status"]
    assert "paid_at" not in second.test.record["order"]
    assert first.test.record["case"]["id"] == "inherits the file default"


def test_coverage_states(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = _run(
        engine,
        tmp_path,
        """\
tests:
  - name: luxury keeps nothing
    case: {order.total: 70 USD, order.category: luxury}
    expect: {resolution: review}
""",
    )
    assert run.ok, render_text(run)
    states = {r.ref.label: r.state for r in run.coverage.rules}
    assert states == {
        "merchant/m-approve-small": "never matched",  # 70 USD is not under the cap of 50 USD
        "merchant/m-keep-it": "matched only",  # vetoed by the platform's forbid
        "merchant/m-never": "never matched",
        "platform/p-reject-lost": "never matched",
        "platform/forbid refund_without_return": "took effect",
    }
    assert str(run.coverage.percent) == "20.0"


def test_malformed_test_files_golden(in_root: Path, update_goldens: bool) -> None:
    path = Path("tests/golden/ruletests/malformed.yaml")
    run = run_tests(bundled_engine(), [read_test_file(path)])
    assert not run.ok
    check_golden(in_root / "tests/golden/ruletests/malformed.txt", render_text(run), update_goldens)


def test_tests_inside_a_yaml_ruleset(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(
        """\
ruleset: shop
layer: merchant
rules:
  - name: cheap
    when: order.total < 10 USD
    then: [approve]
tests:
  - name: cheap is approved
    case: {order.total: 5 USD}
    expect: {resolution: approve, rule: cheap}
""",
        encoding="utf-8",
    )
    engine = engine_from_texts([path.read_text(encoding="utf-8").replace("shop", "shop")])
    found = read_ruleset_tests(path)
    assert found is not None
    run = run_tests(engine, [found])
    assert run.ok and run.count("passed") == 1


def test_junit_xml_counts(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = _run(
        engine,
        tmp_path,
        f"""\
{DEFAULTS}tests:
  - name: passes
    case: {SMALL}
    expect: {{resolution: approve}}
  - name: fails
    case: {SMALL}
    expect: {{resolution: review}}
  - name: invalid
    case: {{order.total: lots}}
    expect: {{resolution: review}}
""",
    )
    root = ET.fromstring(render_junit(run))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["passes", "fails", "invalid"]
    assert cases[1].find("failure").get("message") == "resolution: expected review, got approve"  # type: ignore[union-attr]


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ttrules.cli", *args], cwd=cwd, capture_output=True, text=True
    )


def test_cli_runs_the_bundled_suite_and_gates_on_coverage(tmp_path: Path) -> None:
    ok = _cli("test", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["summary"]["failed"] == 0 and report["summary"]["passed"] >= 10
    assert _cli("test", "--coverage-min", "0").returncode == 0
    below = _cli("test", "--coverage-min", "99")
    assert below.returncode == 1 and "TTR404" in below.stdout
    junit = tmp_path / "junit.xml"
    assert _cli("test", "--junit-xml", str(junit)).returncode == 0
    assert ET.parse(junit).getroot().get("failures") == "0"


def test_cli_exit_codes_for_failures_and_missing_tests(tmp_path: Path) -> None:
    failing = tmp_path / "f.yaml"
    failing.write_text(
        "tests:\n  - name: f\n    case: {order.total: 20 USD}\n    expect: {resolution: reject}\n",
        encoding="utf-8",
    )
    result = _cli("test", str(failing))
    assert result.returncode == 1 and "FAILED f" in result.stdout
    assert _cli("test", str(tmp_path / "nothing.yaml")).returncode == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _cli("test", str(empty)).returncode == 2
