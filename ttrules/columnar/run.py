"""`simulate --engine duckdb`: both stacks decided in one DuckDB pass over the history.

0. A JSON Lines or CSV history is first copied into Parquet by the Python reader
   (ttrules/columnar/transcode.py); a Parquet history is read as it is.
1. Compile both stacks into one query (ttrules/columnar/query.py); a construct that does not
   compile raises `Fallback` before any row is read, and the caller uses the Python engine.
2. Run it once into a table of decided records grouped by decision pattern and report keys
   (in memory: it is small; operators spill to a temporary directory past the memory limit).
3. Aggregate that table into the report's Accumulator (ttrules/columnar/fold.py).
4. Rows SQL did not load or decide exactly (`esc`) are read again by the Python loader and
   decided by the Python engine, row by row: invalid ones are reported with their row number.
5. Changed samples are the first changed rows in file order, from either path.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp

from ttrules.columnar.fold import TABLE, fold
from ttrules.columnar.mapping import MappingError
from ttrules.columnar.query import REASONS, CompiledQuery, build_query
from ttrules.columnar.staging import StagingError
from ttrules.columnar.terms import Unsupported
from ttrules.columnar.transcode import ROW_NUMBER, Copy, CopyError, copy_history, original_rows
from ttrules.schema.loader import load_values
from ttrules.schema.reasons import reason_categories
from ttrules.simulate.history import HistoryError, HistoryRow, Mapper, check_history_file
from ttrules.simulate.metrics import Accumulator
from ttrules.simulate.run import Options, Progress, Side, new_accumulator, replay_rows

MEMORY_LIMIT = "1GB"
# What the query's meaning (timestamps in UTC) and its planning time depend on; the script of
# `ttrules compile --sql` sets them too. The optimizer disabled pushes the report's GROUP BY
# down through every stage of the query and takes minutes to plan it (DuckDB 2.0); the query is
# fine without it.
QUERY_SETTINGS = (
    "SET preserve_insertion_order = false",
    "SET TimeZone = 'UTC'",
    "SET disabled_optimizers = 'partial_aggregate_pushdown'",
)
SOURCE = "ttr_history"
FETCH = 10_000  # escaped row numbers fetched at a time


class Fallback(Exception):
    """The duckdb engine cannot run this simulation; the message says why (for the user)."""


@dataclass
class EngineReport:
    """What the engine did, for the command's summary line."""

    engine: str
    decided_in_sql: int = 0
    decided_in_python: int = 0


@dataclass
class Source:
    """The history as the query reads it (the Parquet file, or a copy of a JSON Lines or CSV
    file: ttrules/columnar/transcode.py), and its rows as the python engine reads them."""

    history: Path
    fmt: str
    columns: dict[str, Any]
    copy: Copy | None = None

    def relation(self, con: Any) -> Any:
        if self.copy is not None:
            files = [str(path) for path in self.copy.files]
            return con.read_parquet(files, union_by_name=True)
        import pyarrow.parquet as pq

        try:
            names = pq.ParquetFile(self.history).schema_arrow.names
        except Exception as error:  # pyarrow raises several types for a damaged file
            raise HistoryError(f"{self.history}: cannot read the Parquet file: {error}") from None
        if ROW_NUMBER in names:
            raise Fallback(
                f"the history has a column named `{ROW_NUMBER}`, which the duckdb engine uses to number rows"
            )
        try:
            relation = con.read_parquet(str(self.history), file_row_number=True)
        except Exception as error:  # duckdb raises several types for a damaged file
            raise HistoryError(f"{self.history}: cannot read the Parquet file: {error}") from None
        Mapper(self.columns).check_columns([n for n in relation.columns if n != ROW_NUMBER], self.history)
        return relation

    def count(self, options: Options) -> int:
        if self.copy is not None:
            return self.copy.rows
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(self.history).metadata.num_rows
        return min(rows, options.limit) if options.limit is not None else rows

    def rows(self, numbers: Iterable[int]) -> Iterator[HistoryRow]:
        """The rows numbered `numbers` (0-based, ascending), as the python engine reads them."""
        if self.copy is not None:
            return original_rows(self.history, self.fmt, self.columns, iter(numbers))
        return (
            HistoryRow(number + 1, f"{self.history.name} row {number + 1}", record, error)
            for number, record, error in _parquet_rows(self.history, numbers, self.columns)
        )


def compile_for(
    source: Source, baseline: Side, candidate: Side, con: Any, options: Options, acc: Accumulator
) -> CompiledQuery:
    relation = source.relation(con)
    file_columns = column_types(relation)
    if options.limit is not None:
        relation = relation.filter(
            exp.LT(this=exp.column(ROW_NUMBER), expression=exp.Literal.number(int(options.limit))).sql(
                "duckdb"
            )
        )
    relation.create_view(SOURCE)
    return build_for(file_columns, baseline, candidate, source.columns, options, acc)


def column_types(relation: Any) -> dict[str, str]:
    """The history's columns and their DuckDB types, as the query is compiled for them."""
    return {
        name: str(kind)
        for name, kind in zip(relation.columns, relation.types, strict=True)
        if name != ROW_NUMBER
    }


def build_for(
    file_columns: dict[str, str],
    baseline: Side,
    candidate: Side,
    columns: dict[str, Any],
    options: Options,
    acc: Accumulator,
) -> CompiledQuery:
    try:
        return build_query(
            exp.to_table(SOURCE),
            file_columns,
            baseline.engine.prepared,
            candidate.engine.prepared,
            (baseline.engine.stack.schema, candidate.engine.stack.schema),
            candidate.engine.stack.config,
            columns,
            acc.thresholds,
            options.samples,
        )
    except (Unsupported, StagingError, MappingError) as error:
        raise Fallback(str(error)) from None
    except RecursionError:
        raise Fallback("the stacks compile to SQL nested too deeply for the SQL generator") from None


def replay_duckdb(
    baseline: Side,
    candidate: Side,
    history: Path,
    history_format: str,
    columns: dict[str, Any],
    options: Options,
    progress: Callable[[int], None] | None = None,
    waiting: Progress | None = None,
) -> tuple[Accumulator, EngineReport]:
    """Simulate with DuckDB; `waiting` shows that the query runs, `progress` counts the rows
    the python engine decides after it."""
    import duckdb
    import pyarrow as pa

    check_history_file(history, history_format)
    if options.sample is not None:
        raise Fallback("--sample draws records in the Python engine's order")
    acc = new_accumulator(baseline, candidate, options)
    source = Source(history, history_format, columns)
    with tempfile.TemporaryDirectory(prefix="ttrules-") as scratch:
        if history_format != "parquet":
            # What does not compile does so whatever the columns: known before the copy is made.
            build_for({}, baseline, candidate, columns, options, acc)
            try:
                source.copy = copy_history(
                    history,
                    history_format,
                    columns,
                    Path(scratch),
                    options.limit,
                    waiting.waiting if waiting is not None else None,
                )
            except CopyError as error:
                raise Fallback(str(error)) from None
        # In memory: what the query keeps is grouped (small); operators spill to the scratch
        # directory past the memory limit, so memory stays bounded however long the history.
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
            con.execute("SET temp_directory = $dir", {"dir": str(Path(scratch) / "spill")})
            for setting in QUERY_SETTINGS:
                con.execute(setting)
            codes = reason_categories()
            con.register("ttr_reason_rows", pa.table({"code": list(codes), "category": list(codes.values())}))
            # A table of DuckDB's own, not a Python scan: it reports progress like the rest.
            con.execute(f"CREATE TABLE {REASONS} AS SELECT * FROM ttr_reason_rows")
            con.unregister("ttr_reason_rows")
            compiled = compile_for(source, baseline, candidate, con, options, acc)
            try:
                _execute_with_progress(
                    con,
                    f"CREATE TABLE {TABLE} AS {compiled.sql}",
                    compiled.params,
                    waiting,
                    source.count(options),
                )
            except duckdb.Error as error:
                raise Fallback(f"the query failed in DuckDB ({str(error).splitlines()[0]})") from None
            fold(con, compiled, acc)
            sql_rows = acc.records
            ((escaped,),) = con.execute(f"SELECT coalesce(sum(n), 0) FROM {TABLE} WHERE esc").fetchall()
            samples = (
                [
                    row
                    for (row,) in con.execute(
                        f"SELECT r FROM (SELECT unnest(first_changed) AS r FROM {TABLE} WHERE changed AND "
                        f"NOT esc) ORDER BY r LIMIT {int(options.samples)}"
                    ).fetchall()
                ]
                if options.samples
                else []
            )
            sample_records = {
                row.number - 1: row.record for row in source.rows(samples) if row.record is not None
            }
            python_samples: list[tuple[int, Any]] = []
            # Streamed: when many rows escape, their numbers are never all in memory at once.
            cursor = con.execute(
                f"SELECT r FROM (SELECT unnest(escaped_rows) AS r FROM {TABLE} WHERE esc) ORDER BY r"
            )
            numbers = (row for batch in iter(lambda: cursor.fetchmany(FETCH), []) for (row,) in batch)
            replay_rows(baseline, candidate, source.rows(numbers), acc, progress, python_samples)
            _first_error_messages(acc, source, {"baseline": baseline, "candidate": candidate})
        finally:
            con.close()
    merged = sorted(
        [(row + 1, sample_records[row]) for row in samples] + python_samples, key=lambda pair: pair[0]
    )
    acc.samples = [record for _, record in merged[: options.samples]]
    report = EngineReport("duckdb", sql_rows, escaped)
    return acc, report


def _first_error_messages(acc: Accumulator, source: Source, sides: dict[str, Side]) -> None:
    """SQL knows where each rule first errored, not what the error said: those records are
    decided again by the python engine for their messages (a few records, one per rule)."""
    wanted = sorted(
        {
            number - 1
            for side in acc.sides.values()
            for number, message in side.first_errors.values()
            if not message
        }
    )
    for row in source.rows(wanted):
        if row.record is None:
            continue
        for name, side in sides.items():
            first = acc.sides[name].first_errors
            decision = side.engine.decide_values(load_values(row.record, side.engine.stack.schema))
            for error in decision.errors:
                if first.get(error.rule.label) == (row.number, ""):
                    first[error.rule.label] = (row.number, error.message)


def _execute_with_progress(
    con: Any, query: str, params: dict[str, Any], progress: Progress | None, rows: int
) -> None:
    """Run the query; meanwhile say that it runs and for how long. (DuckDB's own estimate of
    its progress, `query_progress()`, stalls near 10 % on this query, so it is not shown.)"""
    if progress is None:
        con.execute(query, params)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(query, params)
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    worker = threading.Thread(target=work, name="ttrules-duckdb", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.25)
        progress.waiting(f"deciding {rows:,} records with duckdb (both stacks)")
    if failure:
        raise failure[0]


def _parquet_rows(
    history: Path,
    rows: Iterable[int],
    columns: dict[str, Any],
) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """The raw records of some rows (0-based, ascending), as the Python reader gives them:
    each row group that holds one is read once, so a few rows of a large file cost little."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    mapper = Mapper(columns)
    parquet = pq.ParquetFile(history)
    start, wanted = 0, iter(rows)
    row = next(wanted, None)
    for group in range(parquet.metadata.num_row_groups):
        end = start + parquet.metadata.row_group(group).num_rows
        picked = []
        while row is not None and row < end:
            picked.append(row)
            row = next(wanted, None)
        if picked:
            table = parquet.read_row_group(group).take(pa.array([r - start for r in picked]))
            for number, record in zip(picked, table.to_pylist(), strict=True):
                raw = {k: v for k, v in record.items() if v is not None}
                try:
                    yield number, mapper.apply(raw), ""
                except ValueError as error:
                    yield number, None, str(error)
        start = end
