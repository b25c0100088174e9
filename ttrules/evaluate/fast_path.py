"""The class memo's fast path, generated per arrangement of its look-up tables.

A case's class is found by looking up the bits of each table the case needs and OR-ing them
(see `class_memo`). Written as a loop over the tables, each look-up costs a call of its key
reader, a call of the table's `get` and the loop itself, several times what the look-up does.
Here the loop is unrolled into Python functions per arrangement: each key is read with
subscripts of the case (`values["order.total"]`), each table is subscripted, and a miss of
either (KeyError, or TypeError for an unhashable value) sends the case the careful way, as the
loop did; the tables a case may not need follow, each behind the test of the bits that tell it
is not needed. The function is built from `ast` nodes: field paths are constants, tables and helpers
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
class DefaultedFieldKey:
    """The value of one field some case has been without: `values.get(path, ABSENT)`, where
    ABSENT is the memo's own marker for a field not there (its tables hold it as a key)."""

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


Key = FieldKey | DefaultedFieldKey | FieldsKey | PresenceKey | MoneyKey | CalledKey


@dataclass(frozen=True)
class Lookup:
    """One table of the fast path: the bits of a key, and how the key is read."""

    table: Mapping[Any, Any]  # key -> bits (a money key: currency -> amount -> bits)
    key: Key
    label: str  # what the table memoises, for `compile --show`


@dataclass(frozen=True)
class NeededLookup:
    """A table a case may not need: not when every bit of `needless` is set in what the case's
    tables so far say is not true (-1: every case needs it). Where the table has no answer,
    `lookup(group, case)` finds one the careful way."""

    needless: int
    table: Mapping[Any, Any]
    key: Key
    group: Any
    label: str


@dataclass(frozen=True)
class Unmemoised:
    """A group given up as a memo (its values hardly repeat): `evaluate(group, case)` for each
    case that needs it (`needless` as above)."""

    needless: int
    group: Any
    label: str


@dataclass(frozen=True)
class SettingLookup:
    """The outcome of some settings by the fields they read; `setting_id(setting, case)` where
    the table has none."""

    table: Mapping[Any, int]
    read: Callable[[Mapping[str, Any]], Any]
    setting: Any
    label: str


@dataclass(frozen=True)
class Careful:
    """What the generated code calls where its tables have no answer (the memo's own methods)."""

    # (values) -> decision: the whole decision the careful way, for a case the look-ups missed.
    decision: Callable[[Mapping[str, Any]], Any]
    # (values, bits, case state) -> decision: a case whose bits are not in `by_bits`.
    classify: Callable[[Mapping[str, Any], int, Any], Any]
    # (decision, values) -> the decision under this case's id.
    with_case_id: Callable[[Any, Mapping[str, Any]], Any]
    new_case: Callable[[Mapping[str, Any]], Any] = lambda values: None  # the case state
    lookup: Callable[[Any, Any], int] = lambda group, case: 0
    evaluate: Callable[[Any, Any], int] = lambda group, case: 0
    setting_id: Callable[[Any, Any], int] = lambda setting, case: 0


@dataclass(frozen=True)
class FastPathPlan:
    """What the generated functions look up, in order, and where they turn for the rest."""

    lookups: tuple[Lookup, ...]  # every case needs them: a miss sends it the careful way
    by_bits: Mapping[int, Any]  # the bits of a case -> its class's decision
    careful: Careful
    needed: tuple[NeededLookup, ...] = ()
    unmemoised: tuple[Unmemoised, ...] = ()
    settings: tuple[SettingLookup, ...] = ()
    errors_at: int = 0  # where the bits of errors start (not true: false or errors)
    absent: Any = None  # the memo's marker of a field not there (`DefaultedFieldKey`)

    @property
    def more(self) -> bool:
        return bool(self.needed or self.unmemoised or self.settings)


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
        self._plan: FastPathPlan | None = plan  # None once every case goes the exact way
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
        self._plan = None
        self._swap(_exact_module(decide, self.namespace, f"_{self._generation}"))

    def seen(self) -> int:
        """Cases the functions were called with."""
        return int(self.namespace["seen"])

    def source(self) -> str:
        """The current functions as Python, their tables named (what `compile --show` prints)."""
        plan = self._plan
        if plan is None:
            return (
                "# every case is decided the exact way: its classes hardly repeat\n"
                + ast.unparse(self.module)
                + "\n"
            )
        suffix = f"_{self._generation}"
        tables = "".join(
            f"# T{number}{suffix}: {lookup.label}\n" for number, lookup in enumerate(plan.lookups)
        )
        for prefix, parts in (("N", plan.needed), ("U", plan.unmemoised), ("S", plan.settings)):
            tables += "".join(
                f"# {prefix}{number}{suffix}: {part.label}\n" for number, part in enumerate(parts)
            )
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
    careful = plan.careful
    names: dict[str, Any] = {
        "BY_BITS": plan.by_bits,
        "CAREFUL": careful.decision,
        "CLASSIFY": careful.classify,
        "WITH_CASE_ID": careful.with_case_id,
        "NEW_CASE": careful.new_case,
        "LOOKUP": careful.lookup,
        "EVALUATE": careful.evaluate,
        "SETTING_ID": careful.setting_id,
    }
    terms = []
    for number, lookup in enumerate(plan.lookups):
        names[f"T{number}"] = lookup.table
        if isinstance(lookup.key, CalledKey):
            names[f"K{number}"] = lookup.key.read
        terms.append(_lookup(_name(f"T{number}{suffix}"), lookup.key, f"K{number}{suffix}"))
    for number, needed in enumerate(plan.needed):
        names[f"N{number}"], names[f"NG{number}"] = needed.table, needed.group
        if isinstance(needed.key, CalledKey):
            names[f"NK{number}"] = needed.key.read
    for number, unmemoised in enumerate(plan.unmemoised):
        names[f"UG{number}"] = unmemoised.group
    for number, setting in enumerate(plan.settings):
        names[f"S{number}"], names[f"SK{number}"], names[f"SS{number}"] = (
            setting.table,
            setting.read,
            setting.setting,
        )
    namespace.update((name + suffix, value) for name, value in names.items())
    namespace["ABSENT"] = plan.absent  # one marker for the memo's lifetime
    more = _more(plan, suffix) if plan.more else []
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


def _body(terms: list[ast.expr], more: list[ast.stmt], suffix: str, *, with_id: bool) -> list[ast.stmt]:
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
    body += more
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


def _more(plan: FastPathPlan, suffix: str) -> list[ast.stmt]:
    """The tables a case may not need, in turn, as `ClassMemo._more_bits` looks them up:

    case = None
    not_true = bits | bits >> ERRORS_AT
    if not_true & NEEDLESS != NEEDLESS:         # (left out where every case needs it)
        try:
            found = N0[key]
        except (KeyError, TypeError):
            found = None
        if found is None:
            if case is None:
                case = NEW_CASE(values)
            found = LOOKUP(NG0, case)
        bits |= found
        not_true |= found | found >> ERRORS_AT
    ... the groups not memoised (EVALUATE), then the settings (SETTING_ID), alike
    """
    errors_at = ast.Constant(plan.errors_at)

    def shifted(name: str) -> ast.expr:
        return ast.BinOp(left=_name(name), op=ast.RShift(), right=errors_at)

    def or_into(target: str, value: ast.expr) -> ast.stmt:
        return ast.AugAssign(target=_name(target, store=True), op=ast.BitOr(), value=value)

    def found_careful(call: ast.expr) -> list[ast.stmt]:
        new_case = ast.If(
            test=ast.Compare(left=_name("case"), ops=[ast.Is()], comparators=[ast.Constant(None)]),
            body=[_assign("case", _call("NEW_CASE" + suffix, _name("values")))],
            orelse=[],
        )
        return [new_case, _assign("found", call)]

    def tried(lookup: ast.expr, errors: tuple[str, ...]) -> list[ast.stmt]:
        missed = ast.Tuple(elts=[_name(e) for e in errors], ctx=ast.Load())
        return [
            ast.Try(
                body=[_assign("found", lookup)],
                handlers=[
                    ast.ExceptHandler(type=missed, name=None, body=[_assign("found", ast.Constant(None))])
                ],
                orelse=[],
                finalbody=[],
            )
        ]

    def unless_none(call: ast.expr) -> ast.stmt:
        test = ast.Compare(left=_name("found"), ops=[ast.Is()], comparators=[ast.Constant(None)])
        return ast.If(test=test, body=found_careful(call), orelse=[])

    def when_needed(needless: int, body: list[ast.stmt]) -> list[ast.stmt]:
        body = [
            *body,
            or_into("bits", _name("found")),
            or_into("not_true", ast.BinOp(left=_name("found"), op=ast.BitOr(), right=shifted("found"))),
        ]
        if needless == -1:
            return body
        masked = ast.BinOp(left=_name("not_true"), op=ast.BitAnd(), right=ast.Constant(needless))
        test = ast.Compare(left=masked, ops=[ast.NotEq()], comparators=[ast.Constant(needless)])
        return [ast.If(test=test, body=body, orelse=[])]

    out: list[ast.stmt] = [
        _assign("case", ast.Constant(None)),
        _assign("not_true", ast.BinOp(left=_name("bits"), op=ast.BitOr(), right=shifted("bits"))),
    ]
    for number, needed in enumerate(plan.needed):
        lookup = _lookup(_name(f"N{number}{suffix}"), needed.key, f"NK{number}{suffix}")
        careful = _call("LOOKUP" + suffix, _name(f"NG{number}{suffix}"), _name("case"))
        out += when_needed(needed.needless, [*tried(lookup, ("KeyError", "TypeError")), unless_none(careful)])
    for number, unmemoised in enumerate(plan.unmemoised):
        careful = _call("EVALUATE" + suffix, _name(f"UG{number}{suffix}"), _name("case"))
        out += when_needed(unmemoised.needless, found_careful(careful))
    for number in range(len(plan.settings)):
        lookup = _subscript(_name(f"S{number}{suffix}"), _call(f"SK{number}{suffix}", _name("values")))
        careful = _call("SETTING_ID" + suffix, _name(f"SS{number}{suffix}"), _name("case"))
        out += [
            *tried(lookup, ("KeyError", "TypeError")),
            unless_none(careful),
            or_into("bits", _name("found")),
        ]
    return out


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
        case DefaultedFieldKey(path=path):
            read = ast.Call(
                func=_attribute(_name("values"), "get"),
                args=[ast.Constant(path), _name("ABSENT")],
                keywords=[],
            )
            return _subscript(table, read)
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
