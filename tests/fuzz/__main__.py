"""`python -m tests.fuzz [--minutes N] [--target NAME ...]`: fuzz until the time is up.

Each target gets an equal share of the time, in rounds of fresh random inputs. The first
failure of a target is shrunk to a minimal input, printed and saved under tests/fuzz/crashes/
(tests/test_fuzz.py replays every saved input); the exit code is 1 when anything was found.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

from .mutate import mutated
from .registry import TARGETS, Target

CRASHES = Path(__file__).parent / "crashes"


def save(target: Target, text: str) -> Path:
    data = text.encode("utf-8", "surrogatepass")
    path = CRASHES / f"{target.name}__{hashlib.sha256(data).hexdigest()[:12]}.txt"
    CRASHES.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def _round(target: Target, last: dict[str, str]) -> Callable[[], None]:
    """One round of 100 fresh inputs; `last` ends holding the minimal failing one, which the
    shrinker replays last."""

    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated(target.seeds()))
    def run(text: str) -> None:
        last["text"] = text
        target.run(text)

    return run


def fuzz(target: Target, seconds: float) -> tuple[int, Path | None]:
    """Inputs tried, and the saved minimal failing input if one was found."""
    until = time.monotonic() + seconds
    tried = 0
    while time.monotonic() < until:
        last: dict[str, str] = {}
        try:
            _round(target, last)()
        except Exception:
            traceback.print_exc()
            return tried, save(target, last["text"])
        tried += 100
    return tried, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    args = parser.parse_args(argv)
    chosen = [TARGETS[name] for name in args.target or sorted(TARGETS)]
    share = args.minutes * 60 / len(chosen)
    found = 0
    for target in chosen:
        tried, crash = fuzz(target, share)
        print(
            f"{target.name}: {tried:,} inputs in {share:.0f} s, "
            + (f"FAILED: saved {crash}" if crash else "no failure")
        )
        found += crash is not None
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
