"""Seed inputs: the bundled rules and cases, and every diagnostic code's documented example."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from ttrules.codes import CODES

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def rule_texts(suffix: str) -> tuple[str, ...]:
    """Rule files ending in `suffix`: the bundled rulesets, then the code examples."""
    bundled = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "rulesets").rglob(f"*{suffix}"))]
    examples = [
        doc.example.text
        for doc in CODES.values()
        if doc.example.path.endswith(suffix)
        and doc.example.encoding == "utf-8"
        and len(doc.example.text) < 10_000
    ]
    if suffix == ".yaml":  # every bundled DSL ruleset in its YAML form too
        from ttrules.syntax import parse_ruleset_text
        from ttrules.syntax.yaml_emit import emit_ruleset_yaml

        for text in rule_texts(".ttr")[:8]:
            ruleset, _ = parse_ruleset_text(text, "seed.ttr")
            if ruleset is not None:
                bundled.append(emit_ruleset_yaml(ruleset))
    return tuple(bundled + examples)


@functools.cache
def config_texts() -> tuple[str, ...]:
    texts = [(ROOT / "ttrules.yaml").read_text(encoding="utf-8")]
    for doc in CODES.values():
        texts += [text for path, text in doc.example.files if path == "ttrules.yaml"]
    return tuple(dict.fromkeys(texts))


@functools.cache
def case_texts() -> tuple[str, ...]:
    cases = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples" / "cases").glob("*.json"))]
    lines = (ROOT / "examples" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    return tuple(cases + [line for line in lines if line.strip()])


@functools.cache
def history_texts() -> tuple[tuple[str, str], ...]:
    """(format, text) histories: the example cases as JSON Lines and as a flat CSV."""
    records = [json.loads(line) for line in case_texts()[-4:]]
    jsonl = "".join(json.dumps(r) + "\n" for r in records)
    flat = [
        {f"{ns}.{k}": v for ns, part in r.items() if isinstance(part, dict) for k, v in part.items()}
        for r in records
    ]
    columns = sorted({c for row in flat for c in row})
    rows = [",".join(columns)] + [",".join(_cell(row.get(c)) for c in columns) for row in flat]
    return (("jsonl", jsonl), ("csv", "\n".join(rows) + "\n"))


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = json.dumps(value) if isinstance(value, list | dict | bool) else str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text
