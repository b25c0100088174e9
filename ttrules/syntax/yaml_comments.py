"""Comments of a YAML file, which PyYAML does not report, so `convert` can keep them."""

from __future__ import annotations

import re

_BLOCK_HEADER = re.compile(r"[|>][+-]?\d*[+-]?\s*(#.*)?$")


def _comment_start(line: str) -> int:
    """Where a comment starts on a line (-1 if none), outside quoted strings."""
    quote = ""
    i = 0
    while i < len(line):
        char = line[i]
        if quote == "'":
            if char == "'" and line[i + 1 : i + 2] == "'":
                i += 2
                continue
            if char == "'":
                quote = ""
        elif quote == '"':
            if char == "\\":
                i += 2
                continue
            if char == '"':
                quote = ""
        elif char in "'\"" and (i == 0 or line[i - 1] in " \t[{,:-"):
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
        i += 1
    return -1


def yaml_comments(text: str) -> list[tuple[int, str]]:
    """(offset, text) of every comment; `#` inside quotes or block scalars is not one."""
    comments: list[tuple[int, str]] = []
    offset = 0
    block_indent: int | None = None  # inside a block scalar whose lines are indented more
    parent_indent = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not stripped or indent > parent_indent:
                offset += len(line)
                continue
            block_indent = None
        start = _comment_start(line.rstrip("\r\n"))
        body = line[:start] if start >= 0 else line.rstrip("\r\n")
        if start >= 0:
            comments.append((offset + start, line[start + 1 :].strip()))
        value = body.split(": ", 1)[1].strip() if ": " in body else body.strip().removeprefix("- ")
        if _BLOCK_HEADER.match(value) and body.strip():
            block_indent, parent_indent = indent + 1, indent
        offset += len(line)
    return comments
