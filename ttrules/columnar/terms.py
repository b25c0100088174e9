"""Expressions as SQL: every rule expression becomes (value, ok, missing) columns.

This follows the reference interpreter (ttrules/evaluate/interpret.py) node for node:
- `ok` is never NULL and says the expression evaluates without error; `missing` says an
  error is a missing field or setting (the one error `??` recovers from);
- `and`, `or`, `between` and the arguments of a call keep the reference's left-to-right,
  short-circuit order, so the same cases error;
- money is an exact DECIMAL amount and a currency; a comparison converts with FX rates by
  cross-multiplying (never dividing, as DuckDB's DECIMAL division gives a DOUBLE);
- what SQL cannot compute exactly for a given row (money + money in two currencies, which
  divides by a rate; `lower` of non-ASCII text) sets `escape`, and the Python engine decides
  that row. What SQL cannot express at all raises `Unsupported`, and the stack is simulated
  by the Python engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext

import sqlglot.expressions as exp

from ttrules import ast
from ttrules.columnar import sql
from ttrules.columnar.sql import FALSE, TRUE, Params, and_, case, func, not_, or_
from ttrules.columnar.staging import AMOUNT_SCALE, FieldColumns
from ttrules.schema import types as t
from ttrules.syntax.format import format_expr

MICROS = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS


class Unsupported(Exception):
    """A construct the SQL engine does not compile; the message names it and where it is."""


def where(node: ast.Node) -> str:
    if node.span is None:
        return ""
    line, column = node.span.start_line_col()
    return f" at {node.span.source.display_path()}:{line}:{column}"


@dataclass(frozen=True)
class Term:
    kind: str  # bool int number percent money duration timestamp str set
    value: exp.Expression
    ok: exp.Expression = TRUE
    missing: exp.Expression = FALSE
    currency: exp.Expression | None = None  # money only
    element: str = ""  # set only: the kind of its members
    escape: exp.Expression = FALSE  # SQL cannot compute this row exactly
    scale: int = 0  # decimal places of a number, percent or money amount

    def failed_first(self, *later: Term) -> exp.Expression:
        """`missing` of the first of self, *later that errors (for error kinds)."""
        branches = [(not_(self.ok), self.missing)]
        branches += [(not_(term.ok), term.missing) for term in later]
        return case(branches, FALSE)


_NUMERIC = ("int", "number", "percent")
_SCALAR_KIND = {
    "int": "int",
    "number": "number",
    "percent": "percent",
    "money": "money",
    "duration": "duration",
    "timestamp": "timestamp",
    "str": "str",
    "enum": "str",
    "bool": "bool",
    "set": "set",
}


def _kind(type_: t.Type) -> str:
    return _SCALAR_KIND.get(type_.kind, "")


class Terms:
    """Compiles expressions of one stack against a field source and its settings."""

    def __init__(
        self,
        field: Callable[[str], FieldColumns],
        kinds: Mapping[str, t.Type],
        params: Params,
        fx: Mapping[str, Decimal],
        setting: Callable[[str, ast.Node], Term] | None = None,
        always_present: frozenset[str] = frozenset(),
        once: Callable[[exp.Expression, exp.Expression], exp.Expression] | None = None,
    ) -> None:
        self.field_columns = field
        # Where a field currency's rate is computed once per row instead of at every use.
        self.once = once or (lambda currency, rate: rate)
        self.always_present = always_present
        self.kinds = kinds
        self.params = params
        self.fx = fx
        self.setting = setting

    # ---- FX -----------------------------------------------------------------------------

    def rate(self, currency: exp.Expression) -> exp.Expression:
        """The FX rate of a currency; NULL for a currency without one. A rule's own currency
        (`20 USD`) has its rate bound as a value; a field's is a column computed once."""
        scale = max((scale_of(rate) for rate in self.fx.values()), default=0)
        sql_type = f"DECIMAL(38,{scale})"
        code = self.params.constant(currency)
        if isinstance(code, str):
            rate = self.fx.get(code)
            return sql.cast(sql.NULL, sql_type) if rate is None else self.params.bind(str(rate), sql_type)
        return self.once(
            currency,
            case(
                [
                    (
                        exp.EQ(this=currency, expression=self.params.text(code)),
                        self.params.bind(str(rate), sql_type),
                    )
                    for code, rate in sorted(self.fx.items())
                ],
                sql.NULL,
            ),
        )

    def rated(self, currency: exp.Expression) -> exp.Expression:
        """The currency has an FX rate (decided here for a rule's own currency)."""
        code = self.params.constant(currency)
        if isinstance(code, str):
            return TRUE if code in self.fx else FALSE
        return sql.not_null(self.rate(currency))

    def converts(self, a: Term, b: Term) -> exp.Expression:
        """Converting between the two money values succeeds (equal currencies, or both rated)."""
        assert a.currency is not None and b.currency is not None
        return or_(
            sql.nonnull(exp.EQ(this=a.currency, expression=b.currency)),
            and_(self.rated(a.currency), self.rated(b.currency)),
        )

    def in_report(self, amount: exp.Expression, currency: exp.Expression) -> exp.Expression:
        number, code = self.params.constant(amount), self.params.constant(currency)
        if isinstance(number, str) and isinstance(code, str) and code in self.fx:
            with localcontext() as exact:  # the product to its last digit, as SQL's is
                exact.prec = 2 * 38
                return self.params.decimal(Decimal(number) * self.fx[code])
        return exp.Mul(this=amount, expression=self.rate(currency))

    # ---- expressions --------------------------------------------------------------------

    def term(self, expr: ast.Expr) -> Term:
        match expr:
            case ast.NumberLit(value=v):
                integral = v == v.to_integral_value() and v.as_tuple().exponent == 0
                if integral:
                    return Term("int", self.params.bind(int(v), "BIGINT"))
                return Term("number", self.params.decimal(v), scale=scale_of(v))
            case ast.PercentLit(value=v):
                return Term("percent", self.params.decimal(v / 100), scale=scale_of(v / 100))
            case ast.MoneyLit(amount=a, currency=c):
                return Term("money", self.params.decimal(a), currency=self.params.text(c), scale=scale_of(a))
            case ast.DurationLit(seconds=s):
                return Term("duration", self.params.bind(s * MICROS, "BIGINT"))
            case ast.StringLit(value=v) | ast.EnumLit(name=v):
                return Term("str", self.params.text(v))
            case ast.BoolLit(value=v):
                return Term("bool", TRUE if v else FALSE)
            case ast.SetLit(items=items):
                members = [self.term(i) for i in items]
                kinds = {m.kind for m in members}
                if len(kinds) > 1 or kinds & {"money", "set", "bool"}:
                    raise Unsupported(f"a set of {', '.join(sorted(kinds))}{where(expr)}")
                ok = and_(*[m.ok for m in members])
                missing = members[0].failed_first(*members[1:]) if members else FALSE
                value = exp.Array(expressions=[m.value for m in members])
                element = next(iter(kinds), "str")
                if not members:
                    value = sql.cast(value, "VARCHAR[]")
                return Term(
                    "set", value, ok, missing, element=element, escape=or_(*[m.escape for m in members])
                )
            case ast.FieldRef(path=p):
                return self.field(p, expr)
            case ast.SettingRef(name=n):
                if self.setting is None:
                    raise Unsupported(f"setting `{n}` read where settings are not available{where(expr)}")
                return self.setting(n, expr)
            case ast.Has(target=ast.FieldRef(path=p)):
                return Term("bool", self.field(p, expr).ok)
            case ast.Not(operand=o):
                inner = self.term(o)
                return replace(inner, value=not_(inner.value))
            case ast.Neg(operand=o):
                inner = self.term(o)
                return replace(inner, value=exp.Neg(this=exp.Paren(this=inner.value)))
            case ast.And(items=items):
                return self.sequence([self.term(i) for i in items], conjunction=True)
            case ast.Or(items=items):
                return self.sequence([self.term(i) for i in items], conjunction=False)
            case ast.Compare(op=op, left=left, right=right):
                return self.compare(op, left, right, expr)
            case ast.Between(value=v, low=lo, high=hi):
                return self.between(self.term(v), self.term(lo), self.term(hi), expr)
            case ast.In():
                return self.membership(expr)
            case ast.Coalesce(value=v, default=d):
                return self.coalesce(self.term(v), self.term(d), expr)
            case ast.Arith(op=op, left=left, right=right):
                return self.arith(op, self.term(left), self.term(right), expr)
            case ast.Call(name=name, args=args):
                return self.call(name, args, expr)
        raise Unsupported(f"`{format_expr(expr)}`{where(expr)}")

    def field(self, path: str, node: ast.Node) -> Term:
        type_ = self.kinds.get(path)
        kind = _kind(type_) if type_ is not None else ""
        if not kind or (
            kind == "set"
            and (type_ is None or type_.element is None or type_.element.kind not in ("enum", "str"))
        ):
            raise Unsupported(f"field `{path}` of type {type_.display() if type_ else '?'}{where(node)}")
        columns = self.field_columns(path)
        present = columns.present
        if columns.value is sql.NULL:
            present = FALSE
        elif path in self.always_present:
            present = TRUE  # rows where SQL could not load it escape to the Python engine
        return Term(
            kind,
            columns.value,
            present,
            TRUE,
            columns.currency,
            element="str" if kind == "set" else "",
            scale=AMOUNT_SCALE if kind in ("money", "number") else 0,
        )

    def sequence(self, parts: list[Term], conjunction: bool) -> Term:
        ok, reached = TRUE, TRUE
        missing_branches = []
        for part in parts:
            ok = and_(ok, or_(not_(reached), part.ok))
            missing_branches.append((and_(reached, not_(part.ok)), part.missing))
            holds = part.value if conjunction else not_(part.value)
            reached = and_(reached, part.ok, holds)
        value = reached if conjunction else not_(reached)
        return Term("bool", value, ok, case(missing_branches, FALSE), escape=or_(*[p.escape for p in parts]))

    # ---- comparisons --------------------------------------------------------------------

    def compare(self, op: str, left: ast.Expr, right: ast.Expr, node: ast.Node) -> Term:
        days = self._days_comparison(op, left, right, node)
        if days is not None:
            return days
        return self.compare_terms(op, self.term(left), self.term(right), node)

    def compare_terms(self, op: str, a: Term, b: Term, node: ast.Node) -> Term:
        value, own_ok = self._compare_values(op, a, b, node)
        ok = and_(a.ok, b.ok, own_ok)
        return Term("bool", value, ok, a.failed_first(b), escape=or_(a.escape, b.escape))

    def _compare_values(
        self,
        op: str,
        a: Term,
        b: Term,
        node: ast.Node,
    ) -> tuple[exp.Expression, exp.Expression]:
        """(a op b, the comparison itself succeeds) for two values that evaluated."""
        if a.kind == "money" and b.kind == "money":
            assert a.currency is not None and b.currency is not None
            same = sql.nonnull(exp.EQ(this=a.currency, expression=b.currency))
            direct = _op(op, a.value, b.value)
            converted = _op(op, self.in_report(a.value, a.currency), self.in_report(b.value, b.currency))
            return case([(same, direct)], converted), self.converts(a, b)
        if a.kind in _NUMERIC and b.kind in _NUMERIC:
            return _op(op, a.value, b.value), TRUE
        if a.kind != b.kind:
            raise Unsupported(f"comparing {a.kind} with {b.kind}{where(node)}")
        if a.kind == "set":
            if op not in ("==", "!="):
                raise Unsupported(f"`{op}` on sets{where(node)}")
            return _op(op, _canonical_set(a.value), _canonical_set(b.value)), TRUE
        if a.kind == "bool" and op not in ("==", "!="):
            return FALSE, FALSE  # the reference: `<` does not order true/false
        return _op(op, a.value, b.value), TRUE

    def _days_comparison(
        self,
        op: str,
        left: ast.Expr,
        right: ast.Expr,
        node: ast.Node,
    ) -> Term | None:
        """`days(d) < 7` as `d < 7 days` in microseconds: exact where the division is not."""
        if isinstance(left, ast.Call) and left.name == "days" and isinstance(right, ast.NumberLit):
            duration = self.term(left.args[0])
            bound = Term("duration", self.params.decimal(right.value * MICROS_PER_DAY))
            return self.compare_terms(op, duration, bound, node)
        if isinstance(right, ast.Call) and right.name == "days" and isinstance(left, ast.NumberLit):
            return self._days_comparison(_FLIP[op], right, left, node)
        return None

    def between(self, v: Term, low: Term, high: Term, node: ast.Node) -> Term:
        above, above_ok = self._compare_values(">=", v, low, node)
        below, below_ok = self._compare_values("<=", v, high, node)
        first_ok = and_(v.ok, low.ok, above_ok)
        reached = and_(first_ok, above)
        ok = and_(first_ok, or_(not_(reached), and_(high.ok, below_ok)))
        missing = case(
            [
                (not_(v.ok), v.missing),
                (not_(low.ok), low.missing),
                (and_(reached, not_(high.ok)), high.missing),
            ],
            FALSE,
        )
        return Term("bool", and_(reached, below), ok, missing, escape=or_(v.escape, low.escape, high.escape))

    def membership(self, node: ast.In) -> Term:
        item, collection = self.term(node.item), self.term(node.collection)
        if collection.kind != "set":
            raise Unsupported(f"`in` over {collection.kind}{where(node)}")
        if item.kind in ("money", "set", "percent"):
            raise Unsupported(f"`in` with {item.kind} values{where(node)}")
        if isinstance(collection.value, exp.Array):
            found: exp.Expression = (
                sql.member(item.value, collection.value.expressions)
                if collection.value.expressions
                else FALSE
            )
        else:
            found = func("list_contains", collection.value, item.value)
        value = not_(found) if node.negated else found
        return Term(
            "bool",
            value,
            and_(item.ok, collection.ok),
            item.failed_first(collection),
            escape=or_(item.escape, collection.escape),
        )

    def coalesce(self, value: Term, default: Term, node: ast.Node) -> Term:
        kinds = {value.kind, default.kind}
        if len(kinds) > 1 and not kinds <= set(_NUMERIC):
            raise Unsupported(f"`??` between {value.kind} and {default.kind}{where(node)}")
        taken = value.ok
        scale = max(value.scale, default.scale)
        result = case([(taken, unify(value, scale))], unify(default, scale))
        currency = None
        if value.currency is not None and default.currency is not None:
            currency = case([(taken, value.currency)], default.currency)
        ok = or_(value.ok, and_(value.missing, default.ok))
        missing = case([(value.ok, FALSE), (value.missing, default.missing)], FALSE)
        kind = value.kind if value.kind == default.kind else "number"
        return Term(
            kind,
            result,
            ok,
            missing,
            currency,
            value.element or default.element,
            or_(value.escape, default.escape),
            scale,
        )

    # ---- arithmetic ---------------------------------------------------------------------

    def arith(self, op: str, a: Term, b: Term, node: ast.Node) -> Term:
        ok, missing = and_(a.ok, b.ok), a.failed_first(b)
        escape = or_(a.escape, b.escape)
        if op == "/":
            raise Unsupported(f"division{where(node)} (DuckDB divides decimals in floating point)")
        if op in "+-":
            operator = exp.Add if op == "+" else exp.Sub

            def make(this: exp.Expression, expression: exp.Expression) -> exp.Expression:
                # sqlglot prints trees as built, without parentheses: `(a - b) * rate` built
                # bare would be printed `a - b * rate`. A sum or difference is one term.
                return exp.Paren(this=operator(this=this, expression=expression))

            if a.kind == "money" and b.kind == "money":
                assert a.currency is not None and b.currency is not None
                same = sql.nonnull(exp.EQ(this=a.currency, expression=b.currency))
                # Another currency converts through a division by a rate: the Python engine.
                escape = or_(escape, and_(a.ok, b.ok, not_(same), self.converts(a, b)))
                value = make(this=a.value, expression=b.value)
                return Term(
                    "money",
                    value,
                    and_(ok, self.converts(a, b)),
                    missing,
                    a.currency,
                    escape=escape,
                    scale=max(a.scale, b.scale),
                )
            kinds = (a.kind, b.kind)
            if kinds == ("timestamp", "timestamp") and op == "-":
                return Term("duration", make(this=a.value, expression=b.value), ok, missing, escape=escape)
            if kinds in (
                ("timestamp", "duration"),
                ("duration", "timestamp"),
                ("duration", "duration"),
            ) and not (kinds == ("duration", "timestamp") and op == "-"):
                kind = "timestamp" if "timestamp" in kinds else "duration"
                return Term(kind, make(this=a.value, expression=b.value), ok, missing, escape=escape)
            if a.kind in _NUMERIC and b.kind in _NUMERIC:
                kind = (
                    "percent"
                    if kinds == ("percent", "percent")
                    else "int"
                    if kinds == ("int", "int")
                    else "number"
                )
                return Term(
                    kind,
                    make(this=a.value, expression=b.value),
                    ok,
                    missing,
                    escape=escape,
                    scale=max(a.scale, b.scale),
                )
            raise Unsupported(f"{a.kind} {op} {b.kind}{where(node)}")
        if op == "*":
            if b.kind in ("money", "duration") and a.kind not in ("money", "duration"):
                a, b = b, a
            if a.kind == "money" and b.kind in _NUMERIC:
                return Term(
                    "money",
                    exp.Mul(this=a.value, expression=b.value),
                    ok,
                    missing,
                    a.currency,
                    escape=escape,
                    scale=a.scale + b.scale,
                )
            if a.kind == "duration" and b.kind in _NUMERIC:
                scaled = exp.Mul(this=a.value, expression=b.value)
                value = sql.cast(func("trunc", scaled), "BIGINT") if b.kind != "int" else scaled
                return Term("duration", value, ok, missing, escape=escape)
            if a.kind in _NUMERIC and b.kind in _NUMERIC:
                kind = "int" if (a.kind, b.kind) == ("int", "int") else "number"
                return Term(
                    kind,
                    exp.Mul(this=a.value, expression=b.value),
                    ok,
                    missing,
                    escape=escape,
                    scale=a.scale + b.scale,
                )
        raise Unsupported(f"{a.kind} {op} {b.kind}{where(node)}")

    def call(self, name: str, args: tuple[ast.Expr, ...], node: ast.Node) -> Term:
        terms = [self.term(a) for a in args]
        ok = and_(*[a.ok for a in terms])
        missing = terms[0].failed_first(*terms[1:]) if terms else FALSE
        escape = or_(*[a.escape for a in terms])
        if name in ("min", "max") and terms:
            scale = max(term.scale for term in terms)
            terms = [replace(term, value=unify(term, scale), scale=scale) for term in terms]
            best = terms[0]
            for other in terms[1:]:
                better, compared = self._compare_values("<" if name == "min" else ">", other, best, node)
                ok = and_(ok, compared)
                currency = (
                    case([(better, other.currency)], best.currency)
                    if best.currency is not None and other.currency is not None
                    else best.currency
                )
                kind = best.kind if best.kind == other.kind else "number"
                best = Term(kind, case([(better, other.value)], best.value), currency=currency, scale=scale)
            return Term(best.kind, best.value, ok, missing, best.currency, escape=escape, scale=scale)
        if name == "abs" and len(terms) == 1:
            return replace(terms[0], value=func("abs", terms[0].value))
        if name == "lower" and len(terms) == 1 and terms[0].kind == "str":
            text = terms[0].value
            non_ascii = not_(func("regexp_matches", text, self.params.text("^[\\x00-\\x7f]*$")))
            return Term(
                "str",
                exp.Lower(this=text),
                ok,
                missing,
                escape=or_(escape, and_(terms[0].ok, sql.nonnull(non_ascii))),
            )
        raise Unsupported(
            f"`{name}(…)`{where(node)}" + (" outside a comparison with a number" if name == "days" else "")
        )


def scale_of(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def unify(term: Term, scale: int) -> exp.Expression:
    """A numeric value as DECIMAL(38, scale): DuckDB gives a CASE or GREATEST over decimals
    of different scales the smallest scale of them, so every branch is cast to one type."""
    if term.kind in ("int", "number", "percent", "money") and (scale or term.kind != "int"):
        return sql.cast(term.value, f"DECIMAL(38,{scale})")
    return term.value


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OPS = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}


def _op(op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return _OPS[op](this=a, expression=b)


def _canonical_set(value: exp.Expression) -> exp.Expression:
    return func("list_sort", func("list_distinct", value))
