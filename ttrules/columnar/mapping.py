"""The `history.columns` mapping of ttrules.yaml in SQL, exactly as `history.Mapper` applies it.

Each mapped field becomes a *cell*: an SQL expression and its DuckDB type, which the staging
then loads like a column of the file. The steps follow Mapper._convert, in its order:

- a column, renamed (`case.id: InvoiceNo`), or one column into several fields;
- a constant (`value: CANCEL`): a string, a whole number or a boolean;
- `values`: the cell, stripped as str.strip() strips, looked up in the map; a raw value the map
  does not know takes the `default`, or makes the row escape (the python engine reports it);
- `format`: a strptime format of %Y %m %d %H %M %S %f and literal characters, read by DuckDB's
  strptime where the cell has the form both readers read alike (a regular expression no wider
  than Python's for each directive); any other cell escapes;
- `currency`: the cell is an amount in that currency.

What SQL cannot do exactly for every row, it leaves to the python engine row by row (an
escape); a mapping it cannot do at all (a constant list, a format directive such as %b or %z)
raises MappingError before any row is read, and the simulation runs in the python engine,
saying which mapping made it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sqlglot.expressions as exp

from ttrules.columnar import sql
from ttrules.columnar.sql import Params, and_, case, col, func, not_
from ttrules.config import ColumnSpec

# The characters str.isspace() accepts, which str.strip() removes.
_SPACES = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x85\\p{Z}"
NOT_BLANK = f"[^{_SPACES}]"
_STRIP = f"^[{_SPACES}]+|[{_SPACES}]+$"
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
# Per directive: a form Python's strptime reads (its own pattern is wider: " 5" for %d, 60 for
# %S, 1 to 6 digits for %f) and DuckDB's strptime reads to the same value.
_DIRECTIVES = {
    "Y": "[0-9]{4}",
    "m": "(1[0-2]|0[1-9]|[1-9])",
    "d": "(3[01]|[12][0-9]|0[1-9]|[1-9])",
    "H": "(2[0-3]|[01][0-9]|[0-9])",
    "M": "([0-5][0-9]|[0-9])",
    "S": "([0-5][0-9]|[0-9])",
    "f": "[0-9]{6}",
    "%": "%",
}


class MappingError(Exception):
    """A mapping SQL does not apply; the message names it (for the user)."""


@dataclass(frozen=True)
class Cell:
    """A field's raw value as the mapping gives it: an expression of DuckDB type `kind`, and the
    currency of a `currency:` mapping (the cell is then an amount in it)."""

    value: exp.Expression
    kind: str
    currency: str | None = None


@dataclass
class MappedCells:
    cells: dict[str, Cell] = field(default_factory=dict)  # case path -> its cell
    # Where a mapping does not give a value as Mapper does (an unknown raw value, a timestamp
    # in another form): those rows escape to the python engine.
    escapes: list[exp.Expression] = field(default_factory=list)


def nonblank(cell: exp.Expression, params: Params) -> exp.Expression:
    """A text cell str.strip() does not empty. Most cells start with a visible ASCII
    character; only the others need the regular expression."""
    visible = exp.Between(this=func("ascii", cell), low=sql.lit(33), high=sql.lit(126))
    return sql.or_(visible, func("regexp_matches", cell, params.text(NOT_BLANK)))


def present(cell: exp.Expression, kind: str, params: Params) -> exp.Expression:
    """Not NULL, and for text not blank: what Mapper._present keeps."""
    if kind != "VARCHAR":
        return sql.not_null(cell)
    return and_(sql.not_null(cell), nonblank(cell, params))


def map_cells(
    mapping: Mapping[str, str | ColumnSpec],
    file_columns: Mapping[str, str],
    money_paths: set[str],
    params: Params,
) -> MappedCells:
    """The cells of the mapped fields; `money_paths` are the fields of type money (a
    `currency:` mapping of another field makes every row invalid, so it is not done in SQL)."""
    out = MappedCells()
    for path, given in mapping.items():
        spec = ColumnSpec(column=given) if isinstance(given, str) else given
        if spec.column is None:
            cell = _constant(path, spec.value, params)
        elif spec.column in file_columns:
            cell = Cell(col(spec.column), file_columns[spec.column])
        else:
            continue  # the reader refused the file already (a mapped column it lacks)
        if cell is None:
            continue
        if spec.values:
            cell = _looked_up(path, spec, cell, params, out.escapes)
        if spec.format and cell.kind == "VARCHAR":  # Mapper formats strings only
            cell = _parsed(path, spec.format, cell, params, out.escapes)
        if spec.currency:
            cell = _in_currency(path, spec.currency, cell, path in money_paths)
        out.cells[path] = cell
    return out


def _constant(path: str, value: Any, params: Params) -> Cell | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # Mapper leaves the field absent
    if isinstance(value, bool):
        return Cell(sql.TRUE if value else sql.FALSE, "BOOLEAN")
    if isinstance(value, int):
        return Cell(params.bind(value, "BIGINT"), "BIGINT")
    if isinstance(value, str):
        return Cell(params.text(value), "VARCHAR")
    raise MappingError(
        f"the constant `value` of `{path}` ({type(value).__name__}) is applied by the python engine only"
    )


def _key(path: str, cell: Cell, params: Params, keys: list[str]) -> exp.Expression:
    """`str(value).strip()` of the cell, as Mapper looks it up."""
    if cell.kind == "VARCHAR":
        # Most cells are a key as they are; only the others are stripped.
        stripped = func("regexp_replace", cell.value, params.text(_STRIP), params.text(""), params.text("g"))
        return case(
            [(sql.nonnull(sql.member(cell.value, [params.text(k) for k in keys])), cell.value)], stripped
        )
    if cell.kind in INTEGER_TYPES:
        return sql.cast(cell.value, "VARCHAR")
    if cell.kind == "BOOLEAN":
        return case([(cell.value, params.text("True"))], params.text("False"))
    raise MappingError(
        f"the `values` of `{path}` look up a {cell.kind} column, which the python engine only does"
    )


def _looked_up(
    path: str, spec: ColumnSpec, cell: Cell, params: Params, escapes: list[exp.Expression]
) -> Cell:
    for value in [*spec.values.values(), *([spec.default] if spec.default is not None else [])]:
        if not value.strip():
            raise MappingError(
                f"the `values` of `{path}` map to a blank value, which the python engine only reads"
            )
    keys = sorted(spec.values)
    key = _key(path, cell, params, keys)
    branches = [(exp.EQ(this=key, expression=params.text(k)), params.text(spec.values[k])) for k in keys]
    given = present(cell.value, cell.kind, params)  # a blank cell stays absent, default or not
    otherwise = case([(given, params.text(spec.default))], sql.NULL) if spec.default is not None else sql.NULL
    if spec.default is None:
        known = sql.nonnull(sql.member(key, [params.text(k) for k in keys]))
        escapes.append(and_(given, not_(known)))
    return Cell(case(branches, otherwise), "VARCHAR")


def strptime_pattern(fmt: str, path: str) -> str:
    """An anchored regular expression of the cells `fmt` reads alike in Python and DuckDB."""
    parts, i = ["^"], 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            directive = fmt[i + 1 : i + 2]
            if directive not in _DIRECTIVES:
                raise MappingError(
                    f"the `format` of `{path}` has `%{directive}`, which the python "
                    "engine only reads (SQL reads %Y %m %d %H %M %S %f)"
                )
            parts.append(_DIRECTIVES[directive])
            i += 2
        else:
            if char.isspace() and char != " ":
                raise MappingError(
                    f"the `format` of `{path}` has a whitespace character other "
                    "than a space, which the python engine only reads"
                )
            parts.append(re.escape(char) if char != " " else " ")
            i += 1
    return "".join(parts) + "$"


def _parsed(path: str, fmt: str, cell: Cell, params: Params, escapes: list[exp.Expression]) -> Cell:
    pattern = params.text(strptime_pattern(fmt, path))
    parsed = func("try_strptime", cell.value, params.text(fmt))
    form = and_(func("regexp_matches", cell.value, pattern), sql.not_null(parsed))
    escapes.append(and_(present(cell.value, cell.kind, params), not_(sql.nonnull(form))))
    # Naive, read as UTC (the connection's time zone), as Mapper reads it.
    return Cell(case([(form, parsed)], sql.NULL), "TIMESTAMP")


def _in_currency(path: str, currency: str, cell: Cell, is_money: bool) -> Cell:
    code = currency.strip().upper()
    if not is_money or len(code) != 3 or not code.isalpha() or not code.isascii():
        raise MappingError(
            f"the `currency` mapping of `{path}` is applied by the python engine "
            "only" + ("" if is_money else " (the field is not money)")
        )
    return replace(cell, currency=code)
