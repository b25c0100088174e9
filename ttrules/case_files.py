"""Reading case files: one JSON object, or JSON Lines where each bad row is reported and skipped."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

# What an unspecified required field is in a partial case (rule tests, analysis witnesses);
# documented in docs/testing.md. Only the fields a case cannot be loaded without: everything
# else keeps the case model's own default or stays absent, as it would in real data.
DEFAULT_CASE: dict[str, Any] = {
    "order": {"status": "DELIVERED", "total": "10.00 USD", "created_at": "2026-01-01T00:00:00Z"},
    "request": {"kind": "REFUND", "created_at": "2026-01-08T00:00:00Z"},
}


def merge_case(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge a partial case into a base; `null` deletes what the base had there."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_case(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


class CaseFileError(Exception):
    """A whole case file cannot be read; the message names the file (and line and column)."""


@dataclass(frozen=True)
class Row:
    number: int  # 1-based line number
    record: dict[str, Any] | None
    error: str = ""


# Floats become Decimal: money must never pass through binary floating point. One decoder for
# every call: `json.loads` with an option builds a new one each time (a tenth of the cost of
# reading a history line).
class _OutOfRange(ValueError):
    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number


def exact_decimal(number: str) -> Decimal:
    """A JSON number with a fraction or exponent, exactly; `1e99999999999999999999` has an
    exponent no Decimal holds and is bad input, not a crash."""
    try:
        return Decimal(number)
    except ArithmeticError:
        raise _OutOfRange(number) from None


_DECODER = json.JSONDecoder(parse_float=exact_decimal)


_LONG_NUMBER = re.compile(r"\d{4301,}")


def loads(text: str) -> Any:
    """JSON with exact decimals; every failure is a JSONDecodeError with its position."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        raise _unreadable_number(text, 0, error) from None


def raw_decode(text: str, start: int) -> tuple[Any, int]:
    """One JSON value from `start` (and where it ends), as `loads` reads it."""
    try:
        return _DECODER.raw_decode(text, start)
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        raise _unreadable_number(text, start, error) from None


def _unreadable_number(text: str, start: int, error: ValueError) -> json.JSONDecodeError:
    if isinstance(error, _OutOfRange):
        shown = error.number if len(error.number) <= 40 else error.number[:40] + "…"
        at = max(text.find(error.number, start), 0)
        return json.JSONDecodeError(f"the number {shown} is out of range", text, at)
    # Python refuses to convert an integer of more than 4,300 digits (a guard against
    # quadratic time); no real field has one, so it is bad input like any other.
    found = _LONG_NUMBER.search(text, start)
    return json.JSONDecodeError(
        "a number with more than 4,300 digits", text, found.start() if found else start
    )


def read_case_file(path: str, stdin: IO[str]) -> dict[str, Any]:
    name = "<stdin>" if path == "-" else path
    try:
        text = stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseFileError(f"{name}: no such file") from None
    except UnicodeDecodeError as error:
        raise CaseFileError(f"{name}: not valid UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise CaseFileError(f"{name}: cannot read: {error.strerror}") from None
    try:
        record = loads(text)
    except json.JSONDecodeError as error:
        raise CaseFileError(f"{name}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}") from None
    except RecursionError:
        raise CaseFileError(f"{name}: JSON nested too deeply") from None
    if not isinstance(record, dict):
        raise CaseFileError(f"{name}: a case must be a JSON object, not {type(record).__name__}")
    return record


def iter_jsonl(handle: IO[bytes]) -> Iterator[Row]:
    """Rows of a JSON Lines stream; a row that is not a JSON object is returned with its error."""
    for number, raw in enumerate(handle, start=1):
        try:
            # A byte order mark some editors write before the first line is not part of it.
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            yield Row(number, None, f"not valid UTF-8 (byte {error.start})")
            continue
        if not line.strip():
            continue
        try:
            record = loads(line)
        except json.JSONDecodeError as error:
            yield Row(number, None, f"invalid JSON at column {error.colno}: {error.msg}")
            continue
        except RecursionError:
            yield Row(number, None, "JSON nested too deeply")
            continue
        if not isinstance(record, dict):
            yield Row(number, None, f"a case must be a JSON object, not {type(record).__name__}")
            continue
        yield Row(number, record)
