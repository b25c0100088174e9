"""The TikTok reason-code table: reason name to ReasonCategory, for every market.

Built from the official per-market tables (see scripts/build_reason_table.py) and shipped as
package data, so `request.reason` is derived when a case gives only `request.reason_code`.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class ReasonRow:
    market: str
    doc: str
    section: str
    order_status: str
    reason_name: str
    reason_text: str
    category: str


@functools.cache
def reason_rows() -> tuple[ReasonRow, ...]:
    text = resources.files("ttrules.schema.data").joinpath("reason_codes.csv").read_text("utf-8")
    return tuple(ReasonRow(**row) for row in csv.DictReader(text.splitlines()))


@functools.cache
def reason_categories() -> dict[str, str]:
    """reason name (and its lower-cased form) to category; one category per name."""
    table: dict[str, str] = {}
    for row in reason_rows():
        table[row.reason_name] = row.category
        table.setdefault(row.reason_name.lower(), row.category)
    return table


def category_of(reason_code: str) -> str | None:
    """The category of a reason code; None when the code is not in the table."""
    table = reason_categories()
    return table.get(reason_code) or table.get(reason_code.strip().lower())
