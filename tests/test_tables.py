"""Decision tables (CSV) as a third syntax of the same AST: the sheet reader against Python's
csv module, cells located in the file, a table and its DSL conversion one ruleset (parsed,
checked, tested and simulated alike), the round trip, and the table analysis."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ttrules.cli import cli
from ttrules.simulate.generate import write_jsonl
from ttrules.spans import SourceFile
from ttrules.syntax.format import format_ruleset
from ttrules.syntax.load import parse_ruleset_text
from ttrules.syntax.table import parse_ruleset_table, read_cells
from ttrules.syntax.table_emit import NotATable, emit_ruleset_table

CONFIG = "stack: [rules/]\ndefault: review\ncurrency: USD\nfx: {MYR: 0.22}\n"
TABLE = (
    "ruleset,small-cancellations\n"
    "layer,merchant\n"
    "\n"
    "name,priority,request.kind,request.reason in,order.category,order.total <,then,because\n"
    'jewelry,20,CANCEL,"CHANGED_MIND, WRONG_ADDRESS",jewelry,15 USD,approve,jewelry is costly to resend\n'
    'others,10,CANCEL,"CHANGED_MIND, WRONG_ADDRESS",,30 USD,"approve, tag(""auto-cancel"")",small orders\n'
    "rest,0,CANCEL,,,,review,a person looks at the rest\n"
)

cell_text = st.text(alphabet=st.sampled_from(list('ab ,"\n珠宝-1')), min_size=0, max_size=8).map(str.strip)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cell_text, min_size=1, max_size=5), min_size=1, max_size=5))
def test_the_sheet_reader_reads_what_csv_writes(rows: list[list[str]]) -> None:
    rows = [row for row in rows if any(row)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    text = out.getvalue()
    read = read_cells(text)
    assert [[c.text for c in row] for row in read] == rows
    for row in read:  # every character of a cell is where the file has it
        for cell in row:
            assert all(text[o] == ch for o, ch in zip(cell.offsets, cell.text, strict=True))


def test_a_table_is_the_ruleset_its_dsl_conversion_is() -> None:
    table, problems = parse_ruleset_table(SourceFile("rules/t.csv", TABLE))
    assert table is not None and not problems
    dsl, again = parse_ruleset_text(format_ruleset(table), "rules/t.ttr")
    assert dsl is not None and not again
    assert dsl == table  # the AST compares without spans
    assert [r.name for r in table.rules] == ["jewelry", "others", "rest"]
    assert table.rules[1].because == "small orders"


def test_a_table_round_trips_through_the_dsl_and_is_canonical() -> None:
    table, _problems = parse_ruleset_table(SourceFile("rules/t.csv", TABLE))
    assert table is not None
    written = emit_ruleset_table(table)
    back, problems = parse_ruleset_table(SourceFile("rules/t.csv", written))
    assert back == table and not problems
    assert emit_ruleset_table(back) == written  # fmt is stable
    dsl, _ = parse_ruleset_text(format_ruleset(table), "rules/t.ttr")
    assert dsl is not None and emit_ruleset_table(dsl) == written


def test_what_a_table_cannot_hold_is_refused_with_the_reason() -> None:
    ruleset, _ = parse_ruleset_text(
        'ruleset "x"\nlayer merchant\nrule "a"\n  when order.total > order.total\n  then review\n', "x.ttr"
    )
    assert ruleset is not None
    try:
        emit_ruleset_table(ruleset)
    except NotATable as error:
        assert "not a test of one field against a value" in str(error)
    else:
        raise AssertionError("a condition between two fields became a cell")


def test_cells_are_located_in_the_sheet() -> None:
    broken = TABLE.replace("15 USD", "15").replace("jewelry,20", "jewelry,x")
    _table, problems = parse_ruleset_table(SourceFile("rules/t.csv", broken))
    [priority] = [p for p in problems if p.code == "TTR012"]
    assert priority.location() == ("rules/t.csv", 5, 9)


def _workspace(root: Path, rules: dict[str, str]) -> None:
    (root / "rules").mkdir(parents=True)
    (root / "ttrules.yaml").write_text(CONFIG, encoding="utf-8")
    for name, text in rules.items():
        (root / "rules" / name).write_text(text, encoding="utf-8")


def test_a_table_is_checked_tested_and_decided_like_any_ruleset(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _workspace(tmp_path, {"cancel.csv": TABLE})
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "cancel.yaml").write_text(
        "tests:\n"
        "  - name: a small jewelry cancellation\n"
        "    case: {order: {total: 10 USD, category: jewelry, status: AWAITING_SHIPMENT},"
        " request: {kind: CANCEL, reason: CHANGED_MIND}}\n"
        "    expect: {resolution: approve, rule: merchant/jewelry}\n"
        "  - name: anything else is looked at\n"
        "    case: {order: {total: 100 USD}, request: {kind: CANCEL, reason: DAMAGED}}\n"
        "    expect: {resolution: review, rule: merchant/rest}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    checked = runner.invoke(cli, ["check"])
    assert checked.exit_code == 0, checked.output
    assert "TTR308" in checked.output  # the table's rows overlap, the upper one decides
    assert "TTR302" not in checked.output  # rows of one table are ordered on purpose
    tested = runner.invoke(cli, ["test"])
    assert tested.exit_code == 0, tested.output
    assert "2 passed" in tested.output


def test_a_table_and_its_dsl_decide_every_record_alike_on_both_engines(tmp_path: Path) -> None:
    """simulate with the DSL conversion as the baseline and the table as the candidate: nothing
    changes, on the duckdb and the python engine."""
    table, _ = parse_ruleset_table(SourceFile("rules/cancel.csv", TABLE))
    assert table is not None
    _workspace(tmp_path / "dsl", {"cancel.ttr": format_ruleset(table)})
    _workspace(tmp_path / "table", {"cancel.csv": TABLE})
    history = tmp_path / "history.jsonl"
    write_jsonl(history, 3_000, seed=11)
    for engine in ("duckdb", "python"):
        done = subprocess.run(
            [
                sys.executable, "-m", "ttrules.cli", "simulate", "--history", str(history),
                "--baseline", str(tmp_path / "dsl"), "--candidate", str(tmp_path / "table"),
                "--config", str(tmp_path / "table" / "ttrules.yaml"), "--engine", engine,
                "--format", "json", "--allow-skipped",
            ],
            capture_output=True, text=True, cwd=tmp_path / "table", timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["records"]["decided"] > 2_000
        assert report["changed"]["count"] == 0, report["changed"]
        won = {r["rule"]: r["candidate"]["won"] for r in report["rules"] if r["candidate"]}
        assert won["merchant/others"] > 0 and won["merchant/rest"] > 0, won  # the rows decide
        assert report["engine"]["name"] == engine


def test_the_table_analysis_finds_a_gap_with_a_witness(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    gapped = TABLE.replace("rest,0,CANCEL,,,,review,a person looks at the rest\n", "")
    _workspace(tmp_path, {"cancel.csv": gapped})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--format", "json"])
    found = json.loads(result.output)
    gaps = [d for d in found["diagnostics"] if d["code"] == "TTR309"]
    assert len(gaps) == 1, found
    witness = json.loads(gaps[0]["notes"][0].split(": ", 1)[1])
    assert witness["request"]["kind"] == "CANCEL"


def test_the_documented_table_is_the_documented_dsl() -> None:
    """docs/tables.md: its sheet reads without a diagnostic and converts to the DSL it shows."""
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "tables.md").read_text(encoding="utf-8")
    sheet = re.search(r"```csv\n(.*?)```", text, re.S)
    dsl = re.search(r"```ttr\n(.*?)```", text, re.S)
    assert sheet and dsl
    table, problems = parse_ruleset_table(SourceFile("rulesets/merchant/cancellations.csv", sheet.group(1)))
    assert table is not None and not problems
    assert format_ruleset(table) == dsl.group(1)


def test_a_workbook_is_read_by_cells_and_round_trips(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook, load_workbook

    from ttrules.syntax.table_emit import table_rows
    from ttrules.syntax.table_xlsx import parse_ruleset_workbook, write_workbook

    table, _ = parse_ruleset_table(SourceFile("rules/cancel.csv", TABLE))
    assert table is not None
    data = write_workbook(table_rows(table))
    again, problems = parse_ruleset_workbook(data, "rules/cancel.xlsx")
    assert again == table and not problems  # the same rules as the CSV sheet

    book = Workbook()  # as a spreadsheet program saves it: numbers as numbers, a typo in C5
    sheet = book.active
    for row in (
        ["ruleset", "small-cancellations"],
        ["layer", "merchant"],
        [],
        ["name", "priority", "request.kind", "order.total <", "then"],
        ["small", 10, "CANCL", "30 USD", "approve"],
        ["tiny", 20, "CANCEL", 5, "approve"],
    ):
        sheet.append(row)
    _workspace(tmp_path, {})
    book.save(tmp_path / "rules" / "cancel.xlsx")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--no-analysis", "--format", "json"])
    located = {(d["code"], d["line"], d["column"]) for d in json.loads(result.output)["diagnostics"]}
    assert ("TTR103", 5, 3) in located  # CANCL, cell C5
    assert ("TTR102", 6, 4) in located  # 5 compared with money, cell D6: read as 5, not 5.0
    shown = CliRunner().invoke(cli, ["check", "--no-analysis"]).output
    assert "rules/cancel.xlsx:5:3" in shown and "small,10,CANCL,30 USD,approve" in shown
    converted = CliRunner().invoke(cli, ["convert", "rules/cancel.xlsx", "--to", "xlsx", "-o", "out.xlsx"])
    assert converted.exit_code == 0, converted.output  # convert reads syntax; check reads types
    written = load_workbook(tmp_path / "out.xlsx").active
    assert written["C5"].value == "CANCL" and written["D6"].value == "5"
