"""`ttrules check` on a generated stack of N rules (default 1,000): time of each stage.

    python benchmarks/check_stack.py [N ...]

The stack is what an agency running many shops accumulates: the bundled TikTok Shop platform
policy over N merchant rules spread over request kinds, markets, categories and amount bands,
with priorities, settings per category, tags and routes. Prints the machine, then per N the
seconds for loading and type checking, for the layering analysis and lints, the number of
findings per code, and how many solver queries could not be decided in time (no claim is made
for those). Nothing is asserted: the figures are for the performance page and the issue notes.
"""

from __future__ import annotations

import platform
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ttrules.analyze import analyze
from ttrules.check import check_stack
from ttrules.engine import Engine
from ttrules.stack import load_stack

ROOT = Path(__file__).resolve().parents[1]
KINDS = ["CANCEL", "REFUND", "RETURN_AND_REFUND", "REPLACEMENT"]
MARKETS = ["MY", "TH", "ID", "PH", "VN", "SG"]
CATEGORIES = ["apparel", "jewelry", "home", "electronics", "beauty", "toys", "sports", "food"]
REASONS = ["CHANGED_MIND", "WRONG_ADDRESS", "DAMAGED", "DEFECTIVE", "LATE_DELIVERY", "SIZE_FIT"]
RESOLUTIONS = [
    "approve",
    "review",
    'reject("policy")',
    "refund_without_return",
    "partial_refund(30%)",
    "require_evidence(UNBOXING_VIDEO)",
]


def merchant_rules(count: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    out = ['ruleset "generated"', "layer merchant", ""]
    for category in CATEGORIES:
        out.append(f"set cap_{category} = {rng.randint(10, 80)} USD")
    out.append("")
    for i in range(count):
        kind = rng.choice(KINDS)
        category = rng.choice(CATEGORIES)
        conditions = [
            f"request.kind == {kind}",
            f'order.category == "{category}"',
            f'case.market == "{rng.choice(MARKETS)}"',
        ]
        if rng.random() < 0.7:
            conditions.append(
                f"order.total < cap_{category}"
                if rng.random() < 0.5
                else f"order.total < {rng.randint(5, 200)} USD"
            )
        if rng.random() < 0.4:
            conditions.append(f"request.reason in {{{', '.join(rng.sample(REASONS, 2))}}}")
        if rng.random() < 0.3:
            conditions.append(f"buyer.credit_score >= {rng.randint(40, 95)}")
        actions = [rng.choice(RESOLUTIONS)]
        if rng.random() < 0.3:
            actions.append(f'route("team-{rng.randint(1, 5)}", sla: {rng.choice([30, 60, 120])}m)')
        if rng.random() < 0.2:
            actions.append(f'tag("g{i}")')
        out += [
            f'rule "r{i:04d}"',
            f"  priority {rng.randint(0, 20)}",
            "  when " + "\n   and ".join(conditions),
            "  then " + ", ".join(actions),
            f'  because "generated rule {i}"',
            "",
        ]
    return "\n".join(out)


def run(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "rulesets" / "merchant").mkdir(parents=True)
        (work / "rulesets" / "platform").mkdir()
        platform_file = ROOT / "rulesets" / "platform" / "tiktok-shop-sea.ttr"
        (work / "rulesets" / "platform" / platform_file.name).write_text(
            platform_file.read_text(encoding="utf-8"), encoding="utf-8"
        )
        (work / "rulesets" / "merchant" / "generated.ttr").write_text(merchant_rules(count), encoding="utf-8")
        config = work / "ttrules.yaml"
        config.write_text("stack: [rulesets/platform/, rulesets/merchant/]\n", encoding="utf-8")
        start = time.perf_counter()
        stack, diagnostics = load_stack(None, config)
        assert stack is not None
        diagnostics += check_stack(stack)
        loaded = time.perf_counter() - start
        errors = [d for d in diagnostics if d.is_error]
        if errors:
            raise SystemExit(f"the generated stack does not check: {errors[0].message}")
        engine = Engine.from_stack(stack)
        start = time.perf_counter()
        result = analyze(engine)
        analysed = time.perf_counter() - start
        codes = Counter(d.code for d in result.diagnostics)
        rules = len(engine.prepared.rules) + len(engine.prepared.forbids)
        print(
            f"{count:>6} merchant rules ({rules} with the platform's): load+typecheck {loaded:6.2f} s, "
            f"analysis {analysed:6.2f} s, undecided queries {result.undecided}"
        )
        print("        findings: " + ", ".join(f"{c} {n}" for c, n in sorted(codes.items())))


def main() -> None:
    counts = [int(a) for a in sys.argv[1:]] or [100, 1000]
    print(
        f"machine: {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {__import__('os').cpu_count()} cores"
    )
    for count in counts:
        run(count)


if __name__ == "__main__":
    main()
