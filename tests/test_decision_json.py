"""The service's rendering (`Engine.decide_json`, once per class of case) against the reference
decision of each case, rendered on its own."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from ttrules.engine import Engine
from ttrules.evaluate.cascade import decide
from ttrules.evaluate.explain import decision_json

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from decide import make_case  # noqa: E402


def test_decide_json_is_the_reference_decision_as_compact_json() -> None:
    engine, diagnostics = Engine.load(None, ROOT / "ttrules.yaml")
    assert engine is not None, diagnostics
    rng = random.Random(20261202)
    for i in range(3000):
        record = make_case(rng, i)
        if i % 7 == 0:
            record["case"]["id"] = f'quote " and 中文 {i}'  # ids that JSON must escape
        if i % 11 == 0:
            del record["case"]["id"]  # falls back to the request's or order's id
        values = engine.values(record)
        reference = decide(engine.prepared, values)
        decision, text = engine.decide_json(values)
        expected = json.dumps(decision_json(reference), ensure_ascii=False, separators=(",", ":"))
        assert text == expected, record
        assert decision.case_id == reference.case_id
