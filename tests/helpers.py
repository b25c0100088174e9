"""Shared test helpers: build an engine from inline rule texts, merge partial cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ttrules.case_files import merge_case
from ttrules.check import check_stack
from ttrules.config import Config
from ttrules.diagnostics import Diagnostic, has_errors, render_text_all
from ttrules.engine import Engine
from ttrules.schema.fields import default_schema, extend_schema
from ttrules.stack import Stack
from ttrules.syntax import parse_ruleset_text

ROOT = Path(__file__).resolve().parents[1]

BASE_CASE: dict[str, Any] = {
    "case": {"id": "t-1", "market": "MY"},
    "order": {
        "status": "AWAITING_SHIPMENT",
        "total": "20.00 USD",
        "category": "apparel",
        "sku": "SKU-1",
        "created_at": "2026-05-01T09:00:00Z",
        "paid_at": "2026-05-01T10:00:00Z",
    },
    "request": {"kind": "CANCEL", "reason": "CHANGED_MIND", "created_at": "2026-05-01T14:00:00Z"},
    "buyer": {"credit_score": 90, "orders_90d": 3, "refunds_90d": 0, "account_age_days": 365},
}


merge = merge_case  # deep-merge a partial case into a base case; `null` deletes a key


def _stack_from_texts(texts: list[str], config: dict[str, Any] | None = None) -> Stack:
    cfg = Config.model_validate(config or {})
    schema, problems = extend_schema(default_schema(), cfg.fields)
    assert not problems, problems
    rulesets = []
    for i, text in enumerate(texts):
        path = f"inline{i}.yaml" if text.lstrip().startswith("ruleset:") else f"inline{i}.ttr"
        ruleset, diagnostics = parse_ruleset_text(text, path)
        assert ruleset is not None and not has_errors(diagnostics), render_text_all(diagnostics)
        rulesets.append(ruleset)
    rulesets.sort(key=lambda r: cfg.layers.index(r.layer))
    return Stack(cfg, schema, tuple(rulesets))


def check_texts(texts: list[str], config: dict[str, Any] | None = None) -> list[Diagnostic]:
    """What `check` (without the analysis) says of rulesets that parse."""
    return check_stack(_stack_from_texts(texts, config))


def engine_from_texts(texts: list[str], config: dict[str, Any] | None = None) -> Engine:
    stack = _stack_from_texts(texts, config)
    diagnostics = check_stack(stack)
    assert not has_errors(diagnostics), render_text_all(diagnostics)
    return Engine.from_stack(stack)


def bundled_engine() -> Engine:
    engine, diagnostics = Engine.load(None, ROOT / "ttrules.yaml")
    assert engine is not None, render_text_all(diagnostics)
    return engine


def load_table(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def simulate_cli(
    history: Path,
    baseline: Path,
    candidate: Path,
    *args: str,
    config: Path | None = None,
    out: Path | None = None,
) -> tuple[int, dict[str, Any], str]:
    """`ttrules simulate` with a JSON report (`out`, else beside the history): (exit code, the
    report or {} when none was written, what it printed)."""
    from click.testing import CliRunner

    from ttrules.cli import cli

    out = out or history.with_name(f"{history.name}.report.json")
    out.unlink(missing_ok=True)  # a report of an earlier run must not pass for this one's
    command = ["simulate", "--history", str(history), "--baseline", str(baseline)]
    command += ["--candidate", str(candidate), "--format", "json", "--out", str(out), *args]
    if config is not None:
        command += ["--config", str(config)]
    result = CliRunner().invoke(cli, command, catch_exceptions=False)
    return result.exit_code, (json.loads(out.read_text()) if out.exists() else {}), result.output
