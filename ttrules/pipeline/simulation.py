"""A simulation run end to end, as `simulate` and `demo` use it: both sides through load and
check, the history's coverage of the fields the rules read, the engine (duckdb, falling back to
python where it cannot compile, saying why), the replay and the report.

What a person should hear on the way (a field the history lacks, a fallback, the rows skipped)
goes to `say`; what stops the run is a `SimulationError` with its diagnostics. The CLI renders
both and decides nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttrules.diagnostics import Diagnostic
from ttrules.i18n import N_, _, ngettext
from ttrules.pipeline import PipelineError, load_side
from ttrules.simulate.history import HistoryError, Position, detect_format, read_history
from ttrules.simulate.run import Options, Progress, Side, build_report, history_digest, replay
from ttrules.stack import Stack

Say = Callable[[str], None]
ROLES = {"baseline": N_("baseline"), "candidate": N_("candidate")}


class SimulationError(Exception):
    """The run cannot go on: a side fails `check`, the history cannot be read."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True)
class SimulationRequest:
    history: Path
    history_format: str | None = None
    baseline: str | None = None  # a git revision or a directory; None: HEAD
    candidate: str | None = None  # a directory; None: the working tree
    config: Path | None = None
    options: Options = field(default_factory=Options)
    engine: str = "duckdb"
    spark_master: str = "local[2]"
    partition_by: str | None = None  # with the spark engine: a report per value of this field


@dataclass(frozen=True)
class Simulation:
    report: dict[str, Any]
    baseline: Side
    candidate: Side


def checked_side(where: str | None, config: Path | None, role: str) -> Side:
    """A stack to simulate with: the working tree (None), a directory, or a git revision."""
    shown = _(ROLES.get(role, role))
    try:
        side = load_side(where, config)
    except PipelineError as error:
        raise SimulationError(_("error: {role} {problem}").format(role=shown, problem=error)) from None
    if side.engine is None:
        message = _("error: the {role} ({label}) does not pass `ttrules check`; nothing was simulated")
        raise SimulationError(message.format(role=shown, label=side.label), side.diagnostics)
    return Side(side.engine, side.label, side.files)


def history_coverage(stack: Stack, history: Path, limit: int) -> tuple[Any, list[Diagnostic]]:
    """The fields the stack reads that the history rarely fills, from its first `limit` rows."""
    from ttrules.simulate.coverage import coverage, history_diagnostics

    try:
        rows = read_history(history, stack.config.history.columns)
        result = coverage(stack, rows, limit)
    except HistoryError as error:
        raise SimulationError(_("error: {problem}").format(problem=error)) from None
    return result, history_diagnostics(result, str(history))


def run_simulation(request: SimulationRequest, say: Say) -> Simulation:
    candidate = checked_side(request.candidate, request.config, "candidate")
    baseline = checked_side(request.baseline or "HEAD", request.config, "baseline")
    history, options = request.history, request.options
    columns = candidate.engine.stack.config.history.columns
    if request.engine == "spark":
        return _simulate_spark(request, baseline, candidate, columns, say)
    if request.partition_by is not None:
        raise SimulationError(_("error: --partition-by needs --engine spark"))
    if history.is_file():  # before anything is decided: the rules' fields the history lacks
        from ttrules.simulate.coverage import PREFLIGHT_RECORDS, gap_descriptions

        found, _warnings = history_coverage(candidate.engine.stack, history, PREFLIGHT_RECORDS)
        for description in gap_descriptions(found):
            say(
                _("warning[TTR124]: {message} (the first {rows} rows)").format(
                    message=description, rows=f"{found.records + found.invalid:,}"
                )
            )
    # The report carries the history's SHA-256: hashed meanwhile (hashlib releases the GIL).
    with ThreadPoolExecutor(max_workers=1) as hashing:
        digest = hashing.submit(history_digest, history) if history.is_file() else None
        position = Position()
        accumulator = None
        used: dict[str, Any] = {"name": "python"}
        try:
            history_format = detect_format(history, request.history_format)
            if history_format == "decision-log":  # cases as the service read them: no mapping
                columns = {}
            if request.engine == "duckdb":
                accumulator, used = _replay_duckdb(
                    baseline, candidate, history, history_format, columns, options, say
                )
            if accumulator is None:
                rows = read_history(history, columns, history_format, position)
        except HistoryError as error:
            raise SimulationError(_("error: {problem}").format(problem=error)) from None
        if accumulator is None:
            progress = Progress(position.fraction)
            accumulator = replay(baseline, candidate, rows, options, progress)
            progress.close()
        _tell_skipped(accumulator, say)
        report = build_report(
            accumulator,
            baseline,
            candidate,
            history,
            history_format,
            options,
            digest.result() if digest is not None else None,
        )
    report["engine"] = used
    return Simulation(report, baseline, candidate)


def _simulate_spark(
    request: SimulationRequest, baseline: Side, candidate: Side, columns: Any, say: Say
) -> Simulation:
    """The Spark engine over history paths, globs or URIs the cluster reads (Parquet, JSON Lines,
    CSV): no local file to check first or hash (the report's `sha256` is null unless the
    history is one local file); every row is decided on the cluster."""
    from ttrules.distributed.spark import SparkError, replay_spark

    history = request.history
    try:
        fmt = detect_format(history, request.history_format)
    except HistoryError as error:
        raise SimulationError(_("error: {problem}").format(problem=error)) from None
    if fmt == "decision-log":
        raise SimulationError(_("error: --engine spark reads Parquet, JSON Lines and CSV histories"))
    say(_("note: deciding with Spark on {master}").format(master=request.spark_master))
    try:
        replayed = replay_spark(
            baseline,
            candidate,
            [str(history)],
            columns,
            request.options,
            request.spark_master,
            fmt,
            request.partition_by,
        )
    except SparkError as error:
        raise SimulationError(_("error: {problem}").format(problem=error)) from None
    _tell_skipped(replayed.total, say)
    digest = history_digest(history) if history.is_file() else None
    report = build_report(replayed.total, baseline, candidate, history, fmt, request.options, digest)
    report["engine"] = {"name": "spark", "master": request.spark_master, "parts": replayed.parts}
    if request.partition_by is not None:
        # Each value's figures, defined as the whole report's are; its samples are the whole's.
        report["partitions"] = {
            "by": request.partition_by,
            "reports": [{"key": key, **acc.report()} for key, acc in replayed.partitions.items()],
        }
    return Simulation(report, baseline, candidate)


def _tell_skipped(accumulator: Any, say: Say) -> None:
    for where, reason in accumulator.skipped_examples:
        say(_("{where}: skipped: {reason}").format(where=where, reason=reason))
    more = sum(accumulator.skipped.values()) - len(accumulator.skipped_examples)
    if more > 0:
        say(
            ngettext(
                "… {count} more row skipped (counts by reason are in the report; --skipped FILE "
                "lists every one)",
                "… {count} more rows skipped (counts by reason are in the report; --skipped FILE "
                "lists every one)",
                more,
            ).format(count=f"{more:,}")
        )


def _replay_duckdb(
    baseline: Side,
    candidate: Side,
    history: Path,
    history_format: str,
    columns: Any,
    options: Options,
    say: Say,
) -> tuple[Any, dict[str, Any]]:
    """The columnar engine's accumulator, or (None, why not) when it falls back to python."""
    from ttrules.columnar.run import Fallback, replay_duckdb

    progress = Progress()
    try:
        accumulator, done = replay_duckdb(
            baseline,
            candidate,
            history,
            history_format,
            columns,
            options,
            progress=progress,
            waiting=progress,
        )
    except Fallback as reason:
        progress.close()
        say(_("note: simulating with the python engine: {reason}").format(reason=reason))
        return None, {"name": "python", "fallback_from": "duckdb", "reason": str(reason)}
    progress.close()
    if done.decided_in_python:
        say(
            ngettext(
                "note: {count} row went to the python engine (values SQL does not load or decide "
                "exactly, or invalid rows)",
                "note: {count} rows went to the python engine (values SQL does not load or decide "
                "exactly, or invalid rows)",
                done.decided_in_python,
            ).format(count=f"{done.decided_in_python:,}")
        )
    return accumulator, {
        "name": "duckdb",
        "rows_in_sql": done.decided_in_sql,
        "rows_in_python": done.decided_in_python,
    }
