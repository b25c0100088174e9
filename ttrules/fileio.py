"""Writing files so that nothing is ever left half-written."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """Write text to a temporary file beside `path` and move it into place only on success."""
    with _atomic(path, binary=False) as handle:
        yield handle  # type: ignore[misc]


# A temporary file this old beside its target is what a killed write left: no write takes an hour.
STALE_SECONDS = 3600


def _remove_stale(directory: Path, name: str) -> None:
    """Delete the temporary files a killed write of `name` left behind (kill -9 runs no
    clean-up); a fresh one may be another process's write in progress and is kept."""
    now = time.time()
    for stale in directory.glob(f".{glob.escape(name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > STALE_SECONDS:
                stale.unlink()


@contextlib.contextmanager
def _atomic(path: Path, binary: bool) -> Iterator[Any]:
    directory = path.parent if str(path.parent) else Path(".")
    _remove_stale(directory, path.name)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    # mkstemp makes the file private; give it the mode an ordinary write would have.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
    os.chmod(temp, mode)
    try:
        opened = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        with opened as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_writer(path) as handle:
        handle.write(text)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with _atomic(path, binary=True) as handle:
        handle.write(data)
