"""`ttrules check --history` and simulate's pre-flight: fields the rules read that a history
does not fill are named, with who reads them, before anything is decided (TTR124)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.simulate.coverage import coverage, describe
from ttrules.simulate.history import read_history
from ttrules.stack import load_stack

from helpers import simulate_cli

RULES = """\
ruleset "m"
layer merchant

set limit = 30 USD when order.category == "apparel"
set limit = 50 USD

rule "small"
  when request.kind == CANCEL and order.total < limit
  then approve

rule "paid-fast"
  when has(order.paid_at) and case.now - order.paid_at < 1h
  then approve

rule "by-category"
  when order.category == "home"
  then review
"""


def _case(i: int, **extra: object) -> dict:
    record = {
        "case": {"id": f"c{i}"},
        "order": {"status": "AWAITING_SHIPMENT", "total": "20 USD", "created_at": "2026-05-01T00:00:00Z"},
        "request": {"kind": "CANCEL", "created_at": "2026-05-02T00:00:00Z"},
    }
    for path, value in extra.items():
        namespace, name = path.split("__")
        record[namespace][name] = value
    return record


def _workspace(tmp_path: Path, records: list[dict]) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "m.ttr").write_text(RULES)
    (tmp_path / "ttrules.yaml").write_text("stack: [rules/]\n")
    (tmp_path / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + "not json\n")
    return tmp_path


def test_missing_fields_are_counted_with_their_readers(tmp_path: Path) -> None:
    records = [
        _case(1),
        _case(2),
        _case(3),
        _case(4, order__category="home", order__paid_at="2026-05-01T01:00:00Z"),
    ]
    root = _workspace(tmp_path, records)
    stack, _ = load_stack(None, root / "ttrules.yaml")
    assert stack is not None
    result = coverage(stack, read_history(root / "history.jsonl"))
    assert (result.records, result.invalid) == (4, 1)
    assert result.missing["order.category"] == 3 and result.missing["order.paid_at"] == 3
    assert "order.total" not in result.readers  # required: a record without it is invalid
    assert describe(result, "order.category") == (
        "`order.category` is missing in 75.0 % of 4 records: 1 rule and 1 setting read it"
    )
    # An expected field missing in most records is worth a warning; an optional one (read
    # behind has()) only when no record has it.
    from ttrules.simulate.coverage import WARN_SHARE

    assert result.gaps(WARN_SHARE) == ["order.category"]
    assert result.gaps() == ["order.category", "order.paid_at"]


def _check_history(root: Path, history: str, *args: str) -> tuple[int, str]:
    config = str(root / "ttrules.yaml")
    command = ["check", "--config", config, "--no-analysis", "--history", str(root / history), *args]
    result = CliRunner().invoke(cli, command)
    return result.exit_code, result.output


def test_check_history_warns_at_the_first_reader(tmp_path: Path) -> None:
    root = _workspace(tmp_path, [_case(1), _case(2)])
    code, output = _check_history(root, "history.jsonl")
    assert code == 0, output  # warnings only
    assert (
        "warning[TTR124]: `order.category` is missing in 100.0 % of 2 records: 1 rule and 1 setting read it"
    ) in output
    assert "rules/m.ttr:4:1" in output  # the setting reads it first
    assert "`order.paid_at` is missing in 100.0 %" in output  # optional, and never filled
    _, as_json = _check_history(root, "history.jsonl", "--format", "json")
    codes = [d["code"] for d in json.loads(as_json)["diagnostics"]]
    assert codes.count("TTR124") == 2
    code, output = _check_history(root, "nope.jsonl")
    assert code == 2 and "no such file" in output


def test_simulate_warns_before_deciding(tmp_path: Path) -> None:
    root = _workspace(tmp_path, [_case(i) for i in range(1, 30)])
    code, _, output = simulate_cli(root / "history.jsonl", root, root, config=root / "ttrules.yaml")
    assert code == 0, output
    assert (
        "warning[TTR124]: `order.category` is missing in 100.0 % of 29 records: 1 rule and "
        "1 setting read it (the first 30 rows)"
    ) in output
    assert output.index("warning[TTR124]") < output.index("wrote")
