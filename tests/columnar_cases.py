"""What the differential tests of the duckdb engine share: the number of examples, the
expression forms beyond the shared generator's, and generated histories.

`TTRULES_COLUMNAR_EXAMPLES=N` runs more examples than CI does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ttrules.columnar.run import EngineReport, replay_duckdb
from ttrules.simulate.history import read_history
from ttrules.simulate.run import Options, Side, replay

from strategies import CONDITIONS, case_records

EXAMPLES = int(os.environ.get("TTRULES_COLUMNAR_EXAMPLES", "25"))
DIFF = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CONFIG = {"fx": {"MYR": "0.22", "THB": "0.028"}}

# Expression forms beyond the shared generator's conditions, each with its error cases.
MORE_CONDITIONS = [
    "order.total between 10 USD and 60 USD",
    "(buyer.credit_score ?? 50) > 40",
    "not buyer.blacklisted or order.quantity > 2",
    "order.total + 5 USD > 30 USD",
    "order.total * 2 > 50 MYR",
    "min(order.total, 40 USD) < 35 USD",
    "abs(order.quantity - 3) >= 2",
    "days(case.now - order.created_at) > 3",
    'lower(order.category ?? "x") == "apparel"',
    "request.evidence == {}",
    "request.evidence != {PHOTO}",
    "request.kind not in {CANCEL}",
    "order.quantity * 30% > 1",
    "case.now - order.created_at > 2d",
    "request.refund_amount > order.total",
    "logistics.days_late >= 1",
    "logistics.late_by > 1d 12h",
    "(request.items_value ?? order.total) < 20 USD",
    "max(buyer.credit_score ?? 0, 10) < 70",
    "-order.total < -20 USD",
    "order.total - request.refund_amount >= 0 USD",
]
SUPPORTED = [c for c in CONDITIONS if "/" not in c] + MORE_CONDITIONS


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{namespace}.{name}": value for namespace, fields in record.items() for name, value in fields.items()
    }


@st.composite
def histories(draw: Any) -> list[dict[str, Any]]:
    records = [flatten(r) for r in draw(st.lists(case_records(), min_size=1, max_size=25))]
    for record in records:
        if draw(st.booleans()):
            record["outcome.abuse"] = draw(st.booleans())
        if draw(st.booleans()):  # the agent's decision: the vocabulary, its case, and others
            record["outcome.decision"] = draw(
                st.sampled_from(
                    ["approve", "reject", "Reject ", "partial_refund", "replace", "withdrawn", ""]
                )
            )
        if draw(st.booleans()):  # handling minutes (as text: one type per column), some invalid
            record["outcome.handling_minutes"] = draw(st.sampled_from(["0", "4", "7.5", "12", "-1", "x"]))
        if draw(st.integers(0, 3)) == 0:  # a partial request: the value of its lines
            record["request.items_value"] = draw(st.sampled_from(["15 USD", "40 MYR", "8", "2 XTS"]))
        if draw(st.integers(0, 3)) == 0:  # the history's own refund, in a rated or unrated currency
            record["outcome.refunded"] = draw(st.sampled_from(["5 USD", "12.5 MYR", "3 XTS", "9"]))
        if draw(st.integers(0, 9)) == 0:
            del record["order.total"]  # invalid: a required field is missing
        if draw(st.integers(0, 9)) == 0:
            record["request.refund_amount"] = draw(st.sampled_from(["5 USD", "12.5 MYR", " ", "7"]))
    return records


def with_more_conditions(texts: list[str], extra: list[str]) -> list[str]:
    """Swap some of the shared generator's conditions (always its division, which the SQL
    engine hands to the python engine) for drawn ones, so every example is compared and the
    expression forms of MORE_CONDITIONS occur in generated stacks too."""
    swap = {c: extra[j % len(extra)] for j, c in enumerate(CONDITIONS) if "/" in c or j % 2 == 0}
    out = []
    for text in texts:
        for old, new in swap.items():
            text = text.replace(old, new)
        out.append(text)
    return out


def compare_engines(
    baseline: Any,
    candidate: Any,
    path: Path,
    fmt: str,
    options: Options,
    columns: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], EngineReport]:
    """Both engines over one file: the report (with samples and where rows were skipped) must
    be the same; it is returned with what the duckdb engine did."""
    sides = Side(baseline, "b"), Side(candidate, "c")
    fast, done = replay_duckdb(*sides, path, fmt, columns or {}, options)
    slow = replay(*sides, read_history(path, columns or {}, fmt), options)
    as_json = [
        json.loads(
            json.dumps(
                {**acc.report(), "samples": acc.samples, "skipped_where": acc.skipped_examples}, default=str
            )
        )
        for acc in (fast, slow)
    ]
    assert as_json[0] == as_json[1]
    return as_json[0], done
