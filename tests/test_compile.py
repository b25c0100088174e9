"""`ttrules compile`: the fast path it shows is the code that decides, and the SQL script it
prints, run in DuckDB by hand, decides the history as `simulate --engine duckdb` does."""

from __future__ import annotations

import ast as python_ast
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.simulate.demo import CHANGED_FILE, create_workspace, raise_small_cancel_limit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compile") / "demo"
    create_workspace(root, 3_000, 7)
    changed = root / CHANGED_FILE
    changed.write_text(raise_small_cancel_limit(changed.read_text(encoding="utf-8")), encoding="utf-8")
    (root / "history.jsonl").write_text('{"order": {"total": "3 USD"}}\n', encoding="utf-8")
    return root


def test_show_prints_the_generated_fast_path_as_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the bundled example stack
    result = CliRunner().invoke(cli, ["compile", "--show"])
    assert result.exit_code == 0, result.output
    tree = python_ast.parse(result.output)
    assert [f.name for f in tree.body if isinstance(f, python_ast.FunctionDef)] == ["learned", "decide"]
    assert "values['request.kind']" in result.output and "# T0_0: bits by " in result.output


def test_the_sql_script_decides_the_history_as_simulate_does(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo)
    printed = CliRunner().invoke(cli, ["compile", "--sql", "--history", "history.parquet"])
    assert printed.exit_code == 0, printed.output
    report_file = demo / "report.json"
    simulated = CliRunner().invoke(
        cli,
        [
            "simulate",
            "--history",
            "history.parquet",
            "--engine",
            "duckdb",
            "--format",
            "json",
            "--out",
            str(report_file),
        ],
    )
    assert simulated.exit_code in (0, 1), simulated.output
    report = json.loads(report_file.read_text(encoding="utf-8"))
    con = duckdb.connect()
    for statement in printed.output.split(";\n"):
        if statement.strip():
            con.execute(statement)
    ((records, escaped, changed),) = con.execute(
        "SELECT sum(n), coalesce(sum(n) FILTER (WHERE esc), 0), sum(n) FILTER (WHERE changed AND NOT esc) "
        "FROM ttr_decided"
    ).fetchall()
    assert records == report["records"]["decided"] == report["engine"]["rows_in_sql"]
    assert escaped == report["engine"]["rows_in_python"] == 0
    assert changed == report["changed"]["count"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give one of --show and --sql"),
        (["--show", "--sql"], "give one of --show and --sql"),
        (["--sql"], "--sql needs --history"),
        (["--sql", "--history", "history.parquet", "--dialect", "spark"], "has no exact Spark SQL form"),
        (["--sql", "--history", "missing.parquet"], "missing.parquet: no such file"),
        (["--sql", "--history", "history.jsonl"], "reads Parquet histories"),
        (["--sql", "--history", "history.parquet", "rulesets"], "not PATHS"),
    ],
)
def test_what_cannot_be_printed_says_why(
    demo: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(demo)
    result = CliRunner().invoke(cli, ["compile", *args])
    assert result.exit_code == 2 and message in result.output, result.output
