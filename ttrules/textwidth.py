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


def rjust(text: str, columns: int) -> str:
    """`text` after as many spaces as make it `columns` display columns wide."""
    return " " * max(0, columns - width(text)) + text


# Closing punctuation never starts a line, opening never ends one (the line-breaking rule of
# Chinese typesetting); a line may break between any two wide characters.
_NO_LINE_START = frozenset("，。、；：？！）》」』】”’,.;:?!)")
_NO_LINE_END = frozenset("（《「『【“‘(")


def _wide(character: str) -> bool:
    return wcwidth(character) == 2


def join_lines(lines: list[str]) -> str:
    """The lines of one paragraph as one: a space between two lines, none where either side
    of the join is a wide character (Chinese text has no spaces between words)."""
    joined = ""
    for line in (line.strip() for line in lines):
        if joined and line and not (_wide(joined[-1]) or _wide(line[0])):
            joined += " "
        joined += line
    return joined


def _tokens(text: str) -> list[str]:
    """Units a line may break between: a run of narrow text with its trailing spaces, or one
    wide character; punctuation kept with what it belongs to."""
    tokens: list[str] = []
    for character in text:
        if character in _NO_LINE_START and len(tokens) > 1 and tokens[-1].isspace():
            space = tokens.pop()  # "退款 ，": the space and the comma stay with 退款
            tokens[-1] += space
        if tokens and (
            character in _NO_LINE_START
            or tokens[-1][-1] in _NO_LINE_END
            or (not _wide(character) and not tokens[-1][-1].isspace() and not _wide(tokens[-1][-1]))
            or (character.isspace() and not _wide(tokens[-1][-1]))
        ):
            tokens[-1] += character
        else:
            tokens.append(character)
    return tokens


def wrap(text: str, columns: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """One paragraph filled to `columns` display columns, breaking at spaces and between wide
    characters; a token wider than a line gets a line of its own."""
    lines: list[str] = []
    line, indent = "", initial_indent
    for token in _tokens(text):
        if line and width(indent + line + token.rstrip()) > columns:
            lines.append(indent + line.rstrip())
            line, indent = "", subsequent_indent
            token = token.lstrip()
        line += token
    if line.strip():
        lines.append(indent + line.rstrip())
    return lines
