"""The fast case loader against the definition (pydantic `parse_case` + `case_values`).

Records are generated around the valid shape and bent: every field gets values of every JSON
type and spellings pydantic coerces (numeric strings, Unix seconds, a space for the T), keys are
dotted, namespaces go missing or null. Whatever the record, both loaders must agree: the same
field values and outcome, or the same errors.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttrules.schema.case import CaseError, case_values, outcome_fields, parse_case
from ttrules.schema.fields import default_schema, extend_schema
from ttrules.schema.loader import load_case, load_values

SCHEMA, _ = extend_schema(
    default_schema(), {"order.restock_days": "int?", "buyer.tier": "enum(GOLD, SILVER)?"}
)

TIMESTAMPS = (
    st.sampled_from(
        [
            "2026-05-01T08:00:00Z",
            "2026-05-01T08:00:00",
            "2026-05-01T08:00",
            "2026-05-01T08:00:00.5+08:00",
            "2026-05-01T08:00:00.123456-03:30",
            "2026-05-01T08:00:00.1234567Z",
            "2026-05-01 08:00:00Z",
            "2026-05-01",
            "2026-02-30T00:00:00Z",
            "2026-05-01T24:00:00Z",
            "2026-05-01T08:00:00+0800",
            "1777622400",
            "not a time",
        ]
    )
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.just(datetime(2026, 5, 1, tzinfo=UTC))
)

MONEY = (
    st.sampled_from(
        [
            "12.50 USD",
            "12.50USD",
            " 7 MYR ",
            "-3.10 THB",
            "12.50 usd",
            "1e3 USD",
            "12.50",
            "abc",
            "NaN USD",
            "Infinity",
        ]
    )
    | st.fixed_dictionaries(
        {"amount": st.sampled_from(["1.5", "x", 2]), "currency": st.sampled_from(["USD", "us", "myr"])}
    )
    | st.integers(-5, 5000)
    | st.decimals(allow_nan=True, allow_infinity=True, places=2)
)

ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.decimals(allow_nan=False, places=2),
    st.text(max_size=6),
    st.sampled_from(["5", "true", "yes", "0", "DELIVERED", "delivered", "in-transit", "PHOTO"]),
    st.lists(st.sampled_from(["PHOTO", "video", "X", 3]), max_size=3),
    st.just({}),
    st.just(("PHOTO",)),
)

FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "case": {
        "id": st.text(max_size=3),
        "platform": st.sampled_from(["TIKTOK", "shopee", "X"]),
        "market": st.sampled_from(["MY", "TH"]),
        "now": TIMESTAMPS,
    },
    "order": {
        "id": st.text(max_size=3),
        "status": st.sampled_from(["DELIVERED", "in transit", "CANCELED", "WEIRD"]),
        "total": MONEY,
        "currency": st.sampled_from(["USD", "usd", "MYR", ""]),
        "category": st.sampled_from(["apparel", "jewelry"]),
        "quantity": st.integers(-2, 5),
        "created_at": TIMESTAMPS,
        "delivered_at": TIMESTAMPS,
        "expected_delivery_at": TIMESTAMPS,
        "is_cod": st.booleans(),
        "restock_days": st.integers(-1, 30) | st.sampled_from(["3", 2.5, True]),
    },
    "request": {
        "id": st.text(max_size=3),
        "kind": st.sampled_from(["REFUND", "cancel", "BUYER_CANCEL", "RETURN_AND_REFUND"]),
        "reason": st.sampled_from(["DAMAGED", "changed mind", "SIZE_FIT", "NOPE"]),
        "reason_code": st.sampled_from(["ecom_order_delivered_refund_and_return_reason_damaged", "x"]),
        "is_quality_issue": st.booleans(),
        "refund_amount": MONEY,
        "return_shipping_fee": MONEY,
        "items_value": MONEY,
        "evidence": st.lists(st.sampled_from(["PHOTO", "video", "UNBOXING_VIDEO"]), max_size=3),
        "created_at": TIMESTAMPS,
        "buyer_keeps_item": st.booleans(),
    },
    "buyer": {
        "credit_score": st.integers(-5, 105),
        "refunds_90d": st.integers(-1, 9),
        "blacklisted": st.booleans(),
        "tier": st.sampled_from(["GOLD", "gold", "BRONZE", 7]),
    },
    "logistics": {"last_scan_at": TIMESTAMPS, "exception": st.sampled_from(["NONE", "lost"])},
    "dropship": {"stage": st.sampled_from(["NONE", "AT_FORWARDER"]), "item_cost": MONEY},
    "outcome": {
        "decision": st.sampled_from(["approve", "reject"]),
        "refunded": MONEY,
        "abuse": st.booleans(),
        "handling_minutes": st.integers(0, 30) | st.decimals(places=1, allow_nan=False) | st.just("5"),
    },
}
REQUIRED = {"order": ("status", "total", "created_at"), "request": ("kind", "created_at")}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for namespace, fields in FIELDS.items():
        if namespace not in REQUIRED and not draw(st.booleans()):
            continue
        section: dict[str, Any] = {}
        for name, strategy in fields.items():
            required = name in REQUIRED.get(namespace, ())
            if not required and not draw(st.booleans()):
                continue
            bent = draw(st.integers(0, 12)) == 0  # now and then a value of the wrong kind
            section[name] = draw(ODD if bent else strategy)
        if draw(st.integers(0, 25)) == 0:
            section.pop(draw(st.sampled_from(sorted(section) or ["x"])), None)
        record[namespace] = section
    shape = draw(st.integers(0, 30))
    if shape == 0:  # dotted keys beside or instead of nested ones
        order = record.pop("order")
        record.update({f"order.{k}": v for k, v in order.items()})
    elif shape == 1:
        record[draw(st.sampled_from(["buyer", "outcome", "source", "logistics"]))] = None
    elif shape == 2:
        record["extra"] = {}
    elif shape == 3:
        record["source"] = draw(st.sampled_from([{"raw": 1}, "text", []]))
    return record


def definition(record: dict[str, Any]) -> tuple[Any, ...]:
    try:
        case = parse_case(record)
        values = case_values(case, SCHEMA)
    except CaseError as error:
        return ("error", error.problems)
    return ("ok", values, outcome_fields(case))


def fast(record: dict[str, Any]) -> tuple[Any, ...]:
    try:
        loaded = load_case(record, SCHEMA)
    except CaseError as error:
        return ("error", error.problems)
    return ("ok", loaded.values, loaded.outcome)


@settings(
    max_examples=int(os.environ.get("TTRULES_LOADER_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(records())
def test_the_fast_loader_agrees_with_the_definition(record: dict[str, Any]) -> None:
    assert fast(record) == definition(record)


VALID = {
    "order": {"status": "DELIVERED", "total": "20.00 MYR", "created_at": "2026-05-01T08:00:00Z"},
    "request": {"kind": "REFUND", "reason": "DAMAGED", "created_at": "2026-05-03T10:00:00+08:00"},
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"order": {**VALID["order"], "total": "20.00"}}, ("", "needs a currency")),
        ({"buyer": {"credit_score": 101}}, ("buyer.credit_score", "less than or equal to 100")),
        ({"request": {**VALID["request"], "created_at": "soon"}}, ("request.created_at", "datetime")),
        ({"order": {**VALID["order"], "restock_days": "x"}}, ("order.restock_days", "whole number")),
        ({"shop": {}}, ("shop", "unknown namespace")),
    ],
)
def test_bad_records_get_the_definitions_messages(change: dict[str, Any], problem: tuple[str, Any]) -> None:
    record = {**VALID, **change}
    with pytest.raises(CaseError) as raised:
        load_values(record, SCHEMA)
    path, words = problem
    assert any(p.startswith(path) and (words is None or words in m) for p, m in raised.value.problems), (
        raised.value.problems
    )
    assert definition(record) == fast(record)


def test_a_valid_record_is_loaded_without_the_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    """The common shape never reaches pydantic (else the fast path is dead code)."""
    import ttrules.schema.loader as loader

    def refuse(record: Any) -> Any:
        raise AssertionError("parse_case was called")

    monkeypatch.setattr(loader, "parse_case", refuse)
    values = load_values(
        {**VALID, "buyer": {"credit_score": 80}, "outcome": {"refunded": "3", "handling_minutes": 4}},
        SCHEMA,
    )
    assert values["request.refund_amount"].amount == Decimal("20.00")
    assert values["case.now"] == datetime(2026, 5, 3, 2, tzinfo=UTC)
    assert values["request.is_quality_issue"] is True


def test_the_generated_field_function_reads_every_declared_field() -> None:
    """What the models become (`field_function_source`) names each declared field once."""
    import ast as python_ast

    from ttrules.schema.case import NAMESPACE_MODELS
    from ttrules.schema.loader import field_function_source

    source = field_function_source()
    tree = python_ast.parse(source)
    read = {
        node.left.value
        for node in python_ast.walk(tree)
        if isinstance(node, python_ast.Compare)
        and isinstance(node.left, python_ast.Constant)
        and isinstance(node.ops[0], python_ast.In)
    }
    declared = {name for model in NAMESPACE_MODELS.values() for name in model.model_fields}
    assert read == declared
