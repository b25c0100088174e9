"""The report never shows a figure it does not have, and its figures add up.

- a review cost that cannot be priced is "n/a" (never 0.00), and a gate on it fails;
- an explicit cost in a currency without a rate is a config error;
- deltas are differences of the rounded figures, and every breakdown adds up to the totals;
- a simulation that decides nothing, or skips too much, exits 1 unless allowed;
- rules that errored have their own section (with the first error), not "never matched";
- tables cut to the top rows say how many were left out.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ttrules.cli import cli
from ttrules.simulate.metrics import CENT, apportion
from ttrules.simulate.render import render

from helpers import simulate_cli

RULES = """\
ruleset "m"
layer merchant

rule "small"
  when request.kind == CANCEL and order.total < {limit}
  then approve
"""
CONFIG = "stack: [rules/]\ncurrency: {currency}\nfx: {fx}\n{costs}"


def _case(i: int, total: str, kind: str = "CANCEL", status: str = "AWAITING_SHIPMENT") -> dict[str, Any]:
    return {
        "case": {"id": f"c{i}", "market": "MY"},
        "order": {
            "status": status,
            "total": total,
            "category": "apparel",
            "created_at": "2026-05-01T00:00:00Z",
        },
        "request": {"kind": kind, "reason": "CHANGED_MIND", "created_at": "2026-05-02T00:00:00Z"},
    }


def _workspace(
    root: Path,
    records: list[dict[str, Any]] | list[str],
    currency: str = "USD",
    fx: str = "{}",
    costs: str = "",
) -> Path:
    for name, limit in (("baseline", "30 USD"), ("candidate", "100 USD")):
        (root / name / "rules").mkdir(parents=True)
        (root / name / "ttrules.yaml").write_text(CONFIG.format(currency=currency, fx=fx, costs=costs))
        (root / name / "rules" / "m.ttr").write_text(RULES.format(limit=limit))
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    (root / "history.jsonl").write_text("\n".join(lines) + "\n")
    return root


def _simulate(root: Path, *args: str, engine: str = "duckdb") -> tuple[int, dict[str, Any], str]:
    return simulate_cli(
        root / "history.jsonl",
        root / "baseline",
        root / "candidate",
        "--engine",
        engine,
        *args,
        config=root / "candidate" / "ttrules.yaml",
    )


# ---- rounding ------------------------------------------------------------------------------

amounts = st.decimals(min_value=-10_000, max_value=10_000, places=4, allow_nan=False)


@given(st.lists(amounts, max_size=30))
def test_apportioned_parts_add_up_to_the_rounded_total(exact: list[Decimal]) -> None:
    total = sum(exact, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_EVEN)
    parts = apportion(exact, total)
    assert sum(parts, Decimal(0)) == total
    for part, value in zip(parts, exact, strict=True):
        assert abs(part - value.quantize(CENT, rounding=ROUND_HALF_EVEN)) <= CENT
        if value == 0:
            assert part == 0  # a key whose figure is zero never shows a stray cent


def test_apportion_gives_the_missing_cent_to_the_largest_remainder() -> None:
    # 0.334 + 0.333 + 0.333 = 1.00, rounded parts 0.33 each: the first (largest remainder) gets it.
    assert apportion([Decimal("0.334"), Decimal("0.333"), Decimal("0.333")], Decimal("1.00")) == [
        Decimal("0.34"),
        Decimal("0.33"),
        Decimal("0.33"),
    ]


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_deltas_are_of_rounded_figures_and_breakdowns_add_up(tmp_path: Path, engine: str) -> None:
    # Thirds of a cent in MYR (1 MYR = 0.333 USD) make every rounding visible.
    records = [
        _case(i, f"{40 + i}.01 MYR", status=("AWAITING_SHIPMENT", "IN_TRANSIT")[i % 2]) for i in range(1, 40)
    ]
    for record, market in zip(records, ["MY", "TH", "ID"] * 13, strict=True):
        record["case"]["market"] = market
    root = _workspace(tmp_path, records, fx="{MYR: 0.333}")
    code, report, output = _simulate(root, engine=engine)
    assert code == 0, output
    total = report["money"]["auto_refunds"]["total"]
    assert Decimal(total["delta"]) == Decimal(total["candidate"]) - Decimal(total["baseline"])
    for group, rows in report["breakdowns"].items():
        for side in ("baseline", "candidate"):
            assert sum(Decimal(r[f"{side}_auto_refunds"]) for r in rows) == Decimal(total[side]), group
    text = render(report)
    shown = [
        line for line in text.splitlines() if line.strip().startswith(("AWAITING_SHIPMENT", "IN_TRANSIT"))
    ]
    assert sum(Decimal(line.split()[3].replace(",", "")) for line in shown) == Decimal(total["delta"])


# ---- figures that are not available --------------------------------------------------------


def test_review_cost_without_a_rate_is_not_available_and_its_gate_fails(tmp_path: Path) -> None:
    # The report currency is GBP and the default agent hour (4 USD) has no rate to it.
    root = _workspace(tmp_path, [_case(1, "50 GBP")], currency="GBP", fx="{}")
    code, report, output = _simulate(root, "--fail-if", "review.cost.delta < 0 GBP")
    assert report["review"]["baseline"]["cost"] is None and report["review"]["delta"]["cost"] is None
    assert report["review"]["cost_unavailable"] == "no FX rate from USD (costs.agent_hour) to GBP"
    assert code == 1
    assert (
        "gate could not be evaluated: review.cost.delta < 0 GBP: review.cost.delta is not "
        "available (no FX rate from USD (costs.agent_hour) to GBP)"
    ) in output
    text = render(report)
    assert "manual review cost" in text and "n/a" in text
    assert "Manual review cost not available: no FX rate from USD" in text
    # The same gate on a priced cost is evaluated as usual.
    priced = _workspace(tmp_path / "priced", [_case(1, "50 GBP")], currency="GBP", fx="{USD: 0.8}")
    code, report, output = _simulate(priced, "--fail-if", "review.cost.delta > 0 GBP")
    assert code == 0, output
    assert report["review"]["delta"]["cost"] == "-0.32"  # one review less: 6 min x 3.20 GBP


def test_a_money_gate_with_amounts_left_out_fails(tmp_path: Path) -> None:
    asked_in_xts = _case(2, "20 USD")
    asked_in_xts["request"]["refund_amount"] = "20 XTS"  # approved, and refunded in XTS
    root = _workspace(tmp_path, [_case(1, "20 USD"), asked_in_xts])
    code, report, output = _simulate(root, "--fail-if", "auto_refunds.candidate > 1000 USD")
    assert report["money"]["auto_refunds"]["total"]["left_out"] == ["XTS"]
    assert code == 1
    assert "auto_refunds.candidate is not available (amounts in XTS have no FX rate to USD)" in output


def test_an_explicit_cost_without_a_rate_is_a_config_error(tmp_path: Path) -> None:
    root = _workspace(
        tmp_path,
        [_case(1, "50 GBP")],
        currency="GBP",
        fx="{}",
        costs="costs: {review_minutes: 6, agent_hour: 4 USD}\n",
    )
    result = CliRunner().invoke(cli, ["check", "--config", str(root / "candidate" / "ttrules.yaml")])
    assert result.exit_code == 2
    assert "TTR119" in result.output
    assert "costs.agent_hour: no FX rate from USD to the report currency GBP" in result.output
    assert "ttrules.yaml:4:" in result.output  # located at the cost itself


# ---- how much was decided --------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_a_simulation_that_decides_nothing_fails(tmp_path: Path, engine: str) -> None:
    root = _workspace(tmp_path, ['{"order": 1}', "not json"])
    code, report, output = _simulate(root, engine=engine)
    assert code == 1 and report["records"]["decided"] == 0
    assert "error: no record was decided (2 rows skipped)" in output
    assert _simulate(root, "--allow-skipped", engine=engine)[0] == 0


def test_too_many_skipped_rows_fail_unless_allowed(tmp_path: Path) -> None:
    records: list[Any] = [_case(i, "20 USD") for i in range(1, 20)] + ["not json"]  # 5 % skipped
    root = _workspace(tmp_path, records)
    assert _simulate(root)[0] == 0  # exactly 5 %: not more than the default
    (root / "history.jsonl").write_text((root / "history.jsonl").read_text() + "not json either\n")
    code, _, output = _simulate(root)
    assert code == 1 and "2 of 21 rows (9.52 %) were skipped, more than --max-skipped 5 %" in output
    assert _simulate(root, "--max-skipped", "10")[0] == 0
    assert _simulate(root, "--allow-skipped")[0] == 0


# ---- errored rules ---------------------------------------------------------------------------


def test_errored_rules_have_their_own_section_in_both_engines(tmp_path: Path) -> None:
    # THB has no rate: `order.total < 100 USD` errors on the THB orders (records 2 and 4).
    records = [_case(1, "20 USD"), _case(2, "500 THB"), _case(3, "40 USD"), _case(4, "90 THB")]
    root = _workspace(tmp_path, records)
    reports = {}
    for engine in ("duckdb", "python"):
        code, reports[engine], output = _simulate(root, engine=engine)
        assert code == 0, output
    report = reports["duckdb"]
    assert report["errors"] == reports["python"]["errors"]
    first = report["errors"]["candidate"]["first"]["merchant/small"]
    assert report["errors"]["candidate"]["by_rule"] == {"merchant/small": 2}
    assert first["record"] == 2 and "THB" in first["message"]
    text = render(report)
    assert "Rules with evaluation errors" in text
    assert f"record 2: {first['message']}" in text
    assert "Never matched" not in text
    from ttrules.simulate.html import render_html

    assert "Rules with evaluation errors" in render_html(report)


# ---- truncated tables -------------------------------------------------------------------------


def test_a_cut_table_says_how_many_rows_it_left_out(tmp_path: Path) -> None:
    records = [_case(i, "50 USD") for i in range(1, 16)]
    for i, record in enumerate(records):
        record["case"]["market"] = f"M{i:02d}"[:2] + chr(65 + i)
    root = _workspace(tmp_path, records)
    code, report, output = _simulate(root, "--samples", "15")
    assert code == 0, output
    text = render(report, top=12)
    market = text[text.index("By market") :]
    assert "… and 3 more (every row is in the JSON report)" in market.split("\n\n")[0]
    assert "… and 3 more" in text[text.index("Sample changed cases") :]
