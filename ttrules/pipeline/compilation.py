"""`ttrules compile`: what a stack becomes, printed.

`--show`: the Python the class memo's fast path is generated as (`evaluate/fast_path.py`), with
the tables it looks up named; `--sql --history H`: the duckdb engine's query over a Parquet history, as a
DuckDB script (`columnar/script.py`). Both are built by the code that decides and simulates,
not restated for printing.
"""

from __future__ import annotations

from pathlib import Path

from ttrules.engine import Engine
from ttrules.i18n import _
from ttrules.pipeline.simulation import SimulationError, checked_side
from ttrules.simulate.history import HistoryError, check_history_file
from ttrules.simulate.run import Options

# Where Spark SQL and DuckDB disagree on what the query needs, or Spark has no form for it; the
# Spark engine decides in the python engine's semantics instead (docs/distributed.md).
SPARK_GAPS = (
    "min(x, n) (the n smallest values of a group)",
    "epoch_us (timestamps as microseconds)",
    "list_count and list_has_all (lists of values)",
    "numeric trunc, try_cast of text to timestamps and DECIMAL precision, which Spark defines otherwise",
)


def fast_path_listing(engine: Engine) -> str:
    """The fast path as the stack starts deciding: its tables fill as cases are decided, and
    groups of fields with few values are merged into one look-up after the first cases."""
    stack = engine.prepared
    counts = _("# {rules} rules and forbids, {settings} settings").format(
        rules=len(stack.rules) + len(stack.forbids), settings=len(engine.compiled.compiled.settings)
    )
    note = _(
        "# the class memo's fast path, before any case is decided: its tables fill as cases are\n"
        "# decided, and fields with few values are looked up together after the first cases"
    )
    return f"{counts}\n{note}\n{engine.compiled.fast_path_source()}"


def simulation_script(
    history: Path,
    baseline: str | None,
    candidate: str | None,
    config: Path | None,
    dialect: str = "duckdb",
) -> str:
    """The script `simulate --engine duckdb` runs over `history`; SimulationError where it
    cannot be made (a side fails `check`, the history is not Parquet, a construct does not
    compile, the Spark dialect)."""
    from ttrules.columnar.run import Fallback
    from ttrules.columnar.script import duckdb_script

    if dialect == "spark":
        gaps = "".join(f"\n  - {gap}" for gap in SPARK_GAPS)
        message = _(
            "error: the query has no exact Spark SQL form; `simulate --engine spark` decides on Spark "
            "with the python engine's semantics instead. What Spark lacks or defines otherwise:{gaps}"
        )
        raise SimulationError(message.format(gaps=gaps))
    # The history first: it is cheap to look at, and both stacks are checked only for one we read.
    try:
        fmt = check_history_file(history)
    except HistoryError as error:
        raise SimulationError(_("error: {problem}").format(problem=error)) from None
    if fmt != "parquet":
        raise SimulationError(
            _(
                "error: {path}: `compile --sql` reads Parquet histories; the duckdb engine reads JSON "
                "Lines and CSV through a Parquet copy of its own"
            ).format(path=history)
        )
    candidate_side = checked_side(candidate, config, "candidate")
    baseline_side = checked_side(baseline or "HEAD", config, "baseline")
    columns = candidate_side.engine.stack.config.history.columns
    try:
        return duckdb_script(baseline_side, candidate_side, history, columns, Options())
    except HistoryError as error:
        raise SimulationError(_("error: {problem}").format(problem=error)) from None
    except Fallback as error:
        raise SimulationError(
            _("error: the stacks do not compile to SQL: {reason}").format(reason=error)
        ) from None
