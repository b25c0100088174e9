"""`ttrules simulate` on a small history whose every figure was computed by hand.

Stacks (baseline -> candidate): the small-cancellation limit moves from 30 USD to 100 USD and a
rule approving returns over 50 USD is added. The platform layer is the same in both: it reviews
electronics cancellations and forbids approving blacklisted buyers. FX: 1 MYR = 0.25 USD.
Costs: 6 minutes a review, 10 USD an hour.

 #  record                                  baseline               candidate
 1  CANCEL 20 USD                           approve (small)        approve (small)
 2  CANCEL 50 USD                           review (default)       approve (small)       changed
 3  CANCEL 80 MYR = 20 USD, abuse           approve (small)        approve (small)
 4  CANCEL 99 USD, abuse, blacklisted       review (default)       review (small vetoed)
 5  RETURN 8 USD, postage 10 USD            refund_without_return  refund_without_return
 6  RETURN 60 USD, postage 12 USD           review (default)       approve (returns)     changed
 7  CANCEL 25 USD electronics               review (platform; small overridden) both
 8  not JSON                                skipped
 9  order.total "abc"                       skipped
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ttrules.cli import cli

CONFIG = """\
stack: [rules/]
currency: USD
fx: {MYR: 0.25}
costs: {review_minutes: 6, agent_hour: 10 USD}
"""
PLATFORM = """\
ruleset "p"
layer platform

rule "p-electronics-cancel"
  when request.kind == CANCEL and order.category == "electronics"
  then review

forbid approve
  when buyer.blacklisted
"""
MERCHANT = """\
ruleset "m"
layer merchant

rule "small"
  when request.kind == CANCEL and order.total < {limit}
  then approve

rule "keep"
  when request.kind == RETURN_AND_REFUND
   and has(request.return_shipping_fee)
   and order.total <= request.return_shipping_fee
  then refund_without_return
"""
RETURNS = """
rule "returns"
  when request.kind == RETURN_AND_REFUND and order.total > 50 USD
  then approve
"""


def _case(i: int, kind: str, total: str, **extra: object) -> dict:
    record = {
        "case": {"id": f"c{i}", "market": "MY"},
        "order": {
            "status": "AWAITING_SHIPMENT" if kind == "CANCEL" else "DELIVERED",
            "total": total,
            "category": "apparel",
            "created_at": "2026-05-01T00:00:00Z",
        },
        "request": {"kind": kind, "reason": "CHANGED_MIND", "created_at": "2026-05-02T00:00:00Z"},
        "buyer": {"credit_score": 90},
    }
    for path, value in extra.items():
        namespace, name = path.split("__")
        record.setdefault(namespace, {})[name] = value
    return record


HISTORY = [
    _case(1, "CANCEL", "20 USD"),
    _case(2, "CANCEL", "50 USD"),
    _case(3, "CANCEL", "80 MYR", outcome__abuse=True),
    _case(4, "CANCEL", "99 USD", outcome__abuse=True, buyer__blacklisted=True),
    _case(5, "RETURN_AND_REFUND", "8 USD", request__return_shipping_fee="10 USD"),
    _case(
        6, "RETURN_AND_REFUND", "60 USD", request__return_shipping_fee="12 USD", outcome__refunded="60 USD"
    ),
    _case(7, "CANCEL", "25 USD", order__category="electronics"),
]


def _stack(root: Path, limit: str, returns: bool) -> None:
    (root / "rules").mkdir(parents=True)
    (root / "ttrules.yaml").write_text(CONFIG)
    (root / "rules" / "p.ttr").write_text(PLATFORM)
    (root / "rules" / "m.ttr").write_text(MERCHANT.format(limit=limit) + (RETURNS if returns else ""))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    _stack(tmp_path / "baseline", "30 USD", returns=False)
    _stack(tmp_path / "candidate", "100 USD", returns=True)
    lines = [json.dumps(r) for r in HISTORY]
    lines.insert(3, '{"order": not json')
    bad = _case(9, "CANCEL", "abc")
    lines.append(json.dumps(bad))
    (tmp_path / "history.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


def simulate(workspace: Path, *args: str, history: str = "history.jsonl") -> tuple[int, dict, str]:
    out = workspace / "report.json"
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            "--history",
            str(workspace / history),
            "--baseline",
            str(workspace / "baseline"),
            "--candidate",
            str(workspace / "candidate"),
            "--format",
            "json",
            "--out",
            str(out),
            *args,
        ],
        catch_exceptions=False,
    )
    report = json.loads(out.read_text()) if out.exists() else {}
    return result.exit_code, report, result.output


def test_every_figure_against_hand_computed_values(workspace: Path) -> None:
    code, report, output = simulate(workspace, "--allow-skipped")
    assert code == 0, output
    assert report["records"]["decided"] == 7 and report["records"]["skipped"] == 2
    assert "history.jsonl:4: skipped" in output and "history.jsonl:9: skipped" in output
    assert report["changed"] == {
        "count": 2,
        "share": "0.2857",
        "resolution_count": 2,
        "resolution_share": "0.2857",
    }
    assert report["resolutions"] == {
        "baseline": {"approve": 2, "refund_without_return": 1, "review": 4},
        "candidate": {"approve": 4, "refund_without_return": 1, "review": 2},
    }
    assert report["transitions"] == [
        {"baseline": "approve", "candidate": "approve", "count": 2},
        {"baseline": "refund_without_return", "candidate": "refund_without_return", "count": 1},
        {"baseline": "review", "candidate": "approve", "count": 2},
        {"baseline": "review", "candidate": "review", "count": 2},
    ]
    money = report["money"]
    assert money["auto_refunds"]["baseline"] == {"MYR": "80.00", "USD": "28.00"}
    assert money["auto_refunds"]["candidate"] == {"MYR": "80.00", "USD": "138.00"}
    assert money["auto_refunds"]["total"] == {
        "currency": "USD",
        "baseline": "48.00",
        "candidate": "158.00",
        "delta": "110.00",
        "left_out": [],
    }
    assert money["goods_kept"]["total"]["baseline"] == money["goods_kept"]["total"]["candidate"] == "8.00"
    assert money["return_postage"]["total"] == {
        "currency": "USD",
        "baseline": "0.00",
        "candidate": "12.00",
        "delta": "12.00",
        "left_out": [],
    }
    assert money["abuse_exposure"]["total"] == {
        "currency": "USD",
        "baseline": "20.00",
        "candidate": "20.00",
        "delta": "0.00",
        "left_out": [],
    }
    # Every request asks for its order total: 262 USD and 80 MYR (20 USD); #6 was refunded.
    assert report["totals"] == {
        "requested": {"by_currency": {"MYR": "80.00", "USD": "262.00"}, "total": "282.00", "left_out": []},
        "refunded_in_history": {"by_currency": {"USD": "60.00"}, "total": "60.00", "left_out": []},
        "currency": "USD",
    }
    review = report["review"]
    assert review["baseline"] == {"count": 4, "share": "0.5714", "hours": "0.40", "cost": "4.00"}
    assert review["candidate"] == {"count": 2, "share": "0.2857", "hours": "0.20", "cost": "2.00"}
    assert review["delta"]["count"] == -2 and review["delta"]["cost"] == "-2.00"
    rules = {r["rule"]: r for r in report["rules"]}
    assert rules["merchant/small"]["baseline"] == {"matched": 3, "won": 2, "errors": 0}
    assert rules["merchant/small"]["candidate"] == {"matched": 5, "won": 3, "errors": 0}
    assert rules["merchant/returns"]["status"] == "added" and rules["merchant/returns"]["baseline"] is None
    assert rules["merchant/returns"]["candidate"]["won"] == 1
    assert rules["merchant/keep"]["won_delta"] == 0
    assert rules["platform/p-electronics-cancel"]["candidate"]["won"] == 1
    platform = report["platform"]
    assert platform["baseline"]["overridden_records"] == platform["candidate"]["overridden_records"] == 1
    assert platform["baseline"]["vetoed_records"] == 0 and platform["candidate"]["vetoed_records"] == 1
    assert report["errors"]["candidate"] == {"records": 0, "by_rule": {}, "first": {}}
    statuses = {e["key"]: e["records"] for e in report["breakdowns"]["status"]}
    assert statuses == {"AWAITING_SHIPMENT": 5, "DELIVERED": 2}
    # New thresholds: `returns` adds 50 USD (r2, at exactly 50 USD, is in the band above);
    # `small` moves to 100 USD (r4, 99 USD, is in the band below).
    assert report["threshold_gaming"] == [
        {
            "field": "order.total",
            "threshold": "50 USD",
            "rules": ["merchant/returns"],
            "band": "5%",
            "just_below": 0,
            "just_above": 1,
            "ratio": "0.00",
            "flagged": False,
        },
        {
            "field": "order.total",
            "threshold": "100 USD",
            "rules": ["merchant/small"],
            "band": "5%",
            "just_below": 1,
            "just_above": 0,
            "ratio": None,
            "flagged": False,
        },
    ]
    kinds = {e["key"]: e for e in report["breakdowns"]["kind"]}
    assert (kinds["CANCEL"]["records"], kinds["CANCEL"]["changed"]) == (5, 1)
    assert kinds["CANCEL"]["candidate_auto_refunds"] == "90.00"
    assert (kinds["RETURN_AND_REFUND"]["records"], kinds["RETURN_AND_REFUND"]["changed"]) == (2, 1)
    assert [s["case_id"] for s in report["samples"]] == ["c2", "c6"]
    assert report["samples"][0]["candidate"]["resolution"]["by"]["rule"] == "small"


def test_json_report_is_byte_identical(workspace: Path) -> None:
    simulate(workspace)
    first = (workspace / "report.json").read_bytes()
    simulate(workspace)
    assert (workspace / "report.json").read_bytes() == first


def test_limit_and_sample(workspace: Path) -> None:
    _, report, _ = simulate(workspace, "--limit", "3")
    assert report["records"]["decided"] == 3
    _, sampled, _ = simulate(workspace, "--sample", "0.5", "--seed", "3")
    _, again, _ = simulate(workspace, "--sample", "0.5", "--seed", "3")
    assert sampled["records"] == again["records"]
    assert sampled["records"]["decided"] + sampled["records"]["skipped"] < 9


def test_gates(workspace: Path) -> None:
    code, _, output = simulate(
        workspace, "--fail-if", "auto_refunds.delta > 100 USD", "--fail-if", "review.share.delta > 5%"
    )
    assert code == 1
    assert "gate tripped: auto_refunds.delta > 100 USD  (auto_refunds.delta = 110.00 USD)" in output
    assert "review.share.delta" not in output.split("gate tripped")[-1]
    code, _, output = simulate(workspace, "--fail-if", "auto_refunds.delta > 100")
    assert code == 2 and "cannot compare money with int" in output


def test_csv_with_a_column_mapping(workspace: Path) -> None:
    config = workspace / "candidate" / "ttrules.yaml"
    config.write_text(
        CONFIG
        + """\
history:
  columns:
    case.id: Ref
    order.total: {column: Amount, currency: USD}
    order.status: {column: State, values: {open: AWAITING_SHIPMENT, done: DELIVERED}}
    order.created_at: {column: Ordered, format: "%d/%m/%Y %H:%M"}
    request.kind: {column: Type}
    request.reason: {value: CHANGED_MIND}
    request.created_at: {column: Asked, format: "%d/%m/%Y %H:%M"}
"""
    )
    # Unmapped dotted columns (order.category) pass through as they are.
    rows = [
        ["Ref", "Amount", "State", "Ordered", "Type", "Asked", "order.category"],
        ["a1", "20", "open", "01/05/2026 00:00", "CANCEL", "02/05/2026 00:00", "apparel"],
        ["a2", "50", "open", "01/05/2026 00:00", "CANCEL", "02/05/2026 00:00", "apparel"],
        ["a3", "twenty", "open", "01/05/2026 00:00", "CANCEL", "02/05/2026 00:00", "apparel"],
    ]
    with (workspace / "history.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    code, report, output = simulate(workspace, "--allow-skipped", history="history.csv")
    assert code == 0, output
    assert report["records"]["decided"] == 2 and report["records"]["skipped"] == 1
    assert "history.csv:4: skipped" in output and "order.total" in output
    assert report["money"]["auto_refunds"]["total"]["delta"] == "50.00"


def test_missing_mapped_column_fails_before_any_work(workspace: Path) -> None:
    (workspace / "candidate" / "ttrules.yaml").write_text(
        CONFIG + "history:\n  columns:\n    order.total: {column: Amont, currency: USD}\n"
    )
    (workspace / "history.csv").write_text("Amount,State\n1,open\n")
    code, report, output = simulate(workspace, "--allow-skipped", history="history.csv")
    assert code == 2 and not report
    assert "mapped column `Amont` not in the file" in output and "did you mean `Amount`" in output


def test_history_that_is_not_the_claimed_format(workspace: Path) -> None:
    (workspace / "history.csv").write_text('{"order": {}}\n')
    code, _, output = simulate(workspace, history="history.csv")
    assert code == 2 and "looks like JSON Lines, not CSV" in output
    (workspace / "history.parquet").write_text("not parquet")
    code, _, output = simulate(workspace, history="history.parquet")
    assert code == 2 and "not a Parquet file" in output


def test_unknown_currency_row_is_counted_not_fatal(workspace: Path) -> None:
    lines = [json.dumps(_case(1, "CANCEL", "20 XYZ")), json.dumps(_case(2, "CANCEL", "20 USD"))]
    (workspace / "history.jsonl").write_text("\n".join(lines) + "\n")
    code, report, _ = simulate(workspace)
    assert code == 0 and report["records"]["decided"] == 2
    assert report["errors"]["baseline"]["by_rule"] == {"merchant/small": 1}


def test_a_stack_that_fails_check_is_refused(workspace: Path) -> None:
    broken = 'ruleset "m"\nlayer merchant\nrule "x" then aprove\n'
    (workspace / "candidate" / "rules" / "m.ttr").write_text(broken)
    code, report, output = simulate(workspace)
    assert code == 2 and not report
    assert "TTR108" in output and "the candidate" in output and "nothing was simulated" in output


def _git_workspace(workspace: Path) -> Path:
    repo = workspace / "candidate"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    (repo / "rules" / "m.ttr").write_text(MERCHANT.format(limit="30 USD"))
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    (repo / "rules" / "m.ttr").write_text(MERCHANT.format(limit="100 USD") + RETURNS)
    return repo


def test_baseline_from_git_revision_without_touching_the_work_tree(workspace: Path) -> None:
    repo = _git_workspace(workspace)
    changed = (repo / "rules" / "m.ttr").read_text()
    runner = CliRunner()
    import contextlib

    with contextlib.chdir(repo):
        result = runner.invoke(
            cli,
            [
                "simulate",
                "--history",
                str(workspace / "history.jsonl"),
                "--format",
                "json",
                "--allow-skipped",
            ],
            catch_exceptions=False,
        )
        bad = runner.invoke(
            cli,
            ["simulate", "--history", str(workspace / "history.jsonl"), "--baseline", "no-such-rev"],
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["inputs"]["baseline"]["label"] == "git HEAD"
    assert report["changed"]["count"] == 2
    assert (repo / "rules" / "m.ttr").read_text() == changed
    assert bad.exit_code == 2 and "no-such-rev" in bad.output


def test_save_confirm_lock_and_check_locked(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _git_workspace(workspace)
    monkeypatch.chdir(repo)
    runner = CliRunner()
    history = str(workspace / "history.jsonl")
    saved = runner.invoke(cli, ["simulate", "--history", history, "--save", "plan.json", "--allow-skipped"])
    assert saved.exit_code == 0, saved.output
    plan = json.loads(Path("plan.json").read_text())
    assert plan["confirm_word"] == "m"
    assert plan["changes"] == {
        "added": ["rule merchant/returns"],
        "changed": ["rule merchant/small"],
        "deleted": [],
        "reordered": [],
    }
    assert runner.invoke(cli, ["check", "--locked"]).exit_code == 1  # no lock yet

    refused = runner.invoke(cli, ["confirm", "plan.json"], input="wrong\n")
    assert refused.exit_code == 1 and not Path("ttrules.lock").exists()
    assert "ADDED (1):" in refused.output and "CHANGED (1):" in refused.output

    confirmed = runner.invoke(cli, ["confirm", "plan.json"], input="m\n")
    assert confirmed.exit_code == 0, confirmed.output
    lock = json.loads(Path("ttrules.lock").read_text())
    assert lock["plan_digest"] == plan["plan_digest"]
    assert lock["simulation_digest"] == plan["report_digest"]
    assert set(lock["files"]) == {"rules/m.ttr", "rules/p.ttr", "ttrules.yaml"}
    assert runner.invoke(cli, ["check", "--locked"]).exit_code == 0

    Path("rules/m.ttr").write_text(MERCHANT.format(limit="200 USD"))
    drifted = runner.invoke(cli, ["check", "--locked"])
    assert drifted.exit_code == 1 and "TTR123" in drifted.output and "rules/m.ttr" in drifted.output
    stale = runner.invoke(cli, ["confirm", "plan.json"], input="m\n")
    assert stale.exit_code == 2 and "changed since the plan was simulated" in stale.output


def test_confirm_refuses_an_edited_plan_and_needs_a_digest_with_yes(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _git_workspace(workspace)
    monkeypatch.chdir(repo)
    runner = CliRunner()
    runner.invoke(cli, ["simulate", "--history", str(workspace / "history.jsonl"), "--save", "plan.json"])
    plan = json.loads(Path("plan.json").read_text())
    assert runner.invoke(cli, ["confirm", "plan.json", "--yes"]).exit_code == 2
    wrong = runner.invoke(cli, ["confirm", "plan.json", "--yes", "--plan-digest", "0" * 12])
    assert wrong.exit_code == 2 and not Path("ttrules.lock").exists()
    good = runner.invoke(cli, ["confirm", "plan.json", "--yes", "--plan-digest", plan["plan_digest"][:12]])
    assert good.exit_code == 0 and Path("ttrules.lock").exists()

    plan["report"]["changed"]["count"] = 0  # an edit by hand
    Path("plan.json").write_text(json.dumps(plan))
    edited = runner.invoke(cli, ["confirm", "plan.json"], input="m\n")
    assert edited.exit_code == 2 and "digest mismatch" in edited.output


def test_an_interrupted_lock_write_leaves_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from ttrules.simulate.plan import Plan, write_lock

    lock = tmp_path / "ttrules.lock"
    lock.write_text('{"previous": true}\n')

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    plan = Plan({"files": {}, "report_digest": "r", "plan_digest": "p", "changes": {}})
    with pytest.raises(KeyboardInterrupt):
        write_lock(lock, plan)
    assert lock.read_text() == '{"previous": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["ttrules.lock"]


def _saved_plan(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    repo = _git_workspace(workspace)
    monkeypatch.chdir(repo)
    history = str(workspace / "history.jsonl")
    arguments = ["simulate", "--history", history, "--save", "plan.json", "--allow-skipped"]
    saved = CliRunner().invoke(cli, arguments)
    assert saved.exit_code == 0, saved.output
    return repo, json.loads((repo / "plan.json").read_text())["plan_digest"]


def _confirm_process(repo: Path, digest: str) -> subprocess.Popen[str]:
    ttrules = str(Path(sys.executable).with_name("ttrules"))
    command = [ttrules, "confirm", "plan.json", "--yes", "--plan-digest", digest]
    return subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_concurrent_confirms_cannot_both_write_the_lock(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes confirm the same plan at once: the confirm lock lets one through, and the
    other finds a ttrules.lock the plan was not simulated against and refuses."""
    import time

    from filelock import FileLock

    from ttrules.simulate.plan import CONFIRM_GUARD

    repo, digest = _saved_plan(workspace, monkeypatch)
    (repo / ".ttrules").mkdir(exist_ok=True)
    with FileLock(repo / CONFIRM_GUARD):  # both wait at the lock, then race for it
        processes = [_confirm_process(repo, digest) for _ in range(2)]
        time.sleep(1.5)
        assert all(p.poll() is None for p in processes), "confirm wrote without the lock"
    outputs = [p.communicate(timeout=60)[0] for p in processes]
    codes = sorted(p.returncode for p in processes)
    assert codes == [0, 2], outputs
    assert any("ttrules.lock changed since the plan was simulated" in o for o in outputs), outputs
    assert json.loads((repo / "ttrules.lock").read_text())["plan_digest"] == digest


def test_a_confirm_killed_at_any_point_leaves_the_old_lock_or_the_new(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 at points spread over a real `confirm`'s run: ttrules.lock is always either the
    one that was there or the complete new one, never a part of it. The points are fractions of
    how long a confirm takes on this machine, measured first, so the earliest kills land before
    the write and the latest after it on any machine."""
    import random
    import signal
    import time

    repo, _ = _saved_plan(workspace, monkeypatch)
    old = '{"schema": "an earlier lock"}\n'
    plan = json.loads((repo / "plan.json").read_text())
    plan_body = {k: v for k, v in plan.items() if k != "plan_digest"}

    def start() -> tuple[subprocess.Popen[str], dict[str, object]]:
        (repo / "ttrules.lock").write_text(old)
        replacing = _replacing(plan_body, old)  # a plan simulated against this earlier lock
        (repo / "plan.json").write_text(json.dumps(replacing))
        return _confirm_process(repo, str(replacing["plan_digest"])), replacing

    process, _ = start()
    began = time.monotonic()
    process.communicate(timeout=120)
    whole = time.monotonic() - began
    assert process.returncode == 0
    seen = {"old": 0, "new": 0}
    rng = random.Random(7)
    for point in range(12):
        process, replacing = start()
        time.sleep(whole * (0.05 + 1.9 * point / 11) * rng.uniform(0.95, 1.05))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        text = (repo / "ttrules.lock").read_text()
        if text == old:
            seen["old"] += 1
        else:
            assert json.loads(text)["plan_digest"] == replacing["plan_digest"], text
            seen["new"] += 1
    assert seen["old"] and seen["new"], seen  # the kills landed both before and after the write


def _append(path: str, text: str) -> Callable[[Path], None]:
    return lambda repo: (repo / path).write_text((repo / path).read_text() + text)


# Every way a change could slip past `check --locked`, each made after a confirm.
SLIPS: dict[str, Callable[[Path], None]] = {
    "a merchant rule edited": lambda repo: (repo / "rules" / "m.ttr").write_text(
        (repo / "rules" / "m.ttr").read_text().replace("100 USD", "1000 USD")
    ),
    "a comment added (any byte counts)": _append("rules/m.ttr", "# just a note\n"),
    "the platform layer changed": _append(
        "rules/p.ttr", 'rule "p-new"\n  when order.total > 900 USD\n  then review\n'
    ),
    "ttrules.yaml changed": _append("ttrules.yaml", "default: approve\n"),
    "a rule file added": lambda repo: (repo / "rules" / "n.ttr").write_text(
        'ruleset "n"\nlayer merchant\nrule "n"\n  when order.total > 5 USD\n  then approve\n'
    ),
    "a rule file deleted": lambda repo: (repo / "rules" / "m.ttr").unlink(),
    "files renamed so their order flips": lambda repo: (repo / "rules" / "m.ttr").rename(
        repo / "rules" / "a-m.ttr"
    ),
}


@pytest.mark.parametrize("slip", sorted(SLIPS))
def test_check_locked_catches_every_change_made_after_confirm(
    slip: str, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, digest = _saved_plan(workspace, monkeypatch)
    runner = CliRunner()
    confirmed = runner.invoke(cli, ["confirm", "plan.json", "--yes", "--plan-digest", digest])
    assert confirmed.exit_code == 0, confirmed.output
    assert runner.invoke(cli, ["check", "--locked", "--no-analysis"]).exit_code == 0
    SLIPS[slip](repo)
    caught = runner.invoke(cli, ["check", "--locked", "--no-analysis"])
    assert caught.exit_code == 1 and "TTR123" in caught.output, (slip, caught.output)


def _replacing(body: dict[str, object], lock_text: str) -> dict[str, object]:
    import hashlib

    from ttrules.simulate.plan import digest

    new = {**body, "replaces_lock": hashlib.sha256(lock_text.encode()).hexdigest()}
    return {**new, "plan_digest": digest(new)}


def _as_parquet(workspace: Path, renames: dict[str, str] | None = None) -> str:
    """The workspace's JSONL history as a Parquet file of flat columns (bad lines dropped)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for line in (workspace / "history.jsonl").read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        flat = {f"{ns}.{k}": v for ns, fields in record.items() for k, v in fields.items()}
        rows.append({(renames or {}).get(k, k): v for k, v in flat.items()})
    columns = sorted({k for row in rows for k in row})
    pq.write_table(
        pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows]),
        workspace / "history.parquet",
    )
    return "history.parquet"


def test_both_engines_give_the_same_report_with_limit_and_a_renamed_column(workspace: Path) -> None:
    (workspace / "candidate" / "ttrules.yaml").write_text(
        CONFIG + "history:\n  columns:\n    order.total: Amount\n"
    )
    history = _as_parquet(workspace, {"order.total": "Amount"})
    reports = {}
    for engine in ("duckdb", "python"):
        code, report, output = simulate(workspace, "--engine", engine, "--limit", "5", history=history)
        assert code == 0, output
        assert report.pop("engine")["name"] == engine
        reports[engine] = report
    assert reports["duckdb"] == reports["python"]
    assert reports["duckdb"]["records"]["decided"] + reports["duckdb"]["records"]["skipped"] == 5


def test_the_duckdb_engine_says_when_it_falls_back(workspace: Path) -> None:
    code, report, output = simulate(workspace, "--sample", "0.5", "--allow-skipped")
    assert code == 0 and "note: simulating with the python engine: --sample draws records" in output
    assert report["engine"] == {
        "name": "python",
        "fallback_from": "duckdb",
        "reason": "--sample draws records in the Python engine's order",
    }
    code, report, output = simulate(workspace, "--allow-skipped")  # JSON Lines: copied into Parquet first
    assert code == 0 and report["engine"]["name"] == "duckdb"
    # The two invalid lines went to the python engine, which reports them with their lines.
    assert report["engine"]["rows_in_python"] == 2 and "2 rows went to the python engine" in output
    assert "history.jsonl:4: skipped: invalid JSON" in output
    assert "history.jsonl:9: skipped: order.total" in output
    history = _as_parquet(workspace)
    code, report, output = simulate(workspace, "--allow-skipped", history=history)
    assert code == 0 and report["engine"]["name"] == "duckdb"
    # The one invalid row went to the python engine, which reports it with its row number.
    assert report["engine"]["rows_in_python"] == 1 and "1 row went to the python engine" in output
    assert "history.parquet row 8: skipped: order.total" in output


def test_the_spark_engine_without_pyspark_says_how_to_get_it(tmp_path: Path, monkeypatch: Any) -> None:
    import sys

    from click.testing import CliRunner

    from ttrules.cli import cli
    from ttrules.simulate.demo import create_workspace

    root = tmp_path / "demo"
    history = create_workspace(root, 50, 7)
    monkeypatch.chdir(root)
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as where PySpark is not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    args = [
        "simulate",
        "--history",
        str(history),
        "--engine",
        "spark",
        "--config",
        str(root / "ttrules.yaml"),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "the Spark engine needs PySpark: pip install 'ttrules[spark]'" in result.output


def test_partition_by_needs_the_spark_engine(tmp_path: Path, monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from ttrules.cli import cli
    from ttrules.simulate.demo import create_workspace

    root = tmp_path / "demo"
    history = create_workspace(root, 20, 7)
    monkeypatch.chdir(root)
    args = ["simulate", "--history", str(history), "--partition-by", "case.market"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "--partition-by needs --engine spark" in result.output
