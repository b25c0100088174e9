"""The compiled path against the reference: identical decisions, as JSON, for generated stacks
(settings, limits, applies, forbids, errors, optional fields) and generated cases."""

from __future__ import annotations

import dataclasses
import json
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttrules.evaluate import class_memo
from ttrules.evaluate.cascade import decide
from ttrules.evaluate.class_memo import ClassMemo
from ttrules.evaluate.compiled import compile_stack
from ttrules.evaluate.explain import decision_json
from ttrules.schema.case import CaseError

from helpers import BASE_CASE, bundled_engine, engine_from_texts, merge
from strategies import case_records, rich_stacks

DIFF = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _same(engine, records) -> None:  # type: ignore[no-untyped-def]
    compiled = compile_stack(engine.prepared)
    for record in records:
        try:
            values = engine.values(record)
        except CaseError:
            continue
        expected = decision_json(decide(engine.prepared, values))
        assert decision_json(compiled.decide(values)) == expected


@DIFF
@given(rich_stacks(), st.lists(case_records(), min_size=1, max_size=5))
def test_compiled_equals_reference_on_generated_stacks(texts, records) -> None:  # type: ignore[no-untyped-def]
    _same(engine_from_texts(texts, {"fx": {"MYR": "0.22"}}), records)


_bundled = bundled_engine()


@DIFF
@given(st.lists(case_records(), min_size=1, max_size=5))
def test_compiled_equals_reference_on_the_bundled_stack(records) -> None:  # type: ignore[no-untyped-def]
    _same(_bundled, records)


# ---- the class memo (what `Engine` decides with) ----------------------------------------


def _memo_same(engine, records, monkeypatch, *, merge_after: int = 4, patience: int = 6) -> ClassMemo:  # type: ignore[no-untyped-def]
    """Decide every record three times, under other case ids, through one memo that merges
    and gives up memoising early (so every path of it runs), against the reference."""
    monkeypatch.setattr(class_memo, "_MERGE_AFTER", merge_after)
    monkeypatch.setattr(class_memo, "_PATIENCE", patience)
    memo = ClassMemo(compile_stack(engine.prepared))
    # Kept once, as a caller may: it follows every new arrangement of the memo's tables.
    memo_decide = memo.decide
    loaded = []
    for record in records:
        try:
            loaded.append(engine.values(record))
        except CaseError:
            continue
    rounds = [[{**v, "case.id": f"{i}-{n}"} for i, v in enumerate(loaded)] for n in range(3)]
    for n, values in enumerate(rounds):
        for v in values if n % 2 == 0 else reversed(values):
            expected = decision_json(decide(engine.prepared, v))
            assert decision_json(memo_decide(v)) == expected
    return memo


@DIFF
@given(rich_stacks(), st.lists(case_records(), min_size=1, max_size=12))
def test_class_memo_equals_reference_on_generated_stacks(monkeypatch, texts, records) -> None:  # type: ignore[no-untyped-def]
    _memo_same(engine_from_texts(texts, {"fx": {"MYR": "0.22"}}), records, monkeypatch)


@DIFF
@given(st.lists(case_records(), min_size=1, max_size=12))
def test_class_memo_equals_reference_on_the_bundled_stack(monkeypatch, records) -> None:  # type: ignore[no-untyped-def]
    _memo_same(_bundled, records, monkeypatch)


VALUE_READING = """ruleset "m"
layer merchant
set cap = order.total * 50%
rule "share"
  when request.kind == REFUND and order.total >= 10 USD
  then partial_refund(order.total * 10%)
rule "paid-later"
  when has(order.paid_at) and order.paid_at > order.created_at
  then tag("paid-later")
rule "cheap"
  when order.total < 5 USD
  then tag("cheap")
"""


def test_class_memo_keeps_values_read_from_the_case_apart(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`10.0 USD` and `10.00 USD` are equal and fall in one class for every condition, but the
    setting and the action argument computed from them print differently: each case gets its
    own, as the reference gives it."""
    engine = engine_from_texts([VALUE_READING])
    records = [
        merge(BASE_CASE, {"request": {"kind": "REFUND"}, "order": {"total": total}})
        for total in ("10.0 USD", "10.00 USD", "10.000 USD", "12 USD", "10.0 USD")
    ]
    records.append(merge(BASE_CASE, {"order": {"paid_at": None}}))
    records.append(merge(BASE_CASE, {"order": {"total": "3 XYZ"}}))  # no FX rate: an error
    _memo_same(engine, records, monkeypatch)
    texts = {json.dumps(decision_json(engine.decide(r))["settings"]) for r in records[:3]}
    assert len(texts) == 3


TWO_LIMITS_FAILING_ALIKE = [
    'ruleset "p"\nlayer platform\n'
    "limit cap <= 20 USD when order.status == DELIVERED\n"
    "limit cap <= 20 USD when request.kind == CANCEL\n",
    'ruleset "m"\nlayer merchant\nset cap = 1000 THB\n',
]


def test_class_memo_tells_apart_limits_that_fail_with_one_message(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Both limits fail with "no FX rate for THB"; the decision names the first that applies,
    so a delivered and an undelivered cancellation are two classes (found by hypothesis)."""
    engine = engine_from_texts(TWO_LIMITS_FAILING_ALIKE)
    records = [
        merge(BASE_CASE, {"request": {"kind": "CANCEL"}, "order": {"status": status}})
        for status in ("AWAITING_SHIPMENT", "DELIVERED")
    ]
    _memo_same(engine, records, monkeypatch)
    lines = [decision_json(engine.decide(r))["errors"][0]["rule"]["line"] for r in records]
    assert lines == [4, 3]


def test_class_memo_stops_memoising_values_that_do_not_repeat(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = engine_from_texts([VALUE_READING])
    records = [merge(BASE_CASE, {"order": {"paid_at": f"2026-05-01T10:{m:02d}:00Z"}}) for m in range(40)]
    memo = _memo_same(engine, records, monkeypatch)
    by_paths = {g.paths: g for g in memo._groups}
    assert not by_paths[("order.created_at", "order.paid_at")].memoised
    assert by_paths[("?order.paid_at",)].memoised  # `has(order.paid_at)`: present or not
    assert by_paths[("request.kind",)].memoised


def test_class_memo_merges_fields_with_few_values(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """After the first cases, fields with few values are looked up together; a later case
    without one of them still decides as the reference does."""
    engine = engine_from_texts([RULES_ON_FEW_FIELDS])
    records = [
        merge(BASE_CASE, {"request": {"kind": kind}, "case": {"market": market}})
        for kind in ("CANCEL", "REFUND")
        for market in ("MY", "SG")
    ] * 3
    records.append(merge(BASE_CASE, {"case": {"market": None}}))
    memo = _memo_same(engine, records, monkeypatch)
    assert memo._merged is not None
    assert {p for g in memo._merged.members for p in g.paths} >= {"request.kind", "case.market"}


def test_class_memo_looks_up_a_group_only_for_cases_that_need_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The timestamps only refunds compare are neither read nor evaluated for cancellations
    (the rule's first atom is false for them), and refunds still decide as the reference."""
    engine = engine_from_texts([REFUNDS_COMPARE_TIMES])
    records = [
        merge(BASE_CASE, {"request": {"kind": kind, "created_at": f"2026-05-01T{h:02d}:30:00Z"}})
        for kind in ("CANCEL", "REFUND")
        for h in range(9, 19)
    ]
    memo = _memo_same(engine, records[:10], monkeypatch, patience=1_000)
    group = next(g for g in memo._groups if g.paths == ("order.created_at", "request.created_at"))
    assert not group.always and not group.bits and not group.missed
    _memo_same(engine, records, monkeypatch, patience=1_000)


def test_class_memo_looks_up_settings_of_merged_fields_with_them(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A setting that reads only merged fields is looked up with them, not on its own; a
    market first seen after the merge, and a case without one, decide as the reference."""
    engine = engine_from_texts([RULES_ON_FEW_FIELDS + SETTING_ON_FEW_FIELDS])
    records = [
        merge(
            BASE_CASE, {"request": {"kind": kind}, "case": {"market": market}, "order": {"total": "30 USD"}}
        )
        for kind in ("CANCEL", "REFUND")
        for market in ("MY", "SG")
    ] * 3
    records += [
        merge(BASE_CASE, {"case": {"market": "TH"}, "order": {"total": "30 USD"}}),
        merge(BASE_CASE, {"case": {"market": None}}),
    ]
    memo = _memo_same(engine, records, monkeypatch)
    assert memo._merged is not None and memo._merged.settings
    assert all(setting not in memo._merged.settings for *_, setting in memo._tables.settings)


SETTING_ON_FEW_FIELDS = """set cap = 20 USD
set cap = 40 USD when case.market == "SG"
rule "under-cap"
  when order.total < cap
  then tag("under-cap")
"""


def test_class_memo_reads_a_field_some_cases_lack_with_a_default(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A field every case needs is read without a default until a case lacks it (that case
    takes the careful way); from then on with one, and every case still decides as the
    reference."""
    engine = engine_from_texts([CREDIT_RULES])
    records = [merge(BASE_CASE, {"buyer": {"credit_score": score}}) for score in (20, 50, 90)]
    memo = _memo_same(engine, records, monkeypatch, merge_after=1_000, patience=1_000)
    group = next(g for g in memo._groups if g.paths == ("buyer.credit_score",))
    assert not group.optional
    assert any(table is group for table in memo._tables.careful)
    records.append(merge(BASE_CASE, {"buyer": {"credit_score": None}}))
    memo = _memo_same(engine, records, monkeypatch, merge_after=1_000, patience=1_000)
    group = next(g for g in memo._groups if g.paths == ("buyer.credit_score",))
    assert group.optional
    assert any(table is group for *_, table in memo._tables.lazy)


CREDIT_RULES = """ruleset "m"
layer merchant
rule "low-credit"
  when (buyer.credit_score ?? 0) < 40
  then review
rule "high-credit"
  when (buyer.credit_score ?? 0) >= 80
  then approve
"""


REFUNDS_COMPARE_TIMES = """ruleset "m"
layer merchant
rule "asked-late"
  when request.kind == REFUND and request.created_at - order.created_at > 1h
  then reject("asked late")
rule "cancel"
  when request.kind == CANCEL
  then approve
"""


RULES_ON_FEW_FIELDS = """ruleset "m"
layer merchant
rule "sg-cancel"
  when request.kind == CANCEL and case.market == "SG"
  then approve
rule "refund"
  when request.kind == REFUND and (case.market ?? "MY") != "SG"
  then reject("no")
"""


def test_decisions_are_values() -> None:
    decision = _bundled.decide(BASE_CASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.case_id = "other"  # type: ignore[misc]


def test_class_memo_gives_way_when_classes_do_not_repeat(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A setting computed from the amount makes every case its own class: the memo stops and
    every case goes the exact way, still deciding as the reference does."""
    engine = engine_from_texts([VALUE_READING])
    records = [
        merge(BASE_CASE, {"request": {"kind": "REFUND"}, "order": {"total": f"{10 + i} USD"}})
        for i in range(30)
    ]
    monkeypatch.setattr(class_memo, "_CLASS_PATIENCE", 20)
    memo = _memo_same(engine, records, monkeypatch)
    assert memo._exact_only


def test_class_memo_takes_values_of_another_type_as_the_exact_path_does() -> None:
    """`decide_values` takes a caller's own mapping: a money field holding a number is an
    evaluation error there, not a crash, and not confused with an amount."""
    engine = engine_from_texts([VALUE_READING])
    good = engine.values(merge(BASE_CASE, {"order": {"total": "3 USD"}}))
    for values in (good, {**good, "order.total": 3}, good):
        assert decision_json(engine.decide_values(values)) == decision_json(decide(engine.prepared, values))


def test_class_memo_shared_by_threads(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One engine deciding in several threads at once (as a server would): its memo learns,
    merges and gives up groups meanwhile, and every decision is still the reference's."""
    monkeypatch.setattr(class_memo, "_MERGE_AFTER", 50)
    monkeypatch.setattr(class_memo, "_PATIENCE", 40)
    memo = ClassMemo(compile_stack(_bundled.prepared))
    records = [
        merge(
            BASE_CASE,
            {
                "case": {"id": f"c{i}"},
                "request": {
                    "kind": ["CANCEL", "REFUND", "RETURN_AND_REFUND"][i % 3],
                    "reason": ["CHANGED_MIND", "DAMAGED", "OUT_OF_STOCK"][i % 7 % 3],
                    "created_at": f"2026-05-0{1 + i % 5}T{i % 24:02d}:00:00Z",
                },
                "order": {
                    "total": f"{5 + i % 90}.{i % 100:02d} USD",
                    "status": "DELIVERED",
                    "delivered_at": f"2026-05-01T{i % 24:02d}:30:00Z",
                },
                "buyer": {"credit_score": 40 + i % 61},
            },
        )
        for i in range(400)
    ]
    values = [_bundled.values(r) for r in records]
    expected = [decision_json(decide(_bundled.prepared, v)) for v in values]
    failures: list[str] = []

    def work(offset: int) -> None:
        for k in range(len(values)):
            i = (k + offset) % len(values)
            if decision_json(memo.decide(values[i])) != expected[i]:
                failures.append(records[i]["case"]["id"])

    threads = [threading.Thread(target=work, args=(n * 97,)) for n in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures
    assert memo._seen > 0
