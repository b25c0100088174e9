"""Labelled backtests (simulate/backtest.py): a small history whose every figure is worked out
by hand below, on both engines; the section in every renderer; no section without labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ttrules.columnar.run import replay_duckdb
from ttrules.simulate.history import read_history
from ttrules.simulate.html import render_html
from ttrules.simulate.render import render
from ttrules.simulate.run import Options, Side, replay

from helpers import engine_from_texts

CONFIG = {"costs": {"review_minutes": 6, "agent_hour": "4 USD"}}
RULES = """ruleset "m"
layer merchant
rule "small"
  when order.total < {limit}
  then approve
rule "risky"
  when buyer.credit_score < 40
  then reject
"""
BASELINE = RULES.format(limit="20 USD")
CANDIDATE = RULES.format(limit="30 USD")

# total, credit, agent decision, abuse label, handling minutes; baseline → candidate resolution
HISTORY = [
    (15, 80, "approve", False, 5),  # approve → approve: both agree
    (50, 30, "reject", True, 10),  # reject → reject: agree, abuse stopped and rejected
    (25, 80, "reject", True, 8),  # review → approve: deferred, then over-granted, abuse let through
    (50, 30, "approve", False, None),  # reject → reject: under-granted, a clean request rejected
    (60, 80, "withdrawn", None, 3),  # review → review: deferred both times
    (5, 80, None, None, None),  # approve → approve: no label, not in the backtest
    (28, 80, "Approve ", None, 4),  # review → approve: the agent's words compared loosely
    (70, 80, None, False, None),  # review → review: reviewed without minutes (flat 6 minutes)
]

EXPECTED = {
    "labelled": {"decisions": 6, "abuse": 5, "abusive": 2, "handling_minutes": 5},
    "baseline": {
        "agreement": {"compared": 3, "agreed": 2, "share": "0.6667", "deferred": 3},
        "over_granted": (0, "0.00"),
        "under_granted": (1, "50.00"),
        "abuse": {"rejected": 1, "stopped_share": "1.0000", "clean_rejected": 1},
        "stopped": (2, "75.00"),
        "let_through": (0, "0.00"),
        # records 3, 5, 7 with 8 + 3 + 4 minutes, record 8 at the flat 6: 21 minutes
        "review": {"count": 4, "timed": 3, "estimated": 1, "hours": "0.35", "cost": "1.40"},
    },
    "candidate": {
        "agreement": {"compared": 5, "agreed": 3, "share": "0.6000", "deferred": 1},
        "over_granted": (1, "25.00"),
        "under_granted": (1, "50.00"),
        "abuse": {"rejected": 1, "stopped_share": "0.5000", "clean_rejected": 1},
        "stopped": (1, "50.00"),
        "let_through": (1, "25.00"),
        "review": {"count": 2, "timed": 1, "estimated": 1, "hours": "0.15", "cost": "0.60"},
    },
}
CANDIDATE_MATRIX = [
    {"agent": "Approve ", "resolution": "approve", "count": 1},
    {"agent": "approve", "resolution": "approve", "count": 1},
    {"agent": "approve", "resolution": "reject", "count": 1},
    {"agent": "reject", "resolution": "approve", "count": 1},
    {"agent": "reject", "resolution": "reject", "count": 1},
    {"agent": "withdrawn", "resolution": "review", "count": 1},
]


def _record(i: int, total: int, credit: int, agent: str | None, abuse: bool | None, minutes: Any) -> Any:
    return {
        "case.id": f"c{i}",
        "order.status": "DELIVERED",
        "order.total": f"{total} USD",
        "order.created_at": "2026-01-01T00:00:00Z",
        "request.kind": "REFUND",
        "request.refund_amount": f"{total} USD",
        "request.created_at": "2026-01-05T00:00:00Z",
        "buyer.credit_score": credit,
        "outcome.decision": agent,
        "outcome.abuse": abuse,
        "outcome.handling_minutes": minutes,
    }


def _history(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    pq.write_table(pa.Table.from_pylist([_record(i, *row) for i, row in enumerate(rows, 1)]), path)
    return path


def _report(path: Path, engine: str) -> dict[str, Any]:
    sides = (
        Side(engine_from_texts([BASELINE], CONFIG), "baseline"),
        Side(engine_from_texts([CANDIDATE], CONFIG), "candidate"),
    )
    if engine == "duckdb":
        acc, _ = replay_duckdb(*sides, path, "parquet", {}, Options())
    else:
        acc = replay(*sides, read_history(path, {}, "parquet"), Options())
    return acc.report()


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_backtest_figures_match_the_hand_computation(tmp_path: Path, engine: str) -> None:
    backtest = _report(_history(tmp_path / "h.parquet", HISTORY), engine)["backtest"]
    assert backtest["labelled"] == EXPECTED["labelled"]
    for side in ("baseline", "candidate"):
        got, want = backtest[side], EXPECTED[side]
        assert {k: got["agreement"][k] for k in want["agreement"]} == want["agreement"]
        for name in ("over_granted", "under_granted"):
            assert (got["agreement"][name]["count"], got["agreement"][name]["money"]) == want[name]
        assert {k: got["abuse"][k] for k in want["abuse"]} == want["abuse"]
        for name in ("stopped", "let_through"):
            assert (got["abuse"][name]["count"], got["abuse"][name]["money"]) == want[name]
        assert got["review"] == want["review"]
    assert backtest["candidate"]["agreement"]["matrix"] == CANDIDATE_MATRIX


def test_no_labels_no_backtest(tmp_path: Path) -> None:
    bare = [(total, credit, None, None, None) for total, credit, *_ in HISTORY]
    report = _report(_history(tmp_path / "h.parquet", bare), "duckdb")
    assert report["backtest"] is None


def test_every_renderer_shows_the_backtest(tmp_path: Path) -> None:
    report = _report(_history(tmp_path / "h.parquet", HISTORY), "duckdb")
    report.update(
        inputs={
            "currency": "USD",
            "history": {"path": "h.parquet"},
            "baseline": {"label": "b"},
            "candidate": {"label": "c"},
        },
        samples=[],
    )
    text = render(report)
    assert "Backtest against what happened" in text
    assert "60.00 %" in text and "66.67 %" in text  # the agreement of both stacks
    assert "1 · 25.00" in text  # the candidate over-grants record 3
    assert "<summary>Agents' decisions against the candidate's resolutions</summary>" in render(
        report, markdown=True
    )
    page = render_html(report)
    assert "Backtest against what happened" in page and "rgba(200,30,30" in page
    report["backtest"] = None
    assert "Backtest" not in render(report) and "Backtest" not in render_html(report)
