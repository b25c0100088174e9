"""The abstract syntax tree shared by the DSL and the YAML form.

Nodes are frozen, slotted dataclasses. Source spans and comments ride along on every node but
are left out of equality, so tests compare parsed trees with hand-built ones, and
`parse(fmt(tree)) == tree` is a meaningful property.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ttrules.spans import Span

_meta = {"compare": False, "repr": False, "hash": False, "kw_only": True}


@dataclass(frozen=True, slots=True)
class Node:
    span: Span | None = field(default=None, **_meta)  # type: ignore[call-overload]


# ---- expressions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberLit(Node):
    value: Decimal


@dataclass(frozen=True, slots=True)
class PercentLit(Node):
    """`30%`; `value` is the number written (30), the fraction is value / 100."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class MoneyLit(Node):
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class DurationLit(Node):
    seconds: int
    # As written (`48h`, not `2d`), so that `fmt` keeps the author's unit; not compared.
    text: str = field(default="", **_meta)  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class StringLit(Node):
    value: str


@dataclass(frozen=True, slots=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class EnumLit(Node):
    """A bare UPPERCASE value, resolved against the enumeration of what it is compared with."""

    name: str


@dataclass(frozen=True, slots=True)
class SetLit(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class FieldRef(Node):
    path: str


@dataclass(frozen=True, slots=True)
class SettingRef(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Neg(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Arith(Node):
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class In(Node):
    item: Expr
    collection: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Between(Node):
    value: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True, slots=True)
class And(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Has(Node):
    target: Expr


@dataclass(frozen=True, slots=True)
class Coalesce(Node):
    value: Expr
    default: Expr


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple[Expr, ...]


Expr = (
    NumberLit
    | PercentLit
    | MoneyLit
    | DurationLit
    | StringLit
    | BoolLit
    | EnumLit
    | SetLit
    | FieldRef
    | SettingRef
    | Not
    | Neg
    | Arith
    | Compare
    | In
    | Between
    | And
    | Or
    | Has
    | Coalesce
    | Call
)


# ---- statements -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action(Node):
    name: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True, slots=True)
class Comments:
    """Comments attached to a statement so that `fmt` and `convert` never lose them."""

    leading: tuple[str, ...] = ()
    header: str = ""  # a comment on the statement's first line
    inner: tuple[str, ...] = ()


_no_comments = Comments()


@dataclass(frozen=True, slots=True)
class SetStmt(Node):
    name: str
    value: Expr
    when: Expr | None = None
    comments: Comments = field(default=_no_comments, **_meta)  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class LimitStmt(Node):
    name: str
    op: str  # <= >= in
    bound: Expr
    when: Expr | None = None
    comments: Comments = field(default=_no_comments, **_meta)  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class Rule(Node):
    name: str
    actions: tuple[Action, ...]
    when: Expr | None = None
    priority: int = 0
    because: str | None = None
    comments: Comments = field(default=_no_comments, **_meta)  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class Forbid(Node):
    actions: tuple[Action, ...]
    when: Expr | None = None
    because: str | None = None
    comments: Comments = field(default=_no_comments, **_meta)  # type: ignore[call-overload]

    @property
    def name(self) -> str:
        return "forbid " + ", ".join(a.name for a in self.actions)


Statement = SetStmt | LimitStmt | Rule | Forbid


@dataclass(frozen=True, slots=True)
class Ruleset(Node):
    name: str
    layer: str
    applies: Expr | None = None
    settings: tuple[SetStmt, ...] = ()
    limits: tuple[LimitStmt, ...] = ()
    rules: tuple[Rule, ...] = ()
    forbids: tuple[Forbid, ...] = ()
    header_comments: tuple[str, ...] = field(default=(), **_meta)  # type: ignore[call-overload]
    trailing_comments: tuple[str, ...] = field(default=(), **_meta)  # type: ignore[call-overload]
    name_span: Span | None = field(default=None, **_meta)  # type: ignore[call-overload]
    layer_span: Span | None = field(default=None, **_meta)  # type: ignore[call-overload]


def group_settings(settings: list[SetStmt]) -> tuple[SetStmt, ...]:
    """Order `set` statements by setting name (first appearance), keeping order within a name.

    Only the order among one setting's `set`s has meaning (the first matching one wins); a
    canonical grouping lets the DSL and YAML forms, which group by name, share one tree.
    """
    by_name: dict[str, list[SetStmt]] = {}
    for stmt in settings:
        by_name.setdefault(stmt.name, []).append(stmt)
    return tuple(stmt for group in by_name.values() for stmt in group)


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of an expression (for generic walks)."""
    match expr:
        case SetLit(items=items) | And(items=items) | Or(items=items):
            return items
        case Not(operand=o) | Neg(operand=o):
            return (o,)
        case Arith(left=a, right=b) | Compare(left=a, right=b):
            return (a, b)
        case In(item=a, collection=b):
            return (a, b)
        case Between(value=a, low=b, high=c):
            return (a, b, c)
        case Has(target=t):
            return (t,)
        case Coalesce(value=a, default=b):
            return (a, b)
        case Call(args=args):
            return args
        case _:
            return ()


def walk(expr: Expr) -> list[Expr]:
    """Every node of an expression, pre-order, without recursion (depth is bounded anyway)."""
    out: list[Expr] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(children(node)))
    return out


def fields_read(expr: Expr | None) -> set[str]:
    """The field paths an expression reads."""
    return {n.path for n in walk(expr) if isinstance(n, FieldRef)} if expr is not None else set()


def settings_read(expr: Expr | None) -> set[str]:
    """The settings an expression reads."""
    return {n.name for n in walk(expr) if isinstance(n, SettingRef)} if expr is not None else set()


def expr_depth(expr: Expr) -> int:
    """Nesting depth, computed iteratively so that hostile input cannot exhaust the stack."""
    deepest = 0
    stack = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children(node))
    return deepest
