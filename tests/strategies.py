"""Hypothesis strategies: canonical ASTs (for syntax properties) and typed stacks and cases
(for evaluator properties)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ttrules import ast
from ttrules.actions import ACTIONS
from ttrules.syntax.format import KEYWORDS

_IDENT_START = "abcdefghijklmnopqrstuvwxyz_"
_IDENT_CHARS = _IDENT_START + "0123456789"

names = st.text(_IDENT_START, min_size=1, max_size=1).flatmap(
    lambda first: st.text(_IDENT_CHARS, max_size=8).map(lambda rest: first + rest)
)
setting_names = names  # keywords included: the printer writes `setting.NAME` for them
plain_names = names.filter(lambda n: n not in KEYWORDS)
enum_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True)
currencies = st.from_regex(r"[A-Z]{3}", fullmatch=True)
decimals = st.decimals(
    allow_nan=False, allow_infinity=False, places=3, min_value=Decimal("-1e9"), max_value=Decimal("1e9")
)
non_negative = st.decimals(
    allow_nan=False, allow_infinity=False, places=2, min_value=Decimal(0), max_value=Decimal("1e7")
)
texts = st.text(max_size=20)
FIELDS = [
    "order.total",
    "order.status",
    "request.kind",
    "buyer.credit_score",
    "case.now",
    "order.paid_at",
    "request.evidence",
    "order.category",
    "logistics.days_late",
]

leaves = st.one_of(
    decimals.map(ast.NumberLit),
    decimals.map(ast.PercentLit),
    st.builds(ast.MoneyLit, decimals, currencies),
    st.integers(0, 10**8).map(ast.DurationLit),
    texts.map(ast.StringLit),
    st.booleans().map(ast.BoolLit),
    enum_names.map(ast.EnumLit),
    st.sampled_from(FIELDS).map(ast.FieldRef),
    setting_names.map(ast.SettingRef),
)


def _not_numeric_literal(e: ast.Expr) -> bool:
    return not isinstance(e, ast.NumberLit | ast.MoneyLit | ast.PercentLit)


def _extend(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    pair = st.tuples(children, children)
    flat_and = st.lists(children.filter(lambda e: not isinstance(e, ast.And)), min_size=2, max_size=3).map(
        lambda xs: ast.And(tuple(xs))
    )
    flat_or = st.lists(children.filter(lambda e: not isinstance(e, ast.Or)), min_size=2, max_size=3).map(
        lambda xs: ast.Or(tuple(xs))
    )
    return st.one_of(
        st.lists(children, max_size=3).map(lambda xs: ast.SetLit(tuple(xs))),
        children.map(ast.Not),
        children.filter(_not_numeric_literal).map(ast.Neg),
        st.builds(lambda op, p: ast.Arith(op, *p), st.sampled_from("+-*/"), pair),
        st.builds(
            lambda op, p: ast.Compare(op, *p), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), pair
        ),
        st.builds(ast.In, children, children, st.booleans()),
        st.builds(ast.Between, children, children, children),
        flat_and,
        flat_or,
        st.sampled_from(FIELDS).map(lambda p: ast.Has(ast.FieldRef(p))),
        st.builds(ast.Coalesce, children, children),
        st.builds(
            lambda n, xs: ast.Call(n, tuple(xs)),
            plain_names.filter(lambda n: n != "has"),
            st.lists(children, max_size=3),
        ),
    )


expressions = st.recursive(leaves, _extend, max_leaves=12)

actions = st.builds(
    lambda n, args, kwargs: ast.Action(n, tuple(args), tuple(kwargs)),
    st.one_of(st.sampled_from(sorted(ACTIONS)), plain_names),
    st.lists(expressions, max_size=2),
    st.lists(st.tuples(plain_names, expressions), max_size=2),
)
rules = st.builds(
    lambda name, acts, when, prio, because: ast.Rule(name, tuple(acts), when, prio, because),
    texts,
    st.lists(actions, min_size=1, max_size=3),
    st.none() | expressions,
    st.integers(-1000, 1000),
    st.none() | texts,
)
forbids = st.builds(
    lambda names_, when, because: ast.Forbid(tuple(ast.Action(n) for n in names_), when, because),
    st.lists(st.sampled_from(sorted(ACTIONS)), min_size=1, max_size=2),
    st.none() | expressions,
    st.none() | texts,
)
sets = st.builds(ast.SetStmt, setting_names, expressions, st.none() | expressions)
limits = st.builds(
    ast.LimitStmt, setting_names, st.sampled_from(["<=", ">=", "in"]), expressions, st.none() | expressions
)
rulesets = st.builds(
    lambda name, layer, applies, s, lim, r, f: ast.Ruleset(
        name, layer, applies, ast.group_settings(s), tuple(lim), tuple(r), tuple(f)
    ),
    texts,
    st.sampled_from(["platform", "merchant"]),
    st.none() | expressions,
    st.lists(sets, max_size=3),
    st.lists(limits, max_size=2),
    st.lists(rules, max_size=3),
    st.lists(forbids, max_size=2),
)


# ---- typed stacks and cases for evaluator properties -------------------------------------

CONDITIONS = [
    "request.kind == CANCEL",
    "request.kind in {REFUND, RETURN_AND_REFUND}",
    "order.total < 50 USD",
    "order.total >= 20 USD",
    "buyer.credit_score >= 60",
    "buyer.credit_score < 85",
    'order.category == "apparel"',
    "order.status == DELIVERED",
    "has(order.paid_at) and case.now - order.paid_at <= 2h",
    "request.is_quality_issue",
    "UNBOXING_VIDEO in request.evidence",
    "logistics.days_late > 2",
    "logistics.late_by >= 2d 6h",
    "true",
    "order.total / order.quantity > 10 USD",
    "order.total > 100 MYR",
]
ACTION_TEXTS = [
    "approve",
    'reject("no")',
    "review",
    "refund_without_return",
    "partial_refund(30%)",
    "replace",
    "require_evidence(UNBOXING_VIDEO)",
    "intercept_at_supplier",
    "abandon",
    'route("a", sla: 30m)',
    'route("b")',
    'tag("t1")',
    'tag("t2")',
    'notify("n", within: 1h)',
]
FORBIDDABLE = ["approve", "reject", "refund_without_return", "review", "abandon"]


@st.composite
def rule_texts(draw: Any, layer: str, index: int) -> str:
    conditions = draw(st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=3, unique=True))
    chosen = draw(st.lists(st.sampled_from(ACTION_TEXTS), min_size=1, max_size=3, unique=True))
    seen_slots: set[str] = set()
    kept = []
    for action in chosen:  # one action per single-valued slot, as the checker demands
        name = action.split("(")[0]
        slot = ACTIONS[name].slot
        if slot in ("resolution", "route") and slot in seen_slots:
            continue
        seen_slots.add(slot)
        kept.append(action)
    priority = draw(st.integers(-2, 2))
    return (
        f'rule "{layer}-{index}"\n  priority {priority}\n  when '
        + " and ".join(conditions)
        + "\n  then "
        + ", ".join(kept)
        + "\n"
    )


@st.composite
def stack_texts(draw: Any) -> list[str]:
    texts_: list[str] = []
    for layer in ("platform", "merchant"):
        body = f'ruleset "{layer}-gen"\nlayer {layer}\n'
        for i in range(draw(st.integers(0, 4))):
            body += draw(rule_texts(layer, i))
        for _ in range(draw(st.integers(0, 2))):
            body += (
                f"forbid {draw(st.sampled_from(FORBIDDABLE))}\n  when {draw(st.sampled_from(CONDITIONS))}\n"
            )
        texts_.append(body)
    return texts_


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | value


timestamps = st.datetimes(
    min_value=__import__("datetime").datetime(2025, 1, 1),
    max_value=__import__("datetime").datetime(2027, 1, 1),
).map(lambda d: d.isoformat() + "Z")


@st.composite
def case_records(draw: Any) -> dict[str, Any]:
    """Cases as they come from real exports: optional fields missing, odd enum values."""
    order: dict[str, Any] = {
        "status": draw(
            st.sampled_from(
                ["AWAITING_SHIPMENT", "DELIVERED", "IN_TRANSIT", "CANCELLED", "cancel", "SOMETHING_NEW"]
            )
        ),
        "total": draw(
            st.builds(lambda a, c: f"{a} {c}", non_negative, st.sampled_from(["USD", "MYR", "THB", "XYZ"]))
        ),
        "created_at": draw(timestamps),
        "category": draw(_maybe(st.sampled_from(["apparel", "home", "jewelry"]))),
        "paid_at": draw(_maybe(timestamps)),
        "expected_delivery_at": draw(_maybe(timestamps)),
        "delivered_at": draw(_maybe(timestamps)),
        "quantity": draw(st.integers(0, 5)),
    }
    request: dict[str, Any] = {
        "kind": draw(st.sampled_from(["CANCEL", "REFUND", "RETURN_AND_REFUND", "REPLACEMENT", "WEIRD"])),
        "created_at": draw(timestamps),
        "reason": draw(_maybe(st.sampled_from(["CHANGED_MIND", "DAMAGED", "OTHER", "NEW_ONE"]))),
        "evidence": draw(st.lists(st.sampled_from(["PHOTO", "UNBOXING_VIDEO", "HOLOGRAM"]), max_size=2)),
    }
    buyer = {"credit_score": draw(_maybe(st.integers(0, 100))), "blacklisted": draw(st.booleans())}
    record = {
        "case": {"id": "gen", "market": draw(_maybe(st.sampled_from(["MY", "SG"])))},
        "order": order,
        "request": request,
        "buyer": buyer,
    }
    return _prune(record)


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    return value


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
                body += (
                    f"set cap = {draw(st.sampled_from(SETTING_VALUES))} "
                    f"when {draw(st.sampled_from(CONDITIONS))}\n"
                )
            body += f"set cap = {draw(st.sampled_from(SETTING_VALUES))}\n"
        else:
            for _ in range(draw(st.integers(0, 2))):
                op = draw(st.sampled_from(["<=", ">="]))
                body += (
                    f"limit cap {op} {draw(st.sampled_from(SETTING_VALUES))} "
                    f"when {draw(st.sampled_from(CONDITIONS))}\n"
                )
        for i in range(draw(st.integers(0, 5))):
            rule = draw(rule_texts(layer, i))
            if layer == "merchant" and draw(st.booleans()):
                rule = rule.replace("  when ", "  when order.total < cap and ", 1)
            body += rule
        for _ in range(draw(st.integers(0, 2))):
            when = " and ".join(
                draw(st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=2, unique=True))
            )
            body += (
                f"forbid {draw(st.sampled_from(['approve', 'reject', 'review', 'abandon']))}\n  when {when}\n"
            )
        texts.append(body)
    return texts
