"""One function per kind of untrusted input: each takes a mutated input and raises
AssertionError when a promise of docs/security.md is broken (any other exception escaping is a
crash, which the runner reports the same way)."""

from __future__ import annotations

import contextlib
import functools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ttrules.case_files import loads
from ttrules.check import check_stack
from ttrules.config import Config, load_config
from ttrules.diagnostics import has_errors, render_text_all
from ttrules.engine import Engine
from ttrules.evaluate.cascade import decide
from ttrules.evaluate.compiled import compile_stack
from ttrules.evaluate.explain import decision_json
from ttrules.schema.case import CaseError
from ttrules.schema.fields import default_schema
from ttrules.serve.app import HttpError, iter_batch
from ttrules.simulate.history import HistoryError, read_history
from ttrules.stack import Stack
from ttrules.syntax import parse_ruleset_text
from ttrules.syntax.format import format_ruleset
from ttrules.syntax.yaml_emit import emit_ruleset_yaml

from .corpus import ROOT

# A hang detector: no input of the corpus's size takes anywhere near this. It counts the
# process's CPU time, not the clock, so a busy machine does not make a fast input fail.
SECONDS_PER_INPUT = 10.0


def bounded(target: Callable[[str], None]) -> Callable[[str], None]:
    @functools.wraps(target)
    def run(text: str) -> None:
        started = time.process_time()
        target(text)
        took = time.process_time() - started
        assert took < SECONDS_PER_INPUT, (
            f"{target.__name__} took {took:.1f} s on a {len(text):,}-character input"
        )

    return run


def _rules(text: str, path: str) -> None:
    ruleset, diagnostics = parse_ruleset_text(text, path)
    if ruleset is None or has_errors(diagnostics):
        return
    config = Config()
    if ruleset.layer in config.layers:
        check_stack(Stack(config, default_schema(), (ruleset,)))
    for form, emitted in (("fmt", format_ruleset(ruleset)), ("yaml", emit_ruleset_yaml(ruleset))):
        again, problems = parse_ruleset_text(emitted, f"again.{'ttr' if form == 'fmt' else 'yaml'}")
        assert again is not None and not has_errors(problems), (
            f"the {form} output of an accepted file does not parse:\n{render_text_all(problems)}\n{emitted}"
        )
        assert again == ruleset, f"the {form} output parses to another ruleset:\n{emitted}"


@bounded
def dsl(text: str) -> None:
    _rules(text, "fuzz.ttr")


@bounded
def yaml_rules(text: str) -> None:
    _rules(text, "fuzz.yaml")


@functools.cache
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="ttrules-fuzz-"))


@bounded
def config(text: str) -> None:
    path = _scratch() / "ttrules.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    load_config(path)


@functools.cache
def _engine() -> Engine:
    engine, diagnostics = Engine.load(None, ROOT / "ttrules.yaml")
    assert engine is not None, render_text_all(diagnostics)
    return engine


def _decide(record: Any) -> None:
    """A record as `explain` and the service decide it, and the compiled path agreeing."""
    if not isinstance(record, dict):
        return
    engine = _engine()
    try:
        values = engine.values(record)
    except CaseError:
        return
    reference = decision_json(decide(engine.prepared, values))
    assert decision_json(compile_stack(engine.prepared).decide(values)) == reference
    decision_json(decide(engine.prepared, values, explain=True))


@bounded
def case(text: str) -> None:
    try:
        record = loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError, located; nested too deeply
        return
    _decide(record)


@bounded
def batch(text: str) -> None:
    try:
        for _, _, record in iter_batch(text):
            if not isinstance(record, Exception):
                _decide(record)
    except HttpError:
        return


def _history(text: str, suffix: str) -> None:
    path = _scratch() / f"history{suffix}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        rows = read_history(path)
        for row in rows:
            assert row.record is not None or row.error, f"row {row.number} has neither a record nor an error"
            if row.record is not None:
                with contextlib.suppress(CaseError):
                    _engine().values(row.record)
    except HistoryError:
        return


@bounded
def history_jsonl(text: str) -> None:
    _history(text, ".jsonl")


@bounded
def history_csv(text: str) -> None:
    _history(text, ".csv")
