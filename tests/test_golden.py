"""Golden files: parser and checker diagnostics, and the formatter.

`tests/golden/errors/NAME.(ttr|yaml|csv)` -> `NAME.txt` (rendered diagnostics);
`tests/golden/format/NAME.ttr` -> `NAME.ttr.formatted`. Regenerate with `--update-goldens`
and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ttrules.check import check_stack
from ttrules.diagnostics import render_text_all
from ttrules.stack import load_stack
from ttrules.syntax import load_ruleset_file, parse_ruleset_text
from ttrules.syntax.format import format_ruleset

from conftest import check_golden

GOLDEN = Path(__file__).parent / "golden"
ERROR_CASES = sorted(p for p in (GOLDEN / "errors").iterdir() if p.suffix in (".ttr", ".yaml", ".csv"))
FORMAT_CASES = sorted((GOLDEN / "format").glob("*.ttr"))


@pytest.mark.parametrize("path", ERROR_CASES, ids=lambda p: p.name)
def test_error_golden(path: Path, update_goldens: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(path.parent)
    stack, diagnostics = load_stack([Path(path.name)])
    if stack is not None:
        diagnostics += check_stack(stack)
    assert diagnostics, "an error golden must produce diagnostics"
    check_golden(path.with_suffix(".txt"), render_text_all(diagnostics) + "\n", update_goldens)


@pytest.mark.parametrize("path", FORMAT_CASES, ids=lambda p: p.name)
def test_format_golden(path: Path, update_goldens: bool) -> None:
    ruleset, diagnostics = load_ruleset_file(path)
    assert ruleset is not None and not diagnostics, render_text_all(diagnostics)
    formatted = format_ruleset(ruleset)
    check_golden(path.with_name(path.name + ".formatted"), formatted, update_goldens)
    again, _ = parse_ruleset_text(formatted, "again.ttr")
    assert again == ruleset
    assert format_ruleset(again) == formatted
