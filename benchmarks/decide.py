"""Decision throughput on the bundled example stack: loading a case (the fast loader and the
pydantic definition it falls back to, in the same run), the reference evaluator and the compiled
path (exact, and memoised per class of case as `Engine` uses it), checked to agree on every case
of the run. Cases are loaded one after another and dropped, as `eval`, simulate and the service
use them; a second figure keeps all of them in a list, which adds the garbage collector's
passes over every live case. The memoised path starts empty in every timed run, so its main figure includes
learning the classes of these cases; a second figure times it once they are learned.

    python benchmarks/decide.py [N]      (default N = 20000)

Cases are generated with a fixed seed so runs are comparable. Figures are medians of 5 runs.
"""

from __future__ import annotations

import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ttrules.engine import Engine  # noqa: E402
from ttrules.evaluate.cascade import decide  # noqa: E402
from ttrules.evaluate.class_memo import ClassMemo  # noqa: E402
from ttrules.evaluate.compiled import compile_stack  # noqa: E402
from ttrules.evaluate.explain import decision_json  # noqa: E402
from ttrules.schema.case import case_values, parse_case  # noqa: E402

KINDS = ["CANCEL", "REFUND", "RETURN_AND_REFUND", "REPLACEMENT"]
STATUSES = ["AWAITING_SHIPMENT", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED"]
REASONS = [
    "CHANGED_MIND",
    "WRONG_ADDRESS",
    "DAMAGED",
    "DEFECTIVE",
    "LATE_DELIVERY",
    "NOT_RECEIVED",
    "OUT_OF_STOCK",
    "SIZE_FIT",
]
CATEGORIES = ["apparel", "home", "electronics", "jewelry", "beauty"]
CURRENCIES = [("USD", 1), ("MYR", 4.5), ("THB", 36)]


def make_case(rng: random.Random, i: int) -> dict:
    currency, scale = rng.choice(CURRENCIES)
    day = rng.randint(1, 28)
    return {
        "case": {"id": f"b{i}", "market": rng.choice(["MY", "TH", "SG"])},
        "order": {
            "status": rng.choice(STATUSES),
            "category": rng.choice(CATEGORIES),
            "total": f"{rng.lognormvariate(3, 0.8) * scale:.2f} {currency}",
            "created_at": f"2026-05-{day:02d}T08:00:00Z",
            "paid_at": f"2026-05-{day:02d}T08:05:00Z",
            "expected_delivery_at": f"2026-06-{day:02d}T00:00:00Z",
        },
        "request": {
            "kind": rng.choice(KINDS),
            "reason": rng.choice(REASONS),
            "created_at": f"2026-06-{day:02d}T{rng.randint(0, 23):02d}:00:00Z",
            "evidence": rng.sample(["PHOTO", "VIDEO", "UNBOXING_VIDEO"], rng.randint(0, 2)),
        },
        "buyer": {"credit_score": rng.randint(20, 100), "blacklisted": rng.random() < 0.02},
        "dropship": {"stage": rng.choice(["NONE", "NONE", "SUPPLIER_SHIPPED", "AT_FORWARDER"])},
    }


def timed(fn, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    engine, diagnostics = Engine.load(None, ROOT / "ttrules.yaml")
    assert engine is not None, diagnostics
    rng = random.Random(20261122)
    records = [make_case(rng, i) for i in range(n)]
    values = [engine.values(r) for r in records]
    rules = len(engine.prepared.rules) + len(engine.prepared.forbids)

    compiled = compile_stack(engine.prepared)
    memo = ClassMemo(compiled)
    disagreements = sum(
        decision_json(compiled.decide(v)) != decision_json(decide(engine.prepared, v))
        or decision_json(memo.decide(v)) != decision_json(compiled.decide(v))
        for v in values
    )
    schema = engine.stack.schema

    def stream(load_one) -> None:  # type: ignore[no-untyped-def]
        for record in records:  # as eval, simulate and serve use a case: loaded, used, dropped
            load_one(record)

    load = timed(lambda: stream(engine.values))
    load_kept = timed(lambda: [engine.values(r) for r in records])
    load_definition = timed(lambda: stream(lambda r: case_values(parse_case(r), schema)))
    plain = timed(lambda: [decide(engine.prepared, v) for v in values])
    explained = timed(lambda: [decide(engine.prepared, v, explain=True) for v in values])
    exact = timed(lambda: [compiled.decide(v) for v in values])

    def memoised() -> None:
        fresh = ClassMemo(compile_stack(engine.prepared))
        for v in values:
            fresh.decide(v)

    fast = timed(memoised)
    warm = timed(lambda: [memo.decide(v) for v in values])  # every class already learned
    classes = len(memo._decisions)

    print(
        f"machine: {platform.machine()} {platform.processor() or ''} python "
        f"{platform.python_version()} on {platform.system()}; cpus={__import__('os').cpu_count()}"
    )
    print(
        f"stack: bundled example ({rules} rules and forbids, {len(engine.prepared.sets)} settings); "
        f"cases: {n} (seeded)"
    )
    for label, seconds in (
        ("load case (validate + derive)", load),
        ("  the same, all kept in a list", load_kept),
        ("  the same by the definition", load_definition),
        ("decide (reference)", plain),
        ("decide with explanation", explained),
        ("decide (compiled, exact path)", exact),
        ("decide (compiled, class memo)", fast),
        ("  the same, classes learned", warm),
    ):
        print(f"  {label:<32} {seconds / n * 1e6:9.1f} µs/case  {n / seconds:10,.0f} cases/s")
    print(
        f"  compiled speed-up over reference: {plain / fast:6.2f}x "
        f"(classes learned: {plain / warm:.2f}x; exact path alone: {plain / exact:.2f}x; "
        f"{classes:,} classes among these cases; disagreements: {disagreements})"
    )
    print(f"  ratio explain / plain decide:     {explained / plain:6.2f}x")
    print(f"  ratio load / plain decide:        {load / plain:6.2f}x")
    print(f"  fast loader speed-up over pydantic: {load_definition / load:5.2f}x")


if __name__ == "__main__":
    main()
