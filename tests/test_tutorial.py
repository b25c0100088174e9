"""The tutorials run as written, in both languages: every shell block is run in order in a
fresh directory beside a copy of the checkout's rule sets, every file the text introduces
(a line ending in "`path`:" before a block) is written, and every output block shown after a
shell block must match what the commands printed.

Matching: the lines of the shown output must appear in the printed output in order; a line
ending in `…` matches any line that starts with what precedes the `…`, and a line of `…` alone
matches any number of lines. A block after `<!-- not run ... -->` (installing) is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import ROOT

FILE_INTRO = re.compile(r"`([^`\s]+\.[a-z]+)`:\s*$")
ELLIPSIS = "…"


@dataclass
class Block:
    info: str  # the fence's info string: sh, yaml, json, or "" for output
    text: str
    line: int  # where the block starts in the document
    before: str  # the last non-blank line before the fence
    gap: bool  # prose between this block and the previous one
    skipped: bool


def blocks(document: str) -> list[Block]:
    found: list[Block] = []
    lines = document.splitlines()
    index, before, prose, skip_next = 0, "", False, False
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            info, start, body = line[3:].strip(), index + 1, []
            index += 1
            while not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            found.append(Block(info, "\n".join(body) + "\n", start, before, prose, skip_next))
            before, prose, skip_next = "", False, False
        elif line.strip():
            before, prose = line, True
            skip_next = skip_next or line.strip().startswith("<!-- not run")
        index += 1
    return found


def matches(shown: str, printed: str) -> str | None:
    """None when `shown` matches `printed` (see the module's docstring), else what is missing."""
    actual = [line.rstrip() for line in printed.splitlines()]
    position = 0
    skipping = False
    for expected in (line.rstrip() for line in shown.splitlines()):
        if expected == ELLIPSIS:
            skipping = True
            continue
        prefix = expected[: -len(ELLIPSIS)] if expected.endswith(ELLIPSIS) else None
        while position < len(actual):
            candidate = actual[position]
            position += 1
            if candidate == expected or (prefix is not None and candidate.startswith(prefix)):
                break
            if not skipping:
                return f"expected {expected!r}, printed {candidate!r}"
        else:
            return f"expected {expected!r}, not printed"
        skipping = False
    return None


def run_tutorial(document: Path, lang: str, workspace: Path) -> None:
    shutil.copytree(ROOT / "rulesets", workspace / "rulesets")
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TTRULES_LANG": lang,
        "COLUMNS": "200",
    }
    cwd = workspace
    last_output: str | None = None
    for block in blocks(document.read_text(encoding="utf-8")):
        where = f"{document.name}:{block.line}"
        if block.skipped:
            last_output = None
            continue
        introduced = FILE_INTRO.search(block.before) if block.gap else None
        if introduced:
            target = cwd / introduced.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
            last_output = None
        elif block.info == "sh":
            script = f"set -e\n{block.text}\npwd > {workspace / '.cwd'}\n"
            done = subprocess.run(
                ["bash", "-c", script], cwd=cwd, env=environment, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, f"{where}: the commands failed:\n{done.stdout}{done.stderr}"
            cwd = Path((workspace / ".cwd").read_text().strip())
            last_output = done.stdout + done.stderr
        elif block.info == "" and last_output is not None and not block.gap:
            problem = matches(block.text, last_output)
            assert problem is None, f"{where}: {problem}\nprinted:\n{last_output}"
            last_output = None
        else:
            last_output = None


@pytest.mark.parametrize(
    ("document", "lang"), [("docs/tutorial.md", "en"), ("docs/zh-CN/tutorial.md", "zh-CN")]
)
def test_the_tutorial_runs_as_written(document: str, lang: str, tmp_path: Path) -> None:
    run_tutorial(ROOT / document, lang, tmp_path)


def test_the_output_matcher_can_fail() -> None:
    assert matches("a\n…\nc\n", "a\nb\nb\nc\n") is None
    assert matches("a\nc\n", "a\nb\nc\n") is not None
    assert matches("ab…\n", "abc\n") is None
    assert matches("x\n", "") is not None
