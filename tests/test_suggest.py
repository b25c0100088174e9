"""`ttrules suggest`: its figures against an independent computation (the ruleset edited as
text, every record decided by the reference evaluator, the figures counted here), the
recommendation rule table-driven, the edit written and checked, and bad requests refused."""

from __future__ import annotations

import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.engine import Engine
from ttrules.evaluate.cascade import decide
from ttrules.pipeline.suggestion import SuggestRequest, run_suggestion
from ttrules.schema.loader import load_case
from ttrules.simulate.demo import DEMO_CONFIG, raise_small_cancel_limit
from ttrules.simulate.generate import write_jsonl
from ttrules.simulate.history import read_history
from ttrules.suggest.recommend import Constraints, recommend
from ttrules.suggest.sweep import Cell
from ttrules.values import Money

ROOT = Path(__file__).resolve().parent.parent
RULE = "merchant/small-cancel-non-quality"
FILE = Path("rulesets/merchant/small-cancellations.ttr")
VALUES = ("12 USD", "27 USD")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: Any) -> Path:
    root = tmp_path_factory.mktemp("suggest")
    (root / "ttrules.yaml").write_text(DEMO_CONFIG, encoding="utf-8")
    shutil.copytree(
        ROOT / "rulesets", root / "rulesets", ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    write_jsonl(root / "history.jsonl", 1500, seed=3)
    return root


def _independent(root: Path, value: str) -> dict[str, dict[str, Any]]:
    """The figures of one value: the ruleset's limit set by a text edit, the reference
    evaluator deciding, the counting done here."""
    path = root / FILE
    original = path.read_text(encoding="utf-8")
    path.write_text(raise_small_cancel_limit(original, value), encoding="utf-8")
    try:
        engine, diagnostics = Engine.load(None, root / "ttrules.yaml")
        assert engine is not None, diagnostics
    finally:
        path.write_text(original, encoding="utf-8")
    fx = engine.stack.config.fx_rates()
    limit = Decimal(value.split()[0])
    out: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(Decimal))
    for row in read_history(root / "history.jsonl"):
        loaded = load_case(row.record, engine.stack.schema)
        values = loaded.values
        figures = out[values["order.category"]]
        figures["records"] += 1
        total = values["order.total"]
        usd = total.amount * fx[total.currency]
        figures["covered"] += usd < limit
        figures["just_below"] += limit * Decimal("0.95") <= usd < limit
        figures["just_above"] += limit <= usd <= limit * Decimal("1.05")
        resolution = decide(engine.prepared, values).resolution
        if resolution.action in ("approve", "refund_without_return") and resolution.rule.label == RULE:
            figures["automatic"] += 1
            refund = values["request.refund_amount"]
            assert isinstance(refund, Money)
            figures["refunds"] += refund.amount * fx[refund.currency]
            abuse = loaded.outcome.get("abuse")
            figures["labelled"] += abuse is not None
            figures["abusive"] += bool(abuse)
    return out


def test_figures_match_an_independent_computation(workspace: Path) -> None:
    request = SuggestRequest(
        "small_cancel_limit",
        workspace / "history.jsonl",
        values=VALUES,
        constraints=Constraints(cover=Decimal("0.5")),
        config=workspace / "ttrules.yaml",
    )
    report = run_suggestion(request).report
    assert report["values"] == list(VALUES) and report["rules"] == [RULE]
    groups = {g["key"]: g for g in report["groups"]}
    for index, value in enumerate(VALUES):
        expected = _independent(workspace, value)
        assert set(groups) == set(expected)
        for key, want in expected.items():
            got = groups[key]["rows"][index]
            records = int(want["records"])
            assert got["records"] == records
            assert Decimal(got["coverage"]) == (Decimal(int(want["covered"])) / records).quantize(
                Decimal("0.0001")
            )
            assert got["automatic"] == int(want["automatic"])
            assert Decimal(got["refunds"]) == want["refunds"].quantize(Decimal("0.01"))
            assert (got["abuse_labelled"], got["abusive"]) == (int(want["labelled"]), int(want["abusive"]))
            assert (got["just_below"], got["just_above"]) == (
                int(want["just_below"]),
                int(want["just_above"]),
            )
    assert sum(g["rows"][1]["automatic"] for g in report["groups"]) > sum(
        g["rows"][0]["automatic"] for g in report["groups"]
    ), "a higher limit approves more: the test would not see a sweep that ignored the value"


def _cell(
    records: int, covered: int, labelled: int = 0, abusive: int = 0, below: int = 0, above: int = 0
) -> Cell:
    return Cell(records, covered, labelled, Decimal(0), labelled, abusive, Decimal(0), below, above)


@pytest.mark.parametrize(
    ("cells", "constraints", "expected"),
    [
        # the smallest value reaching the coverage
        ([_cell(10, 3), _cell(10, 7), _cell(10, 9)], Constraints(cover=Decimal("0.7")), 1),
        # ... skipping one whose abuse share is over the limit
        (
            [_cell(10, 3), _cell(10, 7, 10, 2), _cell(10, 9, 10, 0)],
            Constraints(cover=Decimal("0.7"), max_abuse=Decimal("0.1")),
            2,
        ),
        # ... and one gamed (20 just below, 10 just above: ratio 2 > 1.5)
        (
            [_cell(100, 80, below=20, above=10), _cell(100, 90, below=5, above=0)],
            Constraints(cover=Decimal("0.7"), max_gaming_ratio=Decimal("1.5")),
            1,
        ),
        # fewer than 20 just below say nothing about gaming
        (
            [_cell(100, 80, below=19, above=1)],
            Constraints(cover=Decimal("0.7"), max_gaming_ratio=Decimal("1.5")),
            0,
        ),
        # no value covers enough
        ([_cell(10, 3), _cell(10, 5)], Constraints(cover=Decimal("0.7")), None),
        # without --cover: the largest value within the abuse limit
        (
            [_cell(10, 3, 10, 0), _cell(10, 7, 10, 1), _cell(10, 9, 10, 3)],
            Constraints(max_abuse=Decimal("0.1")),
            1,
        ),
    ],
)
def test_recommendation(cells: list[Cell], constraints: Constraints, expected: int | None) -> None:
    values = [Money(Decimal(10 * (i + 1)), "USD") for i in range(len(cells))]
    assert recommend(cells, values, constraints)[0] == expected


def test_write_edits_the_ruleset_and_it_checks(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    args = ["suggest", "small_cancel_limit", "--history", str(root / "history.jsonl")]
    args += ["--config", str(root / "ttrules.yaml"), "--values", "12 USD, 27 USD, 45 USD", "--cover", "50%"]
    result = CliRunner().invoke(cli, [*args, "--html", str(root / "s.html"), "--write"])
    assert result.exit_code == 0, result.output
    text = (root / FILE).read_text(encoding="utf-8")
    assert 'when order.category == "apparel"' in text and "# Approve small cancellations" in text
    assert "+set small_cancel_limit" in result.output  # the diff, printed
    assert "<svg" in (root / "s.html").read_text(encoding="utf-8")
    checked = CliRunner().invoke(cli, ["check", "--config", str(root / "ttrules.yaml"), "--no-analysis"])
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["no_such_setting", "--cover", "70%"], "no ruleset sets `no_such_setting`"),
        (["small_cancel_limit", "--cover", "70%", "--by", "order.total"], "--by needs a text or enumeration"),
        (["small_cancel_limit", "--cover", "70%", "--values", "12 MYR"], "is not in USD"),
        (["small_cancel_limit"], "--cover, --max-abuse or both"),
        (["small_cancel_limit", "--cover", "170%"], "a percentage from 0 to 100"),
    ],
)
def test_bad_requests_are_refused(workspace: Path, extra: list[str], message: str) -> None:
    args = ["suggest", *extra, "--history", str(workspace / "history.jsonl")]
    result = CliRunner().invoke(cli, [*args, "--config", str(workspace / "ttrules.yaml")])
    assert result.exit_code == 2 and message in result.output, result.output


def test_the_documented_example_is_what_it_prints(tmp_path: Path) -> None:
    """docs/suggest.md's output and diff, on the demo history with the committed rules."""
    import re

    from ttrules.simulate.demo import CHANGED_FILE, create_workspace

    root = tmp_path / "demo"
    history = create_workspace(root, 20_000, 7)
    (root / CHANGED_FILE).write_text((ROOT / FILE).read_text(encoding="utf-8"), encoding="utf-8")
    doc = (ROOT / "docs" / "suggest.md").read_text(encoding="utf-8")
    command = re.search(r"```sh\n(ttrules suggest .*?)\n```", doc, re.S)
    assert command is not None
    args = command.group(1).replace("\\\n", " ").split()[1:]
    args = [
        str(history) if a == "history.parquet" else str(root / a) if a.endswith(".html") else a for a in args
    ]
    result = CliRunner().invoke(cli, [*args, "--config", str(root / "ttrules.yaml")])
    assert result.exit_code == 0, result.output
    shown = re.search(r"```text\n(.*?)\n```", doc, re.S)
    diff = re.search(r"```diff\n(.*?)\n```", doc, re.S)
    assert shown is not None and diff is not None
    printed = result.output.replace(str(history), "history.parquet")
    for block in (shown.group(1).removesuffix("\n…"), diff.group(1)):
        assert block in printed


def test_limit_sweeps_the_first_records_only(workspace: Path) -> None:
    request = SuggestRequest(
        "small_cancel_limit",
        workspace / "history.jsonl",
        values=VALUES,
        constraints=Constraints(cover=Decimal("0.5")),
        config=workspace / "ttrules.yaml",
        limit=100,
    )
    report = run_suggestion(request).report
    assert report["records"]["decided"] == 100
    assert sum(g["current"]["records"] for g in report["groups"]) == 100
