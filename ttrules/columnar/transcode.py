"""JSON Lines and CSV histories for the duckdb engine: a Parquet copy of the rows the Python
reader reads.

Why the Python reader and not DuckDB's own `read_json`/`read_csv`: what a row of a history file
is (its number, which lines are blank, what a bad line or a ragged CSV row is, which cells are
empty) is defined once, by `ttrules.simulate.history`; DuckDB's readers answer some of these
differently (JSON numbers become binary floats, an unreadable line stops the read or is
dropped, CSV rows are numbered otherwise when quoted cells hold line breaks). So the file is
read by the same reader as the python engine uses, and its cells are copied into Parquet files
in a scratch directory, which the query reads as it reads a Parquet history.

The copy holds each row's cells so that reading them back gives the same values the reader
gave (str, int, bool, lists of str), which is what makes the two engines agree: the python
engine reading the copy would see the original rows. A namespace object of JSON
(`"order": {"total": ...}`) becomes dotted columns (`order.total`), which the case loader
reads alike. A row the copy cannot hold exactly (unreadable, a JSON number with a fraction, a
money object, a value of another type than its column's first one, a null or blank value
inside a namespace object) is copied as a mark in `ESCAPE`, a column no case field comes
from: the staging sends every row with a cell there to the Python engine (a dotted column of
no namespace is the case loader's to judge), which reads that row again from the original.

Rows are numbered by `file_row_number`, in file order, as the reader numbers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from operator import itemgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ttrules.config import ColumnSpec
from ttrules.schema.case import NAMESPACES
from ttrules.simulate.history import HistoryRow, Mapper, Position, read_history, read_raw

ESCAPE = "ttrules.escape"
ROW_NUMBER = "file_row_number"
BATCH_ROWS = 65_536  # rows per Parquet file of the copy: memory stays flat
_INT64 = (-(1 << 63), (1 << 63) - 1)
_ARROW = {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_(), "list": pa.list_(pa.string())}


class CopyError(Exception):
    """The file cannot be copied for the duckdb engine (a column name it needs for itself)."""


@dataclass
class Copy:
    """A history's rows as Parquet files, numbered like the original's."""

    files: list[Path] = field(default_factory=list)
    rows: int = 0
    kinds: dict[str, str] = field(default_factory=dict)  # column -> str, int, bool or list
    escaped: int = 0  # rows marked for the Python engine


def copy_history(
    history: Path,
    fmt: str,
    columns: Mapping[str, str | ColumnSpec],
    scratch: Path,
    limit: int | None = None,
    waiting: Callable[[str], None] | None = None,
) -> Copy:
    """Copy the first `limit` rows (all by default) of a JSON Lines or CSV history into Parquet
    files under `scratch`. Raises HistoryError (the file as a whole is unreadable) or CopyError."""
    mapper = Mapper(columns)
    copy = Copy()
    shapes = _Shapes(mapper.used, copy.kinds)
    batch = _Batch(copy.kinds)
    for row in read_raw(history, mapper, fmt, Position()):
        if limit is not None and copy.rows >= limit:
            break
        cells = shapes.cells(row.record) if row.record is not None else None
        if cells is None:
            batch.escaped.append(batch.rows + len(batch.pending))
            cells = ()
        batch.add(cells)
        copy.rows += 1
        if batch.rows == BATCH_ROWS:
            _write(batch, copy, scratch)
            batch = _Batch(copy.kinds)
            if waiting is not None:
                waiting(f"reading {history.name} into columns: {copy.rows:,} records")
    if batch.rows or batch.pending or not copy.files:
        _write(batch, copy, scratch)
    return copy


class _Batch:
    """Rows of the copy gathered into Arrow columns. Turned into columns a few thousand rows
    at a time, while they are still in the processor's cache: done once per file, the same
    costs several times as much."""

    _CHUNK = 2_048

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.chunks: list[list[Any]] = []  # per column in the order of `kinds`, its arrays
        self.rows = 0  # rows in `chunks`
        self.pending: list[tuple[Any, ...]] = []
        self.escaped: list[int] = []  # rows marked for the python engine

    def add(self, cells: tuple[Any, ...]) -> None:
        self.pending.append(cells)
        if len(self.pending) == self._CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        types = [_ARROW[kind] for kind in self.kinds.values()]
        while len(self.chunks) < len(types):  # a column added since: null so far
            kind = types[len(self.chunks)]
            self.chunks.append([pa.nulls(self.rows, kind)] if self.rows else [])
        made = 0
        for index, values in enumerate(zip_longest(*self.pending)):
            self.chunks[index].append(pa.array(values, types[index]))
            made += 1
        for index in range(made, len(types)):  # rows made before a column was added end early
            self.chunks[index].append(pa.nulls(len(self.pending), types[index]))
        self.rows += len(self.pending)
        self.pending = []

    def table(self, start: int, escaped_before: bool) -> Any:
        """The rows as a table: numbered from `start`; with the escape column where a row of
        this batch or of one before was marked (the copy's files keep their columns alike)."""
        columns = {ROW_NUMBER: pa.array(range(start, start + self.rows), pa.int64())}
        for (name, kind), chunks in zip(self.kinds.items(), self.chunks, strict=True):
            columns[name] = pa.chunked_array(chunks, _ARROW[kind])
        if escaped_before or self.escaped:
            marks: list[bool | None] = [None] * self.rows
            for at in self.escaped:
                marks[at] = True
            columns[ESCAPE] = pa.array(marks, pa.bool_())
        return pa.table(columns)


_KINDS: dict[type, str] = {str: "str", bool: "bool", int: "int", list: "list"}
_SHAPE_LIMIT = 4_096  # shapes of record remembered; past it, each record is looked at alone


@dataclass(frozen=True)
class _Plan:
    """How a record of one shape becomes a row of the copy."""

    cells: Callable[[tuple[Any, ...]], tuple[Any, ...]]  # from its values and a final None
    ints: tuple[int, ...]  # positions of values whose range is checked
    lists: tuple[int, ...]  # and of lists whose elements are


class _Shapes:
    """Which records the copy holds as they are. Most records of a file have one of a few
    shapes (the same keys, in the same order, with values of the same types), so what a shape
    allows is worked out once; what remains per record is to check the values a type does not
    vouch for (an int's range, a list's elements) and to put its values in column order.
    Columns are only ever added (`kinds` grows at its end), so a row made earlier is a prefix
    of the columns and the rest of it is null."""

    def __init__(self, used: set[str], kinds: dict[str, str]) -> None:
        self.used, self.kinds = used, kinds
        self.wanted = used | set(NAMESPACES)
        self.plans: dict[Any, _Plan | bool | None] = {}

    def cells(self, record: dict[str, Any]) -> tuple[Any, ...] | None:
        """The record's row in the copy, or None where the copy cannot hold it exactly."""
        values = (*record.values(), None)
        shape = (tuple(record), tuple(map(type, values)))
        try:
            plan = self.plans[shape]
        except KeyError:
            if len(self.plans) >= _SHAPE_LIMIT:
                self.plans.clear()
            plan = self.plans[shape] = self._plan(*shape)
        if plan is None:  # namespace objects to spread, or a key the engine uses itself
            cells = self._spread_record(record)
            return None if cells is None else tuple(map(cells.get, self.kinds))
        if plan is False:
            return None
        assert isinstance(plan, _Plan)
        for at in plan.ints:
            if not _INT64[0] <= values[at] <= _INT64[1]:
                return None
        for at in plan.lists:
            if not all(type(v) is str for v in values[at]):
                return None
        return plan.cells(values)

    def _plan(self, keys: tuple[str, ...], types: tuple[type, ...]) -> _Plan | bool | None:
        """None when a record of this shape is looked at alone; False when the copy cannot hold
        it (a value of no kind, or of another kind than its column's)."""
        ints, lists = [], []
        place: dict[str, int] = {}
        for at, (key, kind_of) in enumerate(zip(keys, types[:-1], strict=True)):
            if kind_of is type(None) or (key not in self.wanted and "." not in key):
                continue  # absent to the mapping as to the staging; or a column it ignores
            if kind_of is dict or key in (ESCAPE, ROW_NUMBER):
                return None
            kind = _KINDS.get(kind_of)
            if kind is None or self.kinds.setdefault(key, kind) != kind:
                return False
            place[key] = at
            if kind == "int":
                ints.append(at)
            elif kind == "list":
                lists.append(at)
        # Absent columns take the final None of the values.
        positions = [place.get(name, len(keys)) for name in self.kinds]
        return _Plan(_picker(positions), tuple(ints), tuple(lists))

    def _spread_record(self, record: dict[str, Any]) -> dict[str, Any] | None:
        cells: dict[str, Any] = {}
        for key, value in record.items():
            if value is None:
                continue
            if type(value) is dict and key in NAMESPACES and key not in self.used:
                if not self._spread(key, value, cells):
                    return None
                continue
            if key not in self.wanted and "." not in key:
                continue
            if key in (ESCAPE, ROW_NUMBER):
                raise CopyError(
                    f"the history has a column named `{key}`, which the duckdb engine uses itself"
                )
            if key in cells or not self._fits(key, value):
                return None
            cells[key] = value
        return cells

    def _spread(self, namespace: str, values: Mapping[str, Any], cells: dict[str, Any]) -> bool:
        """A namespace object's fields as dotted cells, where the case loader reads them alike:
        not a null or blank (in an object the model sees them; as a cell they are absent), not
        a name with a dot, not one that is a cell already or a mapped column."""
        for name, value in values.items():
            dotted = f"{namespace}.{name}"
            if (
                value is None
                or (type(value) is str and not value.strip())
                or not name
                or "." in name
                or dotted in cells
                or dotted in self.used
                or not self._fits(dotted, value)
            ):
                return False
            cells[dotted] = value
        return True

    def _fits(self, column: str, value: Any) -> bool:
        """Whether the copy holds `value` exactly in `column`, whose kind its first value sets."""
        kind = _KINDS.get(type(value))
        if kind == "int" and not _INT64[0] <= value <= _INT64[1]:
            return False
        if kind == "list" and not all(type(v) is str for v in value):
            return False
        return kind is not None and self.kinds.setdefault(column, kind) == kind


def _picker(positions: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    if len(positions) == 1:
        only = positions[0]
        return lambda values: (values[only],)
    if not positions:
        return lambda values: ()
    return itemgetter(*positions)


def _write(batch: _Batch, copy: Copy, scratch: Path) -> None:
    batch.flush()
    table = batch.table(copy.rows - batch.rows, copy.escaped > 0)
    copy.escaped += len(batch.escaped)
    path = scratch / f"copy-{len(copy.files):06d}.parquet"
    # Written once and read once, soon: fast compression, no dictionaries (they cost more to
    # build than they save on one read).
    pq.write_table(table, path, compression="lz4", use_dictionary=False)
    copy.files.append(path)


def original_rows(
    history: Path, fmt: str, columns: Mapping[str, str | ColumnSpec], numbers: Iterator[int]
) -> Iterator[HistoryRow]:
    """The rows numbered `numbers` (0-based, ascending) of the original file, as the python
    engine reads them; the file is read only as far as the last one."""
    wanted = next(numbers, None)
    if wanted is None:
        return
    for row in read_history(history, columns, fmt):
        if row.number - 1 == wanted:
            yield row
            wanted = next(numbers, None)
            if wanted is None:
                return
