"""Run-time values of the language.

Numbers are `Decimal` (ints stay `int`), money is `Money` (Decimal amount and currency),
durations are `timedelta`, timestamps are timezone-aware `datetime` in UTC, enum values are
`str` (unknown values from real data are kept as they came), sets are `frozenset`.
Money is never a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ttrules.syntax.literals import format_decimal, format_duration


@dataclass(frozen=True, slots=True, eq=False)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{format_decimal(self.amount)} {self.currency}"

    # Written out (the generated ones build tuples): amounts are dictionary keys on the
    # compiled path's hot loop.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is Money:
            return self.amount == other.amount and self.currency == other.currency  # type: ignore[attr-defined, no-any-return]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.amount)


@dataclass(frozen=True, slots=True)
class Percent:
    """`30%`: kept apart from plain numbers so `partial_refund(30%)` means a share."""

    value: Decimal  # as written: 30 for 30%

    @property
    def fraction(self) -> Decimal:
        return self.value / 100

    def __str__(self) -> str:
        return f"{format_decimal(self.value)}%"


def to_utc(value: datetime) -> datetime:
    """Naive timestamps are read as UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def render_value(value: object) -> str:
    """A value as the explanation shows it."""
    match value:
        case None:
            return "(missing)"
        case bool():
            return "true" if value else "false"
        case Decimal():
            return format_decimal(value)
        case timedelta():
            return format_duration(int(value.total_seconds()))
        case datetime():
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        case frozenset() | set():
            return "{" + ", ".join(sorted(render_value(v) for v in value)) + "}"
        case str():
            return value
        case _:
            return str(value)


def json_value(value: object) -> object:
    """A value as JSON output carries it: exact decimals as strings, money as an object."""
    match value:
        case None | bool() | int() | str():
            return value
        case Decimal():
            return format_decimal(value)
        case Money():
            return {"amount": format_decimal(value.amount), "currency": value.currency}
        case Percent():
            return str(value)
        case timedelta():
            return format_duration(int(value.total_seconds()))
        case datetime():
            return render_value(value)
        case frozenset() | set():
            return sorted(json_value(v) for v in value)  # type: ignore[type-var]
        case _:
            return str(value)
