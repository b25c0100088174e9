"""Which rule tests a run takes: the paths given, else the `tests:` entries of ttrules.yaml
(default tests/) and the `tests:` lists inside the stack's YAML rule files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ttrules.engine import Engine
from ttrules.i18n import _
from ttrules.ruletests.spec import RuleTestFile, find_test_files, read_ruleset_tests, read_test_file


class DiscoveryError(Exception):
    """A path given does not exist, or there is no test anywhere to run."""


def discover_tests(engine: Engine, root: Path, paths: Sequence[Path] = ()) -> list[RuleTestFile]:
    roots = list(paths) or [root / entry for entry in engine.stack.config.tests]
    files: list[RuleTestFile] = []
    for where in roots:
        if not where.exists():
            if paths:  # asked for by name: a typo, not an empty project
                raise DiscoveryError(_("error: {path}: no such file or directory").format(path=where))
            continue
        files += [read_test_file(p) for p in find_test_files(where)]
    if not paths:
        files += [f for f in map(read_ruleset_tests, engine.stack.files) if f is not None]
    if not any(f.tests or f.diagnostics for f in files):
        looked = ", ".join(str(r) for r in roots)
        raise DiscoveryError(
            _("error: no rule tests found (looked in {places} and the stack's YAML rule files)").format(
                places=looked
            )
        )
    return files
