"""The case model (SPEC §2) as pydantic models, and its flattening into field values.

Loading validates what must be there and converts what came: money from "12.50 USD",
{"amount", "currency"} or a bare number in the order's currency; timestamps from ISO 8601
(naive means UTC) or Unix seconds; enum values normalised when recognised and kept as they
came when not. The evaluator then reads a flat `{path: value}` map, where a missing path is a
missing value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticUndefined

from ttrules.schema import types as t
from ttrules.schema.enums import QUALITY_REASONS, normalise_enum
from ttrules.schema.fields import Schema
from ttrules.schema.reasons import category_of
from ttrules.syntax.literals import parse_money
from ttrules.values import Money, Percent, to_utc

_MONEY_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^-?\d+(\.\d+)?\s*[A-Z]{3}$", "examples": ["12.50 USD"]},
        {
            "type": "object",
            "properties": {"amount": {"type": ["string", "number"]}, "currency": {"type": "string"}},
            "required": ["amount", "currency"],
        },
        {"type": ["number", "string"], "description": "amount in order.currency"},
    ]
}


# What the duckdb engine's DECIMAL(38, 6) holds before the point: both engines take the same
# amounts (one beyond it, like `1e999999`, is a bad row, not an overflow in the report).
AMOUNT_INTEGER_DIGITS = 32
FRACTION_DIGITS = 30  # as many as a literal in a rule may have (syntax/literals.py)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected an amount, got true/false")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("expected a finite amount")
        return _bounded(Decimal(repr(value)), exponent=True)
    if type(value) is Decimal:  # a JSON number: its exponent may be anything
        return _bounded(value, exponent=True)
    text = str(value).strip()
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"expected an amount, got {value!r}") from None
    return _bounded(result, exponent=len(text) > FRACTION_DIGITS or "e" in text or "E" in text)


def _bounded(result: Decimal, exponent: bool) -> Decimal:
    """`result` within what both engines hold; `exponent`: it may have more than
    FRACTION_DIGITS digits after the point (a short plain text cannot: the check is skipped)."""
    if not result.is_finite():
        raise ValueError("expected a finite amount")
    if result and result.adjusted() >= AMOUNT_INTEGER_DIGITS:
        raise ValueError(f"an amount of more than {AMOUNT_INTEGER_DIGITS} digits before the point")
    if exponent and -result.as_tuple().exponent > FRACTION_DIGITS:  # 1e-999999: a million zeros
        raise ValueError(f"an amount of more than {FRACTION_DIGITS} digits after the point")
    return result


def parse_money_input(value: Any) -> Money:
    """An amount of a case (a total, a fee, a refund asked): exact, and never negative, since
    a negative one in an export is a reversal or a damaged row, not an order to decide."""
    money = _money_input(value)
    if money.amount < 0:
        raise ValueError(f"an amount is never negative, got {money.amount}")
    return money


def _money_input(value: Any) -> Money:
    if type(value) is str:  # the common case first: an ABC check costs more than the parse
        parsed = parse_money(value)
        if parsed is not None:  # plain digits: only a long text can have too many decimals
            return Money(_bounded(parsed[0], exponent=len(value) > FRACTION_DIGITS), parsed[1])
    if isinstance(value, Money):
        return value
    if isinstance(value, Mapping):
        if "amount" not in value or "currency" not in value:
            raise ValueError('money must have "amount" and "currency"')
        currency = str(value["currency"]).strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ValueError(f"`{value['currency']}` is not an ISO 4217 currency code")
        return Money(_decimal(value["amount"]), currency)
    if isinstance(value, str):
        parsed = parse_money(value.strip())
        if parsed is not None:  # plain digits: only a long text can have too many decimals
            return Money(_bounded(parsed[0], exponent=len(value) > FRACTION_DIGITS), parsed[1])
        try:
            return Money(_decimal(value), "")
        except ValueError:
            raise ValueError(f'expected an amount like "12.50 USD", got {value!r}') from None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Money(_decimal(value), "")
    raise ValueError(f'expected an amount like "12.50 USD", got {type(value).__name__}')


class EnumNormaliser:
    """Normalises a raw value to a member of one enumeration (the fast loader reads `.enum`)."""

    def __init__(self, enum: str) -> None:
        self.enum = enum

    def __call__(self, raw: str) -> str:
        return normalise_enum(self.enum, raw)


def _enum(name: str) -> AfterValidator:
    return AfterValidator(EnumNormaliser(name))


_UNIX_NUMBER = re.compile(r"-?\d{1,18}(\.\d{1,9})?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def unix_seconds(value: Any) -> Any:
    """A number (or a cell of digits) is a Unix time in seconds, whatever its size. Pydantic
    would read one above 2e10 as milliseconds, so one column could mean two units depending on
    its values; a time in milliseconds is out of range here and says so."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return value
    if isinstance(value, str):
        if not _UNIX_NUMBER.fullmatch(value.strip()):
            return value
        value = Decimal(value.strip())
    try:
        return _EPOCH + timedelta(seconds=float(value) if not isinstance(value, int) else value)
    except (OverflowError, ValueError):
        hint = "; a time in milliseconds needs dividing by 1000" if abs(value) > 2e10 else ""
        raise ValueError(f"{value} is not a Unix time in seconds (years 1 to 9999){hint}") from None


MoneyIn = Annotated[Money, BeforeValidator(parse_money_input), WithJsonSchema(_MONEY_SCHEMA)]
Timestamp = Annotated[datetime, BeforeValidator(unix_seconds), AfterValidator(to_utc)]


class _Namespace(BaseModel):
    # Extension fields declared in ttrules.yaml arrive as extra keys and are typed later.
    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)


class CaseInfo(_Namespace):
    id: str | None = None
    platform: Annotated[str, _enum("Platform")] = "TIKTOK"
    market: str | None = None
    now: Timestamp | None = None


class OrderInfo(_Namespace):
    id: str = ""
    status: Annotated[str, _enum("OrderStatus")]
    total: MoneyIn
    currency: str | None = None
    category: str | None = None
    sku: str | None = None
    quantity: int = 1
    created_at: Timestamp
    paid_at: Timestamp | None = None
    shipped_at: Timestamp | None = None
    collected_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    expected_delivery_at: Timestamp | None = None
    shipping_due_at: Timestamp | None = None
    collection_due_at: Timestamp | None = None
    is_cod: bool = False
    is_replacement: bool = False


class RequestInfo(_Namespace):
    id: str = ""
    kind: Annotated[str, _enum("RequestKind")]
    initiator: Annotated[str, _enum("Initiator")] = "BUYER"
    reason_code: str | None = None
    reason: Annotated[str, _enum("ReasonCategory")] | None = None
    is_quality_issue: bool | None = None
    refund_amount: MoneyIn | None = None
    return_shipping_fee: MoneyIn | None = None
    items_value: MoneyIn | None = None
    evidence: list[Annotated[str, _enum("EvidenceKind")]] = Field(default_factory=list)
    created_at: Timestamp
    updated_at: Timestamp | None = None
    respond_by: Timestamp | None = None
    buyer_keeps_item: bool | None = None
    arbitration_status: Annotated[str, _enum("ArbitrationStatus")] | None = None


class BuyerInfo(_Namespace):
    id: str = ""
    credit_score: int | None = Field(default=None, ge=0, le=100)
    orders_90d: int | None = Field(default=None, ge=0)
    refunds_90d: int | None = Field(default=None, ge=0)
    blacklisted: bool = False
    account_age_days: int | None = Field(default=None, ge=0)


class LogisticsInfo(_Namespace):
    carrier: str | None = None
    last_scan_at: Timestamp | None = None
    exception: Annotated[str, _enum("LogisticsException")] = "NONE"


class DropshipInfo(_Namespace):
    stage: Annotated[str, _enum("DropshipStage")] = "NONE"
    supplier: str | None = None
    item_cost: MoneyIn | None = None
    stranded_match: bool = False


class Outcome(_Namespace):
    """What actually happened to a historical case (read by the simulator, never by rules)."""

    decision: str | None = None
    refunded: MoneyIn | None = None
    abuse: bool | None = None
    handling_minutes: Decimal | None = None


class Case(BaseModel):
    """One after-sales request with its order, buyer and logistics facts."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    case: CaseInfo = Field(default_factory=CaseInfo)
    order: OrderInfo
    request: RequestInfo
    buyer: BuyerInfo = Field(default_factory=BuyerInfo)
    logistics: LogisticsInfo = Field(default_factory=LogisticsInfo)
    dropship: DropshipInfo = Field(default_factory=DropshipInfo)
    outcome: Outcome | None = None
    # Where an imported record came from (raw statuses, the raw payload); never read by rules.
    source: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _currencies(self) -> Case:
        """Bare amounts are in the order's currency; the order's currency is its total's."""
        currency = self.order.total.currency or (self.order.currency or "").upper()
        if not currency:
            raise ValueError('order.total needs a currency: write "12.50 USD" or give order.currency')
        if (
            self.order.currency
            and self.order.total.currency
            and self.order.currency.upper() != self.order.total.currency
        ):
            raise ValueError(
                f"order.currency {self.order.currency} differs from order.total's {self.order.total.currency}"
            )
        self.order.total = _with_currency(self.order.total, currency)
        self.order.currency = currency
        for owner, name in (
            (self.request, "refund_amount"),
            (self.request, "return_shipping_fee"),
            (self.request, "items_value"),
            (self.dropship, "item_cost"),
            (self.outcome, "refunded"),
        ):
            value = getattr(owner, name, None) if owner is not None else None
            if value is not None:
                setattr(owner, name, _with_currency(value, currency))
        return self


def _with_currency(money: Money, currency: str) -> Money:
    return money if money.currency else Money(money.amount, currency)


def unflatten(record: Mapping[str, Any]) -> dict[str, Any]:
    """Accept dotted keys (`"order.total": ...`) beside nested objects."""
    nested: dict[str, Any] = {}
    for key, value in record.items():
        if "." in key:
            head, tail = key.split(".", 1)
            bucket = nested.setdefault(head, {})
            if isinstance(bucket, dict):
                bucket.update(unflatten({tail: value}))
        elif isinstance(value, Mapping) and isinstance(nested.get(key), dict):
            nested[key].update(value)
        else:
            nested[key] = dict(value) if isinstance(value, Mapping) else value
    return nested


class CaseError(Exception):
    """A record that is not a valid case; `problems` are (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))
        self.problems = problems


def validation_problems(error: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for item in error.errors(include_url=False):
        path = ".".join(str(p) for p in item["loc"] if not str(p).startswith("function-"))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "extra_forbidden":
            message = (
                "unknown namespace (expected case, order, request, buyer, logistics, "
                "dropship, outcome, source)"
            )
        problems.append((path, message))
    return problems


def parse_case(record: Mapping[str, Any]) -> Case:
    if not isinstance(record, Mapping):
        raise CaseError([("", f"a case must be a JSON object, not {type(record).__name__}")])
    try:
        return Case.model_validate(unflatten(record))
    except ValidationError as error:
        raise CaseError(validation_problems(error)) from None


READ_NAMESPACES = ("case", "order", "request", "buyer", "logistics", "dropship")


def case_values(case: Case, schema: Schema) -> dict[str, Any]:
    """The flat `{path: value}` map a rule reads. Missing values are absent keys."""
    fields: dict[str, Any] = {}
    extras: dict[str, dict[str, Any]] = {}
    for namespace in READ_NAMESPACES:
        model = getattr(case, namespace)
        # Attributes, not `model_dump`: dumping turns Money (a dataclass) into a dict.
        for name in type(model).model_fields:
            value = getattr(model, name)
            if value is not None:
                fields[f"{namespace}.{name}"] = value
        extras[namespace] = model.model_extra or {}
    return derive_values(fields, extras, schema)


def outcome_fields(case: Case) -> dict[str, Any]:
    """The outcome fields a historical case has (simulate reads them; rules never do)."""
    if case.outcome is None:
        return {}
    return {n: v for n in Outcome.model_fields if (v := getattr(case.outcome, n)) is not None}


def derive_values(
    fields: dict[str, Any], extras: Mapping[str, Mapping[str, Any]], schema: Schema
) -> dict[str, Any]:
    """Loaded fields (`{path: value}`, None left out, defaults filled) with the derived
    fields and typed extension fields added, in place: one definition for every loader."""
    values = fields
    get = values.get
    values["request.evidence"] = frozenset(values["request.evidence"])
    if "request.refund_amount" not in values:
        values["request.refund_amount"] = values["order.total"]
    now = get("case.now") or values["request.created_at"]
    values["case.now"] = now
    values["case.id"] = get("case.id") or values["request.id"] or values["order.id"]
    reason = get("request.reason")
    if reason is None:
        code = get("request.reason_code")
        if code is not None:
            reason = category_of(code) or "OTHER"
    if reason is not None:
        values["request.reason"] = reason
        quality = get("request.is_quality_issue")
        values["request.is_quality_issue"] = quality if quality is not None else reason in QUALITY_REASONS
    last_scan = get("logistics.last_scan_at")
    if last_scan is not None:
        values["logistics.days_since_last_scan"] = max(0, (now - last_scan).days)
    expected = get("order.expected_delivery_at")
    if expected is not None:
        late_by = (get("order.delivered_at") or now) - expected
        values["logistics.days_late"] = max(0, late_by.days)  # whole days, rounded down
        values["logistics.late_by"] = late_by if late_by > _NO_TIME else _NO_TIME
    if schema.extensions:
        _add_extensions(extras, schema, values)
    return values


_NO_TIME = timedelta(0)


def _add_extensions(extras: Mapping[str, Mapping[str, Any]], schema: Schema, values: dict[str, Any]) -> None:
    problems: list[tuple[str, str]] = []
    for spec in schema.extensions:
        namespace, name = spec.path.split(".", 1)
        extra = extras.get(namespace)
        if not extra or extra.get(name) is None:
            continue
        try:
            values[spec.path] = convert_extension(extra[name], spec.type)
        except (ValueError, TypeError) as error:
            problems.append((spec.path, str(error)))
    if problems:
        raise CaseError(problems)


def convert_extension(raw: Any, type_: t.Type) -> Any:
    """A raw JSON value to the run-time value of a declared extension type."""
    kind = type_.kind
    if kind == "set":
        if not isinstance(raw, list | tuple | set | frozenset):
            raise ValueError(f"expected a list, got {type(raw).__name__}")
        assert type_.element is not None
        return frozenset(convert_extension(item, type_.element) for item in raw)
    if kind == "bool":
        if not isinstance(raw, bool):
            raise ValueError(f"expected true or false, got {raw!r}")
        return raw
    if kind == "int":
        try:
            number = (
                None if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal) else _decimal(raw)
            )
        except ValueError:
            number = None
        if number is None or number != int(number):
            raise ValueError(f"expected a whole number, got {raw!r}")
        return int(number)
    if kind == "number":
        return _decimal(raw)
    if kind == "percent":
        return _percent(raw)
    if kind == "money":
        money = parse_money_input(raw)
        if not money.currency:
            raise ValueError('expected an amount with a currency, like "12.50 USD"')
        return money
    if kind == "timestamp":
        from pydantic import TypeAdapter

        return to_utc(TypeAdapter(datetime).validate_python(unix_seconds(raw)))
    if kind == "duration":
        from ttrules.syntax.literals import duration_seconds

        if not isinstance(raw, str) or not duration_seconds(raw):
            raise ValueError(f'expected a duration like "7d", got {raw!r}')
        return timedelta(seconds=duration_seconds(raw))
    if kind == "enum":
        return normalise_enum(type_.enum, str(raw))
    if not isinstance(raw, str):
        raise ValueError(f"expected a string, got {type(raw).__name__}")
    return raw


_PERCENT_TEXT = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*%\s*")


def _percent(raw: Any) -> Percent:
    """`"80%"` is 80 %; a number (or a cell of one) is a fraction, `0.8` is 80 %, as a
    percentage is a number in the rules (`30% == 0.3`)."""
    if isinstance(raw, str):
        written = _PERCENT_TEXT.fullmatch(raw)
        if written:
            return Percent(_decimal(written.group(1)))
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        raise ValueError(f'expected a percentage like "80%" or a fraction like 0.8, got {raw!r}')
    try:
        return Percent(_decimal(raw) * 100)
    except ValueError:
        raise ValueError(f'expected a percentage like "80%" or a fraction like 0.8, got {raw!r}') from None


# ---- what loading enforces, for other loaders (the SQL one) and the analysis -----------

NAMESPACE_MODELS: dict[str, type[BaseModel]] = {
    "case": CaseInfo,
    "order": OrderInfo,
    "request": RequestInfo,
    "buyer": BuyerInfo,
    "logistics": LogisticsInfo,
    "dropship": DropshipInfo,
    "outcome": Outcome,
}
NAMESPACES = frozenset({*NAMESPACE_MODELS, "source"})  # the keys a case record may have


def _fields() -> Iterator[tuple[str, str, Any]]:
    for namespace, model in NAMESPACE_MODELS.items():
        for name, info in model.model_fields.items():
            yield namespace, f"{namespace}.{name}", info


def load_bounds() -> dict[str, tuple[int | None, int | None]]:
    """Integer fields' bounds (`ge`/`le` of the model): a value outside fails to load."""
    bounds = {}
    for _, path, info in _fields():
        low = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), None)
        high = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), None)
        if low is not None or high is not None:
            bounds[path] = (low, high)
    return bounds


def load_defaults() -> dict[str, Any]:
    """What an absent field is when a case is loaded (None defaults leave it missing)."""
    defaults = {}
    for _, path, info in _fields():
        value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
        if value is not None and value is not PydanticUndefined:
            defaults[path] = value
    return defaults


def required_paths() -> tuple[str, ...]:
    """Fields a case cannot be loaded without."""
    return tuple(
        path
        for namespace, path, info in _fields()
        if info.is_required() and Case.model_fields[namespace].is_required()
    )
