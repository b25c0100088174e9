"""The stages that turn rule files into something that decides, in their order:

    load (files, git revision) → check (syntax, types, names, layers) → analyze (the solver's
    layering analysis and lints) → lock (the files against the confirmed ttrules.lock)

`check` runs them all; `simulate` runs load and check for each side; `serve` runs all four
before it serves a stack, and again before it swaps in a new one. Each command used to run
its own copy of this order; it is written once here and the commands only render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttrules.check import check_stack
from ttrules.diagnostics import Diagnostic, has_errors
from ttrules.engine import Engine
from ttrules.i18n import _
from ttrules.stack import Stack, find_config, load_stack
from ttrules.workspace import DISK, Files, GitFiles, RevisionError

STAGES = ("load", "check", "analyze", "lock")


class PipelineError(Exception):
    """The rules cannot even be found (an unknown git revision, say)."""


@dataclass
class Checked:
    """What the stages made of a stack: an engine when nothing stopped them."""

    engine: Engine | None
    stack: Stack | None
    diagnostics: list[Diagnostic]
    label: str  # where the rules came from, for people
    files: Files = DISK
    analyzed: bool = False
    undecided: int = 0  # analysis questions left open (time limit or budget)
    witnesses: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.engine is not None


def project_root(config: Path | None) -> tuple[Path, Path | None]:
    found = find_config(config)
    return (found.parent if found else Path.cwd()), found


def lock_diagnostics(stack: Stack, config: Path | None) -> list[Diagnostic]:
    """TTR123 for every file that differs from, or is missing in, the confirmed ttrules.lock."""
    from ttrules.simulate.plan import LOCK_NAME, PlanError, file_hashes, read_lock

    root, config_file = project_root(config)
    try:
        lock = read_lock(root / LOCK_NAME)
    except PlanError as error:
        return [Diagnostic("TTR123", str(error), None, path=str(root / LOCK_NAME))]
    current = file_hashes(stack, root, config_file)
    return [
        Diagnostic(
            "TTR123",
            _("differs from the confirmed ttrules.lock")
            if name in lock["files"] and name in current
            else _("added since ttrules.lock was confirmed")
            if name in current
            else _("in ttrules.lock but no longer in the stack"),
            None,
            path=name,
            help=_("simulate the change and `ttrules confirm` it, then commit ttrules.lock"),
        )
        for name in sorted(set(current) | set(lock["files"]))
        if current.get(name) != lock["files"].get(name)
    ]


def lock_digest(config: Path | None) -> str | None:
    """The sha256 of ttrules.lock as it is on disk, or None without one."""
    from ttrules.simulate.plan import LOCK_NAME, lock_file_digest

    root, _config_file = project_root(config)
    try:
        return lock_file_digest(root / LOCK_NAME)
    except OSError:  # unreadable: what is served says "no lock", the cause is in `check --locked`
        return None


def locate(where: str | None, config: Path | None) -> tuple[list[Path] | None, Path | None, Files, str]:
    """Where a stack's files are: the working tree (None), a directory, or a git revision."""
    if where is None:
        return None, config, DISK, "working tree"
    if Path(where).is_dir():
        if (Path(where) / "ttrules.yaml").is_file():
            return None, Path(where) / "ttrules.yaml", DISK, f"directory {where}"
        return [Path(where)], config, DISK, f"directory {where}"
    try:
        files = GitFiles(where)
    except RevisionError as error:
        raise PipelineError(f"`{where}`: {error}") from None
    config_path: Path | None = (config or Path("ttrules.yaml")).resolve()
    if not files.is_file(config_path):
        config_path = None
    return None, config_path, files, f"git {where}"


def run_stages(
    paths: list[Path] | None,
    config: Path | None,
    *,
    files: Files = DISK,
    label: str = "working tree",
    analysis: bool = False,
    locked: bool = False,
) -> Checked:
    """Load, check and (when asked) analyze and lock-check a stack; an engine only when no
    stage found an error."""
    stack, diagnostics = load_stack(paths, config, files)
    if stack is None:
        return Checked(None, None, diagnostics, label, files)
    diagnostics += check_stack(stack)
    checked = Checked(None, stack, diagnostics, label, files)
    engine = Engine.from_stack(stack) if not has_errors(diagnostics) else None
    if analysis and engine is not None:
        from ttrules.analyze import analyze

        result = analyze(engine)
        checked.analyzed = True
        diagnostics += result.diagnostics
        checked.undecided = result.undecided
        checked.witnesses = list(result.witnesses)
    if locked:
        diagnostics += lock_diagnostics(stack, config)
    if not has_errors(diagnostics):
        checked.engine = engine
    return checked


def load_side(where: str | None, config: Path | None) -> Checked:
    """A stack to compare or shadow with, loaded and checked (raises PipelineError when the
    revision is unknown)."""
    paths, config_path, files, label = locate(where, config)
    return run_stages(paths, config_path, files=files, label=label)
