"""Value lists: `list("NAME")` reads a list file of ttrules.yaml, typed by the field it is compared
with; a list is a set literal to every later stage, its file is in the lock, and `ttrules list`
edits it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.engine import Engine

from serve_helpers import confirm, git, make_project, ttrules

CONFIG = (
    "stack: [rules/]\ndefault: review\ncurrency: USD\n"
    "lists:\n  blacklist: lists/blacklist.txt\n  trusted_scores: lists/scores.txt\n"
)
RULES = """ruleset "lists"
layer merchant

rule "blacklisted-buyers-are-reviewed"
  priority 100
  when request.kind == REFUND and buyer.id in list("blacklist")
  then review, tag("blacklist")
  because "frequent refunders"

rule "trusted-scores-refund"
  when request.kind == REFUND and has(buyer.credit_score) and buyer.credit_score in list("trusted_scores")
  then approve
  because "scores the risk team trusts"
"""


def _case(buyer: str, score: int | None = None) -> dict:  # type: ignore[type-arg]
    case = {
        "order": {"status": "DELIVERED", "total": "20 USD", "created_at": "2026-05-01T08:00:00Z"},
        "request": {"kind": "REFUND", "created_at": "2026-05-03T08:00:00Z"},
        "buyer": {"id": buyer},
    }
    if score is not None:
        case["buyer"]["credit_score"] = score  # type: ignore[index]
    return case


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "lists").mkdir()
    (tmp_path / "ttrules.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "rules" / "lists.ttr").write_text(RULES, encoding="utf-8")
    (tmp_path / "lists" / "blacklist.txt").write_text("# frequent refunders\nbuyer-7\nbuyer-9  # since May\n")
    (tmp_path / "lists" / "scores.txt").write_text("90\n95\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _resolution(engine: Engine, case: dict) -> str:  # type: ignore[type-arg]
    decision = engine.decide_values(engine.values(case))
    return decision.resolution.action


def test_a_list_decides_as_its_values_written_in_the_rule_would(workspace: Path) -> None:
    engine, problems = Engine.load(None, workspace / "ttrules.yaml")
    assert engine is not None, problems
    assert _resolution(engine, _case("buyer-9", 95)) == "review"  # blacklisted: priority 100 wins
    assert _resolution(engine, _case("buyer-1", 95)) == "approve"  # a trusted score, read as a number
    assert _resolution(engine, _case("buyer-1", 94)) == "review"  # the default
    assert engine.stack.list_files == (
        workspace / "lists" / "blacklist.txt",
        workspace / "lists" / "scores.txt",
    )
    written = (workspace / "rules" / "lists.ttr").read_text(encoding="utf-8")
    values = written.replace('list("blacklist")', '{"buyer-7", "buyer-9"}').replace(
        'list("trusted_scores")', "{90, 95}"
    )
    (workspace / "rules" / "lists.ttr").write_text(values, encoding="utf-8")
    inline, _ = Engine.load(None, workspace / "ttrules.yaml")
    assert inline is not None and inline.stack.rulesets == engine.stack.rulesets  # the same AST


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ('buyer.id in list("blacklst")', "no list `blacklst`"),
        ('buyer.id == list("blacklist")', "goes on the right of `in`"),
        ('buyer.credit_score in list("blacklist")', "not a whole number"),
        ("buyer.id in list(blacklist)", "takes the list's name as text"),
    ],
)
def test_a_list_that_cannot_be_read_says_why_at_the_call(workspace: Path, rules: str, words: str) -> None:
    text = RULES.replace('buyer.id in list("blacklist")', rules)
    (workspace / "rules" / "lists.ttr").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--no-analysis", "--format", "json"])
    found = [d for d in json.loads(result.output)["diagnostics"] if d["code"] == "TTR127"]
    assert result.exit_code == 1 and found, result.output
    assert words in found[0]["message"] and found[0]["line"] == 6


def test_list_add_and_remove_edit_the_file_and_keep_its_comments(workspace: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(cli, ["list", "add", "blacklist", "buyer-11", "buyer-7"])
    assert added.exit_code == 0 and "1 added" in added.output
    removed = runner.invoke(cli, ["list", "remove", "blacklist", "buyer-9"])
    assert removed.exit_code == 0 and "1 removed" in removed.output
    assert (workspace / "lists" / "blacklist.txt").read_text() == "# frequent refunders\nbuyer-7\nbuyer-11\n"
    unknown = runner.invoke(cli, ["list", "add", "whitelist", "x"])
    assert unknown.exit_code == 2 and "no list `whitelist`" in unknown.output


def test_a_list_change_is_caught_by_check_locked(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    (project / "lists").mkdir()
    (project / "lists" / "blacklist.txt").write_text("buyer-7\n", encoding="utf-8")
    config = (project / "ttrules.yaml").read_text(encoding="utf-8")
    (project / "ttrules.yaml").write_text(
        config + "lists:\n  blacklist: lists/blacklist.txt\n", encoding="utf-8"
    )
    (project / "rules" / "merchant" / "lists.ttr").write_text(
        'ruleset "lists"\nlayer merchant\n\nrule "blacklist"\n  priority 100\n'
        '  when buyer.id in list("blacklist")\n  then review\n  because "frequent refunders"\n',
        encoding="utf-8",
    )
    git(project, "add", "-A")
    git(project, "commit", "-qm", "a list")
    confirm(project)
    assert ttrules(project, "check", "--locked", "--no-analysis", check=False).returncode == 0
    ttrules(project, "list", "add", "blacklist", "buyer-9")
    done = ttrules(project, "check", "--locked", "--no-analysis", "--format", "json", check=False)
    assert done.returncode == 1
    drift = [d for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "TTR123"]
    assert [d["path"] for d in drift] == ["lists/blacklist.txt"], drift


def test_a_list_outside_the_workspace_is_refused(workspace: Path) -> None:
    outside = workspace.parent / "elsewhere.txt"
    outside.write_text("buyer-7\n", encoding="utf-8")
    config = CONFIG.replace("lists/blacklist.txt", "../elsewhere.txt")
    (workspace / "ttrules.yaml").write_text(config, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--no-analysis", "--format", "json"])
    codes = [(d["code"], d["message"]) for d in json.loads(result.output)["diagnostics"]]
    assert result.exit_code != 0
    assert any(code == "TTR119" and "outside the workspace" in message for code, message in codes), codes
    assert "TTR127" not in [code for code, _message in codes]  # the refusal says it once
