"""Plans and locks: a simulated change, confirmed twice, recorded so CI can require it.

`simulate --save plan.json` writes a plan: the candidate's files with their SHA-256, the rules
added, changed and deleted against the baseline, the full report and its digest, and a digest
of the plan itself. `confirm` checks both digests and the files, asks for the changed
ruleset's name, and writes `ttrules.lock` atomically. `check --locked` compares the files with
the lock.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ttrules.fileio import write_text_atomic
from ttrules.stack import Stack

PLAN_SCHEMA = "ttrules.plan/1"
LOCK_SCHEMA = "ttrules.lock/1"
LOCK_NAME = "ttrules.lock"
CONFIRM_GUARD = ".ttrules/confirm.lock"


class PlanError(Exception):
    """A plan or lock cannot be used; the message says why."""


def canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def digest(data: Any) -> str:
    return hashlib.sha256(canonical(data)).hexdigest()


def file_hashes(stack: Stack, root: Path, config_file: Path | None) -> dict[str, str]:
    """SHA-256 of every rule file, value list and ttrules.yaml, keyed by POSIX path relative to
    `root`: a list changes decisions as a rule does."""
    paths = list(stack.files) + list(stack.list_files)
    paths += [config_file] if config_file and config_file.is_file() else []
    hashes = {}
    for path in paths:
        absolute = path.resolve()
        try:
            key = absolute.relative_to(root.resolve()).as_posix()
        except ValueError:
            key = absolute.as_posix()
        hashes[key] = hashlib.sha256(absolute.read_bytes()).hexdigest()
    return dict(sorted(hashes.items()))


def _statements(stack: Stack) -> dict[str, Any]:
    """Every rule, forbid and setting of a stack by a stable key, for comparison."""
    found: dict[str, Any] = {}
    for ruleset in stack.rulesets:
        for rule in ruleset.rules:
            found[f"rule {ruleset.layer}/{rule.name}"] = (ruleset.applies, rule)
        for index, forbid in enumerate(ruleset.forbids, start=1):
            found[f"{forbid.name} #{index} in {ruleset.layer}/{ruleset.name}"] = (ruleset.applies, forbid)
        names = {s.name for s in ruleset.settings} | {lim.name for lim in ruleset.limits}
        for name in sorted(names):
            found[f"setting {name} in {ruleset.layer}/{ruleset.name}"] = (
                tuple(s for s in ruleset.settings if s.name == name),
                tuple(lim for lim in ruleset.limits if lim.name == name),
            )
    return found


def rule_changes(baseline: Stack, candidate: Stack) -> dict[str, list[str]]:
    before, after = _statements(baseline), _statements(candidate)
    return {
        "added": sorted(k for k in after if k not in before),
        "changed": sorted(k for k in after if k in before and after[k] != before[k]),
        "deleted": sorted(k for k in before if k not in after),
        "reordered": _reordered(before, after),
    }


def _reordered(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Statements kept on both sides whose place among the others of their layer moved: within
    a layer, source and file order break priority ties, so a rule moved up in its file or a
    file renamed to sort earlier can change decisions with no statement changed. Each one whose
    predecessor among the kept statements of its layer differs is listed."""

    def predecessors(statements: dict[str, Any]) -> dict[str, str | None]:
        last: dict[str, str | None] = {}
        out: dict[str, str | None] = {}
        for key in statements:
            if key not in before or key not in after:
                continue
            layer = _layer_of(key)
            out[key] = last.get(layer)
            last[layer] = key
        return out

    old, new = predecessors(before), predecessors(after)
    return sorted(k for k in new if old.get(k) != new[k])


def _layer_of(key: str) -> str:
    """The layer in a statement key (`rule merchant/x`, `forbid … in merchant/set`)."""
    path = key.split(" in ", 1)[1] if " in " in key else key.split(" ", 1)[1]
    return path.split("/", 1)[0]


def changed_rulesets(baseline: Stack, candidate: Stack) -> list[str]:
    """Rulesets that differ, and those whose place in their layer moved (what must be typed to
    confirm: a change that changes decisions is never `(no change)`)."""
    old = {r.name: r for r in baseline.rulesets}
    new = {r.name: r for r in candidate.rulesets}
    names = {n for n in new if n not in old or new[n] != old[n]} | {n for n in old if n not in new}

    def order(stack: Stack) -> dict[str, list[str]]:
        layers: dict[str, list[str]] = {}
        for ruleset in stack.rulesets:
            if ruleset.name in old and ruleset.name in new:
                layers.setdefault(ruleset.layer, []).append(ruleset.name)
        return layers

    before, after = order(baseline), order(candidate)
    for layer, names_after in after.items():
        if before.get(layer) != names_after:
            names.update(n for i, n in enumerate(names_after) if before.get(layer, [])[i : i + 1] != [n])
    return sorted(names)


def build_plan(
    report: dict[str, Any], baseline: Stack, candidate: Stack, root: Path, config_file: Path | None
) -> dict[str, Any]:
    body = {
        "schema": PLAN_SCHEMA,
        "confirm_word": ", ".join(changed_rulesets(baseline, candidate)) or "(no change)",
        "files": file_hashes(candidate, root, config_file),
        # The ttrules.lock this plan would replace: a confirm that finds another one there (a
        # confirm of another plan landed since) refuses, so no confirmed change is overwritten.
        "replaces_lock": lock_file_digest(root / LOCK_NAME),
        "changes": rule_changes(baseline, candidate),
        "report_digest": digest(report),
        "report": report,
    }
    return {**body, "plan_digest": digest(body)}


@dataclass(frozen=True)
class Plan:
    data: dict[str, Any]

    @property
    def digest(self) -> str:
        return str(self.data["plan_digest"])


def _read_json(path: Path, schema: str, what: str, missing: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(missing) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PlanError(f"{path}: not a {what} file ({error})") from None
    if not isinstance(data, dict) or data.get("schema") != schema:
        raise PlanError(f"{path}: not a ttrules {what} (schema {schema})")
    return data


def load_plan(path: Path) -> Plan:
    data = _read_json(path, PLAN_SCHEMA, "plan", f"{path}: no such file")
    body = {k: v for k, v in data.items() if k != "plan_digest"}
    if digest(body) != data.get("plan_digest") or digest(data.get("report")) != data.get("report_digest"):
        raise PlanError(
            f"{path} was changed after `simulate --save` wrote it (digest mismatch); simulate again"
        )
    return Plan(data)


def stale_files(plan: Plan, current: dict[str, str]) -> list[str]:
    """Files that differ between the plan and the working tree now."""
    saved: dict[str, str] = plan.data["files"]
    return sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))


def lock_file_digest(path: Path) -> str | None:
    """The sha256 of a ttrules.lock as it is on disk, or None when there is none."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def confirming(root: Path, timeout: float = 30.0) -> Iterator[None]:
    """Hold the workspace's confirm lock: one `confirm` at a time reads and replaces
    ttrules.lock (an advisory lock on .ttrules/confirm.lock, an empty file git ignores)."""
    (root / ".ttrules").mkdir(exist_ok=True)
    guard = FileLock(root / CONFIRM_GUARD, timeout=timeout)
    try:
        with guard:
            yield
    except Timeout:
        held = f"another `ttrules confirm` has held {root / LOCK_NAME} for {timeout:.0f} s"
        raise PlanError(held) from None


def replaced_lock_moved(plan: Plan, lock_path: Path) -> bool:
    """ttrules.lock is no longer the one the plan was simulated against (plans saved before
    plans recorded it are not checked)."""
    return "replaces_lock" in plan.data and plan.data["replaces_lock"] != lock_file_digest(lock_path)


def write_lock(path: Path, plan: Plan) -> dict[str, Any]:
    lock = {
        "schema": LOCK_SCHEMA,
        "files": plan.data["files"],
        "simulation_digest": plan.data["report_digest"],
        "plan_digest": plan.digest,
        "changes": plan.data["changes"],
        "confirmed_by": _user(),
        "confirmed_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    write_text_atomic(path, json.dumps(lock, ensure_ascii=False, indent=2) + "\n")
    return lock


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def read_lock(path: Path) -> dict[str, Any]:
    lock = _read_json(
        path, LOCK_SCHEMA, "lock", f"no {LOCK_NAME}: confirm a simulated plan first (`ttrules confirm`)"
    )
    files = lock.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise PlanError(f"{path}: `files` must map each file's path to its SHA-256; confirm a plan again")
    return lock
