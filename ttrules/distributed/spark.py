"""`simulate --engine spark`: the history replayed by the tasks of a Spark job.

    Spark reads the history (paths, globs, any URI the cluster reads: `s3a://…`)
      → Parquet: each task its rows as Arrow batches, each file's rows in order;
        JSON Lines and CSV: each task whole files, read by the python engine's reader
      → the python engine (the compiled path, tested against the reference) decides every
        row under both stacks into one Accumulator per file (and `--partition-by` value)
        (the report's definition, ttrules/simulate/metrics.py)
      → the driver collects those parts (one small row each) and adds them up
        (Accumulator.merge, property-tested against one pass), keeping the changed cases,
        skipped rows and first errors that come first by file, then row.

Each task rebuilds the two engines from the checked stacks (pickled once into the job), so
the figures are those of `--engine python` by construction: exact money, the same missing
values and errors, nothing left to a SQL dialect's semantics. Nothing falls back to one
machine: every row is decided on the cluster, and only the grouped parts travel.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ttrules.simulate.history import HistoryRow, Mapper
from ttrules.simulate.metrics import Accumulator
from ttrules.simulate.run import Options, Side, new_accumulator, replay_rows
from ttrules.stack import Stack

FILE = "_ttr_file"
ROW = "_ttr_row"
DEFAULT_MASTER = "local[2]"
SESSION = "session"  # --spark-master session: the session the environment provides


class SparkError(Exception):
    """The Spark engine cannot run this simulation; the message says why."""


@dataclass(frozen=True)
class Job:
    """What every task needs: the checked stacks, the column mapping, the options."""

    baseline: Stack
    candidate: Stack
    labels: tuple[str, str]
    columns: dict[str, Any]
    samples: int
    names: tuple[str, ...]  # the history's column names; the tasks see them as c0, c1, …
    partition_by: str | None = None  # a case field: one report per value


_ENGINES: dict[str, tuple[Side, Side]] = {}  # per Python worker: job digest -> its two sides


def _sides(job_bytes: bytes) -> tuple[Job, tuple[Side, Side]]:
    """The job and its engines, built once per worker process and job."""
    from ttrules.engine import Engine

    job: Job = pickle.loads(job_bytes)
    digest = hashlib.sha256(job_bytes).hexdigest()
    if digest not in _ENGINES:
        _ENGINES.clear()
        _ENGINES[digest] = (
            Side(Engine.from_stack(job.baseline), job.labels[0]),
            Side(Engine.from_stack(job.candidate), job.labels[1]),
        )
    return job, _ENGINES[digest]


@dataclass
class Part:
    """What a task decided of one file: the figures, and the row numbers of the changed cases
    and skipped rows it kept, so that the driver can keep the first ones of the whole file."""

    acc: Accumulator
    samples: list[tuple[int, Any]]  # (row number, record)
    skipped: list[int]  # the row number of each of acc.skipped_examples
    error: str = ""  # a file that cannot be read at all stops the simulation, as it does elsewhere


NONE_KEY = "(none)"
_PARTS = "file string, first long, key string, part binary"


class Parts:
    """A task's Parts, one per partition key (`--partition-by`) and file, filled row by row."""

    def __init__(self, job: Job, sides: tuple[Side, Side]) -> None:
        self.job, self.sides = job, sides
        self.options = Options(samples=job.samples)
        self.parts: dict[tuple[str, str], tuple[int, Part]] = {}
        self.last: dict[str, int] = {}  # per file, the number of the last row added

    def key(self, row: HistoryRow) -> str:
        if self.job.partition_by is None or row.record is None:
            return NONE_KEY if self.job.partition_by else ""
        from ttrules.schema.case import CaseError
        from ttrules.schema.loader import load_values

        try:
            value = load_values(row.record, self.job.candidate.schema).get(self.job.partition_by)
        except CaseError:
            return NONE_KEY  # skipped in whichever part it lands; counted once
        return NONE_KEY if value is None else str(value)

    def add(self, path: str, row: HistoryRow) -> Part:
        last = self.last.get(path, 0)
        if row.number <= last:
            # The parts keep the first changed cases of their rows in the order they come.
            raise SparkError(f"{path}: row {row.number} came after row {last}; rows must come in file order")
        self.last[path] = row.number
        key = self.key(row)
        if (key, path) not in self.parts:
            self.parts[(key, path)] = (row.number, Part(new_accumulator(*self.sides, self.options), [], []))
        part = self.parts[(key, path)][1]
        skipped = len(part.acc.skipped_examples)
        replay_rows(*self.sides, [row], part.acc, numbered_samples=part.samples)
        if len(part.acc.skipped_examples) > skipped:
            part.skipped.append(row.number)
        return part

    def batches(self) -> Iterator[Any]:
        import pyarrow as pa

        schema = pa.schema(
            [("file", pa.string()), ("first", pa.int64()), ("key", pa.string()), ("part", pa.binary())]
        )
        for (key, path), (first, part) in self.parts.items():
            blob = pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)
            yield pa.RecordBatch.from_pydict(
                {"file": [path], "first": [first], "key": [key], "part": [blob]}, schema=schema
            )


def decide_batches(job_bytes: bytes, batches: Iterator[Any]) -> Iterator[Any]:
    """A task: its Parquet rows (in file and row order) decided into Parts."""
    job, sides = _sides(job_bytes)
    mapper = Mapper(job.columns)
    parts = Parts(job, sides)
    for batch in batches:
        for cells in batch.to_pylist():
            path, row = cells.pop(FILE), cells.pop(ROW)
            record = {name: cells[f"c{i}"] for i, name in enumerate(job.names)}
            number = row + 1
            raw = {k: v for k, v in record.items() if v is not None}
            where = f"{path.rsplit('/', 1)[-1]} row {number}"
            try:
                history_row = HistoryRow(number, where, mapper.apply(raw))
            except ValueError as error:
                history_row = HistoryRow(number, where, None, str(error))
            parts.add(path, history_row)
    yield from parts.batches()


def decide_files(job_bytes: bytes, fmt: str, batches: Iterator[Any]) -> Iterator[Any]:
    """A task over whole JSON Lines or CSV files (Spark's binaryFile rows: path and bytes): each
    file read by the python engine's own reader, from a scratch copy named like it (so a
    `.gz` is read as one), and decided into Parts."""
    from ttrules.simulate.history import HistoryError, read_history

    job, sides = _sides(job_bytes)
    parts = Parts(job, sides)
    for batch in batches:
        for path, content in zip(
            batch.column("path").to_pylist(), batch.column("content").to_pylist(), strict=True
        ):
            name = path.rsplit("/", 1)[-1]
            with tempfile.TemporaryDirectory(prefix="ttrules-") as scratch:
                copy = Path(scratch) / name
                copy.write_bytes(content)
                try:
                    rows = read_history(copy, job.columns, fmt)
                except HistoryError as error:
                    parts.parts[("", path)] = (1, Part(new_accumulator(*sides, parts.options), [], []))
                    parts.parts[("", path)][1].error = str(error).replace(str(copy), path)
                    continue
                for row in rows:
                    parts.add(path, row)
    yield from parts.batches()


def merge_parts(acc: Accumulator, parts: list[tuple[str, Part]]) -> None:
    """The parts' figures added into `acc`, in any order; the changed cases, skipped rows and
    each rule's first error kept are the first of all, by file then row number, as one pass
    over the files in name order would keep them."""
    samples: list[tuple[str, int, Any]] = []
    skipped: list[tuple[str, int, tuple[str, str]]] = []
    first: dict[tuple[str, str], tuple[str, int, str]] = {}  # (side, rule) -> (file, row, message)
    for path, part in parts:
        samples += [(path, number, record) for number, record in part.samples]
        skipped += [(path, n, e) for n, e in zip(part.skipped, part.acc.skipped_examples, strict=True)]
        for name, side in part.acc.sides.items():
            for label, (number, message) in side.first_errors.items():
                known = first.get((name, label))
                if known is None or (path, number) < known[:2]:
                    first[(name, label)] = (path, number, message)
        # Merged without what is chosen here (a part may be merged into more than one report).
        kept = part.acc.samples, part.acc.skipped_examples, [s.first_errors for s in part.acc.sides.values()]
        part.acc.samples, part.acc.skipped_examples = [], []
        for side in part.acc.sides.values():
            side.first_errors = {}
        acc.merge(part.acc)
        part.acc.samples, part.acc.skipped_examples = kept[0], kept[1]
        for side, errors in zip(part.acc.sides.values(), kept[2], strict=True):
            side.first_errors = errors
    samples.sort(key=lambda s: (s[0], s[1]))
    skipped.sort(key=lambda s: (s[0], s[1]))
    acc.samples = [record for _path, _number, record in samples[: acc.sample_size]]
    acc.skipped_examples = [example for _path, _number, example in skipped[:20]]
    for (name, label), (_path, number, message) in first.items():
        acc.sides[name].first_errors[label] = (number, message)  # its row number in its file


def session(master: str) -> Any:
    """A Spark session on `master` (local[2] by default; `session`: the one spark-submit or the
    platform configured); UTC, no UI."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkError("the Spark engine needs PySpark: pip install 'ttrules[spark]'") from None
    builder = SparkSession.builder
    if master != SESSION:  # else the master spark-submit, Databricks or EMR configured
        builder = builder.master(master)
    builder = (
        builder.appName("ttrules simulate")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    logging = Path(__file__).with_name("log4j2.properties")
    builder = builder.config(
        "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={logging.as_uri()}"
    )
    if master.startswith("local"):
        # The tasks run this interpreter, where ttrules is installed; a cluster's workers use
        # the Python its configuration names (spark.pyspark.python, docs/distributed.md).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.pyspark.python", os.environ["PYSPARK_PYTHON"])
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@dataclass(frozen=True)
class _Run:
    """One simulation's inputs, as the job builders need them."""

    baseline: Side
    candidate: Side
    paths: list[str]
    columns: dict[str, Any]
    options: Options
    partition_by: str | None


@dataclass
class Replayed:
    """What the Spark job decided: the whole history, and per value of `--partition-by`."""

    total: Accumulator
    partitions: dict[str, Accumulator]  # empty without --partition-by
    parts: int  # how many parts the tasks sent back


def replay_spark(
    baseline: Side,
    candidate: Side,
    paths: list[str],
    columns: dict[str, Any],
    options: Options,
    master: str = DEFAULT_MASTER,
    fmt: str = "parquet",
    partition_by: str | None = None,
) -> Replayed:
    """The report's accumulators over the history files `paths` (Parquet, JSON Lines or CSV)."""
    if options.sample is not None or options.limit is not None:
        raise SparkError("--sample and --limit are not available with --engine spark")
    if options.on_skip is not None:
        raise SparkError("--skipped is not available with --engine spark (the report keeps the first 20)")
    if partition_by is not None and candidate.engine.stack.schema.get(partition_by) is None:
        raise SparkError(f"--partition-by `{partition_by}` is not a field of the case schema")
    spark = session(master)  # first: it says how to install PySpark when it is missing
    from pyspark.errors import PySparkException

    run = _Run(baseline, candidate, paths, columns, options, partition_by)
    try:
        found = _parquet_parts(spark, run) if fmt == "parquet" else _file_parts(spark, run, fmt)
    except PySparkException as error:
        raise SparkError(f"the Spark job failed: {_first_line(error)}") from error
    # The parts were pickled by our own tasks.
    parts = [(row["key"], row["file"], pickle.loads(row["part"])) for row in found]
    unreadable = sorted((path, part.error) for _key, path, part in parts if part.error)
    if unreadable:
        raise SparkError(unreadable[0][1])
    total = new_accumulator(baseline, candidate, options)
    merge_parts(total, [(path, part) for _key, path, part in parts])
    partitions: dict[str, Accumulator] = {}
    if partition_by is not None:
        for key in sorted({key for key, _path, _part in parts}):
            partitions[key] = new_accumulator(baseline, candidate, options)
            merge_parts(partitions[key], [(path, part) for k, path, part in parts if k == key])
    return Replayed(total, partitions, len(parts))


def _parquet_parts(spark: Any, run: _Run) -> list[Any]:
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    try:
        frame = spark.read.parquet(*run.paths)
    except PySparkException as error:
        raise SparkError(f"Spark cannot read {', '.join(run.paths)}: {_first_line(error)}") from None
    taken = {FILE, ROW} & set(frame.columns)
    if taken:
        raise SparkError(f"the history has a column named `{sorted(taken)[0]}`, which the Spark engine uses")
    Mapper(run.columns).check_columns(frame.columns, run.paths[0])  # type: ignore[arg-type]
    # Arrow tasks cannot resolve dotted column names (`order.total`): plain names travel.
    rows = frame.select(
        *[F.col(f"`{name}`").alias(f"c{i}") for i, name in enumerate(frame.columns)],
        F.col("_metadata.file_path").alias(FILE),
        F.col("_metadata.row_index").alias(ROW),
    )
    job_bytes = _job(run, frame.columns)

    def task(batches: Iterator[Any]) -> Iterator[Any]:
        return decide_batches(job_bytes, batches)

    # Every core gets work even when the history is one file of a few row groups (one split
    # each): the rows are shuffled over the cores, and each task's sorted back into file order.
    # Otherwise a task reads its splits as the scan gives them, each file's rows ascending (a
    # task checks that, and stops the job if it ever is not so); sorting millions of rows per
    # task would cost memory for nothing.
    cores = spark.sparkContext.defaultParallelism
    if rows.rdd.getNumPartitions() < cores:
        rows = rows.repartition(cores * 2).sortWithinPartitions(FILE, ROW)
    return rows.mapInArrow(task, _PARTS).collect()  # type: ignore[no-any-return]


def _job(run: _Run, names: Any) -> bytes:
    job = Job(
        run.baseline.engine.stack,
        run.candidate.engine.stack,
        (run.baseline.label, run.candidate.label),
        run.columns,
        run.options.samples,
        tuple(names),
        run.partition_by,
    )
    return pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)


def _file_parts(spark: Any, run: _Run, fmt: str) -> list[Any]:
    """JSON Lines or CSV: one task per file, the file read whole (Spark's binaryFile source,
    any URI the cluster reads) by the python engine's reader, so a row is what it is for the
    other engines: its number, blank lines, bad bytes, quoting, exact decimals."""
    from pyspark.errors import PySparkException

    try:
        files = spark.read.format("binaryFile").load(run.paths).select("path", "content")
        count = files.count()
    except PySparkException as error:
        raise SparkError(f"Spark cannot read {', '.join(run.paths)}: {_first_line(error)}") from None
    if count == 0:
        raise SparkError(f"no file matches {', '.join(run.paths)}")
    job_bytes = _job(run, ())

    def task(batches: Iterator[Any]) -> Iterator[Any]:
        return decide_files(job_bytes, fmt, batches)

    # One file a task: files are the unit of parallelism here (a text file is read in order).
    return files.repartition(count).mapInArrow(task, _PARTS).collect()  # type: ignore[no-any-return]


def _first_line(error: Exception) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
