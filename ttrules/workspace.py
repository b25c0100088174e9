"""Where rule files and the configuration are read from: the working tree, or a git revision.

`ttrules simulate --baseline REV` reads the stack as it was at REV without a checkout and
without touching the working tree: paths are mapped into the revision's tree and read with
`git show`.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
import subprocess
from pathlib import Path
from typing import Protocol

from ttrules.spans import relative_display


class Files(Protocol):
    label: str

    def exists(self, path: Path) -> bool: ...
    def is_file(self, path: Path) -> bool: ...
    def files_under(self, root: Path) -> list[Path]: ...
    def size(self, path: Path) -> int: ...
    def read_bytes(self, path: Path, limit: int | None = None) -> bytes: ...
    def display(self, path: Path) -> str: ...


class DiskFiles:
    label = "working tree"

    def exists(self, path: Path) -> bool:
        return path.exists()

    def is_file(self, path: Path) -> bool:
        return path.is_file()

    def files_under(self, root: Path) -> list[Path]:
        """Every file below `root`. Symlinked directories are followed once each (a link loop
        is not walked twice), and a directory that cannot be listed is passed over."""
        found: list[Path] = []
        seen: set[tuple[int, int]] = set()
        for directory, subdirectories, names in os.walk(root, followlinks=True):
            try:
                status = os.stat(directory)
            except OSError:
                subdirectories.clear()
                continue
            if (status.st_dev, status.st_ino) in seen:
                subdirectories.clear()
                continue
            seen.add((status.st_dev, status.st_ino))
            for name in names:
                path = Path(directory, name)
                with contextlib.suppress(OSError):
                    if stat.S_ISREG(path.stat().st_mode):
                        found.append(path)
        return sorted(found)

    def size(self, path: Path) -> int:
        return path.stat().st_size

    def read_bytes(self, path: Path, limit: int | None = None) -> bytes:
        """The file's bytes (at most `limit` + 1 of them, so a caller can tell it is too large).
        Only a regular file is read: a FIFO would block for ever and /dev/zero never ends; it is
        opened without blocking and checked on the open descriptor, so nothing swapped in
        between is read either."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file", str(path))
            return handle.read() if limit is None else handle.read(limit + 1)

    def display(self, path: Path) -> str:
        return relative_display(path)


DISK = DiskFiles()


class RevisionError(Exception):
    """The revision or repository cannot be read; the message says why."""


class GitFiles:
    """Files as they are at a git revision of the repository containing `start`."""

    def __init__(self, revision: str, start: Path | None = None) -> None:
        self.revision = revision
        self.label = f"git revision {revision}"
        top = self._git(["rev-parse", "--show-toplevel"], cwd=start or Path.cwd())
        self.root = Path(top.decode().strip()).resolve()
        try:
            self.commit = (
                self._git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"]).decode().strip()
            )
        except RevisionError:
            raise RevisionError(f"`{revision}` is not a revision of {self.root}") from None

    def _git(self, args: list[str], cwd: Path | None = None) -> bytes:
        try:
            done = subprocess.run(
                ["git", *args], cwd=cwd or self.root, capture_output=True, timeout=60, check=False
            )
        except FileNotFoundError:
            raise RevisionError("git is not installed") from None
        except subprocess.TimeoutExpired:
            raise RevisionError("git did not answer within 60 s") from None
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()
            raise RevisionError(message[-1] if message else f"git {' '.join(args)} failed")
        return done.stdout

    @functools.cached_property
    def _tree(self) -> dict[str, int]:
        """Every file of the revision (repository-relative POSIX path) with its size."""
        out = self._git(["ls-tree", "-r", "-l", "-z", self.commit])
        tree: dict[str, int] = {}
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, name = entry.split(b"\t", 1)
            kind, size = meta.split()[1], meta.split()[3]
            if kind == b"blob":
                tree[name.decode()] = int(size) if size.isdigit() else 0
        return tree

    def _relative(self, path: Path) -> str:
        absolute = path if path.is_absolute() else Path.cwd() / path
        try:
            return absolute.resolve().relative_to(self.root).as_posix()
        except ValueError:
            raise RevisionError(f"{path} is outside the repository {self.root}") from None

    def exists(self, path: Path) -> bool:
        rel = self._relative(path)
        return rel in self._tree or any(name.startswith(rel.rstrip("/") + "/") for name in self._tree)

    def is_file(self, path: Path) -> bool:
        return self._relative(path) in self._tree

    def files_under(self, root: Path) -> list[Path]:
        prefix = self._relative(root).rstrip("/") + "/"
        return sorted(self.root / name for name in self._tree if name.startswith(prefix))

    def size(self, path: Path) -> int:
        return self._tree[self._relative(path)]

    def read_bytes(self, path: Path, limit: int | None = None) -> bytes:
        rel = self._relative(path)
        if rel not in self._tree:
            raise FileNotFoundError(rel)
        return self._git(["show", f"{self.commit}:{rel}"])

    def display(self, path: Path) -> str:
        return f"{self.revision}:{self._relative(path)}"
