"""A wheel of the ttrules that is running, for `ttrules init` to put into a new repository.

A rules repository's CI must install the very ttrules that wrote and confirmed its lock, and
ttrules is not published on a package index: so `init` writes a wheel of itself beside the
rules (`.ttrules/`), and the workflow installs that (its dependencies come from PyPI). The
wheel is built from the installed package's own files, whatever the install (a wheel, or an
editable checkout where the grammar and rulesets are mapped in), and is byte-for-byte the same
each time it is built from the same files.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from importlib import metadata, resources
from importlib.abc import Traversable
from pathlib import Path

from ttrules import __version__
from ttrules.bundled import MAPPED, bundled

_SUFFIXES = (".py", ".lark", ".csv", ".ttr", ".yaml", ".typed", ".po")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: the wheel does not depend on file times


def wheel_name() -> str:
    return f"ttrules-{__version__}-py3-none-any.whl"


def _files(root: Traversable, prefix: str, out: dict[str, bytes]) -> None:
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            _files(entry, f"{prefix}{entry.name}/", out)
        elif entry.name.endswith(_SUFFIXES):
            out[f"{prefix}{entry.name}"] = entry.read_bytes()


def package_files() -> dict[str, bytes]:
    """Archive path -> content of every file of the ttrules package, its data included."""
    out: dict[str, bytes] = {}
    _files(resources.files("ttrules"), "ttrules/", out)
    for package in MAPPED:
        _files(bundled(package), package.replace(".", "/") + "/", out)
    return out


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel() -> bytes:
    """The wheel's bytes."""
    try:
        dist = metadata.distribution("ttrules")
    except metadata.PackageNotFoundError:
        raise RuntimeError(
            "ttrules is not installed (run from a checkout), so there is no wheel to write; "
            "install it, or give `ttrules init --install REQUIREMENT`"
        ) from None
    info = f"ttrules-{__version__}.dist-info"
    files = package_files()
    files[f"{info}/METADATA"] = dist.metadata.as_string().encode("utf-8")  # type: ignore[attr-defined]
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: ttrules init\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    entry_points = dist.read_text("entry_points.txt")
    if entry_points:
        files[f"{info}/entry_points.txt"] = entry_points.encode("utf-8")
    record = [_record_line(path, data) for path, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            entry = zipfile.ZipInfo(path, date_time=_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return buffer.getvalue()


def write_wheel(directory: Path) -> Path:
    from ttrules.fileio import write_bytes_atomic

    path = directory / wheel_name()
    directory.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, build_wheel())
    return path
