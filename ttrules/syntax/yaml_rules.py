"""The YAML form of a ruleset to the AST (the same tree the DSL gives).

Expressions, action lists and limits inside YAML scalars are parsed with the DSL grammar;
their spans are mapped through the scalar's position so errors point into the YAML file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ttrules import ast
from ttrules.diagnostics import Diagnostic
from ttrules.i18n import _
from ttrules.spans import SourceFile, Span
from ttrules.syntax.dsl import Header, attach_comments, parse_fragment
from ttrules.syntax.literals import is_name, priority_problem, too_many_digits
from ttrules.syntax.yaml_comments import yaml_comments
from ttrules.syntax.yaml_source import YNode, mapping_entries, read_yaml

# `tests:` holds rule tests beside the rules; `ttrules test` reads it, the rules reader skips it.
TOP_KEYS = ("ruleset", "layer", "applies", "description", "settings", "limits", "rules", "forbids", "tests")
RULE_KEYS = ("name", "priority", "when", "then", "because")
FORBID_KEYS = ("forbid", "when", "because")
LIMIT_KEYS = ("limit", "when")
SET_KEYS = ("value", "when")


class _Reader:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span | None, help: str = "") -> None:
        self.diagnostics.append(Diagnostic(code, message, span, help=help))

    # -- shapes
    def mapping(self, node: YNode, what: str, allowed: tuple[str, ...]) -> dict[str, YNode] | None:
        return mapping_entries(node, what, allowed, self.error)

    def sequence(self, node: YNode, what: str) -> list[YNode]:
        if node.kind != "seq":
            self.error(
                "TTR012",
                _("{what} must be a list, not {found}").format(what=what, found=node.describe()),
                node.span,
            )
            return []
        return node.items

    def string(self, node: YNode, what: str) -> str | None:
        if node.kind != "scalar" or node.is_null:
            self.error("TTR012", _must_be_string(what, node), node.span)
            return None
        return node.value

    def fragment(self, node: YNode, start: str, what: str) -> Any:
        if node.kind != "scalar" or node.is_null:
            help = (
                _("quote it: YAML reads `{{...}}` and `key: value` as structure").format()
                if node.kind == "map"
                else ""
            )
            self.error("TTR012", _must_be_string(what, node), node.span, help=help)
            return None
        return parse_fragment(node.value, start, self.source, node.offset_of, self.diagnostics)

    # -- pieces
    def condition(self, node: YNode, what: str) -> ast.Expr | None:
        if node.kind == "scalar":
            return self.fragment(node, "expr_only", what)
        if node.kind == "seq":
            self.error(
                "TTR012",
                _("{what} must be an expression or one of `all:`, `any:`, `not:`, not a bare list").format(
                    what=what
                ),
                node.span,
                help=_("put the list under `all:` or `any:`"),
            )
            return None
        entries = self.mapping(node, what, ("all", "any", "not"))
        if entries is None:
            return None
        if len(entries) != 1:
            one = _("{what} must have exactly one of `all`, `any`, `not`").format(what=what)
            self.error("TTR012", one, node.span)
            return None
        ((kind, body),) = entries.items()
        if kind == "not":
            inner = self.condition(body, _("`not`"))
            return ast.Not(inner, span=node.span) if inner is not None else None
        item_of = _("an item of `{kind}`").format(kind=kind)
        items = [self.condition(item, item_of) for item in self.sequence(body, f"`{kind}`")]
        if not items:
            self.error("TTR012", _("`{kind}` needs at least one condition").format(kind=kind), body.span)
            return None
        if any(item is None for item in items):
            return None
        if len(items) == 1:
            return items[0]
        cls: Callable[..., ast.Expr] = ast.And if kind == "all" else ast.Or
        flat: list[ast.Expr] = []
        for item in items:
            flat.extend(item.items if isinstance(item, cls) else (item,))  # type: ignore[arg-type,attr-defined]
        return cls(tuple(flat), span=node.span)

    def actions(self, node: YNode, what: str) -> tuple[ast.Action, ...]:
        if node.kind == "seq":
            result: list[ast.Action] = []
            for item in node.items:
                parsed = self.fragment(item, "actions_only", _("an action in {what}").format(what=what))
                result.extend(parsed or ())
            return tuple(result)
        parsed = self.fragment(node, "actions_only", what)
        return tuple(parsed or ())

    def optional_string(self, entries: dict[str, YNode], key: str, what: str) -> str | None:
        return self.string(entries[key], _of(key, what)) if key in entries else None

    # -- statements
    def rule(self, node: YNode) -> ast.Rule | None:
        entries = self.mapping(node, _("a rule"), RULE_KEYS)
        if entries is None:
            return None
        if "name" not in entries:
            self.error("TTR012", _("a rule needs a `name`"), node.span)
            return None
        name = self.string(entries["name"], _("a rule's `name`"))
        what = _("rule `{name}`").format(name=name).strip()
        priority = 0
        if "priority" in entries:
            p = entries["priority"]
            # Plain decimal only: YAML 1.1 would read `010` as octal 8 and `1:30` as 90.
            if p.tag != "tag:yaml.org,2002:int" or not re.fullmatch(r"[-+]?(0|[1-9][0-9]*)", p.value):
                self.error(
                    "TTR012",
                    _("{what} must be a whole number written plainly (e.g. 10), not {found}").format(
                        what=_of("priority", what),
                        found=f"`{p.value}`" if p.tag == "tag:yaml.org,2002:int" else p.describe(),
                    ),
                    p.span,
                )
            elif (problem := too_many_digits(p.value) or priority_problem(int(p.value))) is not None:
                self.error("TTR014", f"{_of('priority', what)}: {problem}", p.span)
            else:
                priority = int(p.value)
        when = self.condition(entries["when"], _of("when", what)) if "when" in entries else None
        if "then" not in entries:
            self.error(
                "TTR007",
                _("{what} has no `then`").format(what=what),
                node.span,
                help=_("add `then: [ACTION]` (e.g. `then: [review]`)"),
            )
            return None
        actions = self.actions(entries["then"], _of("then", what))
        because = self.optional_string(entries, "because", what)
        # A condition that failed to parse must not leave behind a rule that always matches.
        if name is None or ("when" in entries and when is None) or not actions:
            return None
        return ast.Rule(name, actions, when=when, priority=priority, because=because, span=node.span)

    def forbid(self, node: YNode) -> ast.Forbid | None:
        entries = self.mapping(node, _("a forbid"), FORBID_KEYS)
        if entries is None:
            return None
        if "forbid" not in entries:
            self.error("TTR012", _("a forbid needs `forbid: ACTION`"), node.span)
            return None
        actions = self.actions(entries["forbid"], "`forbid`")
        when = self.condition(entries["when"], _of("when", _("a forbid"))) if "when" in entries else None
        if ("when" in entries and when is None) or not actions:
            return None
        return ast.Forbid(
            actions, when=when, because=self.optional_string(entries, "because", "a forbid"), span=node.span
        )

    def settings(self, node: YNode) -> list[ast.SetStmt]:
        if node.kind != "map":
            names = _("`settings` must be a mapping of names, not {found}").format(found=node.describe())
            self.error("TTR012", names, node.span)
            return []
        result: list[ast.SetStmt] = []
        for key, value in node.pairs:
            name = key.value
            if not is_name(name):
                self.error(
                    "TTR012",
                    _("a setting's name is letters, digits and `_`, not `{name}`").format(name=name),
                    key.span,
                    help=_("e.g. `small_cancel_limit`"),
                )
                continue
            variants = value.items if value.kind == "seq" else [value]
            for variant in variants:
                if variant.kind == "map":
                    entries = self.mapping(variant, f"a value of setting `{name}`", SET_KEYS)
                    if entries is None or "value" not in entries:
                        if entries is not None:
                            needs = _("setting `{name}` needs `value:`").format(name=name)
                            self.error("TTR012", needs, variant.span)
                        continue
                    expr = self.fragment(entries["value"], "expr_only", _setting(name))
                    when = (
                        self.condition(entries["when"], _of("when", _setting(name)))
                        if "when" in entries
                        else None
                    )
                else:
                    expr, when = self.fragment(variant, "expr_only", _setting(name)), None
                if expr is not None and (variant.kind != "map" or "when" not in entries or when is not None):
                    result.append(ast.SetStmt(name, expr, when, span=variant.span))
        return result

    def limit(self, node: YNode) -> ast.LimitStmt | None:
        if node.kind == "scalar":
            entries = {"limit": node}
        else:
            found = self.mapping(node, _("a limit"), LIMIT_KEYS)
            if found is None:
                return None
            entries = found
        if "limit" not in entries:
            self.error("TTR012", _("a limit needs `limit: NAME <= VALUE`"), node.span)
            return None
        parsed = self.fragment(entries["limit"], "limit_only", "`limit`")
        if parsed is None:
            return None
        name, op, bound = parsed
        if str(op) not in ("<=", ">=", "in"):
            takes = _("`limit` takes `<=`, `>=` or `in`, not `{op}`").format(op=op)
            self.error("TTR002", takes, entries["limit"].span)
        when = self.condition(entries["when"], _of("when", _("a limit"))) if "when" in entries else None
        if "when" in entries and when is None:
            return None
        return ast.LimitStmt(name, str(op), bound, when, span=node.span)

    def ruleset(self, root: YNode) -> ast.Ruleset | None:
        entries = self.mapping(root, _("a ruleset file"), TOP_KEYS)
        if entries is None:
            return None
        name = self.string(entries["ruleset"], "`ruleset`") if "ruleset" in entries else None
        layer = self.string(entries["layer"], "`layer`") if "layer" in entries else None
        if layer is not None and not is_name(layer):
            self.error(
                "TTR012",
                _("`layer` must be a name (letters, digits and `_`), not `{layer}`").format(layer=layer),
                entries["layer"].span,
                help=_("e.g. `layer: merchant`"),
            )
            layer = None
        start_span = Span(self.source, 0, min(1, len(self.source.text)))
        for key, _value in (("ruleset", name), ("layer", layer)):
            if key not in entries:
                example = "ruleset: my-shop" if key == "ruleset" else "layer: merchant"
                missing = _("missing `{key}:`").format(key=key)
                self.error("TTR005", missing, start_span, help=_("add `{example}`").format(example=example))
        applies = self.condition(entries["applies"], "`applies`") if "applies" in entries else None
        settings = self.settings(entries["settings"]) if "settings" in entries else []
        limits = (
            [self.limit(n) for n in self.sequence(entries["limits"], "`limits`")]
            if "limits" in entries
            else []
        )
        rules = (
            [self.rule(n) for n in self.sequence(entries["rules"], "`rules`")] if "rules" in entries else []
        )
        forbids = (
            [self.forbid(n) for n in self.sequence(entries["forbids"], "`forbids`")]
            if "forbids" in entries
            else []
        )
        if name is None or layer is None:
            return None
        return ast.Ruleset(
            name=name,
            layer=layer,
            applies=applies,
            settings=ast.group_settings(settings),
            limits=tuple(x for x in limits if x is not None),
            rules=tuple(x for x in rules if x is not None),
            forbids=tuple(x for x in forbids if x is not None),
            name_span=entries["ruleset"].span,
            layer_span=entries["layer"].span,
            span=Span(self.source, 0, len(self.source.text)),
        )


def parse_ruleset_yaml(source: SourceFile) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    root, diagnostics = read_yaml(source)
    if root is None:
        if not diagnostics:
            diagnostics.append(
                Diagnostic(
                    "TTR005",
                    _("the YAML file is empty"),
                    None,
                    path=source.path,
                    help=_("start with `ruleset: NAME` and `layer: merchant`"),
                )
            )
        return None, diagnostics
    reader = _Reader(source)
    ruleset = reader.ruleset(root)
    if ruleset is not None:
        ruleset = _with_comments(ruleset, source)
    return ruleset, diagnostics + reader.diagnostics


def _with_comments(ruleset: ast.Ruleset, source: SourceFile) -> ast.Ruleset:
    comments = yaml_comments(source.text)
    if not comments:
        return ruleset
    statements: list[ast.Statement] = [*ruleset.settings, *ruleset.limits, *ruleset.rules, *ruleset.forbids]
    headers = [
        Header(kind, None, span)
        for kind, span in (("ruleset", ruleset.name_span), ("layer", ruleset.layer_span))
        if span is not None
    ]
    placed, header, trailing = attach_comments(statements, headers, comments, source)
    return replace(
        ruleset,
        settings=ast.group_settings([s for s in placed if isinstance(s, ast.SetStmt)]),
        limits=tuple(s for s in placed if isinstance(s, ast.LimitStmt)),
        rules=tuple(s for s in placed if isinstance(s, ast.Rule)),
        forbids=tuple(s for s in placed if isinstance(s, ast.Forbid)),
        header_comments=header,
        trailing_comments=trailing,
    )


def _of(key: str, what: str) -> str:
    """`when` of rule `x`: how a key of a statement is named in messages."""
    return _("`{key}` of {what}").format(key=key, what=what)


def _setting(name: str) -> str:
    return _("setting `{name}`").format(name=name)


def _must_be_string(what: str, node: YNode) -> str:
    return _("{what} must be a string, not {found}").format(what=what, found=node.describe())
