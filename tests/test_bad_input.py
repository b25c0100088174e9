"""Bad input gets a clear, located error and a non-zero exit; nothing hangs or crashes."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.syntax import load_ruleset_file

from helpers import BASE_CASE, ROOT

RULES = str(ROOT / "rulesets")


def run(*args: str, cwd: Path = ROOT, stdin: str | None = None):  # type: ignore[no-untyped-def]
    with contextlib.chdir(cwd):
        return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def test_malformed_yaml_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text("ruleset: x\nlayer: merchant\nrules:\n  - name: a\n   when: x\n")
    result = run("check", str(bad), cwd=tmp_path)
    assert result.exit_code == 1
    assert "TTR010" in result.output and "r.yaml:5:" in result.output


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["ruleset: bomb", "layer: merchant", 'a0: &a0 ["lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    result = run("check", str(bomb), cwd=tmp_path)
    assert result.exit_code == 1
    assert "TTR011" in result.output and "bomb.yaml:3:5" in result.output


def test_yaml_config_alias_bomb_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ttrules.yaml").write_text('a: &a ["x","x"]\nb: [*a,*a]\n')
    result = run("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert "TTR011" in result.output


def test_five_megabyte_single_line_file(tmp_path: Path) -> None:
    big = tmp_path / "big.ttr"
    big.write_text('ruleset "x" layer merchant rule "a" when ' + "true and " * 600_000 + "true then approve")
    result = run("check", str(big), cwd=tmp_path)
    assert result.exit_code == 1
    assert "TTR009" in result.output and "big.ttr" in result.output


def test_five_megabyte_yaml_scalar_in_config(tmp_path: Path) -> None:
    (tmp_path / "ttrules.yaml").write_text("default: " + "x" * 5_000_000 + "\n")
    result = run("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert "TTR009" in result.output


def test_ten_thousand_nested_parentheses(tmp_path: Path) -> None:
    deep = tmp_path / "deep.ttr"
    deep.write_text(
        'ruleset "x"\nlayer merchant\nrule "a"\n  when '
        + "(" * 10_000
        + "order.total > 5 USD"
        + ")" * 10_000
        + "\n  then approve\n"
        + 'rule "b"\n  when '
        + "not " * 10_000
        + "true\n  then approve\n"
    )
    result = run("check", str(deep), cwd=tmp_path)
    assert result.exit_code == 1
    assert "TTR008" in result.output and "deep.ttr:7:" in result.output


def test_nested_yaml_lists_are_bounded(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("ruleset: x\nlayer: merchant\nrules: " + "[" * 5000 + "]" * 5000 + "\n")
    result = run("check", str(deep), cwd=tmp_path)
    assert result.exit_code == 1
    assert "TTR010" in result.output


def test_rule_file_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "gbk.ttr"
    bad.write_bytes(b'ruleset "shop"\nlayer merchant\nrule "' + "小额".encode("gbk") + b'"\n  then approve\n')
    result = run("check", str(bad), cwd=tmp_path)
    assert result.exit_code == 1
    assert "TTR001" in result.output and "gbk.ttr:3:8" in result.output


def test_three_different_mistakes_are_all_reported(tmp_path: Path) -> None:
    path = ROOT / "tests" / "golden" / "errors" / "three-mistakes.ttr"
    result = run("check", str(path), cwd=tmp_path)
    assert result.exit_code == 1
    for code in ("TTR101", "TTR102", "TTR103", "TTR108"):
        assert code in result.output


def _case_file(tmp_path: Path, record: object) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(record))
    return path


def test_string_where_money_is_expected(tmp_path: Path) -> None:
    record = json.loads(json.dumps(BASE_CASE))
    record["order"]["total"] = "twenty dollars"
    result = run("explain", "--case", str(_case_file(tmp_path, record)), RULES)
    assert result.exit_code == 2
    assert "order.total" in result.output and "12.50 USD" in result.output
    assert "Traceback" not in result.output


def test_case_missing_a_required_field(tmp_path: Path) -> None:
    record = json.loads(json.dumps(BASE_CASE))
    del record["request"]["kind"]
    result = run("explain", "--case", str(_case_file(tmp_path, record)), RULES)
    assert result.exit_code == 2
    assert "request.kind: required field is missing" in result.output


def test_case_file_with_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"order": {"total": 5,}}')
    result = run("explain", "--case", str(path), RULES)
    assert result.exit_code == 2
    assert "case.json:1:" in result.output and "invalid JSON" in result.output


def test_jsonl_history_with_one_bad_row_in_a_hundred(tmp_path: Path) -> None:
    rows = []
    for i in range(1, 201):
        record = json.loads(json.dumps(BASE_CASE))
        record["case"]["id"] = f"c{i}"
        if i % 100 == 37:
            rows.append('{"order": broken json')
        elif i % 100 == 73:
            record["order"]["total"] = "lots"
            rows.append(json.dumps(record))
        else:
            rows.append(json.dumps(record))
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(rows) + "\n")
    out = tmp_path / "decisions.jsonl"
    result = run("eval", "--cases", str(cases), "--out", str(out), RULES)
    assert result.exit_code == 1
    for bad_row in (37, 73, 137, 173):
        assert f"cases.jsonl:{bad_row}: skipped" in result.output
    decisions = out.read_text().splitlines()
    assert len(decisions) == 196
    assert [json.loads(d)["case_id"] for d in decisions][:3] == ["c1", "c2", "c3"]


def test_eval_writes_nothing_half_way(tmp_path: Path) -> None:
    out = tmp_path / "decisions.jsonl"
    out.write_text("previous run\n")
    result = run("eval", "--cases", str(tmp_path / "missing.jsonl"), "--out", str(out), RULES)
    assert result.exit_code == 2
    assert out.read_text() == "previous run\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_rules_that_fail_check_refuse_to_evaluate(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "golden" / "errors" / "three-mistakes.ttr"
    result = run("explain", "--case", str(_case_file(tmp_path, BASE_CASE)), str(bad))
    assert result.exit_code == 2
    assert "do not pass `ttrules check`" in result.output


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run("check", "no/such/dir", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no such file or directory" in result.output


def test_invalid_config_is_located(tmp_path: Path) -> None:
    (tmp_path / "ttrules.yaml").write_text("stack: [r/]\ndefault: aprove\nfx: {MYR: -1}\nfxx: 1\n")
    result = run("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert "ttrules.yaml:2:10" in result.output and "did you mean `approve`" in result.output
    assert "ttrules.yaml:3:" in result.output and "ttrules.yaml:4:1" in result.output


def test_empty_and_binary_files_do_not_crash(tmp_path: Path) -> None:
    (tmp_path / "empty.ttr").write_text("")
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "junk.ttr").write_bytes(bytes(range(256)))
    for name in ("empty.ttr", "empty.yaml", "junk.ttr"):
        ruleset, diagnostics = load_ruleset_file(tmp_path / name)
        assert ruleset is None and diagnostics, name


@pytest.mark.parametrize(
    "text",
    [
        "ruleset",
        'ruleset "x"\nlayer',
        'ruleset "x"\nlayer merchant\nrule',
        "}{",
        "\x00",
        'ruleset "x"\nlayer merchant\nrule "a" when (((( then approve',
        'ruleset "x"\nlayer merchant\nset a = \nset b = 1',
    ],
)
def test_truncated_rule_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.ttr"
    path.write_text(text)
    result = run("check", str(path), cwd=tmp_path)
    assert result.exit_code == 1
    assert "error[TTR" in result.output


def test_console_script_has_no_traceback_for_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text("[1, 2]")
    proc = subprocess.run(
        [sys.executable, "-m", "ttrules.cli", "explain", "--case", str(path), RULES],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "JSON object" in proc.stderr
