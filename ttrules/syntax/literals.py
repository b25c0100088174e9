"""Literal text to values, shared by the DSL and YAML readers and by case loading."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_ENUM_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_MONEY = re.compile(r"(-?\d+(?:\.\d+)?)[ \t]*([A-Z]{3})\Z")


def is_enum_name(name: str) -> bool:
    return bool(_ENUM_NAME.match(name))


def duration_seconds(text: str) -> int:
    """`7d 2h 30m` (spaces optional) to seconds."""
    return sum(int(n) * DURATION_UNITS[u] for n, u in _DURATION_PART.findall(text))


def format_duration(seconds: int) -> str:
    """Seconds to the canonical literal: largest units first, `0s` for zero."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    rest = abs(seconds)
    parts = []
    for unit, size in DURATION_UNITS.items():
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + " ".join(parts)


def parse_money(text: str) -> tuple[Decimal, str] | None:
    match = _MONEY.match(text.strip())
    if not match:
        return None
    try:
        return Decimal(match.group(1)), match.group(2)
    except InvalidOperation:
        return None


def format_decimal(value: Decimal) -> str:
    """A decimal as written in rules: plain notation, never an exponent."""
    text = format(value, "f")
    return text


# Literal limits (docs/language.md): far beyond any real amount, window or priority, and small
# enough that no literal can cost time or memory to convert, print or compare.
MAX_DIGITS = 30
MAX_PRIORITY = 1_000_000_000
MAX_DURATION_SECONDS = 999_999_999 * 86_400  # the longest duration Python's timedelta holds


def too_many_digits(text: str) -> str | None:
    """Why a number's text is too long to be a literal, or None."""
    digits = sum(ch.isdigit() for ch in text)
    return (
        f"`{text[:40]}{'…' if len(text) > 40 else ''}` has {digits} digits; at most {MAX_DIGITS}"
        if digits > MAX_DIGITS
        else None
    )


def priority_problem(value: int) -> str | None:
    return f"a priority is at most {MAX_PRIORITY:,} either way" if abs(value) > MAX_PRIORITY else None


# A layer or setting name: the DSL grammar's IDENT (grammar/ttrules.lark). A keyword is a name
# too where a name is expected (`set limit = …` is read back as `setting.limit`).
NAME = re.compile(r"[^\W\d]\w*")


def is_name(text: str) -> bool:
    return NAME.fullmatch(text) is not None


# Words of the language a name cannot be (the parser refuses them, the formatter quotes them).
KEYWORDS = frozenset(
    {
        "ruleset",
        "layer",
        "applies",
        "set",
        "limit",
        "rule",
        "forbid",
        "priority",
        "when",
        "then",
        "because",
        "and",
        "or",
        "not",
        "in",
        "between",
        "true",
        "false",
    }
)
