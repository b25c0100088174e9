"""The fuzz suite in CI (see tests/fuzz/): a bounded, derandomised pass of every target, the
same inputs each run, and a replay of every input a fuzz run ever saved as a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fuzz.mutate import mutated
from fuzz.registry import TARGETS
from hypothesis import HealthCheck, given, settings

EXAMPLES = int(os.environ.get("TTRULES_FUZZ_EXAMPLES", "150"))
CRASHES = sorted((Path(__file__).parent / "fuzz" / "crashes").glob("*.txt"))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_no_mutated_input_escapes_as_an_exception(name: str) -> None:
    target = TARGETS[name]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated(target.seeds()))
    def run(text: str) -> None:
        target.run(text)

    run()


@pytest.mark.parametrize("path", CRASHES, ids=[p.stem for p in CRASHES])
def test_every_saved_crash_is_fixed(path: Path) -> None:
    name = path.stem.split("__", 1)[0]  # TARGET__what-it-was.txt
    TARGETS[name].run(path.read_bytes().decode("utf-8", "surrogatepass"))
