"""JSON Lines and CSV histories in the duckdb engine (copied into Parquet by the Python reader,
ttrules/columnar/transcode.py) against the python engine reading the same file: identical
report figures, samples and skipped rows with their locations, for generated stacks and
histories in every shape a real export has (namespace objects and dotted keys, nulls, blanks,
JSON numbers with fractions, money objects, ints where strings belong, unreadable lines,
ragged CSV rows, line breaks in quoted cells).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ttrules.columnar.run import Fallback, replay_duckdb
from ttrules.columnar.transcode import ESCAPE, ROW_NUMBER, copy_history
from ttrules.simulate.generate import csv_cell, write_csv, write_jsonl
from ttrules.simulate.run import Options, Side

from columnar_cases import CONFIG, DIFF, SUPPORTED, compare_engines, histories, with_more_conditions
from helpers import bundled_engine, engine_from_texts
from strategies import rich_stacks

# Ways a real export's record differs from the canonical one, each applied to some records.
_ODDITIES = [
    "nested",
    "null",
    "nested_null",
    "nested_blank",
    "fraction",
    "money_object",
    "int_for_text",
    "huge_int",
    "note",
    "text_for_bool",
    "mixed_list",
]


@st.composite
def jsonl_lines(draw: Any) -> list[str]:
    lines = []
    for record in draw(histories()):
        oddity = draw(st.sampled_from([None, None, *_ODDITIES]))
        lines.append(_odd_json(record, oddity))
        extra = draw(st.integers(0, 14))
        if extra == 0:
            lines.append(draw(st.sampled_from(['{"order.total": ', "[1, 2]", "", "   ", '"text"'])))
    return lines


def _odd_json(record: dict[str, Any], oddity: str | None) -> str:
    record = dict(record)
    if oddity == "nested":  # some namespaces as objects, the rest dotted
        order = {k.split(".", 1)[1]: record.pop(k) for k in list(record) if k.startswith("order.")}
        record["order"] = order
    elif oddity == "null":
        record["order.category"] = None
    elif oddity == "nested_null":
        record["buyer"] = {"credit_score": None}
    elif oddity == "nested_blank":
        record["order"] = {"category": " "}
    elif oddity == "fraction":
        return json.dumps(record)[:-1] + ', "buyer.credit_score": 50.5}'
    elif oddity == "money_object":
        record["order.total"] = {"amount": "12.50", "currency": "MYR"}
    elif oddity == "int_for_text":
        record["order.category"] = 7
    elif oddity == "huge_int":
        record["order.quantity"] = 2**70
    elif oddity == "note":
        record["note"] = {"free": ["text", 1]}
    elif oddity == "text_for_bool":
        record["buyer.blacklisted"] = "yes"
    elif oddity == "mixed_list":
        record["request.evidence"] = ["PHOTO", 3]
    return json.dumps(record)


def _csv_text(records: list[dict[str, Any]], ragged: int | None, broken_cell: int | None, odd: int) -> str:
    columns = sorted({key for record in records for key in record})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for index, record in enumerate(records):
        cells = [_csv_cell(record.get(c), odd if index % 3 == 0 else 0) for c in columns]
        if index == broken_cell and cells:
            cells[0] = "line one\nline two"  # a quoted line break: one row over two lines
        if index == ragged:
            cells.append("one too many")
        writer.writerow(cells)
    return out.getvalue()


def _csv_cell(value: Any, odd: int) -> str:
    """A cell as an export writes it; `odd` picks a spelling only the python loader reads."""
    if odd and isinstance(value, bool):
        return [str(value), str(int(value)), f" {str(value).lower()}"][odd - 1]
    if odd and isinstance(value, int):
        return [f" {value}", f"0{value}", f"{value}.0"][odd - 1]
    return csv_cell(value)


@DIFF
@given(
    rich_stacks(),
    rich_stacks(),
    jsonl_lines(),
    st.lists(st.sampled_from(SUPPORTED), min_size=3, max_size=3),
    st.integers(0, 3),
)
def test_duckdb_on_json_lines_equals_python_engine(
    tmp_path_factory: Any,
    before: list[str],
    after: list[str],
    lines: list[str],
    extra: list[str],
    samples: int,
) -> None:
    path = tmp_path_factory.mktemp("history") / "history.jsonl"
    path.write_text("\n".join(lines) + "\n")
    baseline = engine_from_texts(with_more_conditions(before, extra), CONFIG)
    candidate = engine_from_texts(with_more_conditions(after, extra[::-1]), CONFIG)
    compare_engines(baseline, candidate, path, "jsonl", Options(samples=samples))


@DIFF
@given(
    rich_stacks(),
    histories(),
    st.lists(st.sampled_from(SUPPORTED), min_size=3, max_size=3),
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 3),
)
def test_duckdb_on_csv_equals_python_engine(
    tmp_path_factory: Any,
    texts: list[str],
    records: list[dict[str, Any]],
    extra: list[str],
    ragged: int,
    broken: int,
    odd: int,
) -> None:
    path = tmp_path_factory.mktemp("history") / "history.csv"
    path.write_text(_csv_text(records, ragged, broken, odd))
    plain = engine_from_texts([], CONFIG)
    engine = engine_from_texts(with_more_conditions(texts, extra), CONFIG)
    compare_engines(plain, engine, path, "csv", Options(samples=3))


def test_generated_history_as_json_lines_decides_in_sql(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    write_jsonl(path, 3_000, seed=5)
    with path.open("a") as handle:
        handle.write("not json\n")
    engine = bundled_engine()
    report, done = compare_engines(engine, engine, path, "jsonl", Options(samples=4))
    assert done.decided_in_python == 1  # the unreadable line, reported with its line number
    assert report["skipped_where"] == [["h.jsonl:3001", "invalid JSON at column 1: Expecting value"]]
    assert done.decided_in_sql == 3_000


def test_limit_counts_rows_as_the_python_engine_does(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    rows = [
        json.dumps(
            {
                "order.status": "DELIVERED",
                "order.total": f"{i} USD",
                "order.created_at": "2026-01-01T00:00:00Z",
                "request.kind": "REFUND",
                "request.created_at": "2026-01-02T00:00:00Z",
            }
        )
        for i in range(1, 9)
    ]
    path.write_text("\n".join([rows[0], "", "oops", *rows[1:]]) + "\n")
    engine = bundled_engine()
    report, done = compare_engines(engine, engine, path, "jsonl", Options(limit=5))
    assert (report["records"]["decided"], report["records"]["skipped"]) == (4, 1)  # "oops"
    assert done.decided_in_python == 1


def test_the_copy_holds_the_cells_the_reader_gives(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    records = [
        {"order": {"total": "5 USD", "quantity": 2}, "request.evidence": ["PHOTO"], "note": 1},
        {"order.total": "7 MYR", "buyer.blacklisted": True, "order.quantity": None},
        {"order.total": 5.5},  # a JSON number with a fraction: Decimal in Python
        {"order.quantity": "3"},
    ]  # a string where the column holds ints
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    copy = copy_history(path, "jsonl", {}, tmp_path)
    rows = pq.read_table(copy.files).to_pylist()
    assert [r[ROW_NUMBER] for r in rows] == [0, 1, 2, 3]
    assert {k: v for k, v in rows[0].items() if v is not None} == {
        ROW_NUMBER: 0,
        "order.total": "5 USD",
        "order.quantity": 2,
        "request.evidence": ["PHOTO"],
    }
    assert {k: v for k, v in rows[1].items() if v is not None} == {
        ROW_NUMBER: 1,
        "order.total": "7 MYR",
        "buyer.blacklisted": True,
    }
    assert [r[ESCAPE] for r in rows] == [None, None, True, True]
    assert copy.escaped == 2


def test_csv_cells_of_whole_numbers_and_booleans_load_in_sql(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    write_csv(path, 500, seed=4)
    engine = bundled_engine()
    _, done = compare_engines(engine, engine, path, "csv", Options())
    assert done.decided_in_python == 0


def test_a_mapped_column_named_like_the_row_number_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("file_row_number,order.total\n1,5 USD\n")
    engine = bundled_engine()
    with pytest.raises(Fallback, match="file_row_number"):
        replay_duckdb(
            Side(engine, "b"), Side(engine, "c"), path, "csv", {"order.id": "file_row_number"}, Options()
        )


def test_gzipped_json_lines_and_renamed_csv_columns_decide_in_sql(tmp_path: Path) -> None:
    import gzip

    engine = bundled_engine()
    plain, packed = tmp_path / "h.jsonl", tmp_path / "h.jsonl.gz"
    write_jsonl(plain, 300, seed=9)
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    _, done = compare_engines(engine, engine, packed, "jsonl", Options(samples=3))
    assert (done.decided_in_sql, done.decided_in_python) == (300, 0)
    renamed = tmp_path / "h.csv"
    write_csv(renamed, 300, seed=9)
    renamed.write_text(
        renamed.read_text()
        .replace("order.total", "Order Amount", 1)
        .replace("buyer.credit_score", "score", 1)
    )
    columns = {"order.total": "Order Amount", "buyer.credit_score": "score"}
    report, done = compare_engines(engine, engine, renamed, "csv", Options(samples=3, limit=120), columns)
    assert (done.decided_in_sql, report["records"]["decided"]) == (120, 120)
