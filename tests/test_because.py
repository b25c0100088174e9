"""A rule's `because` is the human part of its decision: explain (text and JSON), a failed
rule test, and the simulation's samples and rules table quote it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.simulate.html import render_html
from ttrules.simulate.render import render

from helpers import ROOT

CASE = ROOT / "examples" / "cases" / "small-cancel.json"
WHY = "small cancellations for non-quality reasons"  # rulesets/merchant/small-cancellations.ttr


def _explain(*options: str) -> str:
    result = CliRunner().invoke(
        cli, ["explain", "--config", str(ROOT / "ttrules.yaml"), "--case", str(CASE), *options]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_quotes_the_winning_rules_because() -> None:
    text = _explain()
    by = "by merchant/small-cancel-non-quality (rulesets/merchant/small-cancellations.ttr:11)"
    assert f"approve  {by} — {WHY}" in text
    assert f"      because {WHY}" in text  # and in the rules section, under the rule that won


def test_the_decision_json_names_every_rule_with_its_because() -> None:
    decision = json.loads(_explain("--json"))
    assert decision["resolution"]["by"]["because"] == WHY
    traces = {t["rule"]["rule"]: t["rule"] for t in decision["explanation"]}
    assert traces["small-cancel-non-quality"]["because"] == WHY
    assert all("because" in t["rule"] for t in decision["explanation"])


def test_a_failed_rule_test_shows_the_because_of_the_rule_that_decided(tmp_path: Path) -> None:
    tests = tmp_path / "t.yaml"
    tests.write_text(
        "tests:\n  - name: wrong on purpose\n    case: {order: {total: 20 USD, category: apparel},"
        " request: {kind: CANCEL, reason: CHANGED_MIND}}\n    expect: {resolution: refund_without_return}\n"
    )
    result = CliRunner().invoke(cli, ["test", "--config", str(ROOT / "ttrules.yaml"), str(tests)])
    assert result.exit_code == 1
    # the default case's order awaits collection: the platform rejects, and says why
    assert "— buyers cannot cancel once the order awaits collection" in result.output


def test_the_report_rules_table_and_samples_carry_the_because(tmp_path: Path) -> None:
    from helpers import simulate_cli

    history = tmp_path / "h.jsonl"
    history.write_text(CASE.read_text().replace("\n", " ") + "\n")
    changed = tmp_path / "candidate"
    (changed / "rules").mkdir(parents=True)
    (changed / "rules" / "m.ttr").write_text(
        'ruleset "m"\nlayer merchant\nrule "reject-all"\n  when request.kind == CANCEL\n'
        '  then reject("no")\n  because "we never cancel"\n'
    )
    (changed / "ttrules.yaml").write_text("stack: [rules/]\n")
    code, report, output = simulate_cli(history, ROOT, changed, "--allow-skipped")
    assert code == 0, output
    rules = {r["rule"]: r for r in report["rules"]}
    assert rules["merchant/small-cancel-non-quality"]["because"] == WHY
    assert rules["merchant/reject-all"]["because"] == "we never cancel"
    assert report["samples"][0]["candidate"]["resolution"]["by"]["because"] == "we never cancel"
    assert "we never cancel" in render(report) and "we never cancel" in render_html(report)
