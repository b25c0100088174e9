"""Every diagnostic code's documented example is run, and reports exactly its code.

The example on each docs/codes page is the `Example` of `ttrules/codes.py`: a workspace and a
command. Written out and run as a user would run it, it must report that code and no other (but
the ones the example names in `also`), so a code that is documented but never raised, or an
example that no longer triggers what it documents, fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.codes import CODES, Example


def _reported(example: Example, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    for path, data in example.workspace.items():
        (workspace / path).parent.mkdir(parents=True, exist_ok=True)
        (workspace / path).write_bytes(data)
    monkeypatch.chdir(workspace)
    command = list(example.command)
    machine = ["--format", "json"] if command[0] == "check" else ["--format", "sarif"]
    result = CliRunner().invoke(cli, [*command, *machine])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    report = json.loads(result.output)
    if "diagnostics" in report:
        return {d["code"] for d in report["diagnostics"]}
    return {r["ruleId"] for run in report["runs"] for r in run["results"]}


@pytest.mark.parametrize("code", sorted(CODES))
def test_the_documented_example_reports_exactly_its_code(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = CODES[code].example
    assert _reported(example, tmp_path, monkeypatch) == {code, *example.also}
