"""Loading history rows as case fields in SQL, exactly as `parse_case` + `case_values` would.

SQL loads a cell only in the forms it converts exactly as the Python loader does (an amount
written `12.50 MYR`, a timestamp column or an ISO 8601 string, an enum value spelled as the
schema spells it, an integer within the model's bounds …). A row with any present cell
outside those forms *escapes*: the Python loader reads it (and reports it with its row
number if it is invalid), so no row is decided differently, or lost, because of the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlglot.expressions as exp

from ttrules.columnar import sql
from ttrules.columnar.mapping import INTEGER_TYPES, Cell, map_cells, nonblank
from ttrules.columnar.sql import Params, and_, case, col, func, not_, or_
from ttrules.config import ColumnSpec
from ttrules.schema import case as case_model
from ttrules.schema import types as t
from ttrules.schema.enums import ENUMS, QUALITY_REASONS
from ttrules.schema.fields import Schema

AMOUNT_SCALE = 6
AMOUNT = f"DECIMAL(38,{AMOUNT_SCALE})"  # amounts with up to 6 decimals load in SQL; others escape
MICROS_PER_DAY = 86_400_000_000
# An amount in a case is never negative (schema/case.py): a cell with a minus sign is left to
# the Python loader, which reports the row.
_MONEY = "^[0-9]{1,20}(\\.[0-9]{1,6})? [A-Z]{3}$"
_AMOUNT = "^[0-9]{1,20}(\\.[0-9]{1,6})?$"
_NUMBER = "^-?[0-9]{1,20}(\\.[0-9]{1,6})?$"
_ISO = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?(Z|[+-]00:00)?$"
_PRINTABLE_ASCII = "^[ -~]*$"
_CANONICAL_INT = "^(0|-?[1-9][0-9]{0,17})$"  # fits BIGINT
_INTEGER_TYPES = INTEGER_TYPES
# Money fields whose bare amounts ("12.50", 12) are in the order's currency (Case._currencies).
_BARE = (
    "order.total",
    "request.refund_amount",
    "request.return_shipping_fee",
    "request.items_value",
    "dropship.item_cost",
    "outcome.refunded",
)
_TIMESTAMP_TYPES = {"TIMESTAMP WITH TIME ZONE", "TIMESTAMP"}
# What the case model enforces and defaults, read from it (ttrules.schema.case).
_BOUNDS = case_model.load_bounds()
_REQUIRED = case_model.required_paths()
_DEFAULTS = case_model.load_defaults()
# The model's type of each built-in field of the namespaces, as far as loading is concerned.
_MODEL_TYPES: dict[str, t.Type] = {
    "outcome.decision": t.STR,
    "outcome.refunded": t.MONEY,
    "outcome.abuse": t.BOOL,
    "outcome.handling_minutes": t.NUMBER,
    "order.currency": t.STR,
}


def _built_in(path: str) -> bool:
    """Whether a field is one of the case model's (else an extension of the schema's)."""
    namespace, _, name = path.partition(".")
    model = case_model.NAMESPACE_MODELS.get(namespace)
    return model is not None and name in model.model_fields


class StagingError(Exception):
    """The history cannot be loaded in SQL at all (a mapping SQL does not do); say why."""


@dataclass(frozen=True)
class FieldColumns:
    """Where a loaded field's value is: one column, and a currency column for money."""

    value: exp.Expression
    currency: exp.Expression | None = None

    @property
    def present(self) -> exp.Expression:
        return sql.not_null(self.value)


@dataclass
class Staging:
    """The `staged` relation: one column per field the rules read, and `_escape`."""

    file_columns: Mapping[str, str]  # column name -> DuckDB type
    schema: Schema
    mapping: Mapping[str, str | ColumnSpec]
    params: Params
    loads: dict[str, exp.Expression] = field(default_factory=dict)  # first stage: cells
    projections: dict[str, exp.Expression] = field(default_factory=dict)  # second: fields
    rates: dict[str, exp.Expression] = field(default_factory=dict)  # third: FX rates of fields
    _rate_names: dict[str, str] = field(default_factory=dict)  # rate SQL -> its column
    _currencies: set[str] = field(default_factory=set)  # the staged fields' currency columns
    _fields: dict[str, FieldColumns] = field(default_factory=dict)
    _cells: dict[str, Cell] = field(default_factory=dict)  # case path -> its (mapped) cell
    _mapping_escapes: list[exp.Expression] = field(default_factory=list)

    def __post_init__(self) -> None:
        money = {p for p, f in self.schema.fields.items() if f.type.kind == "money"}
        money |= {p for p, type_ in _MODEL_TYPES.items() if type_.kind == "money"}
        mapped = map_cells(self.mapping, self.file_columns, money, self.params)
        self._cells, self._mapping_escapes = mapped.cells, mapped.escapes
        used = {s if isinstance(s, str) else s.column for s in self.mapping.values()}
        for name, kind in self.file_columns.items():
            # Unmapped columns that name a case field pass through (Mapper.apply).
            if (
                name not in used
                and name not in self._cells
                and ("." in name or name in case_model.NAMESPACES)
            ):
                self._cells[name] = Cell(col(name), kind)

    # ---- raw cells ------------------------------------------------------------------------

    def _raw(self, path: str) -> tuple[exp.Expression, str] | None:
        cell = self._cells.get(path)
        return None if cell is None else (cell.value, cell.kind)

    def _nonblank(self, cell: exp.Expression) -> exp.Expression:
        return nonblank(cell, self.params)

    def _present(self, path: str) -> exp.Expression:
        raw = self._raw(path)
        if raw is None:
            return sql.FALSE
        cell, kind = raw
        if kind == "VARCHAR":
            return and_(sql.not_null(cell), self._nonblank(cell))
        return sql.not_null(cell)

    # ---- typed loading: (value, canonical) per type ----------------------------------------

    def _load(self, path: str, type_: t.Type) -> tuple[FieldColumns, exp.Expression]:
        """The field's columns, and the condition that its cell is absent or loads exactly.

        Each cell is converted once, in the first stage: its value where it loads exactly,
        else NULL. A NULL value is then either an absent cell (NULL or blank: the field is
        missing) or one SQL does not load (the row escapes)."""
        raw = self._raw(path)
        money = type_.kind == "money"
        if raw is None:
            return FieldColumns(sql.NULL, sql.NULL if money else None), sql.TRUE
        name = f"l:{path}:{type_.kind}"
        cell, kind = raw
        if name not in self.loads:
            value, currency, exact = self._convert(cell, kind, type_, path)
            if kind == "VARCHAR" and sql.is_true(exact):
                exact = self._nonblank(cell)
            self.loads[name] = value if sql.is_true(exact) else case([(exact, value)], sql.NULL)
            if currency is not None:
                self.loads[name + "$cur"] = currency
        value = col(name)
        # Evaluated in a later stage, where the value is a column (a reference to it in the same
        # SELECT would compute the conversion a second time).
        absent = sql.is_null(cell)
        if kind == "VARCHAR":
            absent = or_(absent, not_(self._nonblank(cell)))
        currency = None
        if money:
            own = col(name + "$cur")
            if path in _BARE:  # a bare amount is in the order's currency
                own = exp.Coalesce(this=own, expressions=[self._order_currency()])
            currency = case([(sql.not_null(value), own)], sql.NULL)
        return FieldColumns(value, currency), or_(sql.not_null(value), absent)

    def _order_currency(self) -> exp.Expression:
        """order.total's own currency, else order.currency upper-cased (Case._currencies)."""
        name = "l:order.total:money"
        if name not in self.loads:
            self._load("order.total", t.MONEY)
        own = col(name + "$cur") if name in self.loads else sql.NULL
        stated = self._raw("order.currency")
        if stated is None or stated[1] != "VARCHAR":
            return own
        upper = case([(self._present("order.currency"), exp.Upper(this=stated[0]))], sql.NULL)
        return exp.Coalesce(this=own, expressions=[upper])

    def has(self, path: str) -> exp.Expression:
        """The field's cell is present and loaded (for rows that do not escape: present)."""
        spec = self.schema.fields.get(path)
        loaded, _ = self._load(path, spec.type if spec else _MODEL_TYPES[path])
        return sql.not_null(loaded.value) if loaded.value is not sql.NULL else sql.FALSE

    def _convert(
        self,
        cell: exp.Expression,
        kind: str,
        type_: t.Type,
        path: str,
    ) -> tuple[exp.Expression, exp.Expression | None, exp.Expression]:
        p = self.params
        if type_.kind in ("str",) and kind == "VARCHAR":
            return cell, None, sql.TRUE
        if type_.kind == "enum" and kind == "VARCHAR":
            members = ENUMS[type_.enum]
            return cell, None, sql.member(cell, [p.text(m) for m in members])
        if type_.kind == "bool" and kind == "BOOLEAN":
            return cell, None, sql.TRUE
        if type_.kind == "bool" and kind == "VARCHAR" and _built_in(path):
            # The case model reads "true" and "false" (and more spellings, left to it); an
            # extension's bool must be a JSON boolean, so a text cell always goes to Python.
            return (
                exp.EQ(this=cell, expression=p.text("true")),
                None,
                sql.member(cell, [p.text("true"), p.text("false")]),
            )
        if type_.kind == "int" and (kind in _INTEGER_TYPES or kind == "VARCHAR"):
            if kind == "VARCHAR":  # a CSV cell: the canonical form only, which both loaders read
                value = sql.try_cast(cell, "BIGINT")
                checks = [func("regexp_matches", cell, p.text(_CANONICAL_INT)), sql.not_null(value)]
            else:
                value = sql.cast(cell, "BIGINT") if kind != "UBIGINT" else sql.try_cast(cell, "BIGINT")
                checks = [sql.not_null(value)]
            low, high = _BOUNDS.get(path, (None, None))
            if low is not None:
                checks.append(exp.GTE(this=value, expression=sql.lit(low)))
            if high is not None:
                checks.append(exp.LTE(this=value, expression=sql.lit(high)))
            return value, None, and_(*checks)
        if type_.kind == "number" and (kind in _INTEGER_TYPES or kind.startswith("DECIMAL")):
            value = sql.try_cast(cell, AMOUNT)
            return value, None, exp.EQ(this=value, expression=cell)
        if type_.kind == "number" and kind == "VARCHAR":  # the canonical form casts exactly
            return sql.try_cast(cell, AMOUNT), None, func("regexp_matches", cell, p.text(_NUMBER))
        if type_.kind == "money":
            return self._amount(cell, kind, path)
        if type_.kind == "timestamp" and kind in _TIMESTAMP_TYPES:
            return func("epoch_us", cell), None, sql.TRUE
        if type_.kind == "timestamp" and kind == "VARCHAR":
            value = func("epoch_us", sql.try_cast(cell, "TIMESTAMPTZ"))
            return value, None, and_(func("regexp_matches", cell, p.text(_ISO)), sql.not_null(value))
        if (
            type_.kind == "set"
            and kind == "VARCHAR[]"
            and type_.element is not None
            and type_.element.kind == "enum"
        ):
            members = exp.Array(expressions=[p.text(m) for m in ENUMS[type_.element.enum]])
            exact = and_(
                func("list_has_all", members, cell),
                exp.EQ(this=func("list_count", cell), expression=func("len", cell)),
            )
            return cell, None, exact
        return sql.NULL, sql.NULL if type_.kind == "money" else None, sql.FALSE

    def _amount(
        self,
        cell: exp.Expression,
        kind: str,
        path: str,
    ) -> tuple[exp.Expression, exp.Expression | None, exp.Expression]:
        """(amount, its currency, exact) of a money cell: "12.50 MYR"; an amount in the currency
        of a `currency:` mapping; or a bare amount, whose currency (NULL here) is the order's."""
        p = self.params
        mapped = self._cells[path].currency if path in self._cells else None
        number = path in _BARE or mapped is not None  # a cell may hold just the amount
        currency: exp.Expression = p.text(mapped) if mapped is not None else sql.NULL
        if kind == "VARCHAR":
            bare = func("regexp_matches", cell, p.text(_AMOUNT))
            if mapped is not None:  # Mapper makes {"amount": cell, "currency": …}: a number only
                return sql.try_cast(cell, AMOUNT), currency, bare
            # Canonical: "12.50 MYR", one space; the amount is all but the last four characters.
            full = func("regexp_matches", cell, p.text(_MONEY))
            amount = sql.try_cast(
                func("left", cell, exp.Sub(this=func("length", cell), expression=sql.lit(4))), AMOUNT
            )
            if not number:
                # A cell of that form always casts (20 + 6 digits fit the type): the form is
                # the whole check, and the cast is done only where it holds (the CASE of `_load`).
                return amount, func("right", cell, sql.lit(3)), full
            return (
                case([(full, amount)], sql.try_cast(cell, AMOUNT)),
                case([(full, func("right", cell, sql.lit(3)))], sql.NULL),
                or_(full, bare),
            )
        if number and (kind in _INTEGER_TYPES or kind.startswith("DECIMAL")):
            value = sql.try_cast(cell, AMOUNT)
            exact = and_(exp.EQ(this=value, expression=cell), exp.GTE(this=value, expression=sql.lit(0)))
            return value, currency, exact
        return sql.NULL, sql.NULL, sql.FALSE

    # ---- the fields a rule reads --------------------------------------------------------

    def field(self, path: str) -> FieldColumns:
        if path not in self._fields:
            columns = self._field(path)
            name = f"f:{path}"
            self.projections[name] = columns.value
            staged = FieldColumns(col(name))
            if columns.currency is not None:
                self.projections[name + "$cur"] = columns.currency
                staged = FieldColumns(col(name), col(name + "$cur"))
                self._currencies.add(name + "$cur")
            self._fields[path] = staged
        return self._fields[path]

    def rated(self, currency: exp.Expression, rate: exp.Expression) -> exp.Expression:
        """`rate`, the FX rate of `currency`, as a column of its own when the currency is a
        field's: a rule converting an amount reads it several times. (Keyed by its SQL: the
        two stacks may have different FX tables.)"""
        if not isinstance(currency, exp.Column) or currency.name not in self._currencies:
            return rate
        key = sql.render(rate)
        if key not in self._rate_names:
            self._rate_names[key] = f"{currency.name}$rate{len(self._rate_names)}"
            self.rates[self._rate_names[key]] = rate
        return col(self._rate_names[key])

    def _field(self, path: str) -> FieldColumns:
        spec = self.schema.fields[path]
        derived = self._derived(path)
        if derived is not None:
            return derived
        loaded, _ = self._load(path, spec.type)
        if path in _DEFAULTS:
            default = self._constant(_DEFAULTS[path])
            return FieldColumns(exp.Coalesce(this=loaded.value, expressions=[default]))
        return loaded

    def _constant(self, value: Any) -> exp.Expression:
        if isinstance(value, bool):
            return sql.TRUE if value else sql.FALSE
        if isinstance(value, int):
            return sql.lit(value)
        if isinstance(value, list) and not value:
            return sql.cast(exp.Array(expressions=[]), "VARCHAR[]")
        return self.params.text(str(value))

    def _loaded(self, path: str, type_: t.Type | None = None) -> FieldColumns:
        spec = self.schema.fields.get(path)
        return self._load(path, type_ or (spec.type if spec else _MODEL_TYPES[path]))[0]

    def _derived(self, path: str) -> FieldColumns | None:
        coalesce = exp.Coalesce
        if path == "order.currency":
            return FieldColumns(self._loaded("order.total").currency or sql.NULL)
        if path == "request.refund_amount":
            asked, total = self._loaded(path), self._loaded("order.total")
            return FieldColumns(
                coalesce(this=asked.value, expressions=[total.value]),
                coalesce(this=asked.currency, expressions=[total.currency]),
            )
        if path == "case.now":
            return FieldColumns(
                coalesce(
                    this=self._loaded("case.now").value,
                    expressions=[self._loaded("request.created_at").value],
                )
            )
        if path == "case.id":
            ids = [self._loaded(p, t.STR).value for p in ("case.id", "request.id", "order.id")]
            nonempty = [
                (and_(sql.not_null(v), exp.NEQ(this=v, expression=self.params.text(""))), v) for v in ids[:2]
            ]
            return FieldColumns(case(nonempty, coalesce(this=ids[2], expressions=[self.params.text("")])))
        if path == "request.reason":
            return FieldColumns(self._reason())
        if path == "request.is_quality_issue":
            given = self._loaded(path).value
            reason = self._reason()
            quality = sql.member(reason, [self.params.text(r) for r in sorted(QUALITY_REASONS)])
            return FieldColumns(
                case([(sql.not_null(given), given), (sql.not_null(reason), quality)], sql.NULL)
            )
        if path == "logistics.days_since_last_scan":
            scan = self._loaded("logistics.last_scan_at").value
            return FieldColumns(case([(sql.not_null(scan), self._days(self._now(), scan))], sql.NULL))
        if path == "logistics.days_late":
            expected = self._loaded("order.expected_delivery_at").value
            reference = coalesce(this=self._loaded("order.delivered_at").value, expressions=[self._now()])
            return FieldColumns(case([(sql.not_null(expected), self._days(reference, expected))], sql.NULL))
        if path == "logistics.late_by":  # microseconds, as every duration in SQL
            expected = self._loaded("order.expected_delivery_at").value
            reference = coalesce(this=self._loaded("order.delivered_at").value, expressions=[self._now()])
            late = func("greatest", sql.lit(0), exp.Sub(this=reference, expression=expected))
            return FieldColumns(case([(sql.not_null(expected), late)], sql.NULL))
        return None

    def _now(self) -> exp.Expression:
        derived = self._derived("case.now")
        assert derived is not None
        return derived.value

    @staticmethod
    def _days(later: exp.Expression, earlier: exp.Expression) -> exp.Expression:
        # max(0, floor(seconds / 86400)): a negative difference is 0 either way, and for a
        # non-negative one integer division is the floor.
        difference = exp.Sub(this=later, expression=earlier)
        return func(
            "greatest",
            sql.lit(0),
            exp.IntDiv(this=exp.Paren(this=difference), expression=sql.lit(MICROS_PER_DAY)),
        )

    def outcome(self, name: str) -> FieldColumns:
        """An `outcome.*` field of the record (what really happened; rules never read it)."""
        return self._loaded(f"outcome.{name}")

    def _reason(self) -> exp.Expression:
        given = self._loaded("request.reason").value
        code = self._loaded("request.reason_code", t.STR).value
        looked_up = exp.Coalesce(
            this=exp.column("category", table="r1"),
            expressions=[exp.column("category", table="r2"), self.params.text("OTHER")],
        )
        return case([(sql.not_null(given), given), (sql.not_null(code), looked_up)], sql.NULL)

    def reason_joins(self) -> list[tuple[str, exp.Expression]]:
        """The two lookups of `category_of`: the code as written, then stripped and lower-cased."""
        code = self._loaded("request.reason_code", t.STR).value
        # Normalised only where the code as written is not in the table: most codes are.
        stripped = case(
            [(sql.is_null(exp.column("category", table="r1")), func("lower", exp.Trim(this=code)))], sql.NULL
        )
        return [
            ("r1", exp.EQ(this=exp.column("code", table="r1"), expression=code)),
            ("r2", exp.EQ(this=exp.column("code", table="r2"), expression=stripped)),
        ]

    # ---- rows SQL does not load ---------------------------------------------------------

    def escape(self, extension_schemas: list[Schema]) -> exp.Expression:
        """True where some present cell is outside the forms loaded exactly in SQL."""
        reasons: list[exp.Expression] = list(self._mapping_escapes)
        for path in _REQUIRED:
            reasons.append(not_(self.has(path)))
        extensions = {f.path: f.type for s in extension_schemas for f in s.extensions}
        for path in sorted(self._cells):
            reasons.append(self._cell_escapes(path, extensions))
        total = self._loaded("order.total")
        # A bare order total and no order.currency: the case model refuses the record.
        reasons.append(and_(sql.not_null(total.value), sql.is_null(total.currency or sql.NULL)))
        currency_cell = self._raw("order.currency")
        if currency_cell is not None:
            stated = exp.Upper(this=currency_cell[0])
            reasons.append(
                and_(
                    self.has("order.currency"),
                    or_(
                        not_(func("regexp_matches", currency_cell[0], self.params.text(_PRINTABLE_ASCII))),
                        sql.nonnull(exp.NEQ(this=stated, expression=total.currency)),
                    ),
                )
            )
        code = self._raw("request.reason_code")
        if code is not None:  # not in the table as written: strip() and lower() must agree
            reasons.append(
                and_(
                    self.has("request.reason_code"),
                    sql.is_null(exp.column("category", table="r1")),
                    not_(func("regexp_matches", code[0], self.params.text(_PRINTABLE_ASCII))),
                )
            )
        return or_(*reasons)

    def _escapes(self, path: str, type_: t.Type) -> exp.Expression:
        raw = self._raw(path)
        assert raw is not None
        kind = raw[1]
        if (type_.kind, kind) in _ALWAYS_EXACT or (type_.kind == "timestamp" and kind in _TIMESTAMP_TYPES):
            return sql.FALSE  # every present cell of this type loads exactly
        if f"l:{path}:{type_.kind}" in self.loads:  # loaded for a rule: reuse its conversion
            return not_(self._load(path, type_)[1])
        # Only validated: check the cell's form without converting it.
        cell = raw[0]
        _, _, exact = self._convert(cell, kind, type_, path)
        absent = sql.is_null(cell)
        if kind == "VARCHAR":
            absent = or_(absent, not_(self._nonblank(cell)))
        return not_(or_(exact, absent))  # the common case first: OR stops there

    def _cell_escapes(self, path: str, extensions: Mapping[str, t.Type]) -> exp.Expression:
        namespace, _, name = path.partition(".")
        present = self._present(path)  # only for cells no type is loaded for (rare)
        if namespace == "source" and name:
            return sql.FALSE  # where a record came from; never read
        if not name or "." in name or namespace not in case_model.NAMESPACE_MODELS:
            return present  # nested or unknown: the Python loader decides what it means
        if _built_in(path):
            spec = self.schema.fields.get(path)
            type_ = spec.type if spec is not None else _MODEL_TYPES.get(path)
            if type_ is None:
                return present
            if path == "request.reason_code":
                type_ = t.STR
            return self._escapes(path, type_)
        if path in extensions:
            return self._escapes(path, extensions[path])
        return sql.FALSE  # an extra key the case model keeps and rules do not read


_ALWAYS_EXACT = {("str", "VARCHAR"), ("bool", "BOOLEAN")}
