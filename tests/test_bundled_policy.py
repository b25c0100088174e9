"""The bundled example stack is exemplary: `check` prints no warning (the findings it keeps as
information are justified in ttrules.yaml), every rule takes effect in a rule test, and the
policy fixes of issue 19 hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.engine import Engine
from ttrules.evaluate.cascade import decide
from ttrules.simulate.demo import DEMO_CONFIG

ROOT = Path(__file__).resolve().parent.parent

HARD_CODED = """ruleset "goodwill"
layer merchant

rule "goodwill-returns"
  priority 500
  when request.kind == RETURN_AND_REFUND
   and has(order.delivered_at)
   and case.now - order.delivered_at <= 15d
  then approve
  because "returns within 15 days are accepted"
"""

DAY_10_JEWELRY_RETURN = {
    "case": {"market": "MY", "now": "2026-05-21T00:00:00Z"},
    "order": {
        "status": "DELIVERED",
        "total": "20 USD",
        "category": "jewelry",
        "created_at": "2026-05-01T00:00:00Z",
        "paid_at": "2026-05-01T00:10:00Z",
        "collected_at": "2026-05-02T00:00:00Z",
        "delivered_at": "2026-05-10T00:00:00Z",
    },
    "request": {"kind": "RETURN_AND_REFUND", "reason": "CHANGED_MIND", "created_at": "2026-05-20T00:00:00Z"},
    "buyer": {"credit_score": 95},
}


def test_the_bundled_check_prints_no_warning() -> None:
    result = CliRunner().invoke(cli, ["check", "--config", str(ROOT / "ttrules.yaml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    found = json.loads(result.output)["diagnostics"]
    assert {d["severity"] for d in found} <= {"info"}
    assert {d["code"] for d in found} == {"TTR202"}


def test_the_demo_stack_is_the_repository_stack() -> None:
    repository = yaml.safe_load((ROOT / "ttrules.yaml").read_text(encoding="utf-8"))
    repository.pop("tests")
    assert yaml.safe_load(DEMO_CONFIG) == repository


def test_the_platform_enforces_the_jewelry_window_over_a_hard_coded_one(tmp_path: Path) -> None:
    shutil.copytree(
        ROOT / "rulesets", tmp_path / "rulesets", ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    (tmp_path / "ttrules.yaml").write_text(DEMO_CONFIG, encoding="utf-8")
    (tmp_path / "rulesets" / "merchant" / "goodwill.ttr").write_text(HARD_CODED, encoding="utf-8")
    checked = CliRunner().invoke(cli, ["check", "--config", str(tmp_path / "ttrules.yaml")])
    assert "warning[TTR310]: `merchant/goodwill-returns` measures the time since `order.delivered_at`" in (
        checked.output
    )
    engine, diagnostics = Engine.load(None, tmp_path / "ttrules.yaml")
    assert engine is not None, diagnostics
    decision = decide(engine.prepared, engine.values(DAY_10_JEWELRY_RETURN))
    assert decision.resolution.action == "reject"
    assert decision.resolution.rule is not None
    assert decision.resolution.rule.label == "platform/jewelry-return-window"
    apparel = {**DAY_10_JEWELRY_RETURN, "order": {**DAY_10_JEWELRY_RETURN["order"], "category": "apparel"}}
    assert decide(engine.prepared, engine.values(apparel)).resolution.action == "approve"


def test_every_rule_takes_effect_in_a_rule_test() -> None:
    """The two platform forbids guard against merchant rules yet to be written (their TTR205 is
    suppressed with that reason): nothing they could veto exists, so they only match."""
    result = CliRunner().invoke(cli, ["test", "--config", str(ROOT / "ttrules.yaml")])
    assert result.exit_code == 0, result.output
    assert "coverage: 29 of 31 rules and forbids took effect in a test" in result.output
    assert result.output.count("matched only   platform/forbid reject") == 2
