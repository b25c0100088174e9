"""Replaying history under a baseline and a candidate stack."""

from __future__ import annotations

import hashlib
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttrules.engine import Engine
from ttrules.evaluate.cascade import decide
from ttrules.evaluate.explain import decision_json
from ttrules.schema.case import CaseError
from ttrules.schema.loader import load_case, load_values
from ttrules.simulate.history import HistoryRow
from ttrules.simulate.metrics import Accumulator
from ttrules.simulate.thresholds import new_thresholds
from ttrules.workspace import DISK, Files

REPORT_SCHEMA = "ttrules.simulation/1"


@dataclass(frozen=True)
class Side:
    """One stack of the comparison, and where it was read from."""

    engine: Engine
    label: str  # e.g. "git HEAD", "working tree", "dir ../old-rules"
    files: Files = DISK


@dataclass(frozen=True)
class Options:
    limit: int | None = None  # stop after this many records
    sample: float | None = None  # keep each record with this probability
    seed: int = 0
    samples: int = 10  # changed cases shown with both explanations
    # Told of every skipped row (where, why), in file order: the report keeps the first 20.
    on_skip: Callable[[str, str], None] | None = field(default=None, compare=False)


def _rule_labels(engine: Engine) -> list[str]:
    return [e.ref.label for e in engine.prepared.rules]


def _select(rows: Iterable[HistoryRow], options: Options) -> Iterable[HistoryRow]:
    rng = random.Random(options.seed)
    taken = 0
    for row in rows:
        if options.sample is not None and rng.random() >= options.sample:
            continue
        if options.limit is not None and taken >= options.limit:
            return
        taken += 1
        yield row


def new_accumulator(baseline: Side, candidate: Side, options: Options) -> Accumulator:
    return Accumulator(
        candidate.engine.stack.config,
        _rule_labels(baseline.engine),
        _rule_labels(candidate.engine),
        new_thresholds(baseline.engine.stack, candidate.engine.stack),
        options.samples,
        because={
            e.ref.label: e.ref.because
            for side in (baseline, candidate)  # the candidate's words where both have the rule
            for e in side.engine.prepared.rules
            if e.ref.because
        },
        on_skip=options.on_skip,
    )


def replay_rows(
    baseline: Side,
    candidate: Side,
    rows: Iterable[HistoryRow],
    acc: Accumulator,
    progress: Callable[[int], None] | None = None,
    numbered_samples: list[tuple[int, Any]] | None = None,
) -> None:
    """Decide rows with the Python engine into `acc`; with `numbered_samples`, also note the
    record number of each sample taken (the duckdb engine merges samples by number)."""
    same_schema = baseline.engine.stack.schema == candidate.engine.stack.schema
    for count, row in enumerate(rows, start=1):
        if progress is not None and count % 1000 == 0:
            progress(count)
        if row.record is None:
            acc.skip(row.location, row.error)
            continue
        try:
            loaded = load_case(row.record, candidate.engine.stack.schema)
            values_c = loaded.values
            values_b = values_c if same_schema else load_values(row.record, baseline.engine.stack.schema)
        except CaseError as error:
            acc.skip(row.location, "; ".join(f"{p}: {m}" if p else m for p, m in error.problems))
            continue
        sampled = len(acc.samples)
        acc.add(
            row.record,
            values_c,
            baseline.engine.decide_values(values_b),
            candidate.engine.decide_values(values_c),
            loaded.outcome,
            row.number,
        )
        if numbered_samples is not None and len(acc.samples) > sampled:
            numbered_samples.append((row.number, acc.samples[-1]))


def replay(
    baseline: Side,
    candidate: Side,
    rows: Iterable[HistoryRow],
    options: Options,
    progress: Callable[[int], None] | None = None,
) -> Accumulator:
    acc = new_accumulator(baseline, candidate, options)
    replay_rows(baseline, candidate, _select(rows, options), acc, progress)
    return acc


def file_digest(path: Path, files: Files = DISK) -> str:
    return hashlib.sha256(files.read_bytes(path)).hexdigest()


def stack_files(side: Side) -> dict[str, str]:
    stack = side.engine.stack
    return {side.files.display(p): file_digest(p, side.files) for p in (*stack.files, *stack.list_files)}


def history_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_report(
    acc: Accumulator,
    baseline: Side,
    candidate: Side,
    history: Path,
    history_format: str,
    options: Options,
    history_sha256: str | None = None,
) -> dict[str, Any]:
    samples = []
    for record in acc.samples:
        explained = {}
        for name, side in (("baseline", baseline), ("candidate", candidate)):
            values = load_values(record, side.engine.stack.schema)
            explained[name] = decision_json(decide(side.engine.prepared, values, explain=True))
        samples.append({"case_id": explained["candidate"]["case_id"], **explained})
    return {
        "schema": REPORT_SCHEMA,
        "inputs": {
            "history": {
                "path": str(history),
                "format": history_format,
                # None for a history that is not one local file (a Spark glob or URI)
                "sha256": history_sha256 or (history_digest(history) if history.is_file() else None),
            },
            "baseline": {"label": baseline.label, "files": stack_files(baseline)},
            "candidate": {"label": candidate.label, "files": stack_files(candidate)},
            "options": {"limit": options.limit, "sample": options.sample, "seed": options.seed},
            "currency": candidate.engine.stack.config.currency,
        },
        **acc.report(),
        "samples": samples,
    }


class Progress:
    """A progress line on a terminal (records, rate, ETA); silent in CI or when piped."""

    def __init__(
        self,
        total_hint: Callable[[], float] | None = None,
        enabled: bool | None = None,
    ) -> None:
        import os

        self.enabled = sys.stderr.isatty() and not os.environ.get("CI") if enabled is None else enabled
        self.fraction = total_hint
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, count: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.5:
            return
        self.last = now
        rate = count / max(now - self.start, 1e-9)
        line = f"\r  {count:,} records  {rate:,.0f}/s"
        if self.fraction is not None:
            done = self.fraction()
            if 0 < done < 1:
                eta = (now - self.start) * (1 - done) / done
                bar = "#" * int(done * 20)
                line += f"  [{bar:<20}] {done:5.1%}  ETA {eta:,.0f}s"
        sys.stderr.write(line)
        sys.stderr.flush()

    def waiting(self, what: str) -> None:
        """For work without a count to show (a query running): what, and for how long."""
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.5:
            return
        self.last = now
        sys.stderr.write(f"\r  {what}  {now - self.start:,.0f} s")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\n")
