"""The stack the service decides with, and how a new one replaces it.

A stack is served only after the same stages as `ttrules check --locked` pass (load, check,
analyze, lock). A reload runs them on the new files beside the old stack, which keeps serving;
the swap is one reference assignment, so a request sees the old stack or the new one, never a
mixture. A stack that fails keeps the old one serving, and the reason is kept for /readyz.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ttrules.diagnostics import render_text_all
from ttrules.engine import Engine
from ttrules.i18n import _
from ttrules.pipeline import Checked, PipelineError, load_side, lock_digest, project_root, run_stages
from ttrules.simulate.plan import LOCK_NAME


class StackRefused(Exception):
    """The rules do not pass the checks a served stack must pass; the message says which."""


@dataclass(frozen=True)
class Served:
    engine: Engine
    lock_sha256: str | None
    revision: str | None  # the git commit the project was at when loaded
    loaded_at: float
    locked: bool  # False when served with --unlocked


@dataclass(frozen=True)
class Shadow:
    engine: Engine
    label: str
    same_schema: bool


def git_revision(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _refusal(checked: Checked, what: str) -> StackRefused:
    shown = [d for d in checked.diagnostics if d.is_error] or checked.diagnostics
    refused = _("{what} does not pass `ttrules check --locked`:").format(what=what)
    return StackRefused(f"{refused}\n{render_text_all(shown)}")


class Live:
    def __init__(self, config: Path | None, *, locked: bool = True, shadow: str | None = None) -> None:
        self.config = config
        self.locked = locked
        self.root, _config_file = project_root(config)
        self.lock_path = self.root / LOCK_NAME
        self._reloading = threading.Lock()
        self.reloads = 0
        self.last_error: str | None = None
        self.current = self._load()
        self.shadow = self._load_shadow(shadow) if shadow is not None else None

    def _load(self) -> Served:
        checked = run_stages(None, self.config, analysis=True, locked=self.locked)
        if checked.engine is None:
            raise _refusal(checked, "the stack")
        return Served(
            checked.engine,
            lock_digest(self.config),
            git_revision(self.root),
            time.time(),
            self.locked,
        )

    def _load_shadow(self, where: str) -> Shadow:
        try:
            checked = load_side(where, self.config)
        except PipelineError as error:
            raise StackRefused(f"shadow {error}") from None
        if checked.engine is None:
            raise _refusal(checked, f"the shadow ({checked.label})")
        same = checked.engine.stack.schema == self.current.engine.stack.schema
        return Shadow(checked.engine, checked.label, same)

    def reload(self) -> bool:
        """Load and check the stack on disk; swap it in when it passes. True when swapped."""
        with self._reloading:
            try:
                fresh = self._load()
            except StackRefused as error:
                self.last_error = str(error)
                return False
            except Exception as error:  # a reload never takes the served stack down
                self.last_error = f"the new stack could not be loaded: {error}"
                return False
            self.current = fresh
            self.last_error = None
            self.reloads += 1
            return True

    def lock_stamp(self) -> tuple[int, int] | None:
        """What changes when ttrules.lock is rewritten (confirm writes it atomically)."""
        try:
            stat = self.lock_path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)
