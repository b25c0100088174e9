"""The class memo's generated fast path, table by table: every kind of key reads the case as its
table was filled, a case the tables cannot answer goes the careful way, and a kept `decide`
follows a new arrangement. (That the memo decides as the reference does through all of this is
tests/test_compiled.py's.)"""

from __future__ import annotations

import ast as python_ast
import typing
from decimal import Decimal
from typing import Any

import pytest

from ttrules.evaluate import fast_path
from ttrules.evaluate.fast_path import (
    CalledKey,
    FastPath,
    FastPathPlan,
    FieldKey,
    FieldsKey,
    Lookup,
    MoneyKey,
    PresenceKey,
)
from ttrules.values import Money


class Decided:
    case_id = ""


LEARNED = Decided()  # the decision `BY_BITS` holds for the bits 5


def _plan(lookup: Lookup, *, by_bits: dict[int, Any] | None = None) -> FastPathPlan:
    return FastPathPlan(
        (lookup,),
        by_bits if by_bits is not None else {5: LEARNED},
        careful=lambda values: "careful",
        more=None,
        classify=lambda values, bits, case: ("classify", bits),
        with_case_id=lambda decision, values: decision,
    )


USD = Money(Decimal("12.50"), "USD")

# (key, its table, a case it answers, cases it cannot answer)
KEYS: dict[type, tuple[Any, dict[Any, Any], dict[str, Any], list[dict[str, Any]]]] = {
    FieldKey: (
        FieldKey("request.kind"),
        {"CANCEL": 5},
        {"request.kind": "CANCEL"},
        [{}, {"request.kind": "REFUND"}, {"request.kind": ["unhashable"]}],
    ),
    FieldsKey: (
        FieldsKey(("case.market", "request.kind")),
        {("MY", "CANCEL"): 5},
        {"case.market": "MY", "request.kind": "CANCEL"},
        [{"case.market": "MY"}, {"case.market": "TH", "request.kind": "CANCEL"}],
    ),
    PresenceKey: (
        PresenceKey(("buyer.credit_score", "order.shipped_at")),
        {(True, False): 5},
        {"buyer.credit_score": 90},
        [{}, {"buyer.credit_score": 90, "order.shipped_at": 1}],
    ),
    MoneyKey: (
        MoneyKey("order.total"),
        {"USD": {"12.50": 5}},
        {"order.total": USD},
        [
            {},
            {"order.total": Money(Decimal("12.5"), "USD")},  # equal, but not the text it was learned as
            {"order.total": Money(Decimal("12.50"), "MYR")},
            {"order.total": Decimal("12.50")},  # not money: the careful way tells what it is
            {"order.total": "12.50 USD"},
        ],
    ),
    CalledKey: (
        CalledKey(lambda values: len(values)),
        {1: 5},
        {"anything": 0},
        [{}, {"a": 1, "b": 2}],
    ),
}


def test_every_kind_of_key_has_a_row() -> None:
    assert set(KEYS) == set(typing.get_args(fast_path.Key))


@pytest.mark.parametrize("kind", list(KEYS), ids=lambda k: k.__name__)
def test_a_key_answers_the_case_its_table_holds_and_sends_the_others_the_careful_way(kind: type) -> None:
    key, table, answered, unanswered = KEYS[kind]
    path = FastPath(_plan(Lookup(table, key, "test")))
    assert path.decide(answered) is LEARNED
    assert path.learned(answered) is LEARNED
    for values in unanswered:
        assert path.decide(values) == "careful", values
    assert path.seen() == 2 + len(unanswered)


def test_bits_not_yet_learned_are_classified() -> None:
    path = FastPath(_plan(Lookup({"CANCEL": 5}, FieldKey("request.kind"), "kinds"), by_bits={}))
    assert path.decide({"request.kind": "CANCEL"}) == ("classify", 5)


def test_a_case_of_another_id_gets_the_decision_under_its_own() -> None:
    decided = Decided()
    plan = FastPathPlan(
        (Lookup({"CANCEL": 5}, FieldKey("request.kind"), "kinds"),),
        {5: decided},
        careful=lambda values: "careful",
        more=None,
        classify=lambda values, bits, case: "classify",
        with_case_id=lambda decision, values: ("renamed", values["case.id"]),
    )
    path = FastPath(plan)
    assert path.decide({"request.kind": "CANCEL"}) is decided
    assert path.decide({"request.kind": "CANCEL", "case.id": "c-7"}) == ("renamed", "c-7")
    assert path.learned({"request.kind": "CANCEL", "case.id": "c-7"}) is decided


def test_a_kept_function_follows_a_rebuild_and_the_exact_path() -> None:
    path = FastPath(_plan(Lookup({"CANCEL": 5}, FieldKey("request.kind"), "kinds")))
    decide = path.decide
    assert decide({"request.kind": "CANCEL", "case.market": "MY"}) is LEARNED
    path.rebuild(_plan(Lookup({"MY": 5}, FieldKey("case.market"), "markets")))
    assert decide({"request.kind": "REFUND", "case.market": "MY"}) is LEARNED
    assert "T0_1: markets" in path.source()
    path.exact(lambda values: "exact")
    assert decide({"case.market": "MY"}) == "exact"
    assert path.learned({}) == "exact"
    assert path.seen() == 4


def test_the_source_is_the_module_and_names_its_tables() -> None:
    path = FastPath(_plan(Lookup({"USD": {}}, MoneyKey("order.total"), "bits by order.total")))
    source = path.source()
    assert source.startswith("# T0_0: bits by order.total\n")
    python_ast.parse(source)  # what `compile --show` prints is Python
    assert "values['order.total']" in source and "def decide(values, /):" in source
