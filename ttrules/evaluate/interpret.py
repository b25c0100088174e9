"""The reference interpreter for expressions: the definition of their meaning.

Evaluation is left to right with short-circuit `and`/`or`. A missing value, a missing FX rate,
a division by zero or a value of an unexpected kind raises `EvalError`, which makes the rule
being evaluated *errored* (SPEC §4); it never escapes a decision. Any faster evaluator must
agree with this one.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ttrules import ast
from ttrules.values import Money, Percent

_CONTEXT = decimal.Context(
    prec=34, traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow]
)


class EvalError(Exception):
    """A rule cannot be evaluated for this case; the message names what was missing or wrong."""


class MissingValue(EvalError):
    """A field or setting has no value for this case; the one error `??` recovers from."""


class MissingSetting(MissingValue):
    pass


@dataclass
class Env:
    """What an expression reads: the case's field values, the effective settings, FX rates."""

    values: Mapping[str, Any]
    settings: Mapping[str, Any]
    fx: Mapping[str, Decimal]  # units of the report currency per unit of each currency
    setting_errors: Mapping[str, str]


def convert(money: Money, currency: str, fx: Mapping[str, Decimal]) -> Money:
    if money.currency == currency:
        return money
    if money.currency not in fx:
        raise EvalError(f"no FX rate for {money.currency}")
    if currency not in fx:
        raise EvalError(f"no FX rate for {currency}")
    amount = _CONTEXT.divide(_CONTEXT.multiply(money.amount, fx[money.currency]), fx[currency])
    return Money(amount, currency)


def _number(value: Any) -> Decimal | int:
    if isinstance(value, Percent):
        return value.fraction
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise EvalError(f"expected a number, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {
        Money: "money",
        Percent: "a percentage",
        timedelta: "a duration",
        datetime: "a timestamp",
        str: "a string",
        bool: "true/false",
        frozenset: "a set",
    }.get(type(value), type(value).__name__)


def _comparable_pair(left: Any, right: Any, env: Env) -> tuple[Any, Any]:
    """Bring two values to a common form for comparison (same currency, numbers as Decimal)."""
    if isinstance(left, Money) and isinstance(right, Money):
        right = convert(right, left.currency, env.fx)
        return left.amount, right.amount
    if (
        isinstance(left, int | Decimal | Percent)
        and not isinstance(left, bool)
        and isinstance(right, int | Decimal | Percent)
        and not isinstance(right, bool)
    ):
        return _number(left), _number(right)
    if type(left) is not type(right) and not (isinstance(left, str) and isinstance(right, str)):
        raise EvalError(f"cannot compare {_kind(left)} with {_kind(right)}")
    return left, right


def compare(op: str, left: Any, right: Any, env: Env) -> bool:
    a, b = _comparable_pair(left, right, env)
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if isinstance(a, frozenset | bool):
        raise EvalError(f"`{op}` does not order {_kind(a)}")
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def member(item: Any, collection: Any, env: Env) -> bool:
    if not isinstance(collection, frozenset):
        raise EvalError(f"`in` needs a set, got {_kind(collection)}")
    if isinstance(item, Money | int | Decimal | Percent) and not isinstance(item, bool):
        return any(compare("==", item, member, env) for member in collection if not isinstance(member, bool))
    return item in collection


def arith(op: str, a: Any, b: Any, env: Env) -> Any:
    try:
        return _arith(op, a, b, env)
    except (decimal.DivisionByZero, decimal.InvalidOperation, ZeroDivisionError):
        raise EvalError("division by zero" if op == "/" else "invalid arithmetic") from None
    except OverflowError:
        raise EvalError("arithmetic overflow") from None


def _scale_duration(d: timedelta, factor: Decimal | int) -> timedelta:
    micros = _CONTEXT.multiply(Decimal(d // timedelta(microseconds=1)), Decimal(factor))
    return timedelta(microseconds=int(micros))


def _arith(op: str, a: Any, b: Any, env: Env) -> Any:
    if op in "+-":
        sign = 1 if op == "+" else -1
        if isinstance(a, Money) and isinstance(b, Money):
            b = convert(b, a.currency, env.fx)
            return Money(_CONTEXT.add(a.amount, sign * b.amount), a.currency)
        if isinstance(a, Percent) and isinstance(b, Percent):
            return Percent(_CONTEXT.add(a.value, sign * b.value))
        if isinstance(a, datetime) and isinstance(b, datetime) and op == "-":
            return a - b
        if isinstance(a, datetime) and isinstance(b, timedelta):
            return a + b if op == "+" else a - b
        if isinstance(a, timedelta) and isinstance(b, datetime) and op == "+":
            return b + a
        if isinstance(a, timedelta) and isinstance(b, timedelta):
            return a + b if op == "+" else a - b
        x, y = _number(a), _number(b)
        if isinstance(x, int) and isinstance(y, int):
            return x + sign * y
        return _CONTEXT.add(Decimal(x), sign * Decimal(y))
    if op == "*":
        if isinstance(b, Money | timedelta) and not isinstance(a, Money | timedelta):
            a, b = b, a
        if isinstance(a, Money):
            return Money(_CONTEXT.multiply(a.amount, Decimal(_number(b))), a.currency)
        if isinstance(a, timedelta):
            return _scale_duration(a, _number(b))
        x, y = _number(a), _number(b)
        if isinstance(x, int) and isinstance(y, int):
            return x * y
        return _CONTEXT.multiply(Decimal(x), Decimal(y))
    if op == "/":
        if isinstance(a, Money) and isinstance(b, Money):
            b = convert(b, a.currency, env.fx)
            return _CONTEXT.divide(a.amount, b.amount)
        if isinstance(a, timedelta) and isinstance(b, timedelta):
            if not b:
                raise EvalError("division by zero")
            return _CONTEXT.divide(
                Decimal(a // timedelta(microseconds=1)), Decimal(b // timedelta(microseconds=1))
            )
        if isinstance(a, Money):
            return Money(_CONTEXT.divide(a.amount, Decimal(_number(b))), a.currency)
        if isinstance(a, timedelta):
            divisor = Decimal(_number(b))
            if not divisor:
                raise EvalError("division by zero")
            return _scale_duration(a, _CONTEXT.divide(Decimal(1), divisor))
        return _CONTEXT.divide(Decimal(_number(a)), Decimal(_number(b)))
    raise EvalError(f"unknown operator {op}")


def negate(value: Any) -> Any:
    if isinstance(value, Money):
        return Money(-value.amount, value.currency)
    if isinstance(value, Percent):
        return Percent(-value.value)
    if isinstance(value, timedelta):
        return -value
    return -_number(value)


def call_function(name: str, args: list[Any], env: Env) -> Any:
    if name in ("min", "max"):
        best = args[0]
        for candidate in args[1:]:
            better = (
                compare("<", candidate, best, env) if name == "min" else compare(">", candidate, best, env)
            )
            if better:
                best = candidate
        return best
    if name == "abs":
        value = args[0]
        if isinstance(value, Money):
            return Money(abs(value.amount), value.currency)
        if isinstance(value, Percent):
            return Percent(abs(value.value))
        if isinstance(value, timedelta):
            return abs(value)
        return abs(_number(value))
    if name == "lower":
        if not isinstance(args[0], str):
            raise EvalError(f"`lower` needs a string, got {_kind(args[0])}")
        return args[0].lower()
    if name == "days":
        if not isinstance(args[0], timedelta):
            raise EvalError(f"`days` needs a duration, got {_kind(args[0])}")
        return _CONTEXT.divide(Decimal(args[0] // timedelta(microseconds=1)), Decimal(86_400_000_000))
    raise EvalError(f"unknown function `{name}`")


def truth(value: Any) -> bool:
    if not isinstance(value, bool):
        raise EvalError(f"a condition gave {_kind(value)}, not true/false")
    return value


def evaluate(expr: ast.Expr, env: Env) -> Any:
    match expr:
        case ast.NumberLit(value=v):
            return int(v) if v == v.to_integral_value() and v.as_tuple().exponent == 0 else v
        case ast.PercentLit(value=v):
            return Percent(v)
        case ast.MoneyLit(amount=a, currency=c):
            return Money(a, c)
        case ast.DurationLit(seconds=s):
            return timedelta(seconds=s)
        case ast.StringLit(value=v) | ast.EnumLit(name=v):
            return v
        case ast.BoolLit(value=v):
            return v
        case ast.SetLit(items=items):
            return frozenset(evaluate(i, env) for i in items)
        case ast.FieldRef(path=p):
            if p not in env.values:
                raise MissingValue(f"`{p}` is missing in this case")
            return env.values[p]
        case ast.SettingRef(name=n):
            if n in env.setting_errors:
                raise MissingSetting(f"setting `{n}` could not be computed: {env.setting_errors[n]}")
            if n not in env.settings:
                raise MissingSetting(f"setting `{n}` has no value for this case")
            return env.settings[n]
        case ast.Not(operand=o):
            return not truth(evaluate(o, env))
        case ast.Neg(operand=o):
            return negate(evaluate(o, env))
        case ast.And(items=items):
            return all(truth(evaluate(i, env)) for i in items)
        case ast.Or(items=items):
            return any(truth(evaluate(i, env)) for i in items)
        case ast.Compare(op=op, left=left, right=right):
            return compare(op, evaluate(left, env), evaluate(right, env), env)
        case ast.In(item=item, collection=coll, negated=neg):
            found = member(evaluate(item, env), evaluate(coll, env), env)
            return not found if neg else found
        case ast.Between(value=v, low=lo, high=hi):
            value = evaluate(v, env)
            return compare(">=", value, evaluate(lo, env), env) and compare(
                "<=", value, evaluate(hi, env), env
            )
        case ast.Has(target=ast.FieldRef(path=p)):
            return p in env.values
        case ast.Has():
            raise EvalError("`has` takes a field path")
        case ast.Coalesce(value=v, default=d):
            try:
                return evaluate(v, env)
            except MissingValue:
                return evaluate(d, env)
        case ast.Arith(op=op, left=left, right=right):
            return arith(op, evaluate(left, env), evaluate(right, env), env)
        case ast.Call(name=name, args=args):
            return call_function(name, [evaluate(a, env) for a in args], env)
    raise EvalError(f"cannot evaluate {type(expr).__name__}")


def safely(expr: ast.Expr, env: Env) -> Any:
    """Evaluate, turning any stray Python error into an EvalError so a batch never stops."""
    try:
        return evaluate(expr, env)
    except EvalError:
        raise
    except (ArithmeticError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as error:
        raise EvalError(f"evaluation failed: {error}") from None
