"""Witness cases: a model of the formulas turned into a case file, confirmed by the evaluator.

A finding that says something *can* happen (two rules overlap, a platform rule overrides a
merchant rule for some cases) is reported only with a case that shows it, and only after the
reference evaluator, deciding that very case, agrees. The encoding approximates some
expressions, so a model alone is a candidate, never a proof.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from ttrules.analyze.encode import Encoder
from ttrules.case_files import DEFAULT_CASE, merge_case
from ttrules.engine import Engine
from ttrules.evaluate.decision import Decision
from ttrules.schema.case import CaseError
from ttrules.syntax.literals import format_decimal

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Witnesses are easier to read in a plausible range: tried first, dropped if impossible.
_RECENT = (
    int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()),
    int(datetime(2027, 1, 1, tzinfo=UTC).timestamp()),
)
# Loaded from other fields: a case file cannot set them, so they are left to the loader.
_NOT_INPUTS = {"logistics.days_since_last_scan", "logistics.days_late", "logistics.late_by", "order.currency"}
SOLVER_TIMEOUT_MS = 5_000

Check = Callable[[Decision], bool]


def solver(encoder: Encoder) -> Any:
    s = z3.Solver()
    s.set("timeout", SOLVER_TIMEOUT_MS)
    s.add(*encoder.facts)
    return s


def preferences(encoder: Encoder) -> list[Any]:
    """Make witnesses look like real cases: whole seconds, whole cents, recent dates."""
    wanted = []
    for var in encoder.fields.values():
        kind = var.spec.type.kind
        if var.value is None:
            continue
        if kind == "timestamp":
            wanted += [z3.IsInt(var.value), var.value >= _RECENT[0], var.value < _RECENT[1]]
        elif kind == "money":  # written in the report currency, so the amounts mean what they say
            report = encoder.currency_code(encoder.prepared.stack.config.currency)
            wanted += [z3.IsInt(var.value * 100), var.value >= 0, var.currency == report]
        elif kind in ("duration", "number"):
            wanted.append(z3.IsInt(var.value * 100))
        elif kind == "enum":  # unknown raw values are legal, but a known one reads better
            members = encoder.schema.enums.get(var.spec.type.enum, ())
            if members:
                wanted.append(z3.Or([var.value == z3.StringVal(m) for m in members]))
        elif kind == "str":
            wanted.append(z3.Length(var.value) > 0)
    return wanted


def _real(value: Any) -> Fraction:
    if z3.is_int_value(value):
        return Fraction(value.as_long())
    if z3.is_rational_value(value):
        return Fraction(value.numerator_as_long(), value.denominator_as_long())
    raise ValueError(f"not a rational value: {value}")


def _decimal(fraction: Fraction) -> Decimal:
    return Decimal(fraction.numerator) / Decimal(fraction.denominator)


def _input_value(encoder: Encoder, path: str, model: Any) -> Any:
    var = encoder.fields[path]
    kind = var.spec.type.kind
    if var.value is None:  # a set: the members the model put in it
        return sorted(
            item
            for (p, item), flag in encoder.members.items()
            if p == path and z3.is_true(model.eval(flag, model_completion=True))
        )
    value = model.eval(var.value, model_completion=True)
    if kind == "bool":
        return z3.is_true(value)
    if kind in ("str", "enum"):
        return value.as_string()
    if kind == "int":
        return value.as_long()
    number = _real(value)
    if kind == "money":
        return f"{format_decimal(_decimal(number))} {encoder.prepared.stack.config.currency}"
    if kind == "timestamp":
        moment = EPOCH + timedelta(microseconds=round(number * 1_000_000))
        return moment.isoformat().replace("+00:00", "Z")
    if kind == "duration":
        return f"{round(number)}s"
    if kind == "percent":
        return format_decimal(_decimal(number * 100))
    return format_decimal(_decimal(number))


def record_from_model(encoder: Encoder, model: Any) -> dict[str, Any]:
    """The case the model describes: every field it read, present or absent as the model says."""
    flat: dict[str, Any] = {}
    for path, var in encoder.fields.items():
        if path in _NOT_INPUTS:
            continue
        if not z3.is_true(model.eval(var.present, model_completion=True)):
            continue  # absent: left out of the case
        flat[path] = _input_value(encoder, path, model)
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        namespace, name = path.split(".", 1)
        nested.setdefault(namespace, {})[name] = value
    record = merge_case(DEFAULT_CASE, nested)
    record.setdefault("case", {}).setdefault("id", "witness")
    return record


def case_constraints(encoder: Encoder, values: dict[str, Any]) -> list[Any]:
    """The formulas that pin the encoder's fields to one loaded case: the inverse of
    `record_from_model`. A currency without a rate gets its own code and an unconstrained
    scale, as the encoding gives it, so a pinned case is one of the cases the encoding admits."""
    pinned: list[Any] = []
    unrated: dict[str, int] = {}
    for path, var in list(encoder.fields.items()):
        if path not in values:
            if not var.spec.always_present:
                pinned.append(z3.Not(var.present))
            continue
        pinned.append(var.present)
        pinned += _value_constraints(encoder, path, var.value, var.currency, values[path], unrated)
    for (path, item), flag in encoder.members.items():
        if path in values:
            pinned.append(flag == z3.BoolVal(item in values[path]))
    return pinned


def _value_constraints(
    encoder: Encoder, path: str, variable: Any, currency: Any, value: Any, unrated: dict[str, int]
) -> list[Any]:
    kind = encoder.fields[path].spec.type.kind
    if variable is None:  # a set: pinned member by member
        return []
    if kind == "bool":
        return [variable == z3.BoolVal(bool(value))]
    if kind in ("str", "enum"):
        return [variable == z3.StringVal(str(value))]
    if kind == "int":
        return [variable == z3.IntVal(int(value))]
    if kind == "money":
        code = value.currency
        if code in encoder.rates:
            scaled = Fraction(value.amount) * Fraction(encoder.rates[code])
            return [currency == encoder.currency_code(code), variable == _rational(scaled)]
        number = unrated.setdefault(code, len(encoder.rates) + len(unrated))
        return [currency == z3.IntVal(number)]
    if kind == "timestamp":
        seconds = Fraction((value - EPOCH) // timedelta(microseconds=1), 1_000_000)
        return [variable == _rational(seconds)]
    if kind == "duration":
        return [variable == _rational(Fraction(value // timedelta(microseconds=1), 1_000_000))]
    if kind == "percent":
        return [variable == _rational(Fraction(value) / 100)]
    return [variable == _rational(Fraction(value))]


def _rational(value: Fraction) -> Any:
    return z3.Q(value.numerator, value.denominator)


def find_witness(
    engine: Engine, encoder: Encoder, s: Any, preferences: list[Any], check: Check, attempts: int = 3
) -> tuple[dict[str, Any], Decision] | None:
    """A case the solver `s` allows (its query already asserted) that the evaluator confirms.

    Tried first with the readability preferences, then without; each failed candidate is
    excluded so the next attempt is a different case.
    """
    for preferred in (True, False):
        s.push()
        try:
            if preferred:
                s.add(*preferences)
            for _ in range(attempts):
                if s.check() != z3.sat:
                    break
                model = s.model()
                record = record_from_model(encoder, model)
                decision = confirm(engine, record, check)
                if decision is not None:
                    return record, decision
                differs = [
                    var.value != model.eval(var.value, model_completion=True)
                    for var in encoder.fields.values()
                    if var.value is not None
                ]
                if not differs:
                    break
                s.add(z3.Or(differs))
        finally:
            s.pop()
    return None


def confirm(engine: Engine, record: dict[str, Any], check: Check) -> Decision | None:
    """The evaluator's decision on the witness, if it shows the claim.

    The compiled path decides (without a trace): it is held equal to the reference by the
    differential suite, and it keeps a check of a thousand-rule stack within seconds. A
    check reads the decision's facts: which rules matched, were vetoed, were overridden.
    """
    try:
        values = engine.values(record)
    except CaseError:
        return None
    decision = engine.decide_values(values)
    return decision if check(decision) else None
