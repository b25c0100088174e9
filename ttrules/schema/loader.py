"""Loading a case record into the field values rules read, fast.

`parse_case` (pydantic) is the definition of what a valid case is and what each error says;
validating a nested model costs several times more than deciding the case. This loader takes
the common shape of a record (JSON types as `json` or a history reader gives them, ISO 8601
timestamps) in plain Python, and hands the record to `parse_case` the moment anything is
unusual: an invalid record, a value pydantic would coerce (the string "5" for an integer, a
Unix timestamp), a field it has not been taught. So the fast path only ever accepts what the
definition accepts, with the same result (a hypothesis differential test holds it to that),
and every error message is the definition's own.

The per-field converters are built from the pydantic models themselves, so a field added to
the models is loaded here without being taught twice.
"""

from __future__ import annotations

import ast
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import AfterValidator, BaseModel
from pydantic_core import PydanticUndefined

from ttrules.schema.case import (
    NAMESPACE_MODELS,
    NAMESPACES,
    READ_NAMESPACES,
    EnumNormaliser,
    case_values,
    derive_values,
    outcome_fields,
    parse_case,
    parse_money_input,
    unflatten,
)
from ttrules.schema.enums import normalise_enum
from ttrules.schema.fields import Schema
from ttrules.schema.loader_gen import (
    EMPTY,
    FROM_ISO,
    ISO,
    MISSING,
    NO_EXTRAS,
    NORMALISE,
    UNUSUAL,
    UTC_ZONE,
    Conversion,
    FieldSpec,
    NamespaceSpec,
    build_field_function,
)
from ttrules.values import Money

MONEY_PATHS = (
    ("request", "refund_amount"),
    ("request", "return_shipping_fee"),
    ("request", "items_value"),
    ("dropship", "item_cost"),
    ("outcome", "refunded"),
)
# Their keys in the loaded fields (`request.refund_amount`) and in the outcome (`refunded`).
_FIELD_MONEY = tuple(f"{namespace}.{name}" for namespace, name in MONEY_PATHS if namespace != "outcome")
_OUTCOME_MONEY = tuple(name for namespace, name in MONEY_PATHS if namespace == "outcome")


class LoadedCase(NamedTuple):  # a tuple: one is made per record, and a dataclass costs more
    values: dict[str, Any]  # what rules read (`case_values`)
    outcome: dict[str, Any]  # the record's outcome fields that are present (simulate reads them)


class _Unusual(Exception):
    """This record is for the definition (`parse_case`) to load or reject."""


_UNUSUAL = _Unusual()
_MISSING = object()
# The timestamp spellings taken here: what `datetime.fromisoformat` and pydantic read alike.
# Anything else (a space for the T, a comma, seven fraction digits, Unix seconds) goes to
# pydantic, which has its own rules for those. ASCII digits only, groups not captured: a quarter
# faster than `\d` and groups (five timestamps a case); other digits go to pydantic too.
_ISO = re.compile(
    r"[0-9]{4}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]"
    r"(?::[0-9][0-9](?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9][0-9]:[0-9][0-9])?"
)
_INT_RANGE = 1 << 63  # pydantic's own integers beyond it are its business


def _text(value: Any) -> Any:
    if type(value) is not str:
        raise _UNUSUAL
    return value


def _flag(value: Any) -> Any:
    if type(value) is not bool:
        raise _UNUSUAL
    return value


def _amount(value: Any) -> Any:
    if type(value) is Decimal and value.is_finite():
        return value
    if type(value) is int and -_INT_RANGE < value < _INT_RANGE:
        return Decimal(value)
    raise _UNUSUAL


# "12.50 USD" as exports write it: within the amount limits by its shape, so it needs none of
# the definition's further checks (sign, digits, exponent).
_PLAIN_MONEY = re.compile(r"(\d{1,32}(?:\.\d{1,30})?) ?([A-Z]{3})").fullmatch


def _money(value: Any) -> Money:
    if type(value) is str:
        plain = _PLAIN_MONEY(value)
        if plain is not None:
            amount, currency = plain.groups()
            return Money(Decimal(amount), currency)
    try:
        return parse_money_input(value)
    except ValueError:
        raise _UNUSUAL from None


def _timestamp(value: Any) -> datetime:
    if type(value) is str and _ISO.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _UNUSUAL from None
    elif type(value) is datetime:
        parsed = value
    else:
        raise _UNUSUAL
    zone = parsed.tzinfo
    if zone is UTC:
        return parsed
    if zone is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _enum(name: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> str:
        if type(value) is not str:
            raise _UNUSUAL
        return normalise_enum(name, value)

    return convert


def _integer(low: int | None, high: int | None) -> Callable[[Any], Any]:
    low = -_INT_RANGE if low is None else low
    high = _INT_RANGE if high is None else high

    def convert(value: Any) -> int:
        if type(value) is not int or not low <= value <= high:
            raise _UNUSUAL
        return value

    return convert


def _list_of(element: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> list[Any]:
        if type(value) is not list:
            raise _UNUSUAL
        return [element(item) for item in value]

    return convert


def _element(conversion: Conversion) -> Callable[[Any], Any]:
    """A list element's converter, as a function (lists are rare; the generated code calls it)."""
    if conversion.kind == "text":
        return _text
    if conversion.kind == "flag":
        return _flag
    if conversion.kind == "enum":
        assert conversion.enum is not None
        return _enum(conversion.enum)
    if conversion.kind == "integer":
        return _integer(conversion.low, conversion.high)
    assert conversion.convert is not None
    return conversion.convert


def _conversion(annotation: Any, metadata: list[Any]) -> tuple[Conversion, bool]:
    """How to take one declared field, and whether `null` is allowed."""
    nullable = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(members) < len(typing.get_args(annotation))
        if len(members) != 1:
            raise TypeError(f"the fast loader cannot take {annotation}")
        annotation = members[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *extra = typing.get_args(annotation)
        metadata = [*metadata, *extra]
    enums = [
        m.func.enum for m in metadata if isinstance(m, AfterValidator) and isinstance(m.func, EnumNormaliser)
    ]
    if typing.get_origin(annotation) is list:
        (element,) = typing.get_args(annotation)
        return Conversion("list", convert=_list_of(_element(_conversion(element, [])[0]))), nullable
    if enums:
        return Conversion("enum", enum=enums[0]), nullable
    if annotation is int:
        low = next((m.ge for m in metadata if getattr(m, "ge", None) is not None), None)
        high = next((m.le for m in metadata if getattr(m, "le", None) is not None), None)
        low = -_INT_RANGE if low is None else low
        high = _INT_RANGE if high is None else high
        return Conversion("integer", low=low, high=high), nullable
    simple = {bool: "flag", str: "text"}
    if annotation in simple:
        return Conversion(simple[annotation]), nullable
    if annotation is datetime:
        return Conversion("timestamp", convert=_timestamp), nullable
    called = {Money: _money, Decimal: _amount}
    if annotation in called:
        return Conversion("called", convert=called[annotation]), nullable
    raise TypeError(f"the fast loader cannot take {annotation}")


def _namespace_spec(namespace: str, model: type[BaseModel]) -> NamespaceSpec:
    specs = []
    for name, info in model.model_fields.items():
        conversion, nullable = _conversion(info.annotation, list(info.metadata))
        if info.default_factory is not None and info.default_factory is not list:
            raise TypeError(f"the fast loader cannot default {namespace}.{name}")
        specs.append(
            FieldSpec(
                name,
                conversion,
                nullable,
                required=info.default_factory is None and info.default is PydanticUndefined,
                default=None if info.default is PydanticUndefined else info.default,
                fresh_list=info.default_factory is list,
            )
        )
    return NamespaceSpec(
        namespace,
        tuple(specs),
        optional=namespace in _OPTIONAL_NAMESPACES,
        into="outcome" if namespace == "outcome" else "fields",
    )


_OPTIONAL_NAMESPACES = frozenset({"case", "buyer", "logistics", "dropship"})
_NAMESPACE_SPECS = tuple(
    _namespace_spec(namespace, NAMESPACE_MODELS[namespace]) for namespace in (*READ_NAMESPACES, "outcome")
)
_load_fields, _FIELD_MODULE = build_field_function(
    _NAMESPACE_SPECS,
    {
        UNUSUAL: _UNUSUAL,
        MISSING: _MISSING,
        EMPTY: {},
        NO_EXTRAS: {},
        NORMALISE: normalise_enum,
        ISO: _ISO.fullmatch,
        FROM_ISO: datetime.fromisoformat,
        UTC_ZONE: UTC,
    },
)


def field_function_source() -> str:
    """The generated field function as Python text (for reading; it is never run from text)."""
    return ast.unparse(_FIELD_MODULE)


def _fast(record: Mapping[str, Any], schema: Schema) -> LoadedCase:
    if type(record) is not dict:
        raise _UNUSUAL
    for key in record:
        if key not in NAMESPACES:
            if "." not in key:
                raise _UNUSUAL
            record = unflatten(record)
            if not NAMESPACES.issuperset(record):
                raise _UNUSUAL
            break
    fields, extras, outcome = _load_fields(record)
    source = record.get("source")
    if source is not None and type(source) is not dict:
        raise _UNUSUAL
    _apply_currency(fields, outcome)
    return LoadedCase(derive_values(fields, extras, schema), outcome)


def _apply_currency(fields: dict[str, Any], outcome: dict[str, Any]) -> None:
    """The order's currency is its total's; bare amounts are in it (as `Case._currencies`)."""
    total: Money = fields["order.total"]
    stated = fields.get("order.currency")
    currency = total.currency or (stated or "").upper()
    if not currency or (stated and total.currency and stated.upper() != total.currency):
        raise _UNUSUAL
    if not total.currency:
        fields["order.total"] = Money(total.amount, currency)
    fields["order.currency"] = currency
    for key in _FIELD_MONEY:
        money = fields.get(key)
        if money is not None and not money.currency:
            fields[key] = Money(money.amount, currency)
    for key in _OUTCOME_MONEY:
        money = outcome.get(key)
        if money is not None and not money.currency:
            outcome[key] = Money(money.amount, currency)


def load_case(record: Mapping[str, Any], schema: Schema) -> LoadedCase:
    """A raw case record's field values and outcome; raises CaseError for an invalid record,
    with the definition's messages."""
    try:
        return _fast(record, schema)
    except _Unusual:
        pass
    case = parse_case(record)
    return LoadedCase(case_values(case, schema), outcome_fields(case))


def load_values(record: Mapping[str, Any], schema: Schema) -> dict[str, Any]:
    """A raw case record to the field values rules read; raises CaseError when invalid.
    (`load_case` without its outcome, written out: one call less on every case served.)"""
    try:
        return _fast(record, schema).values
    except _Unusual:
        pass
    return case_values(parse_case(record), schema)
