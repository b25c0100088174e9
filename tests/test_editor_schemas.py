"""`ttrules schema --ruleset-json-schema` and `--case-json-schema`: editors can rely on them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ttrules.syntax import parse_ruleset_text

from helpers import ROOT

YAML_RULESETS = sorted((ROOT / "rulesets").rglob("*.yaml"))
SPEC_EXAMPLE = """\
ruleset: demo-shop
layer: merchant
settings:
  return_window: 15d
  cap:
    - {value: 30 USD, when: 'order.category == "apparel"'}
    - 50 USD
limits:
  - return_window <= 30d
  - {limit: cap <= 100 USD, when: 'case.market == "MY"'}
rules:
  - name: 夏季促销-小额免审
    priority: 100
    when:
      all:
        - request.kind == CANCEL
        - any: [request.reason == CHANGED_MIND, {not: request.is_quality_issue}]
    then: [approve]
    because: small cancellations for non-quality reasons
forbids:
  - {forbid: reject, when: order.status == ON_HOLD}
"""


def _schema(flag: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "ttrules.cli", "schema", flag],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def ruleset_schema() -> dict[str, Any]:
    schema = _schema("--ruleset-json-schema")
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


@pytest.mark.parametrize("path", YAML_RULESETS, ids=lambda p: p.name)
def test_bundled_yaml_rulesets_validate(ruleset_schema: dict[str, Any], path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), ruleset_schema)


def test_the_spec_example_validates(ruleset_schema: dict[str, Any]) -> None:
    jsonschema.validate(yaml.safe_load(SPEC_EXAMPLE), ruleset_schema)
    ruleset, diagnostics = parse_ruleset_text(SPEC_EXAMPLE, "example.yaml")  # the reader agrees
    assert ruleset is not None and not diagnostics


@pytest.mark.parametrize(
    "broken",
    [
        SPEC_EXAMPLE.replace("layer: merchant\n", ""),  # missing layer
        SPEC_EXAMPLE.replace("    priority: 100", "    priorty: 100"),  # misspelt key
        SPEC_EXAMPLE.replace("    then: [approve]", "    then: []"),  # no action
        SPEC_EXAMPLE.replace("        - request.kind == CANCEL", "        - {some: x}"),
    ],
)
def test_broken_rulesets_do_not_validate(ruleset_schema: dict[str, Any], broken: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(broken), ruleset_schema)


def test_case_json_schema_accepts_the_example_cases() -> None:
    schema = _schema("--case-json-schema")
    assert _schema("--json-schema") == schema  # the older spelling stays
    for path in sorted((ROOT / "examples" / "cases").glob("*.json")):
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)
