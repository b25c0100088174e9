"""Decision tables: a CSV sheet as a third syntax of the same AST.

    ruleset,small-cancellations
    layer,merchant

    name,priority,request.kind,request.reason in,order.total <,then,because
    jewelry,20,CANCEL,"CHANGED_MIND, WRONG_ADDRESS",15 USD,approve,jewelry is costly to resend
    others,10,CANCEL,"CHANGED_MIND, WRONG_ADDRESS",30 USD,approve,small and not about quality

Lines before the header name the ruleset, its layer and (optionally) `applies`. The header
names each column: `name`, `priority`, `then` (the actions, written as in the DSL), `because`,
and conditions as a field path followed by an operator (`==` when there is none; `!=`, `<`,
`<=`, `>`, `>=`, `in`, `not in`). Each row below is a rule whose condition is the `and` of its
non-empty cells. The hit policy is *first*: rows are tried by priority and then from the top,
exactly as rules of one file are, so the first row that matches wins.

A cell is written as in the DSL (`CHANGED_MIND`, `30 USD`, `7d`, `30%`, `true`), except that a
bare word that is none of these is text (`apparel` reads as `"apparel"`); an `in` cell lists
values separated by commas. An empty cell or `-` is "any value". Every cell is parsed by the DSL's
own grammar, with spans pointing into the sheet, so a diagnostic names file:line:column of the
cell at fault.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass

from ttrules import ast
from ttrules.diagnostics import Diagnostic
from ttrules.i18n import _
from ttrules.spans import SourceFile, Span
from ttrules.syntax.dsl import parse_fragment
from ttrules.syntax.literals import NAME

CSV_SUFFIXES = (".csv",)
XLSX_SUFFIXES = (".xlsx",)
TABLE_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES
OPERATORS = ("not in", "in", "==", "!=", "<=", ">=", "<", ">")
ANY = ("", "-")
META_KEYS = ("ruleset", "layer", "applies")
COLUMN_KEYS = ("name", "priority", "then", "because")

_FIELD = re.compile(r"[a-z_][a-z0-9_]*\.[^\W\d]\w*")
# What a cell may be as written in the DSL; anything else is text and gets quotes.
LITERAL = re.compile(
    r"""(
        "(?:[^"\\]|\\.)*"                      # a string already quoted
      | [A-Z][A-Z0-9_]*                        # an enum value
      | -?\d+(?:\.\d+)?\s*(?:[A-Z]{3}|%)?      # a number, an amount, a percentage
      | (?:\d+[dhms])+                          # a duration
      | true | false
    )\Z""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Cell:
    text: str  # the value, quotes and doubled quotes of CSV removed
    start: int  # where the value's first character is in the file
    end: int
    offsets: tuple[int, ...]  # file offset of each character of `text`
    line: int

    def span(self, source: SourceFile) -> Span:
        return Span(source, self.start, max(self.end, self.start + 1))

    def offset(self, index: int) -> int:
        if not self.offsets:
            return self.start
        return self.offsets[min(max(index, 0), len(self.offsets) - 1)]


class _Unterminated(Exception):
    def __init__(self, start: int) -> None:
        self.start = start


def read_cells(text: str) -> list[list[Cell]]:
    """The rows of a CSV text (RFC 4180: `,` between cells, `"` around a cell with a comma, a
    quote or a line break, `""` for a quote), each cell with the file offset of every character."""
    rows: list[list[Cell]] = []
    row: list[Cell] = []
    i, line = 0, 1
    if text.startswith("\ufeff"):
        i = 1
    while i <= len(text):
        start = i
        chars: list[str] = []
        offsets: list[int] = []
        if i < len(text) and text[i] == '"':
            i += 1
            while True:
                if i >= len(text):
                    raise _Unterminated(start)
                if text[i] == '"':
                    if i + 1 < len(text) and text[i + 1] == '"':
                        chars.append('"')
                        offsets.append(i)
                        i += 2
                        continue
                    i += 1
                    break
                if text[i] == "\n":
                    line += 1
                chars.append(text[i])
                offsets.append(i)
                i += 1
            while i < len(text) and text[i] not in ",\r\n":  # text after the closing quote
                i += 1
        else:
            while i < len(text) and text[i] not in ",\r\n":
                chars.append(text[i])
                offsets.append(i)
                i += 1
        value = "".join(chars)
        stripped = value.strip()
        lead = len(value) - len(value.lstrip())
        kept = offsets[lead : lead + len(stripped)]
        row.append(
            Cell(stripped, kept[0] if kept else start, (kept[-1] + 1) if kept else start, tuple(kept), line)
        )
        if i >= len(text):
            break
        if text[i] == ",":
            i += 1
            continue
        # a line break ends the row
        if text[i] == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
            i += 1
        i += 1
        line += 1
        rows.append(row)
        row = []
        if i == len(text):
            break
    if row and not (len(row) == 1 and not row[0].text):
        rows.append(row)
    return [r for r in rows if any(c.text for c in r)]


@dataclass
class _Column:
    kind: str  # name, priority, then, because, or condition
    cell: Cell
    field: str = ""
    op: str = ""


class _Reader:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, cell: Cell, help: str = "") -> None:
        self.diagnostics.append(Diagnostic(code, message, cell.span(self.source), help=help))

    def fragment(self, text: str, start: str, mapping: list[int]) -> object:
        """`text` parsed from grammar entry `start`; character k of it sits at mapping[k]."""
        last = mapping[-1] if mapping else 0

        def offset(position: int) -> int:  # the end of the text is just after its last character
            return mapping[position] if 0 <= position < len(mapping) else last + 1

        return parse_fragment(text, start, self.source, offset, self.diagnostics)

    def column(self, cell: Cell) -> _Column | None:
        key = cell.text
        if key.lower() in COLUMN_KEYS:
            return _Column(key.lower(), cell)
        for op in OPERATORS:
            if key.endswith(" " + op) or (op not in ("in", "not in") and key.endswith(op)):
                field = key[: -len(op)].strip()
                break
        else:
            field, op = key, "=="
        if not _FIELD.fullmatch(field):
            self.error(
                "TTR017",
                _("`{header}` is not a column of a decision table").format(header=key),
                cell,
                help=_(
                    "columns: name, priority, then, because, or a field with an operator such as "
                    "`order.total <` or `request.reason in`"
                ),
            )
            return None
        return _Column("condition", cell, field, op)

    def condition(self, column: _Column, cell: Cell) -> ast.Expr | None:
        head = f"{column.field} {column.op} "
        mapping = [column.cell.offset(min(k, len(column.cell.text) - 1)) for k in range(len(head))]
        if column.op in ("in", "not in"):
            items = _split_items(cell)
            if not items:
                return None
            body, spots = "{", [cell.start]
            for k, (item, where) in enumerate(items):
                if k:
                    body += ", "
                    spots += [where[0]] * 2
                written, places = _as_literal(item, where)
                body += written
                spots += places
            body += "}"
            spots.append(cell.end - 1 if cell.end > cell.start else cell.start)
        else:
            body, spots = _as_literal(cell.text, list(cell.offsets) or [cell.start])
        parsed = self.fragment(head + body, "expr_only", mapping + spots)
        if not isinstance(parsed, ast.Expr):
            return None
        # The test is the cell's (the header holds only the field): diagnostics about the
        # comparison point at the cell, those about the field at the header.
        return dataclasses.replace(parsed, span=cell.span(self.source))

    def actions(self, cell: Cell) -> tuple[ast.Action, ...] | None:
        parsed = self.fragment(cell.text, "actions_only", list(cell.offsets))
        return tuple(parsed) if isinstance(parsed, list) and parsed else None


def _split_items(cell: Cell) -> list[tuple[str, list[int]]]:
    """The comma-separated values of an `in` cell, each with its characters' offsets (a comma
    inside a quoted string belongs to the string)."""
    items: list[tuple[str, list[int]]] = []
    current: list[tuple[str, int]] = []
    quoted = False
    for k, ch in enumerate(cell.text):
        if ch == '"' and (k == 0 or cell.text[k - 1] != "\\"):
            quoted = not quoted
        if ch == "," and not quoted:
            items.append(_trimmed(current))
            current = []
            continue
        current.append((ch, cell.offset(k)))
    items.append(_trimmed(current))
    return [(text, where) for text, where in items if text]


def _trimmed(chars: list[tuple[str, int]]) -> tuple[str, list[int]]:
    while chars and chars[0][0].isspace():
        chars = chars[1:]
    while chars and chars[-1][0].isspace():
        chars = chars[:-1]
    return "".join(c for c, _where in chars), [where for _c, where in chars]


def _as_literal(text: str, where: list[int]) -> tuple[str, list[int]]:
    """The cell's DSL text and the offset of each of its characters: as written when it is a
    literal of the language, else quoted as text."""
    if LITERAL.fullmatch(text):
        return text, where
    quoted = json.dumps(text, ensure_ascii=False)
    first, last = (where[0], where[-1]) if where else (0, 0)
    return quoted, [first] + [where[min(k, len(where) - 1)] for k in range(len(quoted) - 2)] + [last]


def parse_ruleset_table(source: SourceFile) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    try:
        rows = read_cells(source.text)
    except _Unterminated as problem:
        span = Span(source, problem.start, problem.start + 1)
        return None, [
            Diagnostic(
                "TTR017",
                _("a quoted cell is never closed"),
                span,
                help=_('end the cell with `"`; a quote inside a cell is written `""`'),
            )
        ]
    return parse_table_rows(source, rows)


def parse_table_rows(
    source: SourceFile, rows: list[list[Cell]]
) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    """The ruleset of a sheet's rows (from a CSV text or a workbook), cells located in `source`."""
    reader = _Reader(source)
    meta: dict[str, Cell] = {}
    index = 0
    while index < len(rows) and rows[index][0].text.lower() in META_KEYS:
        key = rows[index][0].text.lower()
        values = [c for c in rows[index][1:] if c.text]
        if not values:
            reader.error(
                "TTR017", _("`{key}` needs a value in the next cell").format(key=key), rows[index][0]
            )
        elif key in meta:
            reader.error("TTR016", _("second `{kind}` statement").format(kind=key), rows[index][0])
        else:
            meta[key] = values[0]
        index += 1
    start = Span(source, 0, min(1, len(source.text)))
    for key in ("ruleset", "layer"):
        if key not in meta:
            reader.diagnostics.append(
                Diagnostic(
                    "TTR005",
                    _("missing `{key}` line").format(key=key),
                    start,
                    help=_("start the sheet with a row `ruleset,NAME` and a row `layer,merchant`"),
                )
            )
    if index >= len(rows):
        if "ruleset" in meta and "layer" in meta:
            reader.diagnostics.append(
                Diagnostic("TTR017", _("the table has no header row"), start, help=_("add `name,...,then`"))
            )
        return None, reader.diagnostics
    columns = [reader.column(cell) for cell in rows[index]]
    kinds = [c.kind for c in columns if c is not None]
    if "then" not in kinds:
        reader.error(
            "TTR017",
            _("the table has no `then` column"),
            rows[index][0],
            help=_("add a column `then` with each row's actions"),
        )
    layer = meta.get("layer")
    if layer is not None and not NAME.fullmatch(layer.text):
        reader.error("TTR012", _("`layer` must be a name, not `{layer}`").format(layer=layer.text), layer)
        layer = None
    applies = None
    if "applies" in meta:
        cell = meta["applies"]
        applies = reader.fragment(cell.text, "expr_only", list(cell.offsets))
    rules = [rule for row in rows[index + 1 :] if (rule := _rule(reader, columns, row)) is not None]
    # Rows with errors are left out and the rest kept, so that checking them reports every
    # problem at once (as a DSL file's good statements are kept beside a broken one).
    if "ruleset" not in meta or layer is None or None in columns or "then" not in kinds:
        return None, reader.diagnostics
    name_cell = meta["ruleset"]
    ruleset = ast.Ruleset(
        name_cell.text,
        layer.text,
        applies=applies if isinstance(applies, ast.Expr) else None,
        rules=tuple(rules),
        span=Span(source, 0, len(source.text)),
        name_span=name_cell.span(source),
        layer_span=layer.span(source),
    )
    return ruleset, reader.diagnostics


def _rule(reader: _Reader, columns: list[_Column | None], row: list[Cell]) -> ast.Rule | None:
    source = reader.source
    if len(row) > len(columns):
        reader.error(
            "TTR017",
            _("row {line} has {cells} cells for {columns} columns").format(
                line=row[0].line, cells=len(row), columns=len(columns)
            ),
            row[len(columns)],
        )
        return None
    name = f"row {row[0].line}"
    priority, because, actions = 0, None, None
    conditions: list[ast.Expr] = []
    failed = False
    for column, cell in zip(columns, row, strict=False):
        if column is None or cell.text in ANY:
            continue
        if column.kind == "name":
            name = cell.text
        elif column.kind == "priority":
            if re.fullmatch(r"-?\d{1,10}", cell.text):
                priority = int(cell.text)
            else:
                reader.error(
                    "TTR012", _("a priority is a whole number, not `{text}`").format(text=cell.text), cell
                )
                failed = True
        elif column.kind == "because":
            because = cell.text
        elif column.kind == "then":
            actions = reader.actions(cell)
            failed = failed or actions is None
        else:
            expr = reader.condition(column, cell)
            if expr is None:
                failed = True
            else:
                conditions.append(expr)
    if actions is None and not failed:
        reader.error(
            "TTR007",
            _("rule `{name}` has no `then`").format(name=name),
            row[0],
            help=_("write the row's actions in its `then` cell (e.g. `review`)"),
        )
        return None
    if failed or actions is None:
        return None
    when: ast.Expr | None
    if not conditions:
        when = None
    elif len(conditions) == 1:
        when = conditions[0]
    else:
        when = ast.And(tuple(conditions), span=Span(source, row[0].start, row[-1].end))
    return ast.Rule(
        name,
        actions,
        when=when,
        priority=priority,
        because=because,
        span=Span(source, row[0].start, row[-1].end),
    )
