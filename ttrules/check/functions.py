"""The function registry's signatures, as the checker sees them."""

from __future__ import annotations

FUNCTIONS: dict[str, str] = {
    "min": "min(a, b, ...): the smallest of values of one ordered type",
    "max": "max(a, b, ...): the largest of values of one ordered type",
    "abs": "abs(x): absolute value of a number, money or duration",
    "lower": "lower(s): a string in lower case",
    "days": "days(d): a duration as a number of days (fractional)",
}
