"""The command line, as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from ttrules.cli import cli

from helpers import ROOT


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_bundled_stack_checks_clean(in_root: Path) -> None:
    result = invoke("check")
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_platform_policy_checks_clean_on_its_own(in_root: Path) -> None:
    result = invoke("check", "rulesets/platform")
    assert result.exit_code == 0, result.output


def test_check_json_output(in_root: Path) -> None:
    result = invoke("check", "--format", "json", "tests/golden/errors/three-mistakes.ttr")
    assert result.exit_code == 1
    payload = json.loads(result.output)
    assert payload["summary"]["errors"] == 4
    first = payload["diagnostics"][0]
    assert (first["code"], first["line"], first["column"]) == ("TTR101", 5, 8)
    assert first["help"] == "did you mean `order.total`?"


def test_explain_text_and_json(in_root: Path) -> None:
    result = invoke("explain", "--case", "examples/cases/small-cancel.json")
    assert result.exit_code == 0, result.output
    assert "approve  by merchant/small-cancel-non-quality" in result.output
    result = invoke("explain", "--json", "--case", "examples/cases/jewelry-late-return.json")
    data = json.loads(result.output)
    assert data["resolution"]["action"] == "reject"
    assert data["resolution"]["by"]["rule"] == "jewelry-return-window"  # the platform's own window
    window = next(s for s in data["settings_explained"] if s["name"] == "return_window")
    assert window["value"] == "7d" and window["clamps"][0]["before"] == "15d"


def test_explain_reads_stdin(in_root: Path) -> None:
    text = Path("examples/cases/dropship-in-transit.json").read_text()
    result = CliRunner().invoke(cli, ["explain", "--json", "--case", "-"], input=text)
    data = json.loads(result.output)
    assert [s["action"] for s in data["fulfillment"]] == ["intercept_at_supplier", "reject_at_forwarder"]


def test_eval_batch(in_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = invoke("eval", "--cases", "examples/cases.jsonl", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["resolution"]["action"] for r in rows] == [
        "review",  # credit 72: automatic cancellations are for buyers with 85 or more
        "review",
        "approve",
        "refund_without_return",
    ]


def test_fmt_check_diff_and_write(tmp_path: Path) -> None:
    messy = tmp_path / "messy.ttr"
    shutil.copy(ROOT / "tests" / "golden" / "format" / "messy.ttr", messy)
    assert invoke("fmt", "--check", str(tmp_path)).exit_code == 1
    diff = invoke("fmt", "--diff", str(messy))
    assert diff.exit_code == 1 and '+rule "one"' in diff.output
    assert invoke("fmt", str(messy)).exit_code == 0
    expected = (ROOT / "tests" / "golden" / "format" / "messy.ttr.formatted").read_text()
    assert messy.read_text() == expected
    assert invoke("fmt", "--check", str(messy)).exit_code == 0


def test_bundled_rule_files_are_formatted(in_root: Path) -> None:
    assert invoke("fmt", "--check", "rulesets").exit_code == 0


def test_convert_both_ways(tmp_path: Path, in_root: Path) -> None:
    yaml_out = tmp_path / "dropship.yaml"
    assert invoke("convert", "rulesets/merchant/dropship.ttr", "-o", str(yaml_out)).exit_code == 0
    back = invoke("convert", str(yaml_out))
    assert back.output == Path("rulesets/merchant/dropship.ttr").read_text()


def test_schema_lists_fields_and_extensions(in_root: Path) -> None:
    result = invoke("schema")
    assert "order.restock_days" in result.output and "int?" in result.output
    assert "ReasonCategory:" in result.output
    schema = json.loads(invoke("schema", "--json-schema").output)
    assert "order" in schema["properties"] and "request" in schema["required"]


def test_the_file_spark_submit_runs_is_ttrules(tmp_path: Path) -> None:
    import subprocess
    import sys

    where = subprocess.run(
        [sys.executable, "-m", "ttrules.distributed.launch"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert where.endswith("ttrules_submit.py") and Path(where).is_file()
    # Run as a script, as spark-submit runs it: its directory first on the path must not shadow
    # the standard library with ttrules' own modules.
    ran = subprocess.run([sys.executable, where, "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 0 and "ttrules" in ran.stdout, ran.stderr
