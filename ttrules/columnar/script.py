"""`ttrules compile --sql`: the duckdb engine's query over a Parquet history, as a script a
person can run in DuckDB themselves.

The script is what `simulate --engine duckdb` runs, with nothing left out: the session settings
the query's meaning depends on, the table of official reason codes, the history as a view, and
the query itself with its bound parameters written in as literals. It creates `ttr_decided`: the
decided records grouped by decision pattern and report keys (`n` records each), the table the
report is folded from. Rows the SQL does not load or decide exactly are counted there with
`esc` set; `simulate` decides those few in the python engine, a script cannot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlglot.expressions as exp

from ttrules.columnar import sql
from ttrules.columnar.fold import TABLE
from ttrules.columnar.query import REASONS
from ttrules.columnar.run import QUERY_SETTINGS, SOURCE, Source, build_for, column_types
from ttrules.schema.reasons import reason_categories
from ttrules.simulate.run import Options, Side, new_accumulator


def duckdb_script(
    baseline: Side, candidate: Side, history: Path, columns: dict[str, Any], options: Options
) -> str:
    """The script, or `Fallback` where the stacks do not compile to SQL (and HistoryError where
    the history is not a readable Parquet file: the caller has checked that it is one)."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        file_columns = column_types(Source(history, "parquet", columns).relation(con))
    finally:
        con.close()
    acc = new_accumulator(baseline, candidate, options)
    compiled = build_for(file_columns, baseline, candidate, columns, options, acc)
    query = compiled.tree.transform(lambda node: _literal(node, compiled.params))
    statements = [
        *QUERY_SETTINGS,
        _reasons_table(),
        _history_view(history),
        f"CREATE TABLE {TABLE} AS {sql.render(query)}",
    ]
    return "".join(f"{statement};\n" for statement in statements)


def _literal(node: exp.Expression, params: dict[str, Any]) -> exp.Expression:
    """A bound parameter as the literal it binds (the CAST around it stays)."""
    if not isinstance(node, exp.Placeholder):
        return node
    value = params[node.name]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a parameter of type {type(value).__name__} has no literal here")
    return exp.Literal.number(value) if isinstance(value, int) else exp.Literal.string(value)


def _reasons_table() -> str:
    rows = [
        exp.Tuple(expressions=[exp.Literal.string(code), exp.Literal.string(category)])
        for code, category in reason_categories().items()
    ]
    values = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(
            this=exp.to_identifier("r"), columns=[exp.to_identifier("code"), exp.to_identifier("category")]
        ),
    )
    return f"CREATE TABLE {REASONS} AS {exp.select(exp.Star()).from_(values).sql(sql.DIALECT)}"


def _history_view(history: Path) -> str:
    read = exp.Anonymous(
        this="read_parquet",
        expressions=[
            exp.Literal.string(str(history)),
            exp.EQ(this=exp.column("file_row_number"), expression=exp.true()),
        ],
    )
    return f"CREATE VIEW {SOURCE} AS {exp.select(exp.Star()).from_(read).sql(sql.DIALECT)}"
