"""One 30-rule first-match policy, the same orders, several rule engines: who decides how fast.

    pip install '.[bench]'            # rule-engine, panzi-json-logic, business-rules, durable-rules
    python benchmarks/peers.py [ORDERS]   # default 200,000

The policy is the table `POLICY` below, written once; each engine gets it in its own form (the
ttrules DSL, rule-engine expressions, JsonLogic, business-rules JSON, durable-rules) and
`decide_by_hand` is the same policy written as a plain Python function. Every engine decides
every order, the answers (which rule fired first, or none) must all agree, and the script
prints microseconds per decision and the ratio of each to ttrules' compiled path. An engine
that is not installed is reported and skipped. ttrules computes a full decision (every slot,
settings, errors) where the others only find the first matching rule; its inputs are case field
values already loaded (case loading is measured by benchmarks/decide.py). ttrules is timed
deciding (`decide` returns its Decision); the winning rule's name is read from the decisions
after the clock stops. Its compiled path starts with an empty class memo, so the figure
includes learning the classes of these orders.
"""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from ttrules.values import Money  # noqa: E402

KINDS = ["CANCEL", "REFUND", "RETURN_AND_REFUND", "REPLACEMENT"]
CATEGORIES = ["apparel", "jewelry", "home", "electronics", "beauty", "toys", "sports", "food"]
MARKETS = ["MY", "TH", "ID", "PH", "VN", "SG"]
REASONS = ["CHANGED_MIND", "WRONG_ADDRESS", "DAMAGED", "DEFECTIVE", "LATE_DELIVERY", "SIZE_FIT"]
Condition = tuple[str, str, Any]  # (field, op, value): op in ==, in, <, >=

# (rule, conditions, resolution); the first rule whose conditions all hold decides.
POLICY: list[tuple[str, list[Condition], str]] = [
    ("r00", [("kind", "==", "CANCEL"), ("category", "==", "jewelry"), ("total", "<", 15)], "approve"),
    ("r01", [("kind", "==", "CANCEL"), ("category", "==", "electronics"), ("total", "<", 40)], "approve"),
    (
        "r02",
        [("kind", "==", "CANCEL"), ("reason", "in", ["CHANGED_MIND", "WRONG_ADDRESS"]), ("total", "<", 30)],
        "approve",
    ),
    ("r03", [("kind", "==", "CANCEL"), ("credit", "<", 40)], "review"),
    ("r04", [("kind", "==", "CANCEL"), ("market", "in", ["VN", "PH"]), ("total", ">=", 200)], "review"),
    ("r05", [("kind", "==", "REFUND"), ("credit", "<", 30)], "reject"),
    (
        "r06",
        [("kind", "==", "REFUND"), ("reason", "==", "DAMAGED"), ("total", "<", 10)],
        "refund_without_return",
    ),
    ("r07", [("kind", "==", "REFUND"), ("reason", "==", "DAMAGED"), ("credit", ">=", 85)], "approve"),
    ("r08", [("kind", "==", "REFUND"), ("reason", "==", "LATE_DELIVERY"), ("total", "<", 50)], "approve"),
    (
        "r09",
        [("kind", "==", "REFUND"), ("category", "in", ["food", "beauty"]), ("total", "<", 20)],
        "refund_without_return",
    ),
    ("r10", [("kind", "==", "REFUND"), ("market", "==", "SG"), ("credit", ">=", 90)], "approve"),
    ("r11", [("kind", "==", "REFUND"), ("total", ">=", 300)], "review"),
    ("r12", [("kind", "==", "RETURN_AND_REFUND"), ("category", "==", "jewelry")], "review"),
    (
        "r13",
        [("kind", "==", "RETURN_AND_REFUND"), ("reason", "==", "SIZE_FIT"), ("credit", ">=", 70)],
        "approve",
    ),
    (
        "r14",
        [("kind", "==", "RETURN_AND_REFUND"), ("reason", "in", ["DAMAGED", "DEFECTIVE"]), ("total", "<", 12)],
        "refund_without_return",
    ),
    ("r15", [("kind", "==", "RETURN_AND_REFUND"), ("credit", "<", 50)], "reject"),
    (
        "r16",
        [
            ("kind", "==", "RETURN_AND_REFUND"),
            ("category", "in", ["electronics", "home"]),
            ("total", ">=", 150),
        ],
        "review",
    ),
    (
        "r17",
        [("kind", "==", "RETURN_AND_REFUND"), ("market", "in", ["MY", "TH"]), ("total", "<", 60)],
        "approve",
    ),
    (
        "r18",
        [("kind", "==", "RETURN_AND_REFUND"), ("reason", "==", "CHANGED_MIND"), ("total", "<", 25)],
        "approve",
    ),
    (
        "r19",
        [("kind", "==", "REPLACEMENT"), ("reason", "in", ["DAMAGED", "DEFECTIVE"]), ("credit", ">=", 60)],
        "replace",
    ),
    ("r20", [("kind", "==", "REPLACEMENT"), ("category", "==", "food")], "reject"),
    ("r21", [("kind", "==", "REPLACEMENT"), ("total", ">=", 250)], "review"),
    ("r22", [("kind", "==", "REPLACEMENT"), ("market", "==", "ID"), ("credit", "<", 70)], "review"),
    ("r23", [("category", "==", "toys"), ("total", "<", 8)], "approve"),
    ("r24", [("category", "==", "sports"), ("reason", "==", "SIZE_FIT"), ("credit", ">=", 50)], "approve"),
    ("r25", [("market", "==", "VN"), ("total", ">=", 400)], "review"),
    ("r26", [("credit", ">=", 95), ("total", "<", 100)], "approve"),
    ("r27", [("reason", "==", "WRONG_ADDRESS"), ("total", "<", 35)], "approve"),
    ("r28", [("category", "in", ["apparel", "beauty"]), ("credit", ">=", 80), ("total", "<", 45)], "approve"),
    ("r29", [("total", "<", 5)], "approve"),
]


def decide_by_hand(o: dict[str, Any]) -> str | None:
    """The policy as a programmer would write it."""
    kind, category, market = o["kind"], o["category"], o["market"]
    total, credit, reason = o["total"], o["credit"], o["reason"]
    if kind == "CANCEL":
        if category == "jewelry" and total < 15:
            return "r00"
        if category == "electronics" and total < 40:
            return "r01"
        if reason in ("CHANGED_MIND", "WRONG_ADDRESS") and total < 30:
            return "r02"
        if credit < 40:
            return "r03"
        if market in ("VN", "PH") and total >= 200:
            return "r04"
    elif kind == "REFUND":
        if credit < 30:
            return "r05"
        if reason == "DAMAGED" and total < 10:
            return "r06"
        if reason == "DAMAGED" and credit >= 85:
            return "r07"
        if reason == "LATE_DELIVERY" and total < 50:
            return "r08"
        if category in ("food", "beauty") and total < 20:
            return "r09"
        if market == "SG" and credit >= 90:
            return "r10"
        if total >= 300:
            return "r11"
    elif kind == "RETURN_AND_REFUND":
        if category == "jewelry":
            return "r12"
        if reason == "SIZE_FIT" and credit >= 70:
            return "r13"
        if reason in ("DAMAGED", "DEFECTIVE") and total < 12:
            return "r14"
        if credit < 50:
            return "r15"
        if category in ("electronics", "home") and total >= 150:
            return "r16"
        if market in ("MY", "TH") and total < 60:
            return "r17"
        if reason == "CHANGED_MIND" and total < 25:
            return "r18"
    elif kind == "REPLACEMENT":
        if reason in ("DAMAGED", "DEFECTIVE") and credit >= 60:
            return "r19"
        if category == "food":
            return "r20"
        if total >= 250:
            return "r21"
        if market == "ID" and credit < 70:
            return "r22"
    if category == "toys" and total < 8:
        return "r23"
    if category == "sports" and reason == "SIZE_FIT" and credit >= 50:
        return "r24"
    if market == "VN" and total >= 400:
        return "r25"
    if credit >= 95 and total < 100:
        return "r26"
    if reason == "WRONG_ADDRESS" and total < 35:
        return "r27"
    if category in ("apparel", "beauty") and credit >= 80 and total < 45:
        return "r28"
    if total < 5:
        return "r29"
    return None


def make_orders(count: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "kind": rng.choice(KINDS),
            "category": rng.choice(CATEGORIES),
            "market": rng.choice(MARKETS),
            "total": rng.randint(1, 500),
            "credit": rng.randint(0, 100),
            "reason": rng.choice(REASONS),
        }
        for _ in range(count)
    ]


# ---- ttrules --------------------------------------------------------------------------------

_TT_FIELDS = {
    "kind": "request.kind",
    "category": "order.category",
    "market": "case.market",
    "total": "order.total",
    "credit": "buyer.credit_score",
    "reason": "request.reason",
}
_ENUM_FIELDS = {"kind", "reason"}


def _tt_value(name: str, value: Any) -> str:
    if name == "total":
        return f"{value} USD"
    if name in _ENUM_FIELDS:
        return str(value)
    return str(value) if isinstance(value, int) else f'"{value}"'


def ttrules_text() -> str:
    lines = ['ruleset "peers"', "layer merchant", ""]
    for position, (rule, conditions, resolution) in enumerate(POLICY):
        parts = []
        for name, op, value in conditions:
            if op == "in":
                parts.append(f"{_TT_FIELDS[name]} in {{{', '.join(_tt_value(name, v) for v in value)}}}")
            else:
                parts.append(f"{_TT_FIELDS[name]} {op} {_tt_value(name, value)}")
        action = 'reject("policy")' if resolution == "reject" else resolution
        lines += [
            f'rule "{rule}"',
            f"  priority {len(POLICY) - position}",
            "  when " + " and ".join(parts),
            f"  then {action}",
            "",
        ]
    return "\n".join(lines)


def ttrules_engines() -> tuple[
    Callable[[Any], Any], Callable[[Any], Any], Callable[[dict[str, Any]], Any], Callable[[Any], str | None]
]:
    """(compiled, reference, convert, winner): deciders over loaded field values, the loader,
    and the name of the rule that set a decision's resolution."""
    from ttrules.check import check_stack
    from ttrules.config import Config
    from ttrules.engine import Engine
    from ttrules.evaluate.cascade import decide
    from ttrules.schema.fields import default_schema
    from ttrules.stack import Stack
    from ttrules.syntax import parse_ruleset_text

    ruleset, diagnostics = parse_ruleset_text(ttrules_text(), "peers.ttr")
    assert ruleset is not None and not diagnostics, diagnostics
    stack = Stack(Config(), default_schema(), (ruleset,))
    problems = [d for d in check_stack(stack) if d.is_error]
    assert not problems, problems
    engine = Engine.from_stack(stack)

    def winner(decision: Any) -> str | None:
        rule = decision.resolution.rule
        return rule.name if rule is not None else None

    def convert(o: dict[str, Any]) -> dict[str, Any]:
        values = {_TT_FIELDS[k]: v for k, v in o.items()}
        values["order.total"] = Money(Decimal(o["total"]), "USD")
        values["case.now"] = None  # not read by the policy
        return values

    return engine.compiled.decide, lambda v: decide(engine.prepared, v), convert, winner


# ---- peers ----------------------------------------------------------------------------------


def _rule_engine() -> Callable[[dict[str, Any]], str | None]:
    import rule_engine

    def text(name: str, op: str, value: Any) -> str:
        if op == "in":
            return f"{name} in [{', '.join(repr(v) for v in value)}]"
        return f"{name} {op} {value!r}"

    rules = [
        (rule, rule_engine.Rule(" and ".join(text(*c) for c in conditions))) for rule, conditions, _ in POLICY
    ]

    def decide(o: dict[str, Any]) -> str | None:
        for rule, compiled in rules:
            if compiled.matches(o):
                return rule
        return None

    return decide


def _json_logic() -> Callable[[dict[str, Any]], str | None]:
    from json_logic import jsonLogic

    def logic(name: str, op: str, value: Any) -> dict[str, Any]:
        return {op: [{"var": name}, value]}

    rules = [(rule, {"and": [logic(*c) for c in conditions]}) for rule, conditions, _ in POLICY]

    def decide(o: dict[str, Any]) -> str | None:
        for rule, expression in rules:
            if jsonLogic(expression, o):
                return rule
        return None

    return decide


def _business_rules() -> Callable[[dict[str, Any]], str | None]:
    from business_rules import run_all
    from business_rules.actions import BaseActions, rule_action
    from business_rules.fields import FIELD_TEXT
    from business_rules.variables import BaseVariables, numeric_rule_variable, string_rule_variable

    class Order(BaseVariables):
        def __init__(self, o: dict[str, Any]) -> None:
            self.o = o

        @string_rule_variable
        def kind(self) -> str:
            return self.o["kind"]  # type: ignore[no-any-return]

        @string_rule_variable
        def category(self) -> str:
            return self.o["category"]  # type: ignore[no-any-return]

        @string_rule_variable
        def market(self) -> str:
            return self.o["market"]  # type: ignore[no-any-return]

        @string_rule_variable
        def reason(self) -> str:
            return self.o["reason"]  # type: ignore[no-any-return]

        @numeric_rule_variable
        def total(self) -> int:
            return self.o["total"]  # type: ignore[no-any-return]

        @numeric_rule_variable
        def credit(self) -> int:
            return self.o["credit"]  # type: ignore[no-any-return]

    class Outcome(BaseActions):
        def __init__(self) -> None:
            self.rule: str | None = None

        @rule_action(params={"rule": FIELD_TEXT})
        def fire(self, rule: str) -> None:
            self.rule = rule

    operators = {"==": "equal_to", "<": "less_than", ">=": "greater_than_or_equal_to"}

    def condition(name: str, op: str, value: Any) -> dict[str, Any]:
        if op == "in":
            return {"any": [{"name": name, "operator": "equal_to", "value": v} for v in value]}
        return {"name": name, "operator": operators[op], "value": value}

    rules = [
        {
            "conditions": {"all": [condition(*c) for c in conditions]},
            "actions": [{"name": "fire", "params": {"rule": rule}}],
        }
        for rule, conditions, _ in POLICY
    ]

    def decide(o: dict[str, Any]) -> str | None:
        outcome = Outcome()
        run_all(rules, Order(o), outcome, stop_on_first_trigger=True)
        return outcome.rule

    return decide


def _durable_rules() -> Callable[[dict[str, Any]], str | None]:
    from durable.engine import MessageNotHandledException
    from durable.lang import m, post, ruleset, when_all

    fired: list[int] = []

    def term(name: str, op: str, value: Any) -> Any:
        field = getattr(m, name)
        if op == "in":
            result = field == value[0]
            for v in value[1:]:
                result = result | (field == v)
            return result
        return {"==": field.__eq__, "<": field.__lt__, ">=": field.__ge__}[op](value)

    with ruleset("peers"):
        for index, (_, conditions, _) in enumerate(POLICY):
            expression = term(*conditions[0])
            for more in conditions[1:]:
                expression = expression & term(*more)

            when_all(expression)(_recorder(fired, index))

    def decide(o: dict[str, Any]) -> str | None:
        fired.clear()
        with contextlib.suppress(MessageNotHandledException):  # raised when no rule matched
            post("peers", dict(o))
        return POLICY[min(fired)][0] if fired else None

    return decide


def _recorder(fired: list[int], index: int) -> Callable[[Any], None]:
    # One parameter only: durable-rules treats a two-parameter action as asynchronous.
    def action(context: Any) -> None:
        fired.append(index)

    return action


PEERS: dict[str, Callable[[], Callable[[dict[str, Any]], str | None]]] = {
    "rule-engine": _rule_engine,
    "panzi-json-logic": _json_logic,
    "business-rules": _business_rules,
    "durable-rules": _durable_rules,
}


def _same(answer: Any) -> Any:
    return answer


def timed(fn: Callable[[Any], Any], inputs: list[Any]) -> tuple[float, list[Any]]:
    """Microseconds per call, with the collector off while the clock runs (as `timeit` does):
    its pauses grow with everything the script holds, not with the engine timed."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        answers = [fn(x) for x in inputs]
        return (time.perf_counter() - start) / len(inputs) * 1e6, answers
    finally:
        gc.enable()


ROUNDS = 7  # the fastest engines' best round is their figure: noise only ever slows a round down


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    print(
        f"machine: {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores"
    )
    print(f"policy: {len(POLICY)} rules, first match; orders: {count:,} (seeded)")
    print(
        f"the three fastest: best of {ROUNDS} interleaved rounds (ttrules compiled from an empty class "
        "memo each round); the others: one round"
    )
    orders = make_orders(count)
    expected = [decide_by_hand(o) for o in orders]
    _, reference, convert, winner = ttrules_engines()
    loaded = [convert(o) for o in orders]
    learned = ttrules_engines()[0]
    for values in loaded:  # its classes learned before its rounds
        learned(values)
    Row = tuple[str, Callable[[], Callable[[Any], Any]], list[Any], Callable[[Any], Any]]
    fastest: list[Row] = [
        ("ttrules compiled", lambda: ttrules_engines()[0], loaded, winner),
        ("  classes learned", lambda: learned, loaded, winner),
        ("hand-written Python", lambda: decide_by_hand, orders, _same),
    ]
    others: list[Row] = [("ttrules reference", lambda: reference, loaded[: max(1, count // 10)], winner)]
    for name, factory in PEERS.items():
        try:
            peer = factory()
        except ImportError as error:
            print(f"  {name}: not installed ({error}); skipped")
            continue
        others.append((name, lambda peer=peer: peer, orders, _same))  # type: ignore[misc]
    # Interleaved, so a slow spell of a shared machine slows one round of each, not one engine.
    best: dict[str, tuple[float, list[Any]]] = {}
    for _ in range(ROUNDS):
        for name, make, inputs, _answer in fastest:
            micros, outputs = timed(make(), inputs)
            if name not in best or micros < best[name][0]:
                best[name] = (micros, outputs)
    for name, make, inputs, _answer in others:
        best[name] = timed(make(), inputs)
    results: dict[str, float] = {}
    for name, _make, _inputs, answer in (*fastest[:2], others[0], fastest[2], *others[1:]):
        micros, outputs = best[name]
        answers = [answer(o) for o in outputs]
        disagreements = sum(a != b for a, b in zip(answers, expected[: len(answers)], strict=True))
        results[name] = micros
        print(f"  {name:<22} {micros:9.2f} µs/decision   disagreements with the others: {disagreements}")
    base = results["ttrules compiled"]
    hand = results["hand-written Python"]
    print(
        f"ttrules compiled / hand-written Python: {base / hand:.2f}x from an empty memo, "
        f"{results['  classes learned'] / hand:.2f}x with its classes learned (target: within 3x)"
    )
    print("ratios to ttrules compiled (time per decision; above 1 is slower than ttrules):")
    for name, micros in results.items():
        print(f"  {name:<22} {micros / base:8.2f}x")


if __name__ == "__main__":
    main()
