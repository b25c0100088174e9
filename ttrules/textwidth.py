"""How many terminal columns text takes: a Chinese character two, a combining mark none.

Carets under a diagnostic and the columns of a terminal table line up only when they are
counted in columns, not code points: after "珠宝" a caret placed by code point is two columns
short.
"""

from __future__ import annotations

from wcwidth import wcwidth


def width(text: str) -> int:
    """Columns `text` takes on a terminal; a character it cannot print counts as none."""
    return sum(max(0, wcwidth(ch)) for ch in text)


def ljust(text: str, columns: int) -> str:
    """`text` padded with spaces to `columns` display columns (as str.ljust, by columns)."""
    return text + " " * max(0, columns - width(text))
