"""Accumulators of consecutive parts of a history, merged in order, give the figures, samples
and skipped examples of one pass over the whole history (what a distributed engine relies on)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttrules.simulate.history import HistoryRow
from ttrules.simulate.run import Options, Side, new_accumulator, replay_rows

from columnar_cases import CONFIG, SUPPORTED, histories, with_more_conditions
from helpers import engine_from_texts
from strategies import rich_stacks


def _rows(records: list[dict[str, Any]]) -> list[HistoryRow]:
    return [HistoryRow(i, f"h.jsonl:{i}", record) for i, record in enumerate(records, start=1)]


def _report(acc: Any) -> Any:
    return json.loads(
        json.dumps(
            {**acc.report(), "samples": acc.samples, "skipped_where": acc.skipped_examples}, default=str
        )
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rich_stacks(),
    rich_stacks(),
    histories(),
    st.lists(st.sampled_from(SUPPORTED), min_size=3, max_size=3),
    st.lists(st.integers(0, 25), max_size=4),
    st.integers(0, 3),
)
def test_merged_parts_equal_one_pass(
    before: list[str],
    after: list[str],
    records: list[dict[str, Any]],
    extra: list[str],
    cuts: list[int],
    samples: int,
) -> None:
    sides = (
        Side(engine_from_texts(with_more_conditions(before, extra), CONFIG), "b"),
        Side(engine_from_texts(with_more_conditions(after, extra[::-1]), CONFIG), "c"),
    )
    options = Options(samples=samples)
    rows = _rows(records)
    whole = new_accumulator(*sides, options)
    replay_rows(*sides, rows, whole)
    bounds = [0, *sorted(min(c, len(rows)) for c in cuts), len(rows)]
    merged = new_accumulator(*sides, options)
    for start, end in itertools.pairwise(bounds):
        part = new_accumulator(*sides, options)
        replay_rows(*sides, rows[start:end], part)
        merged.merge(part)
    assert _report(merged) == _report(whole)
