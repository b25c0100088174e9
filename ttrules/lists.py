"""Value lists: `buyer.id in list("blacklist")` reads a list file declared in ttrules.yaml.

    lists:
      blacklist: lists/blacklist.txt     # one value a line; `#` starts a comment

A list is resolved when the stack is loaded: `list("NAME")` on the right of `in` (or `not in`)
becomes the set literal of the file's values, typed by the field on the left (text for a `str`
field, whole numbers for an `int` one, enum values for an enumeration). Every later stage (the
checker, the evaluators, the SQL and SMT backends, the formatter of reports) sees an ordinary set
literal, so a list means exactly what writing its values in the rule would. The file's digest is
part of ttrules.lock (a list changes decisions as a rule does), and `ttrules list add/remove`
edits it.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

from ttrules import ast
from ttrules.diagnostics import Diagnostic, did_you_mean
from ttrules.fileio import write_text_atomic
from ttrules.i18n import _
from ttrules.schema.fields import Schema
from ttrules.workspace import DISK, Files

MAX_LIST_BYTES = 16 * 1024 * 1024
MAX_VALUES = 1_000_000
_INT = re.compile(r"-?\d{1,18}")


class ListError(Exception):
    """A list file that cannot be read or changed; the message says which and why."""


def read_values(path: Path, files: Files = DISK) -> list[str]:
    """A list file's values in order: one a line, blank lines and `#` comments skipped."""
    try:
        if files.size(path) > MAX_LIST_BYTES:
            raise ListError(_("{path}: a list file may be at most 16 MiB").format(path=files.display(path)))
        text = files.read_bytes(path, MAX_LIST_BYTES).decode("utf-8-sig")
    except FileNotFoundError:
        raise ListError(_("{path}: no such list file").format(path=files.display(path))) from None
    except UnicodeDecodeError as error:
        raise ListError(
            _("{path}: not valid UTF-8 (byte {byte})").format(path=files.display(path), byte=error.start)
        ) from None
    except OSError as error:
        raise ListError(
            _("{path}: cannot read the list: {reason}").format(
                path=files.display(path), reason=error.strerror
            )
        ) from None
    values = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    values = [v for v in values if v]
    if len(values) > MAX_VALUES:
        raise ListError(_("{path}: a list holds at most 1,000,000 values").format(path=files.display(path)))
    return values


class _Resolver:
    def __init__(self, lists: dict[str, Path | None], schema: Schema, files: Files) -> None:
        self.lists = lists
        self.schema = schema
        self.files = files
        self.values: dict[str, list[str]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.used: set[str] = set()

    def problem(self, message: str, node: ast.Node, help: str = "") -> None:
        self.diagnostics.append(Diagnostic("TTR127", message, node.span, help=help))

    def members(self, name: str, call: ast.Call) -> list[str] | None:
        if name not in self.lists:
            self.problem(
                _("no list `{name}` is declared").format(name=name),
                call,
                help=did_you_mean(name, self.lists) or _("declare it under `lists:` in ttrules.yaml"),
            )
            return None
        path = self.lists[name]
        if path is None:  # declared but refused by the stack (outside the workspace): said there
            return None
        if name not in self.values:
            try:
                self.values[name] = read_values(path, self.files)
            except ListError as error:
                self.problem(str(error), call)
                return None
        self.used.add(name)
        return self.values[name]

    def typed(self, item: ast.Expr, values: list[str], call: ast.Call) -> ast.SetLit | None:
        spec = self.schema.get(item.path) if isinstance(item, ast.FieldRef) else None
        kind = spec.type.kind if spec is not None else None
        literals: list[ast.Expr] = []
        for value in values:
            if kind == "int":
                if not _INT.fullmatch(value):
                    self.problem(_("the list holds `{value}`, not a whole number").format(value=value), call)
                    return None
                literals.append(ast.NumberLit(Decimal(value), span=call.span))
            elif kind == "enum":
                literals.append(ast.EnumLit(value, span=call.span))
            elif kind == "str":
                literals.append(ast.StringLit(value, span=call.span))
            else:
                self.problem(
                    _("a list is compared with a text, whole-number or enum field, not `{field}`").format(
                        field=getattr(item, "path", "?")
                    ),
                    call,
                )
                return None
        return ast.SetLit(tuple(literals), span=call.span)

    def expr(self, expr: ast.Expr) -> ast.Expr:
        if isinstance(expr, ast.In) and _is_list(expr.collection):
            call = expr.collection
            assert isinstance(call, ast.Call)
            name = _list_name(call)
            if name is None:
                self.problem(_('`list` takes the list\'s name as text: `list("blacklist")`'), call)
                return expr
            values = self.members(name, call)
            typed = self.typed(expr.item, values, call) if values is not None else None
            return dataclasses.replace(expr, item=self.expr(expr.item), collection=typed) if typed else expr
        if isinstance(expr, ast.Call) and expr.name == "list":
            self.problem(_("`list(...)` goes on the right of `in` or `not in`"), expr)
            return expr
        return _rebuild(expr, self.expr)


def _is_list(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.Call) and expr.name == "list"


def _list_name(call: ast.Call) -> str | None:
    if len(call.args) == 1 and isinstance(call.args[0], ast.StringLit):
        return call.args[0].value
    return None


def _rebuild(node: Any, change: Any) -> Any:
    """`node` with `change` applied to each expression it holds (nodes are frozen)."""
    updates = {}
    for f in dataclasses.fields(node):
        if f.name == "span" or not f.compare:
            continue
        value = getattr(node, f.name)
        if isinstance(value, ast.Node):
            new = change(value)
        elif isinstance(value, tuple) and any(isinstance(v, ast.Node) for v in value):
            new = tuple(change(v) if isinstance(v, ast.Node) else v for v in value)
        else:
            continue
        if new is not value:
            updates[f.name] = new
    return dataclasses.replace(node, **updates) if updates else node


def resolve_lists(
    rulesets: list[ast.Ruleset], lists: dict[str, Path | None], schema: Schema, files: Files = DISK
) -> tuple[list[ast.Ruleset], list[Path], list[Diagnostic]]:
    """The rulesets with every `list("NAME")` replaced by its values, the list files they read
    (for the lock), and what could not be resolved."""
    resolver = _Resolver(lists, schema, files)

    def statement(node: Any) -> Any:
        return _rebuild(node, lambda child: resolver.expr(child) if _is_expr(child) else statement(child))

    resolved = [statement(ruleset) for ruleset in rulesets]
    used = [path for name in sorted(resolver.used) if (path := lists[name]) is not None]
    return resolved, used, resolver.diagnostics


_EXPRESSIONS = typing.get_args(ast.Expr)


def _is_expr(node: Any) -> bool:
    return isinstance(node, _EXPRESSIONS)


def edit_list(path: Path, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> tuple[int, int]:
    """Add values (those not there yet, at the end) and remove values from a list file, keeping
    its comments and order; written atomically. Returns (added, removed)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines() if path.exists() else []
    except (OSError, UnicodeDecodeError) as error:
        raise ListError(_("{path}: cannot read the list: {reason}").format(path=path, reason=error)) from None
    for value in [*add, *remove]:
        if not value.strip() or "#" in value or "\n" in value:
            raise ListError(_("`{value}` cannot be a list value (empty, or holds `#`)").format(value=value))
    gone = {v.strip() for v in remove}
    kept, removed = [], 0
    for line in lines:
        if line.split("#", 1)[0].strip() in gone:
            removed += 1
            continue
        kept.append(line)
    present = {line.split("#", 1)[0].strip() for line in kept}
    added = [v.strip() for v in dict.fromkeys(add) if v.strip() not in present]
    write_text_atomic(path, "\n".join([*kept, *added]) + "\n")
    return len(added), removed
