"""The class memo's fast path, generated per arrangement of its look-up tables.

A case's class is found by looking up the bits of each table the case needs and OR-ing them
(see `class_memo`). Written as a loop over the tables, each look-up costs a call of its key
reader, a call of the table's `get` and the loop itself, several times what the look-up does.
Here the loop is unrolled into Python functions per arrangement: each key is read with
subscripts of the case (`values["order.total"]`), each table is subscripted, and a miss of
either (KeyError, or TypeError for an unhashable value) sends the case the careful way, as the
loop did. The function is built from `ast` nodes: field paths are constants, tables and helpers
are names in the functions' namespace; no source text is assembled and nothing is parsed.
`ast.unparse` of the module is what `ttrules compile --show` prints.

The tables are the memo's own: their contents change as cases are learned, and the functions
read them at each call.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ttrules.values import Money

# How a table's key is read from a case (`values`), fields read strictly (a missing one raises
# KeyError and the case takes the careful way).


@dataclass(frozen=True)
class FieldKey:
    """The value of one field: `values[path]`."""

    path: str


@dataclass(frozen=True)
class FieldsKey:
    """The values of several fields, as a tuple."""

    paths: tuple[str, ...]


@dataclass(frozen=True)
class PresenceKey:
    """Whether each of some fields is there, as a tuple of booleans."""

    paths: tuple[str, ...]


@dataclass(frozen=True)
class MoneyKey:
    """One money field, its table looked up by currency, then by the amount as text; a value of
    another type is an unhashable key here, so the careful way keys it."""

    path: str


@dataclass(frozen=True)
class CalledKey:
    """Any other key: the memo's own reader, called with the case."""

    read: Callable[[Mapping[str, Any]], Any]


Key = FieldKey | FieldsKey | PresenceKey | MoneyKey | CalledKey


@dataclass(frozen=True)
class Lookup:
    """One table of the fast path: the bits of a key, and how the key is read."""

    table: Mapping[Any, Any]  # key -> bits (a money key: currency -> amount -> bits)
    key: Key
    label: str  # what the table memoises, for `compile --show`


@dataclass(frozen=True)
class FastPathPlan:
    """What the generated functions look up and where they turn for the rest."""

    lookups: tuple[Lookup, ...]
    by_bits: Mapping[int, Any]  # the bits of a case -> its class's decision
    # (values) -> decision: the whole decision the careful way, for a case the look-ups missed.
    careful: Callable[[Mapping[str, Any]], Any]
    # (values, bits) -> (bits, case state): the tables a case may not need, or None if none.
    more: Callable[[Mapping[str, Any], int], tuple[int, Any]] | None
    # (values, bits, case state) -> decision: a case whose bits are not in `by_bits`.
    classify: Callable[[Mapping[str, Any], int, Any], Any]
    # (decision, values) -> the decision under this case's id.
    with_case_id: Callable[[Any, Mapping[str, Any]], Any]
    more_label: str = ""  # what `more` looks up, for `compile --show`


class FastPath:
    """The generated functions: `learned(values)` gives the class's decision as learned (its
    case id that of the case it was learned from), `decide(values)` the decision of this case.

    Each is one function object for the memo's lifetime, so a caller may keep it: a new
    arrangement (`rebuild`) or the memo giving up (`exact`) replaces its code, and the names the
    new code reads (`T0_2`, ...) are new in the shared namespace. A thread still running the old
    code reads the old names, which stay bound, so it sees the old tables throughout. The
    arrangements of one memo are few (a merge, a group given up, a field found missing)."""

    def __init__(self, plan: FastPathPlan) -> None:
        self.namespace: dict[str, Any] = {"seen": 0, "MONEY": Money, "UNHASHABLE": _UNHASHABLE}
        self._generation = 0
        self._plan = plan
        self.module = _module(plan, self.namespace, "_0")
        _run(self.module, self.namespace)
        self.learned: Callable[[Mapping[str, Any]], Any] = self.namespace["learned"]
        self.decide: Callable[[Mapping[str, Any]], Any] = self.namespace["decide"]

    def rebuild(self, plan: FastPathPlan) -> None:
        self._generation += 1
        self._plan = plan
        self._swap(_module(plan, self.namespace, f"_{self._generation}"))

    def exact(self, decide: Callable[[Mapping[str, Any]], Any]) -> None:
        """From now on every case is decided by `decide` (the exact path), still counted."""
        self._generation += 1
        self._swap(_exact_module(decide, self.namespace, f"_{self._generation}"))

    def seen(self) -> int:
        """Cases the functions were called with."""
        return int(self.namespace["seen"])

    def source(self) -> str:
        """The current functions as Python, their tables named (what `compile --show` prints)."""
        suffix = f"_{self._generation}"
        tables = "".join(
            f"# T{number}{suffix}: {lookup.label}\n" for number, lookup in enumerate(self._plan.lookups)
        )
        if self._plan.more is not None and self._plan.more_label:
            tables += f"# MORE{suffix}: {self._plan.more_label}\n"
        return tables + ast.unparse(self.module) + "\n"

    def _swap(self, module: ast.Module) -> None:
        scratch = dict(self.namespace)
        _run(module, scratch)
        self.learned.__code__ = scratch["learned"].__code__
        self.decide.__code__ = scratch["decide"].__code__
        self.module = module


# Python 3.12 added generic functions' type parameters to the node; 3.11 has no such field.
_TYPE_PARAMS: dict[str, Any] = {"type_params": []} if sys.version_info >= (3, 12) else {}
_UNHASHABLE: list[Any] = []  # a key that cannot be looked up: the case goes the careful way


def _run(module: ast.Module, namespace: dict[str, Any]) -> None:
    # The module is made of `ast` nodes only (paths as constants): nothing here is parsed.
    exec(compile(module, "<ttrules fast path>", "exec"), namespace)


def _module(plan: FastPathPlan, namespace: dict[str, Any], suffix: str) -> ast.Module:
    """The functions of an arrangement; what they read is bound in `namespace` first, by names
    that end in `suffix`."""
    names: dict[str, Any] = {
        "BY_BITS": plan.by_bits,
        "CAREFUL": plan.careful,
        "CLASSIFY": plan.classify,
        "WITH_CASE_ID": plan.with_case_id,
    }
    if plan.more is not None:
        names["MORE"] = plan.more
    terms = []
    for number, lookup in enumerate(plan.lookups):
        names[f"T{number}"] = lookup.table
        if isinstance(lookup.key, CalledKey):
            names[f"K{number}"] = lookup.key.read
        terms.append(_lookup(_name(f"T{number}{suffix}"), lookup.key, f"K{number}{suffix}"))
    namespace.update((name + suffix, value) for name, value in names.items())
    more = plan.more is not None
    functions = [
        _def("learned", _body(terms, more, suffix, with_id=False)),
        _def("decide", _body(terms, more, suffix, with_id=True)),
    ]
    return ast.fix_missing_locations(ast.Module(body=functions, type_ignores=[]))


def _exact_module(
    decide: Callable[[Mapping[str, Any]], Any], namespace: dict[str, Any], suffix: str
) -> ast.Module:
    namespace["EXACT" + suffix] = decide
    body = [*_count(), ast.Return(_call("EXACT" + suffix, _name("values")))]
    functions = [_def("learned", body), _def("decide", body)]
    return ast.fix_missing_locations(ast.Module(body=functions, type_ignores=[]))


# ---- the nodes ----------------------------------------------------------------------------


def _count() -> list[ast.stmt]:
    """`global seen; seen += 1`"""
    return [
        ast.Global(names=["seen"]),
        ast.AugAssign(target=_name("seen", store=True), op=ast.Add(), value=ast.Constant(1)),
    ]


def _body(terms: list[ast.expr], more: bool, suffix: str, *, with_id: bool) -> list[ast.stmt]:
    def name(of: str) -> ast.Name:
        return _name(of + suffix)

    def result(expr: ast.expr) -> ast.Return:
        return ast.Return(_call("WITH_CASE_ID" + suffix, expr, _name("values")) if with_id else expr)

    body = _count()
    if terms:
        bits: ast.expr = terms[0]
        for term in terms[1:]:
            bits = ast.BinOp(left=bits, op=ast.BitOr(), right=term)
        missed = ast.Tuple(elts=[_name("KeyError"), _name("TypeError")], ctx=ast.Load())
        body.append(
            ast.Try(
                body=[_assign("bits", bits)],
                handlers=[
                    ast.ExceptHandler(
                        type=missed, name=None, body=[result(_call("CAREFUL" + suffix, _name("values")))]
                    )
                ],
                orelse=[],
                finalbody=[],
            )
        )
    else:
        body.append(_assign("bits", ast.Constant(0)))
    if more:
        both = ast.Tuple(elts=[_name("bits", store=True), _name("case", store=True)], ctx=ast.Store())
        body.append(ast.Assign(targets=[both], value=_call("MORE" + suffix, _name("values"), _name("bits"))))
    case: ast.expr = _name("case") if more else ast.Constant(None)
    unknown = ast.Compare(left=_name("decision"), ops=[ast.Is()], comparators=[ast.Constant(None)])
    body += [
        _assign(
            "decision", ast.Call(func=_attribute(name("BY_BITS"), "get"), args=[_name("bits")], keywords=[])
        ),
        ast.If(
            test=unknown,
            body=[result(_call("CLASSIFY" + suffix, _name("values"), _name("bits"), case))],
            orelse=[],
        ),
    ]
    if with_id:
        # The learned decision itself where the case id is its own (or both have none).
        case_id = ast.Call(
            func=_attribute(_name("values"), "get"),
            args=[ast.Constant("case.id"), ast.Constant("")],
            keywords=[],
        )
        same = ast.Compare(
            left=case_id, ops=[ast.Eq()], comparators=[_attribute(_name("decision"), "case_id")]
        )
        body.append(ast.If(test=same, body=[ast.Return(_name("decision"))], orelse=[]))
    body.append(result(_name("decision")))
    return body


def _def(name: str, body: list[ast.stmt]) -> ast.FunctionDef:
    """`def name(values, /): body`"""
    arguments = ast.arguments(
        posonlyargs=[ast.arg(arg="values")],
        args=[],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )
    return ast.FunctionDef(
        name=name, args=arguments, body=body, decorator_list=[], returns=None, **_TYPE_PARAMS
    )


def _lookup(table: ast.expr, key: Key, reader: str) -> ast.expr:
    """The bits of a table for this case (KeyError or TypeError where it has none)."""
    match key:
        case FieldKey(path=path):
            return _subscript(table, _field(path))
        case FieldsKey(paths=paths):
            return _subscript(table, ast.Tuple(elts=[_field(p) for p in paths], ctx=ast.Load()))
        case PresenceKey(paths=paths):
            contained = [
                ast.Compare(left=ast.Constant(p), ops=[ast.In()], comparators=[_name("values")])
                for p in paths
            ]
            return _subscript(table, ast.Tuple(elts=contained, ctx=ast.Load()))
        case MoneyKey(path=path):
            # T[m.currency][str(m.amount)] if type(m := values[path]) is MONEY else T[UNHASHABLE]
            money = ast.NamedExpr(target=_name("m", store=True), value=_field(path))
            is_money = ast.Compare(left=_call("type", money), ops=[ast.Is()], comparators=[_name("MONEY")])
            by_currency = _subscript(table, _attribute(_name("m"), "currency"))
            by_amount = _subscript(by_currency, _call("str", _attribute(_name("m"), "amount")))
            return ast.IfExp(test=is_money, body=by_amount, orelse=_subscript(table, _name("UNHASHABLE")))
        case CalledKey():
            return _subscript(table, _call(reader, _name("values")))
    raise AssertionError(f"unhandled key {key!r}")


def _field(path: str) -> ast.expr:
    return _subscript(_name("values"), ast.Constant(path))


def _subscript(value: ast.expr, index: ast.expr) -> ast.expr:
    return ast.Subscript(value=value, slice=index, ctx=ast.Load())


def _name(name: str, *, store: bool = False) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Store() if store else ast.Load())


def _attribute(value: ast.expr, attribute: str) -> ast.expr:
    return ast.Attribute(value=value, attr=attribute, ctx=ast.Load())


def _call(name: str, *args: ast.expr) -> ast.expr:
    return ast.Call(func=_name(name), args=list(args), keywords=[])


def _assign(name: str, value: ast.expr) -> ast.stmt:
    return ast.Assign(targets=[_name(name, store=True)], value=value)
