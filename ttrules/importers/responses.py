"""Reading saved API responses, in whatever shape an ERP saved them.

Accepted, per file: the full response envelope (`{"code": 0, "data": {...}}`) or the bare
`data` object; one response or a list of pages; a JSON file or JSON Lines (one response per
line). A response with `code != 0` (an API error saved by mistake) and a file that is not
valid JSON are reported with the file (and line) and skipped; nothing stops the import.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttrules.case_files import loads


@dataclass
class Problems:
    """What the import could not use, and why; every entry is reported at the end."""

    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.items.append(message)


def expand(patterns: tuple[str, ...] | list[str]) -> list[Path]:
    """Files named directly, by glob pattern, or as directories (their *.json and *.jsonl)."""
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl"))
        elif any(ch in pattern for ch in "*?["):
            found += sorted(Path(p) for p in glob.glob(pattern, recursive=True))
        else:
            found.append(path)
    return found


def _documents(path: Path, problems: Problems) -> Iterator[tuple[str, Any]]:
    """(location, parsed JSON) for each document in a file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problems.add(f"{path}: no such file")
        return
    except (OSError, UnicodeDecodeError) as error:
        problems.add(f"{path}: cannot read: {error}")
        return
    try:
        yield str(path), loads(text)
        return
    except json.JSONDecodeError as whole_error:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) <= 1 or not all(line.lstrip().startswith(("{", "[")) for line in lines):
            problems.add(
                f"{path}:{whole_error.lineno}:{whole_error.colno}: invalid JSON "
                f"({whole_error.msg}); is the file truncated?"
            )
            return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{path}:{number}", loads(line)
        except json.JSONDecodeError as error:
            problems.add(f"{path}:{number}:{error.colno}: invalid JSON ({error.msg})")


def data_objects(paths: list[Path], problems: Problems) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each response's `data` object, unwrapping envelopes and lists of pages."""
    for path in paths:
        for location, document in _documents(path, problems):
            pages = document if isinstance(document, list) else [document]
            for index, page in enumerate(pages, start=1):
                where = f"{location} page {index}" if len(pages) > 1 else location
                if not isinstance(page, dict):
                    problems.add(f"{where}: expected a JSON object, not {type(page).__name__}")
                    continue
                if "code" in page and ("data" in page or "message" in page):
                    if page.get("code") not in (0, "0"):
                        problems.add(
                            f"{where}: an API error response was saved (code "
                            f"{page.get('code')}: {page.get('message', '')}); skipped"
                        )
                        continue
                    page = page.get("data") or {}
                    if not isinstance(page, dict):
                        problems.add(f"{where}: `data` is not an object")
                        continue
                yield where, page
