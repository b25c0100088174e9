"""Table-driven evaluator tests: each row is a case, the expected slots and who set them.

Tables live in tests/tables/*.yaml. A table either carries its own small stack (`stack:`, DSL
or YAML texts) or runs against the bundled stack (ttrules.yaml at the repository root).

Every row runs on every backend: the reference (with its explanation: the expectations on
vetoes and lost slots read it), the compiled path, the class memo (cold, then warm, and the
decision must be the reference's to the letter), and the duckdb engine of `simulate` on a
one-row history (its report must be the python engine's, and its resolution and winners the
row's expectation), and the analysis's encoding: pinned to the row's case, the solver must admit
what the reference did (each rule's match or error, and each slot's winner beating every earlier
rule that contests it) and, where a rule is encoded exactly, rule out what it did not do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ttrules.engine import Engine
from ttrules.evaluate.cascade import decide
from ttrules.evaluate.class_memo import ClassMemo
from ttrules.evaluate.compiled import compile_stack
from ttrules.evaluate.decision import ActionValue, Decision
from ttrules.evaluate.explain import decision_json
from ttrules.values import json_value, render_value

from columnar_cases import compare_engines
from helpers import BASE_CASE, bundled_engine, engine_from_texts, load_table, merge

TABLES = sorted((Path(__file__).parent / "tables").glob("*.yaml"))
BACKENDS = ["reference", "compiled", "class-memo", "duckdb", "analysis"]
_NOT_IN_SQL = ("division at ", "days(", "lower(", "money in ", "an action argument")
_TRACE_KEYS = {"vetoed", "lost"}  # read the explanation, which only the reference writes
_engines: dict[Path, Engine] = {}


def _rows() -> list[Any]:
    rows = []
    for path in TABLES:
        table = load_table(path)
        for row in table["cases"]:
            rows.append(pytest.param(path, row, id=f"{path.stem}: {row['name']}"))
    return rows


def _engine(path: Path, table: dict[str, Any]) -> Engine:
    if path not in _engines:
        _engines[path] = (
            engine_from_texts(table["stack"], table.get("config")) if "stack" in table else bundled_engine()
        )
    return _engines[path]


def _by(value: ActionValue | None) -> str | None:
    if value is None:
        return None
    return value.rule.label if value.rule else "default"


def _check(decision: Decision, expect: dict[str, Any]) -> None:
    shown = decision_json(decision)
    for key, wanted in expect.items():
        if key == "resolution":
            if isinstance(wanted, dict):
                assert decision.resolution.action == wanted["action"], shown
                got = {k: json_value(v) for k, v in decision.resolution.args.items()}
                assert got == wanted.get("args", {}), shown
            else:
                assert decision.resolution.action == wanted, shown
        elif key == "by":
            assert _by(decision.resolution) == wanted, shown
        elif key == "fulfillment":
            assert [v.action for v in decision.fulfillment] == wanted, shown
        elif key == "fulfillment_by":
            assert _by(decision.slot("fulfillment")) == wanted, shown
        elif key == "route":
            got = decision.route.args.get("queue") if decision.route else None
            assert got == wanted, shown
        elif key == "route_by":
            assert _by(decision.route) == wanted, shown
        elif key == "tags":
            assert [v.args["label"] for v in decision.tags] == wanted, shown
        elif key == "notify":
            assert [v.args["template"] for v in decision.notify] == wanted, shown
        elif key == "errors":
            assert sorted(e.rule.label for e in decision.errors) == sorted(wanted), shown
        elif key == "held":
            assert {k: v.label for k, v in decision.held.items()} == wanted, shown
        elif key == "fail_closed":
            assert decision.resolution.fail_closed is wanted, shown
        elif key == "settings":
            got = {k: render_value(s.value) for k, s in decision.settings.items()}
            for name, value in wanted.items():
                assert got.get(name) == value, shown
        elif key == "vetoed":
            assert decision.trace is not None
            vetoed = sorted(t.rule.label for t in decision.trace if t.status == "vetoed")
            assert vetoed == sorted(wanted), shown
        elif key == "lost":
            assert decision.trace is not None
            lost = {t.rule.label: {loss.slot: loss.why for loss in t.lost} for t in decision.trace if t.lost}
            for label, reasons in wanted.items():
                assert lost.get(label) == reasons, shown
        else:
            raise AssertionError(f"unknown expectation `{key}`")


def _without_trace(expect: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in expect.items() if k not in _TRACE_KEYS}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("path", "row"), _rows())
def test_table_row(path: Path, row: dict[str, Any], backend: str, tmp_path: Path) -> None:
    table = load_table(path)
    base = merge(BASE_CASE, table.get("base", {}))
    case = merge(base, row.get("case", {}))
    engine = _engine(path, table)
    if backend == "reference":
        _check(engine.decide(case, explain=True), row["expect"])
        return
    values = engine.values(case)
    reference = decision_json(decide(engine.prepared, values))
    if backend == "duckdb":
        _check_in_sql(engine, case, row["expect"], tmp_path)
        return
    if backend == "analysis":
        _check_in_solver(engine, values)
        return
    if backend == "compiled":
        decisions = [compile_stack(engine.prepared).decide(values)]
    else:  # a fresh memo: the first decision learns the class, the second reads it back
        memo = ClassMemo(compile_stack(engine.prepared))
        decisions = [memo.decide(values), memo.decide(values)]
    for decision in decisions:
        assert decision_json(decision) == reference
        _check(decision, _without_trace(row["expect"]))


def _check_in_sql(engine: Engine, case: dict[str, Any], expect: dict[str, Any], tmp_path: Path) -> None:
    import json

    from ttrules.columnar.run import Fallback
    from ttrules.simulate.run import Options

    history = tmp_path / "row.jsonl"
    history.write_text(json.dumps(case) + "\n")
    try:
        report, _ = compare_engines(engine, engine, history, "jsonl", Options(samples=0))
    except Fallback as why:
        # The stack uses a construct the SQL compiler leaves to Python (docs/simulation.md),
        # and says which; the class memo rows cover it.
        assert str(why).startswith(_NOT_IN_SQL), why
        return
    assert report["records"]["decided"] == 1
    resolution = expect.get("resolution")
    action = resolution["action"] if isinstance(resolution, dict) else resolution
    if action is not None:
        assert report["resolutions"]["candidate"] == {action: 1}
    winners = {r["rule"] for r in report["rules"] if r["candidate"] and r["candidate"]["won"]}
    for key in ("by", "fulfillment_by", "route_by"):
        if expect.get(key) not in (None, "default"):
            assert expect[key] in winners, (key, winners)
    if "errors" in expect:
        assert sorted(report["errors"]["candidate"]["by_rule"]) == sorted(expect["errors"])


def _check_in_solver(engine: Engine, values: dict[str, Any]) -> None:
    import z3

    from ttrules.actions import ONE_VALUED_SLOTS
    from ttrules.analyze.encode import Encoder
    from ttrules.analyze.witness import case_constraints, solver

    decision = decide(engine.prepared, values, explain=True)
    assert decision.trace is not None
    statuses = {t.rule.label: t.status for t in decision.trace}
    encoder = Encoder(engine.prepared, engine.stack.schema)
    rules = engine.prepared.rules
    # (what, formula, the reference says it happened, encoded exactly)
    claims: list[tuple[str, Any, bool, bool]] = []
    for entry in rules:
        matched, errored, exact = encoder.rule(entry)
        status = statuses.get(entry.ref.label, "not_applicable")
        did_match = status in ("won", "lost", "vetoed", "matched")
        claims.append((f"{entry.ref.label} errored", errored, status == "errored", exact))
        claims.append((f"{entry.ref.label} matched", matched, did_match, exact))
    for slot in ONE_VALUED_SLOTS:
        value = decision.slot(slot)
        if value is None or value.rule is None:
            continue
        index = next(i for i, r in enumerate(rules) if r.ref.label == value.rule.label)
        earlier = [r for r in rules[:index] if slot in r.slots or (r.fail_closed and slot == "resolution")]
        beaten = z3.Or([encoder.holds(r, slot) for r in earlier]) if earlier else z3.BoolVal(False)
        wins = z3.And(encoder.holds(rules[index], slot), z3.Not(beaten))
        claims.append((f"{value.rule.label} wins {slot}", wins, True, False))
    s = solver(encoder)
    s.add(*encoder.facts, *case_constraints(encoder, values))  # formulas declare fields as they go
    assert s.check() == z3.sat, "the encoding admits no case at all once pinned to this one"
    for what, formula, happened, exact in claims:
        verdict = s.check(formula if happened else z3.Not(formula))
        assert verdict != z3.unsat, f"the solver rules out what the reference did: {what} is {happened}"
        if exact:  # nothing approximated: the pinned case decides the formula
            verdict = s.check(z3.Not(formula) if happened else formula)
            wrong = f"the solver admits what the reference did not do: {what} is {not happened}"
            assert verdict == z3.unsat, wrong
