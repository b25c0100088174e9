"""The targets with their seeds: what `python -m tests.fuzz` and tests/test_fuzz.py run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import corpus, targets


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[str], None]
    seeds: Callable[[], tuple[str, ...]]


TARGETS = {
    t.name: t
    for t in (
        Target("dsl", targets.dsl, lambda: corpus.rule_texts(".ttr")),
        Target("yaml", targets.yaml_rules, lambda: corpus.rule_texts(".yaml")),
        Target("config", targets.config, corpus.config_texts),
        Target("case", targets.case, corpus.case_texts),
        Target(
            "batch", targets.batch, lambda: (*corpus.case_texts(), "[" + ",".join(corpus.case_texts()) + "]")
        ),
        Target("history-jsonl", targets.history_jsonl, lambda: (corpus.history_texts()[0][1],)),
        Target("history-csv", targets.history_csv, lambda: (corpus.history_texts()[1][1],)),
    )
}
