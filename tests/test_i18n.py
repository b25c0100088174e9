"""Localisation: the language is chosen as documented, every marked message has its zh-CN
translation, and the demo and the reports speak the chosen language (golden files for both)."""

from __future__ import annotations

import importlib.util
import io
import re
import string
import tokenize
from pathlib import Path

import pytest
from click.testing import CliRunner

from ttrules import i18n
from ttrules.cli import cli

from conftest import check_golden
from helpers import ROOT

GOLDEN = Path(__file__).parent / "golden" / "i18n"


def _catalog_tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("update_catalog", ROOT / "scripts" / "update_catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:  # a text never formatted (the docs of a code) may hold a lone brace
        return set(re.findall(r"\{[^{}]*\}|[{}]", text))


def test_every_marked_message_has_a_zh_cn_translation_with_the_same_placeholders() -> None:
    translations = i18n.catalog(i18n.CHINESE)
    missing, mismatched = [], []
    for context, message, where in _catalog_tool().source_messages():
        singular = message[0] if isinstance(message, tuple) else message
        translated = translations.get((context, singular))
        if not translated:
            missing.append(f"{message!r} ({', '.join(f'{p}:{n}' for p, n in where) or context})")
        elif _fields(translated) != _fields(singular):
            mismatched.append(f"{message!r} -> {translated!r}")
    assert not missing, "run `python scripts/update_catalog.py` and translate:\n" + "\n".join(missing)
    assert not mismatched, "\n".join(mismatched)


def test_no_message_is_written_inside_an_f_string() -> None:
    """Babel cannot read a message inside an f-string: it would never reach the catalog."""
    found = []
    for path in (ROOT / "ttrules").rglob("*.py"):
        for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            literal = token.type == tokenize.STRING and re.match(r"[rRbB]*[fF]", token.string)
            if literal and re.search(r"\b(_|N_|pgettext)\(\s*[\"']", token.string):
                found.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert not found, "move these messages out of the f-string:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("environment", "chosen"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "en_US.UTF-8", "TTRULES_LANG": "zh-CN"}, "zh-CN"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"TTRULES_LANG": "zh_Hans"}, "zh-CN"),
    ],
)
def test_the_language_comes_from_ttrules_lang_then_the_locale(
    environment: dict[str, str], chosen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TTRULES_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    i18n.set_language(None)
    assert i18n.language() == chosen


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_demo_speaks_the_chosen_language(
    lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, update_goldens: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TTRULES_LANG", "en" if lang == "zh-CN" else "zh-CN")  # --lang wins over it
    result = CliRunner().invoke(cli, ["--lang", lang, "demo", "demo", "--records", "500"])
    assert result.exit_code == 0, result.output
    check_golden(GOLDEN / f"demo.{lang}.txt", result.output, update_goldens)
    html = (tmp_path / "demo" / "report.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}"' in html
    assert '"Noto Sans CJK SC"' in html  # a CJK font stack, no web font: still offline
    if lang == "zh-CN":
        assert "人工审核" in html and "金额" in html and "Rule wins" not in html


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_check_on_a_broken_file_speaks_the_chosen_language(
    lang: str, monkeypatch: pytest.MonkeyPatch, update_goldens: bool
) -> None:
    monkeypatch.chdir(ROOT / "tests" / "golden" / "errors")
    result = CliRunner().invoke(cli, ["--lang", lang, "check", "cjk-carets.ttr", "--no-analysis"])
    assert result.exit_code == 1
    check_golden(GOLDEN / f"check.{lang}.txt", result.output, update_goldens)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_help_and_usage_errors_speak_the_chosen_language(lang: str, update_goldens: bool) -> None:
    """Command and option help (translated when shown), click's own words (Usage, Options, its
    errors) and Chinese wrapped by terminal columns."""
    runner = CliRunner()
    shown = []
    commands = (["--help"], ["check", "--help"], ["import", "tiktok", "--help"], ["explain"])
    commands += (["fmt", "--bogus"],)
    for args in commands:
        result = runner.invoke(cli, ["--lang", lang, *args], terminal_width=80, prog_name="ttrules")
        shown.append(f"$ ttrules {' '.join(args)}  (exit {result.exit_code})\n{result.output}")
    check_golden(GOLDEN / f"help.{lang}.txt", "\n".join(shown), update_goldens)
    if lang == "zh-CN":
        text = "\n".join(shown)
        for english in ("Usage:", "Show this message", "Commands", "Missing option", "No such option"):
            assert english not in text
        from ttrules.textwidth import width

        assert max(width(line) for line in text.splitlines()) <= 80


def test_every_command_and_option_help_is_in_the_catalog() -> None:
    from ttrules.cli_help import help_messages

    translations = i18n.catalog(i18n.CHINESE)
    texts = [text for text, _where in help_messages(cli)]
    assert len(texts) > 100
    assert [text for text in texts if (None, text) not in translations] == []


def test_check_speaks_chinese_on_every_broken_golden_file(
    update_goldens: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every broken file of the error goldens, checked in Chinese: a diagnostic left in English
    shows here (the English outputs are the goldens beside each file)."""
    folder = ROOT / "tests" / "golden" / "errors"
    monkeypatch.chdir(ROOT)
    shown = []
    runner = CliRunner()
    for path in sorted(folder.glob("*.ttr")) + sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.csv")):
        result = runner.invoke(
            cli, ["--lang", "zh-CN", "check", str(path.relative_to(ROOT)), "--no-analysis"]
        )
        shown.append(f"$ ttrules check {path.name}  (exit {result.exit_code})\n{result.output}")
    check_golden(GOLDEN / "check-errors.zh-CN.txt", "\n".join(shown), update_goldens)
