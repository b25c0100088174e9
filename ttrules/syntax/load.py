"""Reading rule files from disk, whichever their form."""

from __future__ import annotations

from pathlib import Path

from ttrules import ast
from ttrules.diagnostics import Diagnostic
from ttrules.i18n import _
from ttrules.spans import SourceFile
from ttrules.syntax.dsl import parse_ruleset_dsl
from ttrules.syntax.table import TABLE_SUFFIXES, XLSX_SUFFIXES, parse_ruleset_table
from ttrules.syntax.yaml_rules import parse_ruleset_yaml
from ttrules.workspace import DISK, Files

MAX_RULE_FILE_BYTES = 1024 * 1024
DSL_SUFFIXES = (".ttr",)
YAML_SUFFIXES = (".yaml", ".yml")
RULE_SUFFIXES = DSL_SUFFIXES + YAML_SUFFIXES + TABLE_SUFFIXES


def decode_text(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 bytes to text; a decoding error is located at its line and column."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        good = data[: error.start].decode("utf-8", errors="replace")
        source = SourceFile(path, good + "\ufffd")
        from ttrules.spans import Span

        span = Span(source, len(good), len(good) + 1)
        return None, [
            Diagnostic(
                "TTR001",
                _("the file is not valid UTF-8 (byte 0x{byte})").format(byte=f"{data[error.start]:02x}"),
                span,
                label=_("cannot be decoded"),
                help=_("re-save the file as UTF-8"),
            )
        ]
    return normalise_newlines(text.removeprefix("\ufeff")), []


def normalise_newlines(text: str) -> str:
    """A rule file's line breaks, defined once for the reader, the formatter and the
    converter: `\r\n`, and a `\r` on its own, are a line break, as editors show them. (Read
    any other way, a comment ending in a bare `\r` hides the line after it from `check` while
    YAML, for which `\r` is a line break, reads it as a rule.)"""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_source(
    path: Path,
    max_bytes: int = MAX_RULE_FILE_BYTES,
    files: Files = DISK,
) -> tuple[SourceFile | None, list[Diagnostic]]:
    data, diagnostics = read_bounded(path, max_bytes, files)
    if data is None:
        return None, diagnostics
    shown = files.display(path)
    text, diagnostics = decode_text(data, shown)
    if text is None:
        return None, diagnostics
    return SourceFile(shown, text), []


def read_bounded(path: Path, max_bytes: int, files: Files) -> tuple[bytes | None, list[Diagnostic]]:
    """A file's bytes, or why not (unreadable, or larger than `max_bytes`)."""
    shown = files.display(path)
    try:
        size = files.size(path)
        data = files.read_bytes(path, max_bytes) if size <= max_bytes else b""
    except OSError as error:
        unreadable = _("cannot read the file: {reason}").format(reason=error.strerror)
        return None, [Diagnostic("TTR015", unreadable, None, path=shown)]
    if size > max_bytes or len(data) > max_bytes:  # the second: it grew while being read
        return None, [
            Diagnostic(
                "TTR009",
                _("the file is {size} bytes; rule files may be at most {limit}").format(
                    size=f"{max(size, len(data)):,}", limit=f"{max_bytes:,}"
                ),
                None,
                path=shown,
                help=_("split the rules into several files"),
            )
        ]
    return data, []


def parse_ruleset_text(text: str, path: str = "<string>") -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    source = SourceFile(path, text)
    return _parse(path, source)


def _parse(name: str, source: SourceFile) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    if name.endswith(YAML_SUFFIXES):
        return parse_ruleset_yaml(source)
    if name.endswith(TABLE_SUFFIXES):
        return parse_ruleset_table(source)
    return parse_ruleset_dsl(source)


def load_ruleset_file(path: Path, files: Files = DISK) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    if not path.name.endswith(RULE_SUFFIXES):
        return None, [
            Diagnostic(
                "TTR015",
                _("not a rule file (expected .ttr, .yaml, .yml or .csv)"),
                None,
                path=files.display(path),
            )
        ]
    if path.name.endswith(XLSX_SUFFIXES):  # a workbook is binary: read by cells, not as text
        from ttrules.syntax.table_xlsx import parse_ruleset_workbook

        data, diagnostics = read_bounded(path, MAX_RULE_FILE_BYTES, files)
        if data is None:
            return None, diagnostics
        return parse_ruleset_workbook(data, files.display(path))
    source, diagnostics = read_source(path, files=files)
    if source is None:
        return None, diagnostics
    return _parse(path.name, source)


def find_rule_files(path: Path, files: Files = DISK) -> list[Path]:
    """Rule files under a directory, sorted so that source order is stable across machines."""
    if files.is_file(path):
        return [path]
    return [
        p
        for p in files.files_under(path)
        if p.name.endswith(RULE_SUFFIXES)
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    ]
