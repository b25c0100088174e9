"""`ttrules init`: a rules repository that passes its own CI from the first commit.

It writes `ttrules.yaml`, the bundled platform policy (pinned: the file is copied and its
version and hash recorded), an example merchant ruleset, rule tests for it, a small generated
history for the simulation step, a CI workflow running `fmt --check`, `check --locked`, `test`
and `simulate`, and the initial `ttrules.lock`. The lock says what it is: the starting rules,
confirmed by `ttrules init`, every rule listed as added; every later change goes through
`simulate --save` and `confirm` like any other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ttrules import __version__
from ttrules.bundled import bundled
from ttrules.fileio import write_text_atomic
from ttrules.selfwheel import wheel_name, write_wheel
from ttrules.simulate.generate import write_parquet
from ttrules.simulate.plan import LOCK_NAME, LOCK_SCHEMA, file_hashes, rule_changes
from ttrules.stack import load_stack

PLATFORM_FILE = "tiktok-shop-sea.ttr"
SAMPLE_RECORDS = 2_000

CONFIG = """\
# ttrules: the stack, strongest layer first, and what reports need.
# The platform policy is ttrules {version}'s {platform} (sha256 {digest}); update it with
# the ttrules release that changes it, and simulate before confirming.
stack:
  - rulesets/platform/
  - rulesets/merchant/
default: review             # resolution when no rule sets one
currency: USD               # report currency; rates below are 1 unit = x USD
fx: {{MYR: 0.22, THB: 0.028, IDR: 0.000063, PHP: 0.018, VND: 0.000039, SGD: 0.74}}
costs: {{review_minutes: 6, agent_hour: 4 USD}}
tests: [tests/]
"""

MERCHANT = """\
# The shop's own rules. The platform layer wins where the two disagree.
ruleset "my-shop"
layer merchant

set small_cancel_limit = 15 USD when order.category == "jewelry"
set small_cancel_limit = 40 USD when order.category == "electronics"
set small_cancel_limit = 30 USD

rule "small-cancel-non-quality"
  priority 100
  when request.kind == CANCEL
   and request.reason in {CHANGED_MIND, WRONG_ADDRESS, PAYMENT_ISSUE}
   and order.total < small_cancel_limit
  then approve, tag("auto-cancel")
  because "small cancellations for non-quality reasons"

rule "low-credit-needs-video"
  priority 200
  when request.kind in {REFUND, RETURN_AND_REFUND}
   and buyer.credit_score < 60
   and UNBOXING_VIDEO not in request.evidence
  then require_evidence(UNBOXING_VIDEO), tag("risk")
  because "low-credit buyers back a claim with an unboxing video"
"""

TESTS = """\
# Rule tests: `ttrules test`. A case gives only what matters; see the rule tests guide.
defaults:
  case: {market: MY}
  order: {status: AWAITING_SHIPMENT, category: apparel, created_at: 2026-05-01T09:00:00Z,
          paid_at: 2026-05-01T10:00:00Z}
  request: {created_at: 2026-05-01T14:00:00Z}
  buyer: {credit_score: 90}

tests:
  - name: a small cancellation for a non-quality reason is approved
    case:
      order: {total: 20 USD}
      request: {kind: CANCEL, reason: CHANGED_MIND}
    expect: {resolution: approve, rule: merchant/small-cancel-non-quality, tags: [auto-cancel]}

  - name: the limit depends on the category
    case: {request: {kind: CANCEL, reason: CHANGED_MIND}}
    table:
      columns: [order.category, order.total, expect.resolution]
      rows:
        - [jewelry, 14 USD, approve]
        - [jewelry, 16 USD, review]
        - [electronics, 39 USD, approve]
        - [apparel, 30 USD, review]

  - name: a low-credit buyer is asked for an unboxing video
    case:
      order: {status: DELIVERED, total: 40 USD}
      request: {kind: REFUND, reason: DAMAGED}
      buyer: {credit_score: 40}
    expect: {resolution: require_evidence(UNBOXING_VIDEO), layer: merchant}

  - name: within an hour of payment the platform decides a cancellation
    case:
      order: {total: 500 USD}
      request: {kind: CANCEL, reason: CHANGED_MIND, created_at: 2026-05-01T10:30:00Z}
    expect: {resolution: approve, rule: platform/remorse-window-cancel}
"""

WORKFLOW = """\
# Every pull request that touches the rules: formatted, checked (and confirmed: ttrules.lock),
# tested, and simulated against the base branch. Written by `ttrules init`.
name: ttrules
on:
  pull_request:
  push:
    branches: [main]
jobs:
  rules:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install ttrules
        run: pip install "{requirement}"
      - name: Formatting
        run: ttrules fmt --check rulesets/
      - name: Check, and require the rules to be the confirmed ones
        run: ttrules check --locked --format github
      - name: Rule tests
        run: ttrules test --format github --junit-xml junit.xml
      - name: Simulate against the base branch
        run: |
          BASELINE="${{GITHUB_BASE_REF:+origin/$GITHUB_BASE_REF}}"
          ttrules simulate --history history/sample.parquet --baseline "${{BASELINE:-HEAD}}" \\
            --format markdown --out simulation.md
"""

README = """\
# Rules

After-sales rules for the shop, checked, tested and simulated by ttrules (CI installs
`{install}`, the ttrules that wrote this repository; `pip install` it to run the commands
below locally).

- `ttrules.yaml`: the stack (platform policy over the shop's rules), currency, FX, costs.
- `rulesets/platform/`: the platform policy, pinned to a ttrules release. Do not edit it.
- `rulesets/merchant/`: the shop's rules. Change them in a pull request.
- `tests/`: rule tests (`ttrules test`).
- `history/sample.parquet`: a generated sample history; replace it with an export of your own
  after-sales records (`ttrules import tiktok`, or a CSV with a column mapping) so that the
  simulation step shows what a change does to your cases.
- `.ttrules/`: the wheel of the ttrules that wrote this repository, which CI installs (unless
  `ttrules init --install` named another requirement). Upgrade by replacing it.
- `ttrules.lock`: the confirmed rules. A change is simulated (`ttrules simulate --save
  plan.json`), confirmed (`ttrules confirm plan.json`) and committed with the new lock.
"""

VENDORED = f".ttrules/{wheel_name()}"
# .ttrules/log/: `ttrules serve`'s decisions; .ttrules/confirm.lock: held while `confirm` writes
GITIGNORE = "junit.xml\nsimulation.md\nplan.json\n.ttrules/log/\n.ttrules/confirm.lock\n"


def _platform_text() -> str:
    return bundled("ttrules.rulesets").joinpath("platform", PLATFORM_FILE).read_text(encoding="utf-8")


def scaffold(target: Path, requirement: str | None = None) -> list[Path]:
    """Write a new rules repository into `target` (created, or an empty directory). Its CI
    installs `requirement` (a pip requirement), or else the wheel of this ttrules that is
    written into the repository (`.ttrules/`): ttrules is not on a package index."""
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(
            f"{target} is not empty; `ttrules init` only writes into an empty or new directory"
        )
    platform = _platform_text()
    digest = hashlib.sha256(platform.encode("utf-8")).hexdigest()[:16]
    files = {
        "ttrules.yaml": CONFIG.format(version=__version__, platform=PLATFORM_FILE, digest=digest),
        f"rulesets/platform/{PLATFORM_FILE}": platform,
        "rulesets/merchant/my-shop.ttr": MERCHANT,
        "tests/my-shop.yaml": TESTS,
        ".github/workflows/ttrules.yml": WORKFLOW.format(requirement=requirement or VENDORED),
        "README.md": README.format(install=requirement or VENDORED),
        ".gitignore": GITIGNORE,
    }
    written = []
    for name, text in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
        written.append(path)
    history = target / "history" / "sample.parquet"
    history.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(history, SAMPLE_RECORDS, seed=1)
    written.append(history)
    if requirement is None:
        written.append(write_wheel(target / ".ttrules"))
    written.append(initial_lock(target))
    return written


def initial_lock(root: Path) -> Path:
    """The lock of the starting rules: every rule added, confirmed by `ttrules init`."""
    config = root / "ttrules.yaml"
    stack, diagnostics = load_stack(None, config)  # exactly as `check --locked` will
    if stack is None:
        raise RuntimeError("the scaffold does not load: " + "; ".join(d.message for d in diagnostics))
    empty = replace(stack, rulesets=(), files=())
    lock = {
        "schema": LOCK_SCHEMA,
        "files": file_hashes(stack, root, config),
        "simulation_digest": None,
        "plan_digest": None,
        "changes": rule_changes(empty, stack),
        "confirmed_by": "ttrules init (the starting rules)",
        "confirmed_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    path = root / LOCK_NAME
    write_text_atomic(path, json.dumps(lock, ensure_ascii=False, indent=2) + "\n")
    return path
