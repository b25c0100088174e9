"""Reading history records: JSON Lines, CSV and Parquet, streamed.

Records are produced one at a time (Parquet in record batches), so memory does not grow with
the file. A row that cannot be read is returned with its location and reason, never raised; a
problem with the whole file (wrong format, a mapped column missing) raises `HistoryError`
before any row is read.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ttrules.case_files import iter_jsonl, loads
from ttrules.config import ColumnSpec
from ttrules.decision_log import SQLITE_MAGIC, LogError, connect, logged_inputs
from ttrules.diagnostics import did_you_mean
from ttrules.schema.case import NAMESPACES

FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".db": "decision-log",  # what `ttrules serve` logged: its inputs replay as a history
    ".sqlite": "decision-log",
}
_SET_SEPARATOR = "|"  # sets in CSV cells: "PHOTO|VIDEO"
_SET_FIELDS = {"request.evidence"}


@dataclass
class Position:
    """How far a reader has got through its file, for a progress bar's ETA."""

    done: float = 0.0
    total: float = 0.0

    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class HistoryError(Exception):
    """The history file as a whole cannot be read; the message names the file."""


@dataclass(frozen=True)
class HistoryRow:
    number: int  # 1-based record number
    location: str  # e.g. "history.csv:18" (a line) or "history.parquet row 7"
    record: dict[str, Any] | None
    error: str = ""


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    for suffix, fmt in FORMATS.items():
        if path.name.endswith(suffix) or path.name.endswith(suffix + ".gz"):
            return fmt
    raise HistoryError(
        f"{path}: cannot tell the format from the name; use --format jsonl, csv, parquet or decision-log"
    )


@contextlib.contextmanager
def _open_bytes(path: Path) -> Iterator[tuple[Any, Any]]:
    """(stream, raw file): `.gz` files are decompressed on the fly; the raw file's position
    (compressed bytes read) drives the progress bar."""
    with path.open("rb") as raw:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=raw) as stream:
                yield stream, raw
        else:
            yield raw, raw


def _check_content(path: Path, fmt: str) -> None:
    """Refuse a file that is not what its name or --format claims, before any work."""
    try:
        with _open_bytes(path) as (stream, _):
            head = stream.read(4096)
    except (OSError, EOFError) as error:
        raise HistoryError(f"{path}: cannot read: {error}") from None
    if fmt == "decision-log":
        if not head.startswith(SQLITE_MAGIC):
            raise HistoryError(f"{path}: not a decision log (not a SQLite database)")
        return
    if fmt == "parquet":
        if head[:4] != b"PAR1":
            raise HistoryError(f"{path}: not a Parquet file (no PAR1 magic bytes)")
        return
    if head[:4] == b"PAR1" or b"\0" in head:
        raise HistoryError(f"{path}: looks binary, not {fmt.upper()} text")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    if fmt == "jsonl" and first and not first.lstrip().startswith("{"):
        raise HistoryError(f"{path}: not JSON Lines (the first line does not start with `{{`)")
    if fmt == "csv" and first.lstrip().startswith("{"):
        raise HistoryError(f"{path}: looks like JSON Lines, not CSV; use --format jsonl")


def _spec(value: str | ColumnSpec) -> ColumnSpec:
    return ColumnSpec(column=value) if isinstance(value, str) else value


class Mapper:
    """Applies the `history.columns` mapping of ttrules.yaml to one raw row."""

    def __init__(self, columns: Mapping[str, str | ColumnSpec]) -> None:
        self.specs = {path: _spec(value) for path, value in columns.items()}
        self.used = {s.column for s in self.specs.values() if s.column}

    def check_columns(self, available: list[str], path: Path) -> None:
        missing = sorted(c for c in self.used if c not in available)
        if missing:
            hints = [did_you_mean(c, available) for c in missing]
            hint = "; ".join(f"`{c}`: {h}" for c, h in zip(missing, hints, strict=True) if h)
            raise HistoryError(
                f"{path}: mapped column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(f'`{c}`' for c in missing)} not in the file (its columns: "
                f"{', '.join(available[:20])}{', …' if len(available) > 20 else ''})"
                + (f"; {hint}" if hint else "")
            )

    def apply(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Mapped fields, plus unmapped columns that name case fields (`order.total`, or a
        namespace object in JSON); other columns of an export (descriptions, notes) are ignored."""
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in self.used and _present(value) and ("." in key or key in NAMESPACES):
                out[key] = value
        for path, spec in self.specs.items():
            value = spec.value if spec.column is None else raw.get(spec.column)
            if not _present(value):
                continue
            out[path] = self._convert(path, spec, value)
        return out

    def _convert(self, path: str, spec: ColumnSpec, value: Any) -> Any:
        if spec.values:
            key = str(value).strip()
            if key in spec.values:
                value = spec.values[key]
            elif spec.default is not None:
                value = spec.default
            else:
                # A value the map does not know would pass through as a wrong value: say so.
                known = sorted(spec.values)
                raise ValueError(
                    f"{path}: `{key}` is not among the `values` mapped for column `{spec.column}` "
                    f"({', '.join(known[:8])}{', …' if len(known) > 8 else ''}); add it there, "
                    "or give a `default`"
                )
        if spec.format and isinstance(value, str):
            try:
                parsed = datetime.strptime(value.strip(), spec.format)
            except ValueError:
                raise ValueError(f"`{value}` does not match the format {spec.format}") from None
            value = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()
        if spec.currency:
            value = {"amount": value, "currency": spec.currency}
        return value


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _csv_cells(row: dict[str, str | None]) -> dict[str, Any]:
    # Blank is what str.strip() empties: nothing, or only characters str.isspace() accepts.
    cells: dict[str, Any] = {
        key: value for key, value in row.items() if value and key is not None and not value.isspace()
    }
    for key in _SET_FIELDS.intersection(cells):
        cells[key] = [v.strip() for v in cells[key].split(_SET_SEPARATOR) if v.strip()]
    return cells


def _mapped(rows: Iterator[HistoryRow], mapper: Mapper) -> Iterator[HistoryRow]:
    for row in rows:
        if row.record is None:
            yield row
            continue
        try:
            yield HistoryRow(row.number, row.location, mapper.apply(row.record))
        except ValueError as error:
            yield HistoryRow(row.number, row.location, None, str(error))


_DAMAGED = (EOFError, OSError, zlib.error)  # a .gz file cut short or corrupt


def _damaged(path: Path, number: int, line: int, error: Exception) -> HistoryRow:
    return HistoryRow(
        number,
        f"{path.name}:{line}",
        None,
        f"the compressed file is damaged or cut short here ({error}); nothing after it could be read",
    )


def _read_jsonl(path: Path, position: Position) -> Iterator[HistoryRow]:
    position.total = path.stat().st_size
    with _open_bytes(path) as (stream, raw):
        rows = iter_jsonl(stream)
        number = line = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except _DAMAGED as error:
                yield _damaged(path, number + 1, line + 1, error)
                return
            number, line = number + 1, row.number
            position.done = raw.tell()
            yield HistoryRow(number, f"{path.name}:{row.number}", row.record, row.error)


class _Lines:
    """The physical lines a CSV reader is fed, with their numbers, so that a record whose
    quote never closes can be reported at its first line and the lines after it read again."""

    def __init__(self, handle: Iterator[str]) -> None:
        self._handle = handle
        self._again: list[str] = []  # pushed back, last first
        self.taken: list[str] = []  # the lines of the record being read
        self.next_number = 1  # the number of the next line handed out

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._again.pop() if self._again else next(self._handle)
        self.taken.append(line)
        self.next_number += 1
        return line

    def read_again(self, lines: list[str]) -> None:
        self._again.extend(reversed(lines))
        self.next_number -= len(lines)


def _is_utf8(line: str) -> bool:
    """False when the line had bytes that are not UTF-8 (decoded as surrogates)."""
    if line.isascii():
        return True
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_MAX_RECORD_LINES = 1000  # a quoted cell with more line breaks than this is a quote left open


def _csv_records(path: Path, lines: _Lines) -> Iterator[tuple[int, list[str] | None, str]]:
    """(first line number, cells or None, error) per CSV record. A quoted cell that does not
    close (at the end of the file, or so late that the record comes out the wrong width) is
    reported at the line where it opened, and the lines after that one are read again."""
    reader = csv.reader(lines, strict=True)
    width: int | None = None
    while True:
        lines.taken = []
        start = lines.next_number
        try:
            cells = next(reader)
            error = ""
        except StopIteration:
            return
        except csv.Error as problem:
            cells, error = None, str(problem)
        if len(lines.taken) > 1 and (
            cells is None
            or (width is not None and len(cells) != width)
            or len(lines.taken) > _MAX_RECORD_LINES
        ):
            # A quote left open swallowed the lines after it: they are records of their own.
            lines.read_again(lines.taken[1:])
            reader = csv.reader(lines, strict=True)
            yield start, None, "a quoted cell opens here and does not close on this row"
            continue
        if cells is not None and width is None:
            width = len(cells)
        if not all(_is_utf8(line) for line in lines.taken):
            yield start, None, "not valid UTF-8"
            continue
        yield start, cells, error and f"unreadable CSV row: {error}"


def _read_csv(path: Path, mapper: Mapper, position: Position) -> Iterator[HistoryRow]:
    position.total = path.stat().st_size
    with (
        _open_bytes(path) as (stream, raw),
        # Undecodable bytes are kept as surrogates and reported per row, not for the file.
        io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle,
    ):
        records = _csv_records(path, _Lines(handle))
        try:
            first = next((r for r in records if r[1] != []), None)  # blank lines before it
        except _DAMAGED as error:
            raise HistoryError(f"{path}: cannot read the CSV header: {error}") from None
        if first is None:
            raise HistoryError(f"{path}: the CSV file has no header row")
        if first[1] is None or first[2]:
            raise HistoryError(f"{path}: cannot read the CSV header: {first[2]}")
        header = first[1]
        mapper.check_columns(list(header), path)
        number = line = 0
        while True:
            try:
                found = next(records, None)
            except _DAMAGED as error:
                yield _damaged(path, number + 1, line + 1, error)
                return
            if found is None:
                return
            line, cells, error = found
            if cells == []:  # a blank line is no record
                continue
            number += 1
            position.done = raw.tell()
            where = f"{path.name}:{line}"
            if cells is None or error:
                yield HistoryRow(number, where, None, error)
            elif len(cells) > len(header):
                yield HistoryRow(number, where, None, f"{len(cells)} cells for {len(header)} columns")
            else:
                row = dict(zip(header, cells, strict=False))
                row.update(dict.fromkeys(header[len(cells) :]))  # short rows: missing cells
                yield HistoryRow(number, where, _csv_cells(row))


def _read_parquet(path: Path, mapper: Mapper, position: Position) -> Iterator[HistoryRow]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise HistoryError(f"{path}: cannot read the Parquet file: {error}") from None
    mapper.check_columns(list(parquet.schema_arrow.names), path)
    position.total = parquet.metadata.num_rows
    number = 0
    for batch in parquet.iter_batches(batch_size=8192):
        for record in batch.to_pylist():
            number += 1
            position.done = number
            yield HistoryRow(
                number, f"{path.name} row {number}", {k: v for k, v in record.items() if v is not None}
            )


def _read_decision_log(path: Path, position: Position) -> Iterator[HistoryRow]:
    try:
        with contextlib.closing(connect(path)) as con:
            position.total = con.execute("SELECT count(*) FROM decisions").fetchone()[0]
        inputs = logged_inputs(path)
        for number, (seq, text) in enumerate(inputs, start=1):
            position.done = number
            where = f"{path.name} seq {seq}"
            if text is None:
                yield HistoryRow(number, where, None, "the service did not log this input (--no-log-inputs)")
                continue
            try:
                record = loads(text)
            except ValueError as error:
                yield HistoryRow(number, where, None, f"invalid JSON: {error}")
                continue
            if not isinstance(record, dict):
                yield HistoryRow(number, where, None, "a case must be a JSON object")
                continue
            yield HistoryRow(number, where, record)
    except LogError as error:
        raise HistoryError(str(error)) from None


def check_history_file(path: Path, fmt: str | None = None) -> str:
    """The file's format, once it is known to exist and to look like it; else HistoryError."""
    if not path.is_file():
        raise HistoryError(f"{path}: no such file")
    fmt = detect_format(path, fmt)
    _check_content(path, fmt)
    return fmt


def read_history(
    path: Path,
    columns: Mapping[str, str | ColumnSpec] | None = None,
    fmt: str | None = None,
    position: Position | None = None,
) -> Iterator[HistoryRow]:
    """Rows of a history file, mapped onto case fields. Raises HistoryError up front."""
    fmt = check_history_file(path, fmt)
    # A decision log holds cases as the service read them: the export mapping does not apply.
    mapper = Mapper({} if fmt == "decision-log" else columns or {})
    return _mapped(read_raw(path, mapper, fmt, position), mapper)


def read_raw(
    path: Path, mapper: Mapper, fmt: str | None = None, position: Position | None = None
) -> Iterator[HistoryRow]:
    """Rows of a history file as its cells are, before `mapper` applies (which `read_history`
    does; the duckdb engine copies these cells). Raises HistoryError up front."""
    position = position if position is not None else Position()
    fmt = check_history_file(path, fmt)
    if fmt == "jsonl":
        rows = _read_jsonl(path, position)
    elif fmt == "csv":
        rows = _read_csv(path, mapper, position)
    elif fmt == "parquet":
        rows = _read_parquet(path, mapper, position)
    elif fmt == "decision-log":
        rows = _read_decision_log(path, position)
    else:
        raise HistoryError(f"unknown history format `{fmt}` (jsonl, csv, parquet or decision-log)")
    first = next(rows, None)  # header problems surface here, before any work
    if first is None:
        return iter(())
    return _chain(first, rows)


def _chain(first: HistoryRow, rest: Iterator[HistoryRow]) -> Iterator[HistoryRow]:
    yield first
    yield from rest
