"""`ttrules demo`: a workspace that shows the main job end to end.

It writes the bundled rulesets and a `ttrules.yaml` into a fresh git repository, commits them
as the baseline, makes a realistic change in the working tree (raise the small-cancellation
limit from its per-category values to 100 USD for every category), generates a synthetic
history, and simulates the change against the committed rules.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from ttrules.bundled import bundled
from ttrules.simulate.generate import write_parquet

CHANGED_FILE = "rulesets/merchant/small-cancellations.ttr"
MARKER = ".ttrules-demo"  # a directory with this file was made by `ttrules demo` and may be replaced


def _copy_rulesets(target: Path) -> None:
    source = bundled("ttrules.rulesets")
    for layer in ("platform", "merchant"):
        for entry in source.joinpath(layer).iterdir():
            if entry.name.endswith((".ttr", ".yaml", ".yml")):
                destination = target / "rulesets" / layer / entry.name
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")


# The repository's own ttrules.yaml describes the same stack; a test keeps the two equal.
DEMO_CONFIG = """\
# The demo stack: TikTok Shop SEA platform policy over a cross-border shop's own rules.
stack:                      # strongest layer first
  - rulesets/platform/
  - rulesets/merchant/
default: review             # resolution when no rule sets one
currency: USD               # report currency
fx: {MYR: 0.22, THB: 0.028, IDR: 0.000063, PHP: 0.018, VND: 0.000039, SGD: 0.74, GBP: 1.27}
costs: {review_minutes: 6, agent_hour: 4 USD}
fields:
  order.restock_days: int?  # days until the item is back in stock (from the ERP)
# The platform approves any buyer request the seller leaves for 48 h, and decides cancellations
# after handover, lost parcels and stalled tracking itself: every merchant rule meets one of
# those on part of its cases, by design. TTR202 is kept as information (still listed by
# `check`, never a warning); the other findings stay warnings.
lint:
  severity: {TTR202: info}
"""


def raise_small_cancel_limit(text: str, amount: str = "100 USD") -> str:
    """The demo's change: one small-cancellation limit for every category."""
    without = re.sub(r"(?m)^set small_cancel_limit = .*\n", "", text)
    return without.replace("layer merchant\n", f"layer merchant\n\nset small_cancel_limit = {amount}\n", 1)


def _git(workspace: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=ttrules demo",
            "-c",
            "user.email=demo@ttrules.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=workspace,
        check=True,
        capture_output=True,
        timeout=60,
    )


def create_workspace(workspace: Path, records: int, seed: int) -> Path:
    """Write the demo workspace; returns the history file's path."""
    if workspace.exists() and any(workspace.iterdir()):
        if not (workspace / MARKER).is_file():
            raise FileExistsError(f"{workspace} exists, is not empty and is not a demo workspace")
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / MARKER).write_text("made by `ttrules demo`; safe to delete\n", encoding="utf-8")
    _copy_rulesets(workspace)
    (workspace / "ttrules.yaml").write_text(DEMO_CONFIG, encoding="utf-8")
    (workspace / ".gitignore").write_text(
        f"history.parquet\nreport.*\n{MARKER}\nplan.json\n.ttrules/log/\n.ttrules/confirm.lock\n",
        encoding="utf-8",
    )
    if shutil.which("git") is None:
        raise RuntimeError("the demo needs git to keep the baseline rules")
    _git(workspace, "init", "-q")
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-q", "-m", "Baseline rules")
    changed = workspace / CHANGED_FILE
    changed.write_text(raise_small_cancel_limit(changed.read_text(encoding="utf-8")), encoding="utf-8")
    history = workspace / "history.parquet"
    write_parquet(history, records, seed)
    return history
