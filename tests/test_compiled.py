"""The compiled path against the reference: identical decisions, as JSON, for generated stacks
(settings, limits, applies, forbids, errors, optional fields) and generated cases."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttrules.evaluate.cascade import decide
from ttrules.evaluate.compiled import compile_stack
from ttrules.evaluate.explain import decision_json
from ttrules.schema.case import CaseError

from helpers import bundled_engine, engine_from_texts
from strategies import CONDITIONS, case_records, rule_texts

DIFF = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SETTING_VALUES = ["20 USD", "60 USD", "100 MYR", "1000 THB"]


@st.composite
def rich_stacks(draw: Any) -> list[str]:
    texts = []
    for layer in ("platform", "merchant"):
        body = f'ruleset "{layer}-gen"\nlayer {layer}\n'
        if draw(st.booleans()):
            body += f"applies {draw(st.sampled_from(CONDITIONS))}\n"
        if layer == "merchant":
            for _ in range(draw(st.integers(0, 2))):
                body += (f"set cap = {draw(st.sampled_from(SETTING_VALUES))} "
                         f"when {draw(st.sampled_from(CONDITIONS))}\n")
            body += f"set cap = {draw(st.sampled_from(SETTING_VALUES))}\n"
        else:
            for _ in range(draw(st.integers(0, 2))):
                op = draw(st.sampled_from(["<=", ">="]))
                body += (f"limit cap {op} {draw(st.sampled_from(SETTING_VALUES))} "
                         f"when {draw(st.sampled_from(CONDITIONS))}\n")
        for i in range(draw(st.integers(0, 5))):
            rule = draw(rule_texts(layer, i))
            if layer == "merchant" and draw(st.booleans()):
                rule = rule.replace("  when ", "  when order.total < cap and ", 1)
            body += rule
        for _ in range(draw(st.integers(0, 2))):
            body += (f"forbid {draw(st.sampled_from(['approve', 'reject', 'review', 'abandon']))}\n"
                     f"  when {draw(st.sampled_from(CONDITIONS))}\n")
        texts.append(body)
    return texts


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
