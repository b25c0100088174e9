"""Decision tables in Excel workbooks (`.xlsx`), read with openpyxl (the library Python's data
tools use for the format; pure Python, no Excel needed).

The first sheet is the table, laid out as a CSV sheet is (docs/tables.md). It is shown in
diagnostics as text, a row a line, and located by cell: `cancellations.xlsx:5:3` is cell C5.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal

from ttrules import ast
from ttrules.diagnostics import Diagnostic
from ttrules.i18n import _
from ttrules.spans import SheetSource
from ttrules.syntax.table import Cell, parse_table_rows

MAX_CELLS = 200_000  # a hand-made table has hundreds; a workbook of millions is not one


def cell_text(value: object) -> str:
    """A cell's value as the table reads it: numbers exactly as shown (15, not 15.0), booleans
    as `true`/`false`, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def read_workbook(data: bytes, path: str) -> tuple[SheetSource | None, list[list[Cell]], list[Diagnostic]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises whatever the zip or XML layer raised
        problem = _("not a readable Excel workbook: {problem}").format(problem=error)
        return None, [], [Diagnostic("TTR017", problem, None, path=path)]
    sheet = book.worksheets[0]
    lines: list[str] = []
    rows: list[list[Cell]] = []
    located: list[tuple[int, int, int]] = []
    offset, count = 0, 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        texts = [cell_text(v).replace("\n", " ").replace("\r", " ") for v in values]
        while texts and not texts[-1]:
            texts.pop()
        count += len(texts)
        if count > MAX_CELLS:
            problem = _("the workbook has more than {limit} cells").format(limit=f"{MAX_CELLS:,}")
            return None, [], [Diagnostic("TTR009", problem, None, path=path)]
        row: list[Cell] = []
        position = offset
        for column, text in enumerate(texts, start=1):
            located.append((position, number, column))
            row.append(
                Cell(
                    text, position, position + len(text), tuple(range(position, position + len(text))), number
                )
            )
            position += len(text) + 1  # the comma shown between cells
        line = ",".join(texts)
        lines.append(line)
        offset += len(line) + 1
        if any(c.text for c in row):
            rows.append(row)
    book.close()
    source = SheetSource(path, "\n".join(lines), cells=tuple(located))
    return source, rows, []


def parse_ruleset_workbook(data: bytes, path: str) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    source, rows, problems = read_workbook(data, path)
    if source is None:
        return None, problems
    return parse_table_rows(source, rows)


def write_workbook(rows: list[list[str]]) -> bytes:
    """Rows of cells (as `table_emit.table_rows` gives them) as an .xlsx workbook."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "rules"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
