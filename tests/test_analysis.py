"""The layering analysis and lints: each code fires on its example and not on its near miss;
every witness is a case on which the reference evaluator shows the claim; "never" claims hold
on generated cases; suppressions and `lint:` configuration."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttrules.analyze import analyze
from ttrules.diagnostics import Severity
from ttrules.evaluate.cascade import decide
from ttrules.schema.case import CaseError

from helpers import engine_from_texts
from strategies import case_records, rich_stacks

PLATFORM = """ruleset "p"
layer platform
{body}
"""
MERCHANT = """ruleset "m"
layer merchant
{body}
"""


def _codes(platform: str, merchant: str, config: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    engine = engine_from_texts([PLATFORM.format(body=platform), MERCHANT.format(body=merchant)], config)
    result = analyze(engine)
    return [(d.code, d.message) for d in result.diagnostics]


def _has(found: list[tuple[str, str]], code: str, needle: str = "") -> bool:
    return any(c == code and needle in m for c, m in found)


P_CANCEL_UNPAID = '''rule "p-cancel"
  when request.kind == CANCEL and order.status in {AWAITING_SHIPMENT, ON_HOLD}
  then approve
  because "the platform approves these"'''

# (code, platform body, merchant body that triggers it, merchant body that is a near miss)
CASES = [
    (
        "TTR201",
        P_CANCEL_UNPAID,
        'rule "m-dead"\n  when request.kind == CANCEL and order.status == AWAITING_SHIPMENT\n'
        '  then reject("no")',
        'rule "m-alive"\n  when request.kind == CANCEL and order.status in {AWAITING_SHIPMENT, IN_TRANSIT}\n'
        '  then reject("no")',
    ),
    (
        "TTR201",
        'forbid reject\n  when order.total < 100 USD\n  because "small orders"',
        'rule "m-vetoed"\n  when order.total < 50 USD\n  then reject("no"), tag("x")',
        'rule "m-partly"\n  when order.total < 150 USD\n  then reject("no"), tag("x")',
    ),
    (
        "TTR202",
        P_CANCEL_UNPAID,
        'rule "m-partly"\n  when request.kind == CANCEL\n  then reject("no")',
        'rule "m-disjoint"\n  when request.kind == REFUND\n  then reject("no")',
    ),
    (
        "TTR203",
        'limit window <= 7d when order.category == "jewelry"',
        'set window = 15d when order.category == "jewelry"\nset window = 30d\n'
        'rule "m"\n  when case.now - request.created_at < window\n  then approve',
        'set window = 5d when order.category == "jewelry"\nset window = 30d\n'
        'rule "m"\n  when case.now - request.created_at < window\n  then approve',
    ),
    (
        "TTR204",
        'limit window <= 7d when order.category == "jewelry"',
        'set window = 15d\nrule "m"\n  when case.now - request.created_at < window\n  then approve',
        'set window = 7d when order.category == "jewelry"\nset window = 15d\n'
        'rule "m"\n  when case.now - request.created_at < window\n  then approve',
    ),
    (
        "TTR205",
        'forbid refund_without_return\n  when order.category == "luxury"\n  because "x"',
        'rule "m"\n  when order.category == "apparel"\n  then refund_without_return',
        'rule "m"\n  when order.total < 10 USD\n  then refund_without_return',
    ),
    (
        "TTR301",
        "",
        'rule "m-broad"\n  priority 10\n  when order.total < 100 USD\n  then review\n'
        'rule "m-narrow"\n  when order.total < 50 USD\n  then approve',
        'rule "m-broad"\n  priority 10\n  when order.total < 100 USD\n  then review\n'
        'rule "m-narrow"\n  when order.total < 150 USD\n  then approve',
    ),
    (
        "TTR302",
        "",
        'rule "m-a"\n  when order.total < 30 USD\n  then approve\n'
        'rule "m-b"\n  when buyer.credit_score < 60\n  then review',
        'rule "m-a"\n  when order.total < 30 USD and buyer.credit_score >= 60\n  then approve\n'
        'rule "m-b"\n  when buyer.credit_score < 60\n  then review',
    ),
    (
        "TTR303",
        "",
        'rule "m"\n  when order.total < 10 USD and order.total > 20 USD\n  then approve',
        'rule "m"\n  when order.total < 20 USD and order.total > 10 USD\n  then approve',
    ),
    (
        "TTR303",
        "",
        'rule "m"\n  when has(order.paid_at) and not has(order.paid_at)\n  then approve',
        'rule "m"\n  when has(order.paid_at) or not has(order.paid_at)\n  then approve',
    ),
    (
        "TTR304",
        "",
        'rule "m"\n  when order.total < 30 USD\n  then approve',
        'rule "m"\n  when order.total < 30 USD and order.category == "apparel"\n  then approve',
    ),
    (
        "TTR304",
        "",
        'set cap = 30 USD\nrule "m"\n  when order.total < cap\n  then refund_without_return',
        'set cap = 10 USD when order.category == "jewelry"\nset cap = 30 USD\n'
        'rule "m"\n  when order.total < cap\n  then refund_without_return',
    ),
    ("TTR305", 'rule "p"\n  when order.total > 1000 USD\n  then review', "", ""),
    (
        "TTR310",
        'limit window <= 7d when order.category == "jewelry"',
        'set window = 7d when order.category == "jewelry"\nset window = 15d\n'
        'rule "late"\n  priority 10\n'
        "  when has(order.delivered_at) and case.now - order.delivered_at > window\n"
        '  then reject("late")\n'
        'rule "goodwill"\n  when has(order.delivered_at) and days(case.now - order.delivered_at) <= 20\n'
        "  then approve",
        # the same literal, measured from another field: not the limited window
        'set window = 7d when order.category == "jewelry"\nset window = 15d\n'
        'rule "late"\n  priority 10\n'
        "  when has(order.delivered_at) and case.now - order.delivered_at > window\n"
        '  then reject("late")\n'
        'rule "goodwill"\n  when case.now - request.created_at <= 20d\n  then approve',
    ),
    (
        "TTR306",
        "",
        'set unused = 3d\nrule "m"\n  when order.total > 1000 USD\n  then review',
        'set used = 3d\nrule "m"\n  when case.now - request.created_at > used\n  then review',
    ),
]


@pytest.mark.parametrize(
    ("code", "platform", "positive", "negative"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_code_fires_on_its_example_and_not_on_the_near_miss(
    code: str, platform: str, positive: str, negative: str
) -> None:
    assert _has(_codes(platform, positive), code), _codes(platform, positive)
    negative_platform = (
        platform.replace('rule "p"\n', 'rule "p"\n  because "x"\n') if code == "TTR305" else platform
    )
    assert not _has(_codes(negative_platform, negative), code), _codes(negative_platform, negative)


def test_a_dead_rule_is_not_also_reported_as_overridden_or_shadowed() -> None:
    found = _codes(
        P_CANCEL_UNPAID, 'rule "m"\n  when order.total < 0 USD and order.total > 5 USD\n  then reject("no")'
    )
    assert [c for c, _ in found] == ["TTR303"]


def test_fail_closed_platform_errors_hold_the_resolution() -> None:
    # The platform rule reads order.category, which a case may lack: then it errors, and its
    # layer fails closed, which also takes the resolution away from the merchant rule.
    platform = (
        'rule "p"\n  when order.category == "x" or order.category != "x"\n  then approve\n  because "y"'
    )
    found = _codes(platform, 'rule "m"\n  when order.total < 10 USD\n  then reject("no")')
    assert _has(found, "TTR201")
    not_closed = _codes(
        platform, 'rule "m"\n  when order.total < 10 USD\n  then reject("no")', {"fail_closed": []}
    )
    assert not _has(not_closed, "TTR201") and _has(not_closed, "TTR202")


def test_an_erroring_fail_closed_forbid_is_not_idle() -> None:
    """Regression: the forbid's pin on `request.kind` comes after a conjunct that errors when the
    category is missing; then the forbid (fail closed) vetoes the CANCEL rule after all."""
    platform = 'forbid approve\n  when order.category == "x" and request.kind == REFUND\n  because "g"'
    found = _codes(platform, 'rule "m"\n  when request.kind == CANCEL\n  then approve')
    assert not _has(found, "TTR205"), found
    assert _has(found, "TTR202", "merchant/m")


def test_money_in_a_currency_without_a_rate_errors_as_the_evaluator_says() -> None:
    """Regression: `order.total < 30 USD and order.total >= 30 USD` is contradictory only for
    amounts that convert; an order in a currency without an FX rate makes the comparison error,
    and the fail-closed forbid then vetoes. So the forbid is not idle, and the evaluator agrees."""
    platform = 'forbid approve\n  when order.total < 30 USD and order.total >= 30 USD\n  because "g"'
    merchant = 'rule "m"\n  when request.kind == CANCEL\n  then approve'
    assert not _has(_codes(platform, merchant), "TTR205")
    engine = engine_from_texts([PLATFORM.format(body=platform), MERCHANT.format(body=merchant)])
    case = {
        "order": {"status": "AWAITING_SHIPMENT", "total": "5 XYZ", "created_at": "2026-01-01T00:00:00Z"},
        "request": {"kind": "CANCEL", "created_at": "2026-01-02T00:00:00Z"},
    }
    decision = decide(engine.prepared, engine.values(case), explain=True)
    assert [r.label for r, _ in decision.vetoed] == ["merchant/m"]
    # With a convertible currency the contradiction stands: the forbid never matches.
    assert _has(
        _codes(
            platform.replace("30 USD and", "30 USD and request.kind == REFUND and"),
            'rule "m"\n  when order.total < 5 USD\n  then approve',
            {"fail_closed": []},
        ),
        "TTR205",
    )


def test_suppression_needs_a_reason() -> None:
    body = 'rule "m"\n  when order.total < 10 USD and order.total > 20 USD\n  then approve'
    silenced = _codes("", "# ttrules: ignore[TTR303] because kept for the audit trail\n" + body)
    assert not _has(silenced, "TTR303")
    unreasoned = _codes("", "# ttrules: ignore[TTR303]\n" + body)
    assert _has(unreasoned, "TTR303") and _has(unreasoned, "TTR307")
    other_code = _codes("", "# ttrules: ignore[TTR302] because no\n" + body)
    assert _has(other_code, "TTR303")


def test_a_suppression_above_a_rule_covers_a_finding_on_its_condition() -> None:
    body = 'rule "m"\n  when request.kind == REFUND\n   and order.total < 30 USD\n  then approve'
    assert _has(_codes("", body), "TTR304")  # located at the condition's line, not the rule's
    silenced = _codes("", "# ttrules: ignore[TTR304] because refunds need a photo first\n" + body)
    assert not _has(silenced, "TTR304")
    unreasoned = _codes("", "# ttrules: ignore[TTR304]\n" + body)
    assert _has(unreasoned, "TTR304") and _has(unreasoned, "TTR307")


def test_lint_configuration_selects_ignores_and_regrades() -> None:
    body = 'set unused = 3d\nrule "m"\n  when order.total < 30 USD\n  then approve'
    assert {c for c, _ in _codes("", body)} == {"TTR304", "TTR306"}
    assert {c for c, _ in _codes("", body, {"lint": {"ignore": ["TTR306"]}})} == {"TTR304"}
    assert {c for c, _ in _codes("", body, {"lint": {"select": ["TTR30"], "ignore": ["TTR304"]}})} == {
        "TTR306"
    }
    engine = engine_from_texts([MERCHANT.format(body=body)], {"lint": {"severity": {"TTR304": "error"}}})
    graded = {d.code: d.severity for d in analyze(engine).diagnostics}
    assert graded == {"TTR304": Severity.ERROR, "TTR306": Severity.WARNING}


def test_lint_configuration_refuses_other_codes() -> None:
    from pydantic import ValidationError

    from ttrules.config import Config

    with pytest.raises(ValidationError, match="only layering and lint codes"):
        Config.model_validate({"lint": {"ignore": ["TTR101"]}})
    with pytest.raises(ValidationError, match="not a diagnostic code"):
        Config.model_validate({"lint": {"severity": {"TTR399": "error"}}})


def _status(decision: Any, label: str) -> set[str]:
    return {t.status for t in decision.trace if t.rule.label == label}


def test_witnesses_are_cases_the_evaluator_agrees_with() -> None:
    engine = engine_from_texts(
        [
            PLATFORM.format(body=P_CANCEL_UNPAID),
            MERCHANT.format(
                body='rule "m-a"\n  when request.kind == CANCEL\n  then reject("no")\n'
                'rule "m-b"\n  when order.total < 30 USD\n  then review'
            ),
        ]
    )
    result = analyze(engine)
    assert {d.code for d in result.diagnostics} >= {"TTR202", "TTR302"}
    assert result.witnesses
    for _, witness in result.witnesses:
        decision = decide(engine.prepared, engine.values(witness.record), explain=True)
        assert decision.trace is not None
        statuses = {t.rule.label: t.status for t in decision.trace}
        assert statuses.get("merchant/m-a") in ("won", "lost", "vetoed")


def _assert_never_claims_hold(engine: Any, result: Any, records: list[Any]) -> None:
    """On every case: a rule said never to match (TTR303) does not match, one said never to
    take effect (TTR201, TTR301) does not win, a forbid said idle (TTR205) vetoes nothing, and a
    `set` said always clamped (TTR203) is clamped whenever it is chosen."""

    def located(code: str) -> set[tuple[str, int]]:
        return {
            (d.span.source.path, d.span.start_line_col()[0])
            for d in result.diagnostics
            if d.code == code and d.span
        }

    dead = {d.message.split("`")[1] for d in result.diagnostics if d.code == "TTR303"}
    ineffective = {d.message.split("`")[1] for d in result.diagnostics if d.code in ("TTR201", "TTR301")}
    idle, clamped = located("TTR205"), located("TTR203")
    for record in records:
        try:
            values = engine.values(record)
        except CaseError:
            continue
        decision = decide(engine.prepared, values, explain=True)
        for label in dead:
            assert _status(decision, label) <= {"no_match", "not_applicable", "errored"}, (label, record)
        for label in ineffective:
            assert "won" not in _status(decision, label), (label, record)
        for _, forbid in decision.vetoed:
            assert (forbid.path, forbid.line) not in idle, (forbid, record)
        for trace in decision.settings.values():  # a flagged `set` was chosen: a limit clamped it
            if (
                trace.set_by is not None
                and (trace.set_by.path, trace.set_by.line) in clamped
                and not trace.error
            ):
                assert trace.clamps, (trace.name, record)


DIFF = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@DIFF
@given(rich_stacks(), st.lists(case_records(), min_size=5, max_size=12))
def test_never_claims_hold_on_generated_cases(texts: list[str], records: list[Any]) -> None:
    """Whatever the analysis proves impossible does not happen on any generated case, and
    every witness it reports shows what it claims."""
    engine = engine_from_texts(texts, {"fx": {"MYR": "0.22"}})
    result = analyze(engine)
    _assert_never_claims_hold(engine, result, records)
    for finding, witness in result.witnesses:
        decision = decide(engine.prepared, engine.values(witness.record), explain=True)
        labels = [part for part in finding.replace(" and ", " ").split() if "/" in part]
        for label in labels:
            assert _status(decision, label) & {"won", "lost", "vetoed"}, (finding, witness.record)


def test_emitted_witness_tests_pass_under_the_reference(tmp_path: Any) -> None:
    """`check --emit-tests`: every witness, written as a test of today's decision, passes
    `ttrules test`, which decides with the reference evaluator."""
    import subprocess
    import sys

    from helpers import ROOT

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ttrules.cli", *args], cwd=ROOT, capture_output=True, text=True
        )

    checked = cli("check", "--emit-tests", str(tmp_path))
    assert checked.returncode == 0, checked.stderr
    written = tmp_path / "analysis-witnesses.yaml"
    assert written.is_file()
    tested = cli("test", str(written), "--format", "json")
    assert tested.returncode == 0, tested.stdout
    report = __import__("json").loads(tested.stdout)
    assert report["summary"]["passed"] >= 10 and report["summary"]["failed"] == 0
    refused = cli("check", "--no-analysis", "--emit-tests", str(tmp_path / "none"))
    assert refused.returncode == 2 and "needs the analysis" in refused.stderr
    assert not (tmp_path / "none").exists()


# ---- an adversarial generator for the soundness property -----------------------------------
# Conditions that start with fields which may be missing (so rules and forbids *error*), optional
# fields, `??`, a setting clamped by a platform limit, money in other currencies; stacks with and
# without fail-closed platforms; cases where each such field is independently present or absent.

RISKY_CONDITIONS = [
    'order.category == "x"',
    'order.category in {"x", "y"}',
    'case.market == "MY"',
    "request.kind == CANCEL",
    "request.kind in {REFUND, CANCEL}",
    "order.total < 30 USD",
    "order.total >= 30 USD",
    "order.total < 100 MYR",
    "buyer.credit_score < 50",
    "buyer.credit_score >= 50",
    "has(order.paid_at)",
    "(buyer.credit_score ?? 0) > 70",
    "request.reason == DAMAGED",
    "not request.is_quality_issue",
    "logistics.days_late > 1",
    "logistics.late_by > 1d 12h",
    "order.total < cap",
    "true",
]
RISKY_ACTIONS = ["approve", 'reject("no")', "review", "refund_without_return", 'route("q")', 'tag("t")']


@st.composite
def adversarial_stacks(draw: Any) -> tuple[list[str], dict[str, Any]]:
    def when(for_setting: bool = False) -> str:
        pool = [c for c in RISKY_CONDITIONS if not (for_setting and "cap" in c)]
        return " and ".join(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)))

    def actions() -> str:
        chosen = draw(st.lists(st.sampled_from(RISKY_ACTIONS), min_size=1, max_size=2, unique=True))
        resolutions = [
            a for a in chosen if a.split("(")[0] in ("approve", "reject", "review", "refund_without_return")
        ]
        return ", ".join([*resolutions[:1], *(a for a in chosen if a not in resolutions)])

    texts = []
    for layer in ("platform", "merchant"):
        body = f'ruleset "{layer}"\nlayer {layer}\n'
        if draw(st.integers(0, 3)) == 0:  # sometimes the whole ruleset is conditional (and can error)
            body += f"applies {when(for_setting=True)}\n"
        if layer == "platform":
            for _ in range(draw(st.integers(0, 1))):
                body += (
                    f"limit cap <= {draw(st.sampled_from(['25 USD', '100 MYR']))} "
                    f"when {when(for_setting=True)}\n"
                )
        else:
            body += (
                f"set cap = 40 USD when {when(for_setting=True)}\n"
                f"set cap = {draw(st.sampled_from(['20 USD', '90 MYR']))}\n"
            )
        for i in range(draw(st.integers(1, 4))):
            body += (
                f'rule "{layer[0]}{i}"\n  priority {draw(st.integers(0, 1))}\n  when {when()}\n'
                f'  then {actions()}\n  because "x"\n'
            )
        if layer == "platform":
            for _ in range(draw(st.integers(0, 2))):
                action = draw(st.sampled_from(["approve", "reject", "refund_without_return"]))
                body += f"forbid {action}\n  when {when()}\n"
        texts.append(body)
    config = {"fx": {"MYR": "0.22"}, "fail_closed": draw(st.sampled_from([["platform"], []]))}
    return texts, config


@st.composite
def adversarial_cases(draw: Any) -> dict[str, Any]:
    maybe = lambda s: draw(st.one_of(st.none(), s))  # noqa: E731
    stamp = st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-10T00:00:00Z"])
    record = {
        "case": {"market": maybe(st.sampled_from(["MY", "TH"]))},
        "order": {
            "status": "DELIVERED",
            "created_at": "2026-01-01T00:00:00Z",
            "total": f"{draw(st.sampled_from([5, 25, 30, 95, 150]))} "
            f"{draw(st.sampled_from(['USD', 'MYR', 'XYZ']))}",
            "category": maybe(st.sampled_from(["x", "y", "z"])),
            "paid_at": maybe(stamp),
            "expected_delivery_at": maybe(stamp),
            "delivered_at": maybe(stamp),
        },
        "request": {
            "kind": draw(st.sampled_from(["CANCEL", "REFUND", "RETURN_AND_REFUND"])),
            "created_at": "2026-01-05T00:00:00Z",
            "reason": maybe(st.sampled_from(["DAMAGED", "CHANGED_MIND"])),
        },
        "buyer": {"credit_score": maybe(st.integers(0, 100))},
    }
    return {k: {f: v for f, v in part.items() if v is not None} for k, part in record.items()}


SOUNDNESS = settings(
    max_examples=int(__import__("os").environ.get("TTRULES_SOUNDNESS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SOUNDNESS
@given(adversarial_stacks(), st.lists(adversarial_cases(), min_size=10, max_size=25))
def test_never_claims_hold_on_adversarial_cases(
    stack: tuple[list[str], dict[str, Any]], records: list[Any]
) -> None:
    texts, config = stack
    engine = engine_from_texts(texts, config)
    _assert_never_claims_hold(engine, analyze(engine), records)


def test_a_spent_budget_claims_nothing_and_says_so() -> None:
    engine = engine_from_texts(
        [
            MERCHANT.format(
                body='rule "m"\n  when order.total < 10 USD and order.total > 20 USD\n  then approve'
            )
        ]
    )
    assert _has([(d.code, d.message) for d in analyze(engine).diagnostics], "TTR303")
    spent = analyze(engine, budget=0)
    assert not any(d.code.startswith(("TTR2", "TTR30")) and d.code != "TTR304" for d in spent.diagnostics)
    assert spent.undecided > 0
