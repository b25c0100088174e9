"""The data packages the wheel maps in from the repository's top level (pyproject's
package-dir): `ttrules.grammar` from grammar/, `ttrules.rulesets` from rulesets/. Installed, they
are packages; imported from a checkout (pytest from the repository root, `python -m ttrules.cli`
with the checkout on the path), they are the folders beside the `ttrules` package."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

MAPPED = {"ttrules.grammar": "grammar", "ttrules.rulesets": "rulesets"}


def bundled(package: str) -> Traversable:
    try:
        return resources.files(package)
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[1] / MAPPED[package]
