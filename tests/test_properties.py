"""Properties that must hold for every input hypothesis can think of."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttrules.evaluate.explain import decision_json
from ttrules.schema.case import CaseError
from ttrules.spans import SourceFile
from ttrules.syntax import parse_ruleset_text
from ttrules.syntax.dsl import parse_fragment
from ttrules.syntax.format import format_expr, format_ruleset
from ttrules.syntax.yaml_emit import emit_ruleset_yaml

from helpers import bundled_engine, engine_from_texts
from strategies import case_records, expressions, rulesets, stack_texts

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
EVAL = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(expressions)
def test_expression_round_trip(expr):  # type: ignore[no-untyped-def]
    text = format_expr(expr)
    diagnostics: list = []
    parsed = parse_fragment(text, "expr_only", SourceFile("x", text), lambda p: p, diagnostics)
    assert not diagnostics, (text, diagnostics)
    assert parsed == expr, text


@pytest.mark.parametrize(
    ("emit", "path"), [(format_ruleset, "gen.ttr"), (emit_ruleset_yaml, "gen.yaml")], ids=["dsl", "yaml"]
)
@FAST
@given(ruleset=rulesets)
def test_round_trip_and_idempotence(emit, path, ruleset):  # type: ignore[no-untyped-def]
    text = emit(ruleset)
    parsed, diagnostics = parse_ruleset_text(text, path)
    assert not diagnostics, (text, [d.message for d in diagnostics])
    assert parsed == ruleset, text
    assert emit(parsed) == text


_bundled = bundled_engine()


@EVAL
@given(case_records())
def test_evaluator_never_raises_on_generated_cases(record):  # type: ignore[no-untyped-def]
    try:
        values = _bundled.values(record)
    except CaseError:
        return  # rejected at load time with field paths: also not a crash
    from ttrules.evaluate.cascade import decide

    decision = decide(_bundled.prepared, values, explain=True)
    json.dumps(decision_json(decision))  # the decision is always serialisable


def _decide(engine, record):  # type: ignore[no-untyped-def]
    try:
        return engine.decide(record, explain=True)
    except CaseError:
        return None


@EVAL
@given(stack_texts(), st.lists(case_records(), min_size=1, max_size=4))
def test_platform_rule_always_wins_its_slot(texts, records):  # type: ignore[no-untyped-def]
    engine = engine_from_texts(texts, {"fx": {"MYR": "0.22"}})
    for record in records:
        decision = _decide(engine, record)
        if decision is None:
            continue
        assert decision.trace is not None
        for trace in decision.trace:
            if trace.kind != "rule" or trace.rule.layer != "platform":
                continue
            if trace.status in ("won", "lost"):
                for loss in trace.lost:
                    slot = loss.slot
                    assert loss.reason != "layer", loss
                    if slot in decision.held:  # an errored platform rule holds it (fail closed)
                        assert decision.held[slot].layer == "platform"
                        continue
                    winner = decision.slot(slot)
                    assert winner is not None and winner.rule is not None
                    assert winner.rule.layer == "platform", (slot, winner)
            assert trace.status != "vetoed"


@EVAL
@given(
    stack_texts(), st.lists(case_records(), min_size=1, max_size=4), st.sampled_from(["platform", "merchant"])
)
def test_empty_layer_changes_nothing(texts, records, layer):  # type: ignore[no-untyped-def]
    engine = engine_from_texts(texts, {"fx": {"MYR": "0.22"}})
    padded = engine_from_texts([*texts, f'ruleset "empty"\nlayer {layer}\n'], {"fx": {"MYR": "0.22"}})
    for record in records:
        a, b = _decide(engine, record), _decide(padded, record)
        if a is None:
            assert b is None
            continue
        assert b is not None
        assert decision_json(a) == decision_json(b)


@EVAL
@given(stack_texts(), st.lists(case_records(), min_size=1, max_size=4))
def test_forbid_only_vetoes_weaker_layers(texts, records):  # type: ignore[no-untyped-def]
    engine = engine_from_texts(texts, {"fx": {"MYR": "0.22"}})
    order = engine.stack.config.layers
    for record in records:
        decision = _decide(engine, record)
        if decision is None:
            continue
        assert decision.trace is not None
        for trace in decision.trace:
            if trace.vetoed_by is not None:
                assert order.index(trace.vetoed_by.layer) < order.index(trace.rule.layer)
            if trace.kind == "forbid" and trace.rule.layer == order[-1]:
                assert not trace.vetoes  # nothing is weaker than the weakest layer
