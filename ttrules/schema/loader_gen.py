"""The fast loader's field function, generated from the case models with Python's `ast` module.

A generic loop over a table of converters spends most of a record's load on its own dispatch:
which field is this, which converter, may it be null. The models are fixed when the package is
imported, so that loop is unrolled once into one function that reads each declared field by name,
checks its JSON type inline and writes it to its place. The nodes are built from the models'
field descriptions (`Conversion`) with names and literals as `ast.Constant` — never source text
assembled from strings — and the loader's differential test holds the result to the definition.

`field_function_source()` shows what the models become, for whoever debugs the loader.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# The names the generated code reads, bound in its globals by `build_field_function`.
UNUSUAL = "UNUSUAL"  # the exception instance that hands a record to the definition
MISSING = "MISSING"
NO_EXTRAS = "NO_EXTRAS"
EMPTY = "EMPTY"
NORMALISE = "normalise_enum"
ISO = "iso_timestamp"  # a regex's fullmatch: the spellings fromisoformat and pydantic read alike
FROM_ISO = "fromisoformat"
UTC_ZONE = "UTC"

INLINE_TYPES = {"text": "str", "flag": "bool", "enum": "str", "integer": "int"}


@dataclass(frozen=True, slots=True)
class Conversion:
    """How one declared field is taken from its JSON value."""

    kind: str  # text, flag, enum, integer, timestamp, or "called" (`convert` does it all)
    convert: Callable[[Any], Any] | None = None  # for a kind not checked inline, or the rest
    enum: str | None = None
    low: int | None = None
    high: int | None = None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    conversion: Conversion
    nullable: bool
    required: bool
    default: Any = None  # a constant (None: no default)
    fresh_list: bool = False  # absent means a new empty list per record


@dataclass(frozen=True, slots=True)
class NamespaceSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    optional: bool  # an absent namespace is `{}`
    into: str  # "fields" (path keys) or "outcome" (bare names)


def _load(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _store(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Store())


def _raise_unusual() -> ast.Raise:
    return ast.Raise(exc=_load(UNUSUAL))


def _is(left: ast.expr, right: ast.expr, negate: bool = False) -> ast.Compare:
    return ast.Compare(left=left, ops=[ast.IsNot() if negate else ast.Is()], comparators=[right])


def _type_is_not(value: ast.expr, builtin: str) -> ast.Compare:
    return _is(ast.Call(func=_load("type"), args=[value], keywords=[]), _load(builtin), negate=True)


def _set_item(target: str, key: str, value: ast.expr) -> ast.Assign:
    subscript = ast.Subscript(value=_load(target), slice=ast.Constant(key), ctx=ast.Store())
    return ast.Assign(targets=[subscript], value=value)


def _converted(spec: FieldSpec, globals_: dict[str, Any], slot: str) -> tuple[list[ast.stmt], ast.expr]:
    """The checks for one present, non-null value, and the expression of its converted value."""
    conversion, value = spec.conversion, _load("value")
    if conversion.kind == "timestamp":
        return _timestamp(conversion, globals_, slot)
    builtin = INLINE_TYPES.get(conversion.kind)
    if builtin is None:
        assert conversion.convert is not None
        globals_[slot] = conversion.convert
        return [], ast.Call(func=_load(slot), args=[value], keywords=[])
    bad: ast.expr = _type_is_not(value, builtin)
    if conversion.kind == "integer":
        in_range = ast.Compare(
            left=ast.Constant(conversion.low),
            ops=[ast.LtE(), ast.LtE()],
            comparators=[value, ast.Constant(conversion.high)],
        )
        bad = ast.BoolOp(op=ast.Or(), values=[bad, ast.UnaryOp(op=ast.Not(), operand=in_range)])
    checks: list[ast.stmt] = [ast.If(test=bad, body=[_raise_unusual()], orelse=[])]
    if conversion.kind != "enum":
        return checks, value
    assert conversion.enum is not None
    members = f"members_{slot}"
    globals_[members] = frozenset(_enum_members(conversion.enum))
    normalised = ast.Call(func=_load(NORMALISE), args=[ast.Constant(conversion.enum), value], keywords=[])
    known = ast.Compare(left=value, ops=[ast.In()], comparators=[_load(members)])
    return checks, ast.IfExp(test=known, body=value, orelse=normalised)


def _timestamp(
    conversion: Conversion, globals_: dict[str, Any], slot: str
) -> tuple[list[ast.stmt], ast.expr]:
    """if type(value) is str and iso(value): value = fromisoformat(value), to UTC by the
    converter unless it is UTC already; anything else to the converter. fromisoformat's
    ValueError (the 30th of February) leaves the function as UNUSUAL."""
    assert conversion.convert is not None
    globals_[slot] = conversion.convert
    value = _load("value")

    def convert() -> ast.Assign:
        return ast.Assign(
            targets=[_store("value")], value=ast.Call(func=_load(slot), args=[value], keywords=[])
        )

    iso_text = ast.BoolOp(
        op=ast.And(),
        values=[
            _is(ast.Call(func=_load("type"), args=[value], keywords=[]), _load("str")),
            ast.Call(func=_load(ISO), args=[value], keywords=[]),
        ],
    )
    parse = ast.Assign(
        targets=[_store("value")], value=ast.Call(func=_load(FROM_ISO), args=[value], keywords=[])
    )
    zone = ast.Attribute(value=value, attr="tzinfo", ctx=ast.Load())
    to_utc = ast.If(test=_is(zone, _load(UTC_ZONE), negate=True), body=[convert()], orelse=[])
    return [ast.If(test=iso_text, body=[parse, to_utc], orelse=[convert()])], value


def _enum_members(name: str) -> tuple[str, ...]:
    from ttrules.schema.enums import ENUMS

    return ENUMS[name]


def _field(namespace: NamespaceSpec, spec: FieldSpec, globals_: dict[str, Any]) -> list[ast.stmt]:
    """if name in given: value = given[name], null → nothing or refusal, else the checked,
    converted value written to its key; absent → its default or refusal.

    A membership test rather than `get`: most declared fields are absent from a record, and
    `in` costs half a method call."""
    key = f"{namespace.name}.{spec.name}" if namespace.into == "fields" else spec.name
    name = ast.Constant(spec.name)
    read = ast.Assign(
        targets=[_store("value")], value=ast.Subscript(value=_load("given"), slice=name, ctx=ast.Load())
    )
    checks, converted = _converted(spec, globals_, f"convert_{namespace.name}_{spec.name}")
    present = [*checks, _set_item(namespace.into, key, converted)]
    null = ast.Constant(None)
    present_body: list[ast.stmt] = [
        read,
        ast.If(test=_is(_load("value"), null, negate=True), body=present, orelse=[])  # null: absent
        if spec.nullable
        else ast.If(test=_is(_load("value"), null), body=[_raise_unusual()], orelse=present),
    ]
    absent: list[ast.stmt] = []
    if spec.required:
        absent = [_raise_unusual()]
    elif spec.fresh_list:
        absent = [_set_item(namespace.into, key, ast.List(elts=[], ctx=ast.Load()))]
    elif spec.default is not None:
        absent = [_set_item(namespace.into, key, ast.Constant(spec.default))]
    given = ast.Compare(left=name, ops=[ast.In()], comparators=[_load("given")])
    return [ast.If(test=given, body=present_body, orelse=absent)]


def _fetch(namespace: NamespaceSpec, *default: ast.expr) -> ast.Assign:
    """given = record.get(name[, default])"""
    call = ast.Call(
        func=ast.Attribute(value=_load("record"), attr="get", ctx=ast.Load()),
        args=[ast.Constant(namespace.name), *default],
        keywords=[],
    )
    return ast.Assign(targets=[_store("given")], value=call)


def _namespace_body(namespace: NamespaceSpec, globals_: dict[str, Any]) -> list[ast.stmt]:
    """From `given` (the namespace's value in the record): its fields, then its extras."""
    given = _load("given")
    body: list[ast.stmt] = [
        ast.If(test=_type_is_not(given, "dict"), body=[_raise_unusual()], orelse=[]),
    ]
    for spec in namespace.fields:
        body.extend(_field(namespace, spec, globals_))
    if namespace.into == "fields":
        body.append(_extras(namespace, globals_))
    return body


def _namespace(namespace: NamespaceSpec, globals_: dict[str, Any]) -> list[ast.stmt]:
    if namespace.into == "outcome":  # read only when present and not null; extras ignored
        present = _is(_load("given"), ast.Constant(None), negate=True)
        return [_fetch(namespace), ast.If(test=present, body=_namespace_body(namespace, globals_), orelse=[])]
    if_absent: ast.stmt = (
        ast.Assign(targets=[_store("given")], value=_load(EMPTY)) if namespace.optional else _raise_unusual()
    )
    return [
        _fetch(namespace, _load(MISSING)),
        ast.If(test=_is(_load("given"), _load(MISSING)), body=[if_absent], orelse=[]),
        *_namespace_body(namespace, globals_),
    ]


def _extras(namespace: NamespaceSpec, globals_: dict[str, Any]) -> ast.stmt:
    """extras[ns] = NO_EXTRAS if given.keys() <= declared else {k: v for undeclared k}."""
    declared = f"declared_{namespace.name}"
    globals_[declared] = frozenset(spec.name for spec in namespace.fields)
    keys = ast.Call(
        func=ast.Attribute(value=_load("given"), attr="keys", ctx=ast.Load()), args=[], keywords=[]
    )
    only_declared = ast.Compare(left=keys, ops=[ast.LtE()], comparators=[_load(declared)])
    undeclared = ast.DictComp(
        key=_load("key"),
        value=_load("item"),
        generators=[
            ast.comprehension(
                target=ast.Tuple(elts=[_store("key"), _store("item")], ctx=ast.Store()),
                iter=ast.Call(
                    func=ast.Attribute(value=_load("given"), attr="items", ctx=ast.Load()),
                    args=[],
                    keywords=[],
                ),
                ifs=[ast.Compare(left=_load("key"), ops=[ast.NotIn()], comparators=[_load(declared)])],
                is_async=0,
            )
        ],
    )
    return _set_item(
        "extras", namespace.name, ast.IfExp(test=only_declared, body=_load(NO_EXTRAS), orelse=undeclared)
    )


def _module(namespaces: tuple[NamespaceSpec, ...], globals_: dict[str, Any]) -> ast.Module:
    body: list[ast.stmt] = [
        ast.Assign(targets=[_store(name)], value=ast.Dict(keys=[], values=[]))
        for name in ("fields", "extras", "outcome")
    ]
    for namespace in namespaces:
        body.extend(_namespace(namespace, globals_))
    result = ast.Tuple(elts=[_load("fields"), _load("extras"), _load("outcome")], ctx=ast.Load())
    body.append(ast.Return(value=result))
    # A converter's ValueError (fromisoformat's, say) means the definition decides the record.
    refusal = ast.Raise(exc=_load(UNUSUAL), cause=ast.Constant(None))
    handler = ast.ExceptHandler(type=_load("ValueError"), name=None, body=[refusal])
    body = [ast.Try(body=body, handlers=[handler], orelse=[], finalbody=[])]
    parameters = ast.arguments(
        posonlyargs=[], args=[ast.arg(arg="record")], kwonlyargs=[], kw_defaults=[], defaults=[]
    )
    newer: dict[str, Any] = {"type_params": []} if sys.version_info >= (3, 12) else {}
    function = ast.FunctionDef(
        name="load_fields", args=parameters, body=body, decorator_list=[], returns=None, **newer
    )
    return ast.fix_missing_locations(ast.Module(body=[function], type_ignores=[]))


FieldFunction = Callable[
    [Mapping[str, Any]], tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any]]
]


def build_field_function(
    namespaces: tuple[NamespaceSpec, ...], bound: Mapping[str, Any]
) -> tuple[FieldFunction, ast.Module]:
    """The generated `load_fields(record) -> (fields, extras, outcome)` and its module.

    `bound` supplies the shared names (UNUSUAL, MISSING, EMPTY, NO_EXTRAS, normalise_enum);
    the converters and key sets the fields need are bound here."""
    globals_: dict[str, Any] = dict(bound)
    module = _module(namespaces, globals_)
    exec(compile(module, "<ttrules case loader>", "exec"), globals_)  # the module is ast nodes, not text
    return globals_["load_fields"], module
