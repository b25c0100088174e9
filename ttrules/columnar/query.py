"""The whole simulation query: history rows in, one narrow row of both decisions out.

    read_parquet → staged case fields → FX rates of their currencies → (per stack) applies
    → settings → limits → rules → vetoes → winners → decision → the `decided` row (what the
    report aggregates)

Both stacks are computed in the same pass over the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import zip_longest
from typing import Any

import sqlglot.expressions as exp

from ttrules.columnar import sql
from ttrules.columnar.decisions import SideColumns, SideCompiler, Signatures, Stage, refund_terms
from ttrules.columnar.sql import Params, and_, case, col, func, not_, or_
from ttrules.columnar.staging import FieldColumns, Staging
from ttrules.columnar.terms import Terms
from ttrules.config import Config
from ttrules.evaluate.decision import ActionValue
from ttrules.evaluate.prepare import PreparedStack
from ttrules.schema.fields import Schema
from ttrules.simulate.metrics import (
    BREAKDOWNS,
    GAMING_BAND,
    HISTOGRAM_BIN,
    HISTOGRAM_BINS,
    REFUNDING_KINDS,
    Threshold,
)

REASONS = "ttr_reasons"  # the official reason codes and their categories (code, category)


@dataclass
class CompiledQuery:
    sql: str
    params: dict[str, Any]
    tree: exp.Expression  # what `sql` renders, its values as the parameters `params` binds
    sides: dict[str, SideColumns]
    resolutions: dict[int, ActionValue]  # resolution code -> a value with that signature
    thresholds: list[Threshold]


def build_query(
    source: exp.Expression,
    file_columns: dict[str, str],
    baseline: PreparedStack,
    candidate: PreparedStack,
    schemas: tuple[Schema, Schema],
    config: Config,
    mapping: dict[str, Any],
    thresholds: list[Threshold],
    samples: int = 10,
) -> CompiledQuery:
    params = Params()
    schema = _union(*schemas)
    staging = Staging(file_columns, schema, mapping, params)
    signatures = Signatures()
    compilers = {
        name: SideCompiler(prefix, prepared, staging.field, side_schema, params, signatures, staging.rated)
        for name, prefix, prepared, side_schema in (
            ("baseline", "b_", baseline, schemas[0]),
            ("candidate", "c_", candidate, schemas[1]),
        )
    }
    side_stages = [compilers[name].compile() for name in ("baseline", "candidate")]
    stages, same = _share(*side_stages)
    resolutions = {**compilers["baseline"].resolutions, **compilers["candidate"].resolutions}
    stages.append(
        {
            name: _renamed(value, same)
            for name, value in _refund_stage(staging, compilers, resolutions, params).items()
        }
    )
    final = {
        name: _renamed(value, same)
        for name, value in _final_stage(staging, compilers, params, config, thresholds, same).items()
    }
    escape = staging.escape(list(schemas))
    staged = {"_row": col("file_row_number"), "_escape_load": sql.nonnull(escape), **staging.projections}
    query = _assemble(source, staging, staged, stages, final, samples)
    used = {node.name for node in query.find_all(exp.Placeholder)}
    bound = {name: value for name, value in params.values.items() if name in used}
    return CompiledQuery(
        sql.render(query),
        bound,
        query,
        {n: c.columns().renamed(same) for n, c in compilers.items()},
        resolutions,
        thresholds,
    )


def _share(baseline: list[Stage], candidate: list[Stage]) -> tuple[list[Stage], dict[str, str]]:
    """Both stacks' stages side by side, computing once what they compute alike.

    A what-if change touches a few rules; the others, and the settings and `applies` they
    read, compile to the same SQL in both stacks. A column whose expression (with the columns
    it reads renamed the same way) equals one already computed, in this stage or an earlier
    one, is not computed again: later stages read the first one instead. A column's value is a
    function of its SQL text alone, so this is exact whatever the two stacks are.
    """
    same: dict[str, str] = {}
    computed: dict[str, str] = {}  # SQL text -> the column computing it
    merged: list[Stage] = []
    for b_stage, c_stage in zip_longest(baseline, candidate, fillvalue={}):
        stage: Stage = {}
        for name, value in (*b_stage.items(), *c_stage.items()):
            value = _renamed(value, same)
            text = sql.render(value)
            if text in computed:
                same[name] = computed[text]  # only later stages read it: same stage is fine
            else:
                computed[text] = name
                stage[name] = value
        merged.append(stage)
    return merged, same


def _renamed(node: exp.Expression, names: dict[str, str]) -> exp.Expression:
    if not names:
        return node
    for column in list(node.find_all(exp.Column)):
        if column.name in names:
            column.set("this", exp.Identifier(this=names[column.name], quoted=True))
    if isinstance(node, exp.Column) and node.name in names:
        return col(names[node.name])
    return node


def _union(a: Schema, b: Schema) -> Schema:
    fields = dict(a.fields)
    for path, spec in b.fields.items():
        if path in fields and fields[path].type != spec.type:
            from ttrules.columnar.terms import Unsupported

            raise Unsupported(f"field `{path}` has different types in the two stacks")
        fields[path] = spec
    return Schema(fields, a.enums)


def _assemble(
    source: exp.Expression, staging: Staging, staged: Stage, stages: list[Stage], final: Stage, samples: int
) -> exp.Expression:
    # copy=False throughout: the trees are built once and never shared, and sqlglot's default
    # deep copies cost seconds on a large stack.
    def projections(stage: Stage) -> list[exp.Expression]:
        return [exp.alias_(v, n, quoted=True, copy=False) for n, v in stage.items()]

    cells = exp.select(exp.Star(), *projections(staging.loads), copy=False).from_(source, copy=False)
    fields = exp.select(exp.Star(), *projections(staged), copy=False).from_("cells", copy=False)
    for alias, condition in staging.reason_joins():
        fields = fields.join(
            exp.alias_(exp.to_table(REASONS), alias, table=True),
            on=condition,
            join_type="left",
            copy=False,
        )
    ctes = [("cells", cells), ("s0", fields)]
    if staging.rates:
        ctes.append(
            ("s1", exp.select(exp.Star(), *projections(staging.rates), copy=False).from_("s0", copy=False))
        )
    for stage in (s for s in stages if s):
        ctes.append(
            (
                f"s{len(ctes)}",
                exp.select(exp.Star(), *projections(stage), copy=False).from_(ctes[-1][0], copy=False),
            )
        )
    rows = exp.select(*projections(final), copy=False).from_(ctes[-1][0], copy=False)
    ctes.append(("decided_rows", rows))
    query = _grouped(final, samples).from_("decided_rows", copy=False)
    for name, body in ctes:
        query = query.with_(name, as_=body, copy=False)
    return query


SUMMED = (
    "total",
    "postage",
    "b_refund",
    "c_refund",
    "b_refund_rep",
    "c_refund_rep",
    "asked",
    "hrefund",
    "minutes",
)
FIRST_ERRORED = {"b_first_err": "b_errored", "c_first_err": "c_errored"}


def _grouped(final: Stage, samples: int) -> exp.Select:
    """The decided rows grouped by everything the report reads but amounts: records with the
    same decisions and keys become one row with a count `n` and the sums of their amounts.
    Tens of thousands of groups stand for millions of records, so the table the report is
    aggregated from is written in a fraction of the time; the first changed rows (for the
    samples) and the escaped rows (for the python engine) are kept by row number."""
    keys = [name for name in final if name not in SUMMED and name != "_row"]
    row = col("_row")
    aggregates = [exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True, copy=False)]
    aggregates += [exp.alias_(exp.Sum(this=col(name)), name, quoted=True, copy=False) for name in SUMMED]
    changed = and_(col("changed"), not_(col("esc")))
    if samples:
        first = exp.Filter(this=func("min", row, sql.lit(samples)), expression=exp.Where(this=changed))
        aggregates.append(exp.alias_(first, "first_changed", quoted=True, copy=False))
    for name, flag in FIRST_ERRORED.items():  # for the message of each rule's first error
        first_error = exp.Filter(
            this=func("min", row), expression=exp.Where(this=and_(col(flag), not_(col("esc"))))
        )
        aggregates.append(exp.alias_(first_error, name, quoted=True, copy=False))
    escaped = exp.Filter(this=func("list", row), expression=exp.Where(this=col("esc")))
    aggregates.append(exp.alias_(escaped, "escaped_rows", quoted=True, copy=False))
    return exp.select(*[col(k) for k in keys], *aggregates, copy=False).group_by(
        *[col(k) for k in keys], copy=False
    )


def _refund_stage(
    staging: Staging, compilers: dict[str, SideCompiler], resolutions: dict[int, ActionValue], params: Params
) -> Stage:
    """Each stack's automatic refund (amount, currency) of the record, as columns."""
    kind = staging.field("request.kind").value
    asked = staging.field("request.refund_amount")
    out: Stage = {}
    for compiler in compilers.values():
        p = compiler.prefix
        amount, currency = refund_terms(
            resolutions, col(p + "resolution"), kind, asked, params, REFUNDING_KINDS
        )
        out[p + "refund"] = amount
        out[p + "refund_cur"] = currency
    return out


def _final_stage(
    staging: Staging,
    compilers: dict[str, SideCompiler],
    params: Params,
    config: Config,
    thresholds: list[Threshold],
    same: dict[str, str],
) -> Stage:
    terms = Terms(staging.field, {}, params, config.fx_rates(), once=staging.rated)
    out: Stage = {"_row": col("_row")}
    escapes = [col("_escape_load")] + [col(f"{p}esc") for p in ("b_", "c_")]
    out["esc"] = or_(*escapes)
    differs = [
        exp.NEQ(this=col(f"b_{slot}"), expression=col(f"c_{slot}"))
        for slot in ("resolution", "fulfillment", "route")
    ]
    out["changed"] = or_(*differs)
    for group, path in BREAKDOWNS.items():
        out[f"k_{group}"] = exp.Coalesce(this=staging.field(path).value, expressions=[params.text("(none)")])
    total = staging.field("order.total")
    postage = staging.field("request.return_shipping_fee")
    asked = staging.field("request.refund_amount")
    refunding = sql.nonnull(
        sql.member(staging.field("request.kind").value, [params.text(k) for k in sorted(REFUNDING_KINDS)])
    )
    refunded = staging.outcome("refunded")
    minutes = staging.outcome("handling_minutes").value
    out.update(
        {
            "total": total.value,
            "total_cur": total.currency or sql.NULL,
            "postage": postage.value,
            "postage_cur": postage.currency or sql.NULL,
            "asked": case([(refunding, asked.value)], sql.NULL),
            "asked_cur": case([(refunding, asked.currency or sql.NULL)], sql.NULL),
            "hrefund": refunded.value,
            "hrefund_cur": refunded.currency or sql.NULL,
            # The labels of a backtest (simulate/backtest.py): NULL where the record has none.
            "abuse": staging.outcome("abuse").value,
            "agent": staging.outcome("decision").value,
            "timed": sql.not_null(minutes),
            "minutes": minutes,
        }
    )
    for compiler in compilers.values():
        p = compiler.prefix
        for column in (
            "resolution",
            "fulfillment",
            "route",
            "w_resolution",
            "w_fulfillment",
            "w_route",
            "overridden",
            "errored",
            "vetoed",
        ):
            out[p + column] = col(p + column)
        side = compiler.columns().renamed(same)
        for name in side.outputs:
            out[name] = col(name)  # a column both stacks share is kept once
        for name, columns, bits, offset in side.packed:
            # The decided table stays narrow: many small values in one BIGINT each.
            parts = [
                exp.Mul(
                    this=sql.cast(exp.Add(this=col(c), expression=sql.lit(offset)), "BIGINT"),
                    expression=sql.lit(1 << (bits * j)),
                )
                for j, c in enumerate(columns)
            ]
            out[name] = sql.total(parts)
        # The refund is a column of the stage before (see _refund_stage): read, not recomputed.
        amount, currency = col(p + "refund"), col(p + "refund_cur")
        out[p + "refund"] = amount
        out[p + "refund_cur"] = currency
        out[p + "refund_rep"] = exp.Coalesce(this=terms.in_report(amount, currency), expressions=[sql.lit(0)])
        # Whether a record goes to review, keeps its goods or has its postage paid follows
        # from its resolution code and keys: fold.py asks the grouped table, not each row.
    rate = terms.rate(total.currency or sql.NULL)
    in_report = exp.Mul(this=total.value, expression=rate)
    bin_index = func("trunc", exp.Mul(this=in_report, expression=params.decimal(1 / HISTOGRAM_BIN)))
    out["hist"] = case(
        [
            (
                sql.not_null(rate),
                func(
                    "least",
                    func("greatest", sql.cast(bin_index, "BIGINT"), sql.lit(0)),
                    sql.lit(HISTOGRAM_BINS),
                ),
            )
        ],
        sql.NULL,
    )
    for i, threshold in enumerate(thresholds):
        out[f"band{i}"] = _band(staging.field(threshold.field), threshold, terms, params)
    return out


def _band(value: FieldColumns, threshold: Threshold, terms: Terms, params: Params) -> exp.Expression:
    """1 just below the threshold, 2 just above (metrics.Accumulator._band), else 0."""
    if value.currency is None:
        return sql.lit(0)
    t_amount, t_currency = threshold.amount.amount, threshold.amount.currency
    low, high = t_amount * (1 - GAMING_BAND), t_amount * (1 + GAMING_BAND)
    same = sql.nonnull(exp.EQ(this=value.currency, expression=params.text(t_currency)))

    def bands(v: exp.Expression, scale: Decimal) -> exp.Expression:
        def bound(x: Decimal) -> exp.Expression:
            return params.decimal(x * scale)

        below = and_(exp.LTE(this=bound(low), expression=v), exp.LT(this=v, expression=bound(t_amount)))
        above = and_(exp.LTE(this=bound(t_amount), expression=v), exp.LTE(this=v, expression=bound(high)))
        return case([(below, sql.lit(1)), (above, sql.lit(2))], sql.lit(0))

    rates = terms.fx
    converted = exp.Mul(this=value.value, expression=terms.rate(value.currency))
    other = bands(converted, rates[t_currency]) if t_currency in rates else sql.lit(0)
    rated = sql.not_null(terms.rate(value.currency))
    return case(
        [(sql.is_null(value.value), sql.lit(0)), (same, bands(value.value, Decimal(1))), (rated, other)],
        sql.lit(0),
    )
