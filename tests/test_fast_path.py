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
    Careful,
    DefaultedFieldKey,
    FastPath,
    FastPathPlan,
    FieldKey,
    FieldsKey,
    Lookup,
    MoneyKey,
    NeededLookup,
    PresenceKey,
    SettingLookup,
    Unmemoised,
)
from ttrules.values import Money


class Decided:
    case_id = ""


LEARNED = Decided()  # the decision `BY_BITS` holds for the bits 5


ABSENT = object()
CAREFUL = Careful(
    decision=lambda values: "careful",
    classify=lambda values, bits, case: ("classify", bits),
    with_case_id=lambda decision, values: decision,
)


def _plan(lookup: Lookup, *, by_bits: dict[int, Any] | None = None) -> FastPathPlan:
    return FastPathPlan((lookup,), by_bits if by_bits is not None else {5: LEARNED}, CAREFUL, absent=ABSENT)


USD = Money(Decimal("12.50"), "USD")

# (key, its table, a case it answers, cases it cannot answer)
KEYS: dict[type, tuple[Any, dict[Any, Any], dict[str, Any], list[dict[str, Any]]]] = {
    FieldKey: (
        FieldKey("request.kind"),
        {"CANCEL": 5},
        {"request.kind": "CANCEL"},
        [{}, {"request.kind": "REFUND"}, {"request.kind": ["unhashable"]}],
    ),
    DefaultedFieldKey: (
        DefaultedFieldKey("order.shipped_at"),
        {ABSENT: 5},
        {"order.total": 3},
        [{"order.shipped_at": 1}],
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
        Careful(
            decision=lambda values: "careful",
            classify=lambda values, bits, case: "classify",
            with_case_id=lambda decision, values: ("renamed", values["case.id"]),
        ),
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
    assert path.source().startswith("# every case is decided the exact way")
    assert path.learned({}) == "exact"
    assert path.seen() == 4


def test_the_source_is_the_module_and_names_its_tables() -> None:
    path = FastPath(_plan(Lookup({"USD": {}}, MoneyKey("order.total"), "bits by order.total")))
    source = path.source()
    assert source.startswith("# T0_0: bits by order.total\n")
    python_ast.parse(source)  # what `compile --show` prints is Python
    assert "values['order.total']" in source and "def decide(values, /):" in source


class Slow:
    """The careful way of the tables a case may not need, recording what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Any]] = []
        self.cases = 0

    def new_case(self, values: Any) -> str:
        self.cases += 1
        return "case"

    def lookup(self, group: Any, case: Any) -> int:
        self.asked.append(("lookup", group))
        return 64

    def evaluate(self, group: Any, case: Any) -> int:
        self.asked.append(("evaluate", group))
        return 128

    def setting_id(self, setting: Any, case: Any) -> int:
        self.asked.append(("setting", setting))
        return 256


def test_the_tables_a_case_may_not_need_are_looked_up_only_where_needed() -> None:
    """Bits 0-3 say a holder's atom is false, 4-7 that it errors (errors_at=4). A table is
    looked up unless its `needless` bit is not true for the case, as false or (shifted down) as
    an error, by what the tables before it said; where it has no answer, the careful way."""
    slow = Slow()
    plan = FastPathPlan(
        (Lookup({"CANCEL": 1, "REFUND": 1 | 8}, FieldKey("request.kind"), "kinds"),),
        {1 | 2 | 128 | 256: "first", 1 | 8 | 64 | 256: "second"},
        Careful(
            decision=lambda values: "careful",
            classify=lambda values, bits, case: ("classify", bits, case),
            with_case_id=lambda decision, values: decision,
            new_case=slow.new_case,
            lookup=slow.lookup,
            evaluate=slow.evaluate,
            setting_id=slow.setting_id,
        ),
        needed=(
            NeededLookup(1, {"MY": 2}, FieldKey("case.market"), "never", "skipped: bit 0 is set"),
            NeededLookup(2, {"MY": 2}, FieldKey("case.market"), "markets", "needed unless bit 1"),
            NeededLookup(-1, {ABSENT: 0}, DefaultedFieldKey("order.shipped_at"), "shipped", "every case"),
        ),
        unmemoised=(Unmemoised(4, "amounts", "needed unless bit 2 or its error, bit 6"),),
        settings=(SettingLookup({}, lambda values: ("k",), "limit", "settings"),),
        errors_at=4,
        absent=ABSENT,
    )
    path = FastPath(plan)
    # The market is known and the field absent (its table says so): the group not memoised is
    # needed and evaluated; the setting's table has no answer.
    assert path.learned({"request.kind": "CANCEL", "case.market": "MY"}) == "first"
    assert slow.asked == [("evaluate", "amounts"), ("setting", "limit")]
    assert slow.cases == 1  # one case state, shared by the careful look-ups of a case
    # An unknown market and a field there that the table does not know: both looked up the
    # careful way, whose answers (bit 6, an error of holder 2) make the group not needed.
    slow.asked.clear()
    assert path.learned({"request.kind": "REFUND", "case.market": "TH", "order.shipped_at": "x"}) == "second"
    assert slow.asked == [("lookup", "markets"), ("lookup", "shipped"), ("setting", "limit")]
    # Bits not learned yet go to be classified, with the case state the look-ups made.
    assert path.learned({"request.kind": "REFUND", "case.market": "MY", "order.shipped_at": "x"}) == (
        "classify",
        1 | 8 | 2 | 64 | 256,
        "case",
    )
    assert "# N0_0: skipped: bit 0 is set" in path.source() and "# S0_0: settings" in path.source()
