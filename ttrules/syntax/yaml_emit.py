"""AST to the YAML form (`ttrules convert --to yaml`).

Written by hand rather than through a YAML dumper so that comments survive and the output
has a stable, readable layout; scalars are quoted by PyYAML's own rules.
"""

from __future__ import annotations

import yaml

from ttrules import ast
from ttrules.syntax.format import format_action, format_expr, format_limit_body

# Characters YAML reads as line breaks, or does not print, inside a scalar.
_YAML_UNSAFE = frozenset("\x85\u2028\u2029\ufeff")


def scalar(text: str) -> str:
    """A string as a YAML scalar, quoted only where YAML needs it."""
    if any(c in _YAML_UNSAFE or not c.isprintable() for c in text):
        return _double_quoted(text)
    dumped = yaml.safe_dump(text, allow_unicode=True, default_flow_style=False, width=10_000)
    dumped = dumped.removesuffix("\n...\n").rstrip("\n")
    return dumped


def _double_quoted(text: str) -> str:
    """A YAML double-quoted scalar with YAML's own escapes (astral characters as \\U)."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable() and char not in _YAML_UNSAFE:
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _comments(comments: ast.Comments | tuple[str, ...], indent: str) -> list[str]:
    if isinstance(comments, ast.Comments):
        texts = [*comments.leading, *([comments.header] if comments.header else []), *comments.inner]
    else:
        texts = list(comments)
    # A comment is one YAML line whatever it holds: characters YAML takes for a line break
    # (U+0085, U+2028, ...) end the comment line here, and characters YAML refuses are escaped.
    return [f"{indent}# {_printable(part)}".rstrip() for t in texts for part in (t.splitlines() or [""])]


def _printable(text: str) -> str:
    return "".join(ch if _YAML_PRINTABLE(ch) else f"\\u{ord(ch):04x}" for ch in text)


def _YAML_PRINTABLE(ch: str) -> bool:
    code = ord(ch)
    return (
        code == 0x09
        or 0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    ) and code not in (0x2028, 0x2029, 0xFEFF)


def _condition(key: str, expr: ast.Expr, indent: str) -> list[str]:
    if isinstance(expr, ast.And | ast.Or):
        kind = "all" if isinstance(expr, ast.And) else "any"
        lines = [f"{indent}{key}:", f"{indent}  {kind}:"]
        lines += [f"{indent}    - {scalar(format_expr(item))}" for item in expr.items]
        return lines
    return [f"{indent}{key}: {scalar(format_expr(expr))}"]


def _actions(key: str, actions: tuple[ast.Action, ...], indent: str) -> list[str]:
    texts = [format_action(a) for a in actions]
    if all(a.isidentifier() for a in texts):
        return [f"{indent}{key}: [" + ", ".join(texts) + "]"]
    return [f"{indent}{key}:"] + [f"{indent}  - {scalar(t)}" for t in texts]


def _key(name: str) -> str:
    """A mapping key: YAML allows a plain key of at most 1024 characters, so a longer name is
    written as an explicit key (`? name` on its own line, the value after `: `)."""
    text = scalar(name)
    return text if len(text) <= 1000 else f"? {text}\n  "


def emit_ruleset_yaml(ruleset: ast.Ruleset) -> str:
    lines = _comments(ruleset.header_comments, "")
    lines += [f"ruleset: {scalar(ruleset.name)}", f"layer: {scalar(ruleset.layer)}"]
    if ruleset.applies is not None:
        lines += _condition("applies", ruleset.applies, "")
    if ruleset.settings:
        lines.append("settings:")
        by_name: dict[str, list[ast.SetStmt]] = {}
        for stmt in ruleset.settings:
            by_name.setdefault(stmt.name, []).append(stmt)
        for name, stmts in by_name.items():
            for stmt in stmts:
                lines += _comments(stmt.comments, "  ")
            key = _key(name)
            if len(stmts) == 1 and stmts[0].when is None:
                lines.append(f"  {key}: {scalar(format_expr(stmts[0].value))}")
                continue
            lines.append(f"  {key}:")
            for stmt in stmts:
                lines.append(f"    - value: {scalar(format_expr(stmt.value))}")
                if stmt.when is not None:
                    lines += _condition("when", stmt.when, "      ")
    if ruleset.limits:
        lines.append("limits:")
        for limit in ruleset.limits:
            lines += _comments(limit.comments, "  ")
            lines.append(f"  - limit: {scalar(format_limit_body(limit))}")
            if limit.when is not None:
                lines += _condition("when", limit.when, "    ")
    if ruleset.rules:
        lines.append("rules:")
        for rule in ruleset.rules:
            lines += _comments(rule.comments, "  ")
            lines.append(f"  - name: {scalar(rule.name)}")
            if rule.priority:
                lines.append(f"    priority: {rule.priority}")
            if rule.when is not None:
                lines += _condition("when", rule.when, "    ")
            lines += _actions("then", rule.actions, "    ")
            if rule.because is not None:
                lines.append(f"    because: {scalar(rule.because)}")
    if ruleset.forbids:
        lines.append("forbids:")
        for forbid in ruleset.forbids:
            lines += _comments(forbid.comments, "  ")
            lines += ["  - forbid: [" + ", ".join(a.name for a in forbid.actions) + "]"]
            if forbid.when is not None:
                lines += _condition("when", forbid.when, "    ")
            if forbid.because is not None:
                lines.append(f"    because: {scalar(forbid.because)}")
    lines += _comments(ruleset.trailing_comments, "")
    return "\n".join(lines) + "\n"


def dump_yaml(data: object, header: str = "") -> str:
    """Plain data as a YAML document (block style, keys in the given order, Unicode kept);
    strings that YAML would read as something else (dates, numbers, booleans) are quoted."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
