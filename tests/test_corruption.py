"""A generated history with 1 % of its rows damaged, every way an export gets damaged, at
random positions: both engines skip exactly the damaged rows, each with its row number, and
report the same figures for the rest (the report is compared whole)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ttrules.columnar.run import replay_duckdb
from ttrules.simulate.generate import write_csv, write_jsonl
from ttrules.simulate.history import read_history
from ttrules.simulate.run import Options, Side, replay

from helpers import bundled_engine

RECORDS = 3_000
SHARE = 0.01

# Each damage makes a row unreadable or invalid: (name, what it does to a JSON Lines record).
JSON_DAMAGE: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "wrong type": lambda r: {**r, "buyer.credit_score": ["a", "list"]},
    "out of range": lambda r: {**r, "buyer.credit_score": 250},
    "required field missing": lambda r: {k: v for k, v in r.items() if k != "order.created_at"},
    "absurd amount": lambda r: {**r, "order.total": "9" * 40 + " USD"},
    "negative amount": lambda r: {**r, "order.total": "-5.00 USD"},
    "negative count": lambda r: {**r, "buyer.refunds_90d": -3},
    "no such date": lambda r: {**r, "request.created_at": "2026-02-30T10:00:00Z"},
    "unknown kind of request": lambda r: {**r, "request.kind": {"nested": True}},
}
LINE_DAMAGE: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncated": lambda line, rng: line[: rng.randrange(1, len(line) - 1)],
    "bad UTF-8": lambda line, rng: line[:20] + b"\xff\xfe" + line[20:],
    "not an object": lambda line, rng: b"[1, 2, 3]",
    "huge integer": lambda line, rng: line.rstrip()[:-1] + b', "buyer.orders_90d": ' + b"9" * 5000 + b"}",
}


def _damage_jsonl(path: Path, rng: random.Random) -> set[int]:
    lines = path.read_bytes().splitlines()
    damaged = set(rng.sample(range(len(lines)), round(len(lines) * SHARE)))
    kinds = [*JSON_DAMAGE, *LINE_DAMAGE]
    for number in sorted(damaged):
        kind = kinds[number % len(kinds)]
        if kind in JSON_DAMAGE:
            lines[number] = json.dumps(JSON_DAMAGE[kind](json.loads(lines[number]))).encode()
        else:
            lines[number] = LINE_DAMAGE[kind](lines[number], rng)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return {n + 1 for n in damaged}  # row numbers are 1-based


CSV_DAMAGE: dict[str, Callable[[list[str], dict[str, int]], list[str]]] = {
    "wrong type": lambda row, at: _set(row, at["buyer.credit_score"], "ninety"),
    "required field missing": lambda row, at: _set(row, at["order.created_at"], ""),
    "absurd amount": lambda row, at: _set(row, at["order.total"], "9" * 40 + " USD"),
    "negative amount": lambda row, at: _set(row, at["order.total"], "-12.50 MYR"),
    "no such date": lambda row, at: _set(row, at["request.created_at"], "2026-13-01T00:00:00Z"),
    "negative count": lambda row, at: _set(row, at["buyer.refunds_90d"], "-1"),
    "cells missing": lambda row, at: row[:5],
}


def _set(row: list[str], index: int, value: str) -> list[str]:
    return [*row[:index], value, *row[index + 1 :]]


def _damage_csv(path: Path, rng: random.Random) -> set[int]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    at = {name: i for i, name in enumerate(header)}
    damaged = set(rng.sample(range(len(body)), round(len(body) * SHARE)))
    kinds = list(CSV_DAMAGE)
    for number in damaged:
        body[number] = CSV_DAMAGE[kinds[number % len(kinds)]](body[number], at)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    path.write_text(out.getvalue(), encoding="utf-8")
    return {n + 1 for n in damaged}


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_both_engines_skip_exactly_the_damaged_rows_and_agree_on_the_rest(fmt: str, tmp_path: Path) -> None:
    rng = random.Random(f"corruption-{fmt}")
    path = tmp_path / f"history.{fmt}"
    (write_jsonl if fmt == "jsonl" else write_csv)(path, RECORDS, seed=11)
    damaged = (_damage_jsonl if fmt == "jsonl" else _damage_csv)(path, rng)
    engine = bundled_engine()
    sides = Side(engine, "baseline"), Side(engine, "candidate")
    reports, skipped = [], []
    for run in ("duckdb", "python"):
        seen: list[tuple[str, str]] = []
        options = Options(samples=3, on_skip=lambda where, why, seen=seen: seen.append((where, why)))
        if run == "duckdb":
            accumulated, _ = replay_duckdb(*sides, path, fmt, {}, options)
        else:
            accumulated = replay(*sides, read_history(path, {}, fmt), options)
        report = {**accumulated.report(), "samples": accumulated.samples}
        reports.append(json.loads(json.dumps(report, default=str)))
        skipped.append(seen)
    assert reports[0] == reports[1]
    assert skipped[0] == skipped[1]  # the same rows, the same reasons, in file order
    # CSV rows are numbered after the header, JSON Lines rows by line
    rows = {int(where.rsplit(":", 1)[1]) - (1 if fmt == "csv" else 0) for where, _ in skipped[0]}
    assert rows == damaged
    assert reports[0]["records"]["decided"] == RECORDS - len(damaged)
