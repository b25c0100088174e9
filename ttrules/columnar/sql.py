"""Small helpers over sqlglot expression trees: identifiers, typed parameters, folded logic.

Every value that comes from a rule file or the configuration (a string, an amount, an FX
rate) enters the query as a bound parameter, never as text spliced into SQL; only structural
constants (status codes, indexes) are literals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlglot.expressions as exp

TRUE = exp.Boolean(this=True)
FALSE = exp.Boolean(this=False)
NULL = exp.Null()
DIALECT = "duckdb"


class Params:
    """The bound parameters of one query, named $p0, $p1, …; equal values share a name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._names: dict[tuple[type, Any], str] = {}

    def bind(self, value: Any, sql_type: str) -> exp.Expression:
        key = (type(value), value, sql_type)
        name = self._names.get(key)  # type: ignore[arg-type]
        if name is None:
            name = f"p{len(self.values)}"
            self._names[key] = name  # type: ignore[index]
            self.values[name] = value
        return exp.Cast(this=exp.Placeholder(this=name), to=exp.DataType.build(sql_type))

    def constant(self, node: exp.Expression) -> Any:
        """The value bound by `bind` if `node` is such a parameter, else None."""
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Placeholder):
            return self.values.get(node.this.name)
        return None

    def text(self, value: str) -> exp.Expression:
        return self.bind(value, "VARCHAR")

    def decimal(self, value: Decimal | int) -> exp.Expression:
        number = Decimal(value)
        return self.bind(str(number), decimal_type(number))


def decimal_type(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    scale = max(0, -exponent) if isinstance(exponent, int) else 0
    return f"DECIMAL(38,{scale})"


def col(name: str) -> exp.Column:
    return exp.Column(this=exp.Identifier(this=name, quoted=True))


def lit(value: int) -> exp.Literal:
    return exp.Literal.number(value)


def func(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def is_true(node: exp.Expression) -> bool:
    return isinstance(node, exp.Boolean) and node.this is True


def is_false(node: exp.Expression) -> bool:
    return isinstance(node, exp.Boolean) and node.this is False


def and_(*parts: exp.Expression) -> exp.Expression:
    return _combine(parts, is_true, is_false, exp.And)


def or_(*parts: exp.Expression) -> exp.Expression:
    return _combine(parts, is_false, is_true, exp.Or)


def _combine(
    parts: tuple[exp.Expression, ...], neutral: Any, absorbing: Any, make: type[exp.Connector]
) -> exp.Expression:
    """A chain of AND or OR, folded where a part is a constant (so rules over fields that are
    always present do not carry `TRUE AND …` into the query)."""
    kept = [p for p in parts if not neutral(p)]
    if any(absorbing(p) for p in kept):
        return FALSE if make is exp.And else TRUE
    if not kept:
        return TRUE if make is exp.And else FALSE
    return _balanced([_paren(p) for p in kept], make)


def _balanced(parts: list[exp.Expression], make: type[exp.Binary]) -> exp.Expression:
    """A chain as a balanced tree: a stack of 1,000 rules ORs 1,000 conditions, and a chain
    that deep overflows the recursion of whatever walks it (sqlglot's SQL generator does)."""
    while len(parts) > 1:
        paired = [make(this=parts[i], expression=parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            paired.append(parts[-1])
        parts = [exp.Paren(this=p) if isinstance(p, exp.Connector) else p for p in paired]
    return parts[0]


def total(parts: list[exp.Expression]) -> exp.Expression:
    """A sum of terms, as a balanced tree."""
    return _balanced(parts, exp.Add)


def not_(part: exp.Expression) -> exp.Expression:
    """NOT, pushed through AND and OR (De Morgan's laws hold in SQL's three-valued logic).

    DuckDB stops evaluating an AND or OR early only where it selects rows (WHERE, CASE WHEN);
    a NOT over one makes it evaluate every part for every row, a regex on every cell."""
    while isinstance(part, exp.Paren):
        part = part.this
    if is_true(part):
        return FALSE
    if is_false(part):
        return TRUE
    if isinstance(part, exp.Not):
        return part.this
    if isinstance(part, exp.And):
        return or_(not_(part.this), not_(part.expression))
    if isinstance(part, exp.Or):
        return and_(not_(part.this), not_(part.expression))
    return exp.Not(this=_paren(part))


def _paren(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Column | exp.Boolean | exp.Paren | exp.Literal | exp.Anonymous):
        return node
    return exp.Paren(this=node)


def case(
    branches: list[tuple[exp.Expression, exp.Expression]], default: exp.Expression | None = None
) -> exp.Expression:
    """CASE WHEN … THEN … ELSE … END, dropping branches that can never be taken."""
    node = exp.Case()
    taken = False
    for condition, value in branches:
        if is_false(condition):
            continue
        if is_true(condition):
            if not taken:
                return value
            default = value
            break
        node = node.when(condition, value, copy=False)
        taken = True
    if not taken:
        return default if default is not None else NULL
    return node.else_(default, copy=False) if default is not None else node


def nonnull(node: exp.Expression) -> exp.Expression:
    """A condition that is FALSE where SQL would say NULL, as CASE WHEN rather than COALESCE so
    that its ANDs and ORs stop early (see `not_`): whether a row escapes is a long OR of
    rarely true checks, some of them regexes."""
    if isinstance(node, exp.Boolean):
        return node
    return case([(node, TRUE)], FALSE)


def cast(node: exp.Expression, sql_type: str) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build(sql_type))


def try_cast(node: exp.Expression, sql_type: str) -> exp.Expression:
    return exp.TryCast(this=node, to=exp.DataType.build(sql_type))


def is_null(node: exp.Expression) -> exp.Expression:
    return exp.Is(this=node, expression=NULL)


def not_null(node: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Is(this=node, expression=NULL))


def member(item: exp.Expression, items: list[exp.Expression]) -> exp.Expression:
    """`item IN (…)`, written so DuckDB evaluates it in the projection: it rewrites longer
    constant IN lists into a join against a value list, one join per use."""
    if not items:
        return FALSE
    if len(items) <= 4:
        return exp.In(this=item, expressions=items)
    return func("list_contains", exp.Array(expressions=items), item)


def render(node: exp.Expression) -> str:
    # copy=False: sqlglot would deep-copy the tree before generating (seconds on a large stack);
    # the DuckDB generator does not change the trees we build.
    return node.sql(dialect=DIALECT, copy=False)
