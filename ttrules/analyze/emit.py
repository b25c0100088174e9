"""Witness cases as rule tests (`ttrules check --emit-tests DIR`).

Each confirmed witness becomes a test whose expectations are the decision the rules give it
today: the resolution and the rule that set it, the fulfillment plan, the route and the tags.
Committed, they pin the behaviour the analysis found, so a later change to it shows up as a
failing test with its explanation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ttrules.analyze.context import Witness
from ttrules.evaluate.decision import Decision
from ttrules.fileio import write_text_atomic
from ttrules.ruletests.expect import action_text
from ttrules.syntax.yaml_emit import dump_yaml

FILE_NAME = "analysis-witnesses.yaml"
HEADER = """Written by `ttrules check --emit-tests`: the analysis' witness cases, each with the decision
the rules gave it when this file was written. Keep the tests worth keeping, rename them, and
run them with `ttrules test`; write the file again after a deliberate change."""


def expectations(decision: Decision) -> dict[str, Any]:
    rule = decision.resolution.rule
    return {
        "resolution": action_text(decision.resolution),
        "rule": rule.label if rule is not None else "default",
        "fulfillment": [action_text(step) for step in decision.fulfillment],
        "route": action_text(decision.route) if decision.route is not None else None,
        "tags": sorted({str(t.args.get("label", "")) for t in decision.tags}),
    }


def write_witness_tests(directory: Path, witnesses: list[tuple[str, Witness]]) -> Path:
    tests = [
        {"name": f"{finding} (witness {n})", "case": witness.record, "expect": expectations(witness.decision)}
        for n, (finding, witness) in enumerate(witnesses, start=1)
    ]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    write_text_atomic(path, dump_yaml({"tests": tests}, HEADER))
    return path
