"""The duckdb engine against the python engine (compiled decisions, tested against the
reference): identical report figures and samples, for generated stacks (every expression form,
forbids, settings with limits, `applies`, errors, optional fields) and generated histories
(typed and string columns, odd enum values, money without an FX rate, invalid rows).

`TTRULES_COLUMNAR_EXAMPLES=N` runs more examples than CI does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ttrules.columnar.run import Fallback, replay_duckdb
from ttrules.simulate.history import read_history
from ttrules.simulate.run import Options, Side, replay

from columnar_cases import CONFIG, DIFF, MORE_CONDITIONS, SUPPORTED, flatten, histories, with_more_conditions
from helpers import bundled_engine, engine_from_texts
from strategies import rich_stacks


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    columns = sorted({key for record in records for key in record})
    rows = [{c: record.get(c) for c in columns} for record in records]
    pq.write_table(pa.Table.from_pylist(rows), path)


def _reports(engine_b: Any, engine_c: Any, path: Path, options: Options) -> tuple[Any, Any]:
    baseline, candidate = Side(engine_b, "b"), Side(engine_c, "c")
    fast, _ = replay_duckdb(baseline, candidate, path, "parquet", {}, options)
    slow = replay(baseline, candidate, read_history(path, {}, "parquet"), options)
    return (
        json.loads(json.dumps({**fast.report(), "samples": fast.samples}, default=str)),
        json.loads(json.dumps({**slow.report(), "samples": slow.samples}, default=str)),
    )


@DIFF
@given(
    rich_stacks(),
    rich_stacks(),
    histories(),
    st.lists(st.sampled_from(SUPPORTED), min_size=3, max_size=3),
    st.integers(0, 3),
)
def test_duckdb_engine_equals_python_engine(
    tmp_path_factory: Any,
    before: list[str],
    after: list[str],
    records: list[dict[str, Any]],
    extra: list[str],
    samples: int,
) -> None:
    path = tmp_path_factory.mktemp("history") / "history.parquet"
    _write(path, records)
    baseline = engine_from_texts(with_more_conditions(before, extra), CONFIG)
    candidate = engine_from_texts(with_more_conditions(after, extra[::-1]), CONFIG)
    fast, slow = _reports(baseline, candidate, path, Options(samples=samples))
    assert fast == slow


@pytest.mark.parametrize("condition", MORE_CONDITIONS)
def test_each_expression_form_decides_alike(tmp_path: Path, condition: str) -> None:
    texts = [
        'ruleset "p"\nlayer platform\nforbid approve\n  when order.total > 90 USD\n',
        f'ruleset "m"\nlayer merchant\nset cap = 40 USD\nrule "r"\n  when {condition}\n'
        '  then approve, route("q")\nrule "s"\n  when order.total < cap\n  then review\n',
    ]
    engine = engine_from_texts(texts, CONFIG)
    records = [flatten(r) for r in _fixed_cases()]
    path = tmp_path / "h.parquet"
    _write(path, records)
    plain = engine_from_texts([texts[0]], CONFIG)
    fast, slow = _reports(plain, engine, path, Options())
    assert fast == slow
    assert fast["records"]["decided"] + fast["records"]["skipped"] == len(records)


def _fixed_cases() -> list[dict[str, Any]]:
    base = {
        "order": {
            "status": "DELIVERED",
            "total": "45.50 USD",
            "created_at": "2026-01-01T00:00:00Z",
            "category": "apparel",
            "quantity": 1,
        },
        "request": {"kind": "REFUND", "created_at": "2026-01-08T00:00:00Z", "evidence": ["PHOTO"]},
        "buyer": {"credit_score": 55},
        "case": {"market": "MY"},
    }
    variants = [
        {},
        {"order": {"total": "200 MYR"}},
        {"order": {"total": "12 XYZ"}},
        {"buyer": {"credit_score": None}},
        {"order": {"category": None}},
        {"request": {"evidence": []}},
        {"order": {"quantity": 4}},
        {"order": {"expected_delivery_at": "2026-01-03T00:00:00Z"}},
        {"request": {"kind": "CANCEL", "refund_amount": "10 MYR"}},
        {"order": {"status": "cancel"}},
        {"order": {"category": "  "}},
    ]
    cases = []
    for variant in variants:
        case = json.loads(json.dumps(base))
        for namespace, fields in variant.items():
            for name, value in fields.items():
                if value is None:
                    case[namespace].pop(name, None)
                else:
                    case[namespace][name] = value
        cases.append(case)
    return cases


def test_bundled_stack_on_generated_history_with_bad_rows(tmp_path: Path) -> None:
    from ttrules.simulate.generate import Generator

    generator = Generator(3)
    records = [generator.record(i) for i in range(400)]
    records[5]["order.status"] = "delivered"  # normalised by the python loader: escapes
    records[9]["order.total"] = "lots"  # invalid: skipped with its row number
    records[11]["buyer.credit_score"] = 140  # out of bounds: skipped
    records[17]["request.reason_code"] = "  SOMETHING ODD  "
    path = tmp_path / "h.parquet"
    _write(path, records)
    engine = bundled_engine()
    fast, slow = _reports(engine, engine, path, Options())
    assert fast == slow
    assert fast["records"]["skipped"] == 2
    assert {e["where"] for e in fast["records"]["skipped_examples"]} == {
        "h.parquet row 10",
        "h.parquet row 12",
    }


def test_what_sql_does_not_compile_falls_back_with_the_reason(tmp_path: Path) -> None:
    texts = ['ruleset "m"\nlayer merchant\nrule "r"\n  when order.total / 2 > 10 USD\n  then approve\n']
    engine = engine_from_texts(texts, CONFIG)
    path = tmp_path / "h.parquet"
    _write(path, [flatten(r) for r in _fixed_cases()])
    with pytest.raises(Fallback, match=r"division at inline0.ttr:4"):
        replay_duckdb(Side(engine, "b"), Side(engine, "c"), path, "parquet", {}, Options())
    jsonl = tmp_path / "h.jsonl"
    jsonl.write_text(json.dumps(_fixed_cases()[0]) + "\n")
    with pytest.raises(Fallback, match=r"division at inline0.ttr:4"):  # before copying rows
        replay_duckdb(Side(engine, "b"), Side(engine, "c"), jsonl, "jsonl", {}, Options())


def test_a_column_named_like_the_row_number_falls_back(tmp_path: Path) -> None:
    engine = bundled_engine()
    path = tmp_path / "h.parquet"
    _write(path, [{**flatten(case), "file_row_number": 7} for case in _fixed_cases()])
    with pytest.raises(Fallback, match="file_row_number"):
        replay_duckdb(Side(engine, "b"), Side(engine, "c"), path, "parquet", {}, Options())


def test_extension_fields_and_less_common_columns_decide_alike(tmp_path: Path) -> None:
    config = {
        **CONFIG,
        "fields": {
            "order.restock_days": "int?",
            "order.margin": "number?",
            "order.cost": "money?",
            "buyer.tier": "OrderStatus?",
            "buyer.segment": "str?",
            "buyer.vip": "bool?",
            "order.promised_at": "timestamp?",
        },
    }
    conditions = [
        "(order.restock_days ?? 0) > 3",
        "(order.margin ?? 0) > 0.25",
        "(order.cost ?? 0 USD) < 5 USD",
        "has(buyer.tier) and buyer.tier == DELIVERED",
        '(buyer.segment ?? "x") == "gold"',
        "buyer.vip ?? false",
        "has(order.promised_at) and case.now > order.promised_at",
        "request.is_quality_issue ?? false",
        "request.reason == DAMAGED",
    ]
    rules = "".join(
        f'rule "r{i}"\n  when {c}\n  then approve, tag("t{i}")\n' for i, c in enumerate(conditions)
    )
    engine = engine_from_texts([f'ruleset "m"\nlayer merchant\n{rules}'], config)
    plain = engine_from_texts(['ruleset "m"\nlayer merchant\nrule "x"\n  then review\n'], config)
    base = flatten(_fixed_cases()[0])
    variants = [
        {
            "order.restock_days": 5,
            "order.margin": "0.3",
            "order.cost": "4 USD",
            "buyer.tier": "DELIVERED",
            "buyer.segment": "gold",
            "buyer.vip": True,
            "order.promised_at": "2026-01-02T00:00:00Z",
        },
        {
            "order.restock_days": 1,
            "order.margin": "0.1",
            "order.cost": "40 MYR",
            "buyer.tier": "delivered",
            "buyer.segment": " ",
            "buyer.vip": False,
            "order.promised_at": "2026-01-09T00:00:00+00:00",
        },
        {"order.cost": "4", "order.promised_at": "2026-01-02 00:00:00", "buyer.tier": "NEW"},
        {"order.currency": "usd", "case.now": "2026-02-01T00:00:00Z", "request.is_quality_issue": True},
        {"order.currency": "MYR"},  # differs from the total's currency: invalid
        {"request.reason_code": "ecom_order_delivered_refund_and_return_reason_damaged_item"},
        {"request.reason_code": "  Some Unknown Code  "},
        {"request.reason_code": "DAMAGED "},
    ]
    records = [{**base, **variant} for variant in variants]
    # Parquet needs one type per column: margins as text are not a number the SQL loader takes.
    for record in records:
        if "order.margin" in record:
            record["order.margin"] = int(float(record["order.margin"]) * 100)
    path = tmp_path / "h.parquet"
    _write(path, records)
    fast, slow = _reports(plain, engine, path, Options())
    assert fast == slow
    _, done = replay_duckdb(Side(plain, "b"), Side(engine, "c"), path, "parquet", {}, Options())
    # The canonical rows are decided in SQL; `delivered`, the bare amount, the timestamp with a
    # space, the conflicting currency and the code needing strip()/lower() go to python.
    assert done.decided_in_sql >= 4 and done.decided_in_python >= 2, done


def test_a_zero_refund_to_an_abuser_still_names_its_currency(tmp_path: Path) -> None:
    # Found by the differential suite: the python engine adds 0.00 USD to abuse exposure, so
    # the currency appears in the report; the duckdb engine had skipped a zero sum.
    engine = engine_from_texts(['ruleset "m"\nlayer merchant\nrule "r"\n  then approve\n'], CONFIG)
    plain = engine_from_texts(['ruleset "m"\nlayer merchant\nrule "r"\n  then review\n'], CONFIG)
    record = {**flatten(_fixed_cases()[0]), "request.refund_amount": "0 USD", "outcome.abuse": True}
    path = tmp_path / "h.parquet"
    _write(path, [record])
    fast, slow = _reports(plain, engine, path, Options())
    assert fast == slow
    assert fast["money"]["abuse_exposure"]["candidate"] == {"USD": "0.00"}


def test_long_and_or_chains_render_at_any_length() -> None:
    # A 1,000-rule stack ORs 1,000 conditions; as a left-deep tree that overflowed the
    # recursion of sqlglot's SQL generator. Balanced, the depth is logarithmic.
    from ttrules.columnar import sql

    flags = [sql.col(f"f{i}") for i in range(5000)]
    for combined in (sql.or_(*flags), sql.and_(*flags), sql.total(flags)):
        text = sql.render(combined)
        assert text.count('"f') == 5000


def test_a_stack_of_hundreds_of_rules_compiles_and_decides_alike(tmp_path: Path) -> None:
    rules = "".join(
        f'rule "r{i}"\n  when order.total > {i} USD and request.kind != CANCEL\n'
        f'  then {"approve" if i % 2 else "review"}, tag("t{i % 7}")\n'
        for i in range(150)
    )
    texts = [
        'ruleset "p"\nlayer platform\nforbid approve\n  when order.total > 390 USD\n',
        f'ruleset "m"\nlayer merchant\n{rules}',
    ]
    engine = engine_from_texts(texts, CONFIG)
    plain = engine_from_texts([texts[0]], CONFIG)
    path = tmp_path / "h.parquet"
    _write(path, [flatten(r) for r in _fixed_cases()])
    fast, slow = _reports(plain, engine, path, Options())
    assert fast == slow


def test_not_pushed_through_and_or_keeps_three_valued_logic() -> None:
    """`sql.not_` rewrites NOT over AND/OR by De Morgan's laws (so DuckDB can stop early):
    the same truth value for every combination of TRUE, FALSE and NULL."""
    import duckdb
    import sqlglot.expressions as exp

    from ttrules.columnar import sql

    a, b, c = sql.col("a"), sql.col("b"), sql.col("c")
    shapes = [
        sql.and_(a, b),
        sql.or_(a, sql.not_(b)),
        sql.and_(sql.or_(a, b), sql.not_(c)),
        sql.not_(sql.and_(a, sql.or_(b, c))),
        sql.not_null(a),
    ]
    rewritten = [sql.render(sql.not_(shape)) for shape in shapes]
    literal = [sql.render(exp.Not(this=exp.Paren(this=shape))) for shape in shapes]
    assert all("NOT (" not in text or "IS NULL" in text for text in rewritten[:4]), rewritten
    values = (
        "(VALUES "
        + ", ".join(
            f"({x}, {y}, {z})"
            for x in ("TRUE", "FALSE", "NULL")
            for y in ("TRUE", "FALSE", "NULL")
            for z in ("TRUE", "FALSE", "NULL")
        )
        + ") t(a, b, c)"
    )
    con = duckdb.connect()
    got = con.execute(f"SELECT {', '.join(rewritten)} FROM {values}").fetchall()
    want = con.execute(f"SELECT {', '.join(literal)} FROM {values}").fetchall()
    assert got == want and len(got) == 27


def test_the_two_stacks_may_rate_currencies_differently(tmp_path: Path) -> None:
    """A field currency's FX rate is a column computed once per table of rates: a change of
    the rates alone changes decisions, as in the python engine."""
    rule = (
        'ruleset "m"\nlayer merchant\nrule "big"\n  when order.total > 45 USD\n  then review\n'
        'rule "small"\n  then approve\n'
    )
    baseline = engine_from_texts([rule], CONFIG)
    candidate = engine_from_texts([rule], {"fx": {"MYR": "0.25", "THB": "0.028"}})
    path = tmp_path / "h.parquet"
    _write(path, [flatten(r) for r in _fixed_cases()])
    fast, slow = _reports(baseline, candidate, path, Options())
    assert fast == slow
    assert fast["changed"]["count"] == 1  # 200 MYR: 44 USD before, 50 USD after


@pytest.mark.parametrize(
    ("condition", "matches"),
    [
        ("order.total - order.total <= 0 USD", 2),  # was printed `a - b * rate`: more than 0 in MYR
        ("0 USD <= order.total - request.refund_amount", 2),
        ("order.total - (order.total - order.total) <= 0 USD", 0),  # was printed `a - b - c`: -a
        ("-(order.total - order.total) >= 0 USD", 2),
    ],
)
def test_sums_and_differences_keep_their_parentheses_in_sql(
    tmp_path: Path, condition: str, matches: int
) -> None:
    stack = [f'ruleset "p"\nlayer platform\nrule "x"\n  when {condition}\n  then tag("t")\n']
    records = [
        flatten(r) for r in [_case_of_total(i, total) for i, total in enumerate(["1.00 MYR", "4.25 MYR"])]
    ]
    path = tmp_path / "history.parquet"
    _write(path, records)
    engine = engine_from_texts(stack, CONFIG)
    fast, slow = _reports(engine_from_texts([], CONFIG), engine, path, Options(samples=0))
    assert fast == slow
    assert fast["rules"][0]["candidate"]["matched"] == matches


def _case_of_total(i: int, total: str) -> dict[str, Any]:
    return {
        "case": {"id": f"n{i}"},
        "order": {"status": "DELIVERED", "total": total, "created_at": "2026-05-01T00:00:00Z"},
        "request": {"kind": "REFUND", "created_at": "2026-05-02T00:00:00Z"},
    }
