"""Source files and spans.

Spans are character offsets into a source file's text; line and column are computed only
when a diagnostic is rendered, so building and comparing nodes stays cheap.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, eq=False)
class SourceFile:
    """One file's text, with a lazily built index of line starts.

    Identity (not content) equality: two loads of the same path are different sources.
    """

    path: str
    text: str
    _line_starts: list[int] = field(default_factory=list, repr=False)

    @classmethod
    def from_text(cls, text: str, path: str = "<string>") -> SourceFile:
        return cls(path=path, text=text)

    def line_starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            find = self.text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts.extend(starts)
        return self._line_starts

    def text_line_col(self, offset: int) -> tuple[int, int]:
        """Where an offset is in the text as shown under a diagnostic (for a file of text,
        the same as `line_col`; a spreadsheet is located by cell but shown as text)."""
        return SourceFile.line_col(self, offset)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        starts = self.line_starts()
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def line_text(self, line: int) -> str:
        starts = self.line_starts()
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def display_path(self) -> str:
        return self.path


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range [start, end) of character offsets in one source file."""

    source: SourceFile
    start: int
    end: int

    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def start_line_col(self) -> tuple[int, int]:
        return self.source.line_col(self.start)

    def to(self, other: Span) -> Span:
        """The span from the start of self to the end of other."""
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))

    def location(self) -> str:
        line, col = self.start_line_col()
        return f"{self.source.display_path()}:{line}:{col}"


def relative_display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True, eq=False)
class SheetSource(SourceFile):
    """A spreadsheet shown as text (a row a line, cells between commas) and located by cell:
    `line_col` gives the sheet's row and column (C5 is 5:3), so every diagnostic names the cell."""

    cells: tuple[tuple[int, int, int], ...] = ()  # (offset in the text, row, column), by offset

    def line_col(self, offset: int) -> tuple[int, int]:
        starts = [start for start, _row, _column in self.cells]
        index = bisect.bisect_right(starts, offset) - 1
        if index < 0:
            return 1, 1
        _start, row, column = self.cells[index]
        return row, column
