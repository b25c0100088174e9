"""The zh-CN HTML report in a real browser (headless Chromium from Debian's packages, which CI
installs): it renders, and its Chinese text is drawn with real glyphs, not tofu.

Tofu is detected without OCR: a character no font has is drawn as the same empty box whatever
it is, so two strings that are permutations of each other give the very same picture; with real
glyphs they differ. The test shows both halves: private-use characters (which no font draws)
give equal screenshots, and the report's own Chinese title, permuted, gives different ones.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.simulate.html import _CSS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs Debian's chromium for this test (.ci/run)")
        pytest.skip("headless Chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    return CHROMIUM


def _screenshot(browser: str, page: Path, out: Path, size: str = "900,200") -> bytes:
    profile = out.with_suffix(".profile")
    subprocess.run(
        [
            browser,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={out}",
            f"--window-size={size}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.read_bytes()


def _probe(tmp_path: Path, name: str, text: str) -> Path:
    page = tmp_path / f"{name}.html"
    page.write_text(
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>{_CSS}</style></head>'
        f"<body><main><h1>{escape(text)}</h1></main></body></html>",
        encoding="utf-8",
    )
    return page


def test_the_zh_cn_report_is_drawn_in_chinese_not_tofu(chromium: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    made = CliRunner().invoke(cli, ["--lang", "zh-CN", "demo", "demo", "--records", "300"])
    assert made.exit_code == 0, made.output
    report = tmp_path / "demo" / "report.html"
    shot = _screenshot(chromium, report, tmp_path / "report.png", "1100,1600")
    assert shot.startswith(b"\x89PNG") and len(shot) > 20_000  # a whole page, not a blank one

    title = re.search(r"<h1>(.*?)</h1>", report.read_text(encoding="utf-8"), re.S)
    assert title is not None
    chinese = "".join(c for c in title.group(1) if "\u4e00" <= c <= "\u9fff")
    assert len(set(chinese)) >= 4, title.group(1)

    # the method: characters no font has are drawn alike, so their permutations look the same
    unknown = "\ue000\ue001\ue002\ue003"
    tofu = [
        _screenshot(chromium, _probe(tmp_path, f"tofu{i}", t), tmp_path / f"tofu{i}.png")
        for i, t in enumerate((unknown, unknown[::-1]))
    ]
    assert tofu[0] == tofu[1], "the tofu control did not hold: the test cannot tell glyphs from boxes"
    # the report's own Chinese: drawn with real glyphs, so its permutation looks different
    drawn = [
        _screenshot(chromium, _probe(tmp_path, f"zh{i}", t), tmp_path / f"zh{i}.png")
        for i, t in enumerate((chinese, chinese[::-1]))
    ]
    assert drawn[0] != drawn[1], "the report's Chinese text is drawn as tofu: no CJK font in the stack"
