"""A stack: the configuration plus every ruleset it names, strongest layer first."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ttrules import ast
from ttrules.config import CONFIG_NAME, Config, load_config
from ttrules.diagnostics import Diagnostic, Severity, did_you_mean
from ttrules.i18n import _
from ttrules.lists import resolve_lists
from ttrules.schema.fields import Schema, default_schema, extend_schema
from ttrules.syntax.load import find_rule_files, load_ruleset_file
from ttrules.workspace import DISK, Files


@dataclass(frozen=True)
class Stack:
    config: Config
    schema: Schema
    rulesets: tuple[ast.Ruleset, ...]  # strongest layer first, then in the order they were read
    files: tuple[Path, ...] = field(default=())
    list_files: tuple[Path, ...] = field(default=())  # the value lists the rules read (in the lock)

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(self.config.layers)

    def layer_index(self, layer: str) -> int:
        return self.config.layers.index(layer)


def find_config(explicit: Path | None, start: Path | None = None) -> Path | None:
    if explicit is not None:
        return explicit
    candidate = (start or Path.cwd()) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def _under(path: Path, roots: list[Path]) -> bool:
    """Whether `path` is one of `roots` or inside one of them (resolved: `..` and symlinks
    cannot walk a file into a protected directory or out of one)."""
    resolved = path.resolve()
    for root in roots:
        target = root.resolve()
        if resolved == target or target in resolved.parents:
            return True
    return False


def load_stack(
    paths: list[Path] | None = None, config_path: Path | None = None, files: Files = DISK
) -> tuple[Stack | None, list[Diagnostic]]:
    """Read the configuration and rule files; every problem is reported, none is fatal alone.

    `files` says where from: the working tree, or a git revision (see `ttrules.workspace`).
    """
    diagnostics: list[Diagnostic] = []
    config_file = find_config(config_path)
    config = Config()
    if config_file is not None:
        loaded, problems = load_config(config_file, files)
        diagnostics += problems
        if loaded is None:
            return None, diagnostics
        config = loaded
    base = config_file.parent if config_file is not None else Path.cwd()
    roots = paths if paths else [base / entry for entry in config.stack]
    if not paths:  # what the configuration names stays in its workspace; a command line may go anywhere
        outside = [entry for entry in config.stack if not _under(base / entry, [base])]
        for entry in outside:
            diagnostics.append(
                Diagnostic(
                    "TTR119",
                    _("stack: `{entry}` is outside the workspace ({workspace})").format(
                        entry=entry, workspace=files.display(base) or "."
                    ),
                    None,
                    path=files.display(config_file) if config_file else CONFIG_NAME,
                    help=_(
                        "move the rules into the workspace, or name the directory on the command line "
                        "(`ttrules check DIR`)"
                    ),
                )
            )
        if outside:
            return None, diagnostics
    found: list[Path] = []
    for root in roots:
        if not files.exists(root):
            diagnostics.append(
                Diagnostic("TTR015", _("no such file or directory"), None, path=files.display(root))
            )
            continue
        found.extend(f for f in find_rule_files(root, files) if f not in found)
    schema, problems = extend_schema(default_schema(), config.fields)
    shown_config = files.display(config_file) if config_file else CONFIG_NAME
    for _path, message in problems:
        diagnostics.append(
            Diagnostic(
                "TTR121",
                message,
                None,
                path=shown_config,
                help=_(
                    "types: int, number, money, duration, timestamp, str, bool, set[str], an enum name; "
                    "add ? for optional"
                ),
            )
        )
    rulesets: list[ast.Ruleset] = []
    for path in found:
        ruleset, problems = load_ruleset_file(path, files)
        diagnostics += problems
        if ruleset is None:
            continue
        if ruleset.layer not in config.layers:
            diagnostics.append(
                Diagnostic(
                    "TTR111",
                    _("unknown layer `{layer}`").format(layer=ruleset.layer),
                    ruleset.layer_span,
                    label=_("the stack's layers are {layers}").format(layers=", ".join(config.layers)),
                    help=did_you_mean(ruleset.layer, config.layers)
                    or _("add it to `layers:` in ttrules.yaml"),
                )
            )
            continue
        allowed = config.paths_of_layer(ruleset.layer)
        if allowed is not None and not _under(path, [base / entry for entry in allowed]):
            diagnostics.append(
                Diagnostic(
                    "TTR125",
                    _("this file may not hold layer `{layer}`").format(layer=ruleset.layer),
                    ruleset.layer_span,
                    label=_("only {paths} may declare layer {layer}").format(
                        paths=", ".join(allowed), layer=ruleset.layer
                    ),
                    help=_(
                        "move the ruleset to a weaker layer, or the file to {path} (see `layer_paths:` in "
                        "ttrules.yaml)"
                    ).format(path=allowed[0]),
                )
            )
            continue
        rulesets.append(ruleset)
    if not found and not any(d.code == "TTR015" for d in diagnostics):
        diagnostics.append(
            Diagnostic(
                "TTR122",
                _("no rule files (.ttr, .yaml, .yml) found"),
                None,
                path=", ".join(files.display(r) for r in roots),
                severity=Severity.ERROR,
            )
        )
    rulesets.sort(key=lambda r: config.layers.index(r.layer))
    declared: dict[str, Path | None] = {}
    for name, entry in config.lists.items():
        if _under(base / entry, [base]):
            declared[name] = base / entry
            continue
        declared[name] = None  # refused: the rules reading it are not resolved, and not blamed
        diagnostics.append(  # as a stack entry: ttrules reads only what its workspace holds
            Diagnostic(
                "TTR119",
                _("lists: `{entry}` is outside the workspace ({workspace})").format(
                    entry=entry, workspace=files.display(base) or "."
                ),
                None,
                path=shown_config,
                help=_("keep the list files in the workspace, e.g. `lists/{name}.txt`").format(name=name),
            )
        )
    rulesets, list_files, problems = resolve_lists(rulesets, declared, schema, files)
    diagnostics += problems
    return Stack(config, schema, tuple(rulesets), tuple(found), tuple(list_files)), diagnostics
