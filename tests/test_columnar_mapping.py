"""`history.columns` mappings applied in SQL (ttrules/columnar/mapping.py) against the python
engine's Mapper: raw exports with renamed columns, constants, `values` with and without a
`default`, strptime formats, amounts in a mapped currency and bare amounts in the order's
currency decide alike, row for row, and the rows SQL does not read exactly are reported by the
python engine with their line numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ttrules.columnar.mapping import MappingError, strptime_pattern
from ttrules.columnar.run import Fallback, replay_duckdb
from ttrules.config import HistoryConfig
from ttrules.simulate.history import Mapper, read_history
from ttrules.simulate.run import Options, Side

from columnar_cases import CONFIG, DIFF, SUPPORTED, compare_engines, with_more_conditions
from helpers import bundled_engine, engine_from_texts
from strategies import rich_stacks

FORMATS = ["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M", "%Y%m%d", "%Y-%m-%d %H:%M:%S.%f"]
STATES = {"open": "AWAITING_SHIPMENT", "in transit": "IN_TRANSIT", "done": "DELIVERED"}


def _unpadded(text: str) -> str:
    """A date as some exports write it: 1/5/2026 8:05 for 01/05/2026 08:05."""
    return "/".join(part.lstrip("0") or "0" for part in text.split("/")) if "/" in text else text


@st.composite
def exports(draw: Any) -> tuple[list[list[str]], dict[str, Any]]:
    fmt = draw(st.sampled_from(FORMATS))
    default = draw(st.sampled_from([None, "DELIVERED"]))
    bare = draw(st.booleans())
    columns: dict[str, Any] = {
        "case.id": "Ref",
        "order.id": "Ref",  # one column into two fields
        "order.total": {"column": "Amount"} if bare else {"column": "Amount", "currency": "MYR"},
        "order.status": {"column": "State", "values": STATES, **({"default": default} if default else {})},
        "order.created_at": {"column": "Ordered", "format": fmt},
        "request.created_at": {"column": "Ordered", "format": fmt},
        "request.kind": draw(st.sampled_from([{"value": "CANCEL"}, {"column": "Kind"}])),
        "request.reason": {"value": "CHANGED_MIND"},
        "case.market": {"value": "MY"},
        "buyer.blacklisted": {"value": draw(st.booleans())},
        "order.quantity": {"value": draw(st.integers(1, 3))},
        "buyer.credit_score": "Score",
    }
    if bare:
        columns["order.currency"] = "Cur"
    rows = [["Ref", "Amount", "Cur", "State", "Ordered", "Kind", "Score"]]
    moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2027, 12, 31))
    for i in range(draw(st.integers(1, 20))):
        moment = draw(moments)
        ordered = moment.strftime(fmt)
        ordered = draw(
            st.sampled_from(
                [
                    ordered,
                    ordered,
                    _unpadded(ordered),
                    f" {ordered}",
                    "",
                    "31/02/2026 10:00",
                    "2026-05-01T00:00:00Z",
                    ordered.replace(" ", "  "),
                ]
            )
        )
        amount = draw(
            st.sampled_from(
                [
                    "12.50",
                    "7",
                    "-4.25",
                    "99.999",
                    " 3.5",
                    "1e2",
                    "abc",
                    "",
                    "12.50 MYR",
                    "40 THB",
                    "0.1234567",
                ]
            )
        )
        state = draw(st.sampled_from([*STATES, " open ", "\u00a0done", "OPEN", "weird", ""]))
        rows.append(
            [
                f"r{i}",
                amount,
                draw(st.sampled_from(["MYR", "thb", "", "USD"])),
                state,
                ordered,
                draw(st.sampled_from(["CANCEL", "REFUND", "cancel", ""])),
                draw(st.sampled_from(["70", "95", "", "x", "101"])),
            ]
        )
    return rows, columns


def _specs(columns: dict[str, Any]) -> dict[str, Any]:
    """The mapping as ttrules.yaml's loader gives it."""
    return HistoryConfig.model_validate({"columns": columns}).columns


def _write(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())


@DIFF
@given(rich_stacks(), exports(), st.lists(st.sampled_from(SUPPORTED), min_size=3, max_size=3))
def test_mapped_exports_decide_alike_in_both_engines(
    tmp_path_factory: Any, texts: list[str], export: tuple[list[list[str]], dict[str, Any]], extra: list[str]
) -> None:
    rows, columns = export
    path = tmp_path_factory.mktemp("history") / "export.csv"
    _write(path, rows)
    plain = engine_from_texts([], CONFIG)
    engine = engine_from_texts(with_more_conditions(texts, extra), CONFIG)
    compare_engines(plain, engine, path, "csv", Options(samples=3), _specs(columns))  # no fallback


def test_a_clean_mapped_export_decides_every_row_in_sql(tmp_path: Path) -> None:
    rows = [["Ref", "Amount", "State", "Ordered"]]
    rows += [
        [f"r{i}", f"{i}.5", ["open", "done", " in transit"][i % 3], f"{i % 28 + 1}/5/2026 8:0{i % 10}"]
        for i in range(60)
    ]
    path = tmp_path / "export.csv"
    _write(path, rows)
    columns = {
        "case.id": "Ref",
        "order.total": {"column": "Amount", "currency": "MYR"},
        "order.status": {"column": "State", "values": STATES},
        "order.created_at": {"column": "Ordered", "format": "%d/%m/%Y %H:%M"},
        "request.created_at": {"column": "Ordered", "format": "%d/%m/%Y %H:%M"},
        "request.kind": {"value": "CANCEL"},
        "request.reason": {"value": "CHANGED_MIND"},
    }
    engine = bundled_engine()
    report, done = compare_engines(engine, engine, path, "csv", Options(samples=2), _specs(columns))
    assert (done.decided_in_sql, done.decided_in_python) == (60, 0)
    assert report["records"]["decided"] == 60


def test_an_unknown_value_is_an_error_unless_a_default_is_given(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    _write(path, [["Ref", "State"], ["r1", "open"], ["r2", "lost"]])
    mapping = {"case.id": "Ref", "order.status": {"column": "State", "values": STATES}}
    rows = list(read_history(path, _specs(mapping), "csv"))
    assert rows[0].record == {"case.id": "r1", "order.status": "AWAITING_SHIPMENT"}
    assert rows[1].record is None and rows[1].location == "export.csv:3"
    assert rows[1].error == (
        "order.status: `lost` is not among the `values` mapped for column "
        "`State` (done, in transit, open); add it there, or give a `default`"
    )
    mapping["order.status"]["default"] = "IN_TRANSIT"  # type: ignore[index]
    rows = list(read_history(path, _specs(mapping), "csv"))
    assert rows[1].record == {"case.id": "r2", "order.status": "IN_TRANSIT"}


def test_a_default_without_values_is_a_config_error() -> None:
    from ttrules.config import Config

    with pytest.raises(ValueError, match="give `values` too"):
        Config.model_validate(
            {"history": {"columns": {"order.status": {"column": "S", "default": "DELIVERED"}}}}
        )


@pytest.mark.parametrize(
    ("columns", "why"),
    [
        ({"order.created_at": {"column": "Ordered", "format": "%d %b %Y"}}, "has `%b`"),
        ({"order.category": {"value": ["a", "b"]}}, "constant `value` of `order.category` (list)"),
        ({"order.category": {"column": "Ordered", "currency": "USD"}}, "the field is not money"),
    ],
)
def test_what_sql_cannot_map_falls_back_and_says_which_mapping(
    tmp_path: Path, columns: dict[str, Any], why: str
) -> None:
    path = tmp_path / "export.csv"
    _write(path, [["Ordered"], ["1 May 2026"]])
    engine = bundled_engine()
    with pytest.raises(Fallback, match=why.replace("(", r"\(").replace(")", r"\)")):
        replay_duckdb(Side(engine, "b"), Side(engine, "c"), path, "csv", _specs(columns), Options())


# ---- formats: DuckDB's strptime reads what the pattern admits as Python's does ----------------


@given(
    st.sampled_from(FORMATS),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31)),
    st.booleans(),
)
def test_duckdb_strptime_agrees_with_python_where_the_pattern_admits(
    fmt: str, moment: datetime, unpad: bool
) -> None:
    import re

    text = moment.strftime(fmt)
    text = _unpadded(text) if unpad else text
    if not re.fullmatch(strptime_pattern(fmt, "f")[1:-1], text):
        return  # a form SQL leaves to Python
    (parsed,) = duckdb.execute("SELECT try_strptime($1, $2)", [text, fmt]).fetchone()
    assert parsed == datetime.strptime(text, fmt)


def test_patterns_are_no_wider_than_python_reads() -> None:
    import re

    for text, fmt in [
        (" 5/1/2026 10:00", "%d/%m/%Y %H:%M"),
        ("5/1/2026 24:00", "%d/%m/%Y %H:%M"),
        ("2026-05-01 10:00:60", "%Y-%m-%d %H:%M:%S"),
        ("2026-05-01 10:00:00.5", "%Y-%m-%d %H:%M:%S.%f"),
    ]:
        assert not re.fullmatch(strptime_pattern(fmt, "f")[1:-1], text), text
    with pytest.raises(MappingError, match="%z"):
        strptime_pattern("%Y-%m-%dT%H:%M:%S%z", "order.created_at")


def test_mapper_reads_formatted_naive_times_as_utc() -> None:
    mapper = Mapper(_specs({"order.created_at": {"column": "d", "format": "%d/%m/%Y %H:%M"}}))
    assert mapper.apply({"d": "1/5/2026 8:05"}) == {
        "order.created_at": datetime(2026, 5, 1, 8, 5, tzinfo=UTC).isoformat()
    }
