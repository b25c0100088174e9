"""The compiled path against the reference: identical decisions, as JSON, for generated stacks
(settings, limits, applies, forbids, errors, optional fields) and generated cases."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttrules.evaluate.cascade import decide
from ttrules.evaluate.compiled import compile_stack
from ttrules.evaluate.explain import decision_json
from ttrules.schema.case import CaseError

from helpers import bundled_engine, engine_from_texts
from strategies import case_records, rich_stacks

DIFF = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
