"""AST to canonical DSL text (`ttrules fmt`).

Canonical means: header, settings grouped by name, limits, then rules and forbids in source
order, each clause on its own line in a fixed order, two-space indents, minimal parentheses,
long `when` conditions broken before each top-level `and`/`or`. Comments are kept.
"""

from __future__ import annotations

import json

from ttrules import ast
from ttrules.syntax.literals import KEYWORDS, duration_seconds, format_decimal, format_duration, is_enum_name

LINE_WIDTH = 88

# Binding strength; an operand printed where a stronger one is required gets parentheses.
_OR, _AND, _NOT, _CMP, _COALESCE, _SUM, _PRODUCT, _UNARY, _ATOM = range(1, 10)


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _precedence(expr: ast.Expr) -> int:
    match expr:
        case ast.Or():
            return _OR
        case ast.And():
            return _AND
        case ast.Not():
            return _NOT
        case ast.Compare() | ast.In() | ast.Between():
            return _CMP
        case ast.Coalesce():
            return _COALESCE
        case ast.Arith(op="+" | "-"):
            return _SUM
        case ast.Arith():
            return _PRODUCT
        case ast.Neg():
            return _UNARY
        case ast.NumberLit(value=v) | ast.PercentLit(value=v) | ast.MoneyLit(amount=v) if v < 0:
            return _UNARY
        case _:
            return _ATOM


def format_expr(expr: ast.Expr, required: int = 0) -> str:
    text = _format(expr)
    return f"({text})" if _precedence(expr) < required else text


def _format(expr: ast.Expr) -> str:
    match expr:
        case ast.NumberLit(value=v):
            return format_decimal(v)
        case ast.PercentLit(value=v):
            return f"{format_decimal(v)}%"
        case ast.MoneyLit(amount=a, currency=c):
            return f"{format_decimal(a)} {c}"
        case ast.DurationLit(seconds=s, text=written):
            return written if written and duration_seconds(written) == s else format_duration(s)
        case ast.StringLit(value=v):
            return quote(v)
        case ast.BoolLit(value=v):
            return "true" if v else "false"
        case ast.EnumLit(name=n):
            return n
        case ast.SetLit(items=items):
            return "{" + ", ".join(format_expr(i) for i in items) + "}"
        case ast.FieldRef(path=p):
            return p
        case ast.SettingRef(name=n):
            return n if n not in KEYWORDS and not is_enum_name(n) and n.isidentifier() else f"setting.{n}"
        case ast.Not(operand=o):
            return "not " + format_expr(o, _NOT)
        case ast.Neg(operand=o):
            return "-" + format_expr(o, _UNARY + 1 if _is_negative_literal(o) else _UNARY)
        case ast.Arith(op=op, left=left, right=right):
            level = _SUM if op in "+-" else _PRODUCT
            return f"{format_expr(left, level)} {op} {format_expr(right, level + 1)}"
        case ast.Compare(op=op, left=left, right=right):
            return f"{_operand(left)} {op} {_operand(right)}"
        case ast.In(item=item, collection=coll, negated=neg):
            word = "not in" if neg else "in"
            return f"{_operand(item)} {word} {_operand(coll)}"
        case ast.Between(value=v, low=lo, high=hi):
            return f"{_operand(v)} between {_operand(lo)} and {_operand(hi)}"
        case ast.And(items=items):
            return " and ".join(format_expr(i, _AND + 1) for i in items)
        case ast.Or(items=items):
            return " or ".join(format_expr(i, _OR + 1) for i in items)
        case ast.Has(target=t):
            return f"has({format_expr(t)})"
        case ast.Coalesce(value=v, default=d):
            return f"{format_expr(v, _COALESCE)} ?? {format_expr(d, _SUM)}"
        case ast.Call(name=n, args=args):
            return f"{n}(" + ", ".join(format_expr(a) for a in args) + ")"
    raise TypeError(f"not an expression: {expr!r}")


def _operand(expr: ast.Expr) -> str:
    """A comparison operand; `??` is bracketed for the reader, though it binds tighter."""
    if isinstance(expr, ast.Coalesce):
        return f"({_format(expr)})"
    return format_expr(expr, _COALESCE)


def _is_negative_literal(expr: ast.Expr) -> bool:
    return _precedence(expr) == _UNARY and not isinstance(expr, ast.Neg)


def format_action(action: ast.Action) -> str:
    if not action.args and not action.kwargs:
        return action.name
    parts = [format_expr(a) for a in action.args]
    parts += [f"{k}: {format_expr(v)}" for k, v in action.kwargs]
    return f"{action.name}(" + ", ".join(parts) + ")"


def format_condition(keyword: str, expr: ast.Expr, indent: str) -> list[str]:
    """`when EXPR`; a top-level `and`/`or` chain of three or more conditions, or one too long
    for a line, is broken before each `and`/`or`, one condition per line."""
    one_line = f"{indent}{keyword} {format_expr(expr)}"
    if not isinstance(expr, ast.And | ast.Or) or (len(one_line) <= LINE_WIDTH and len(expr.items) < 3):
        return [one_line]
    joiner = "and" if isinstance(expr, ast.And) else "or"
    level = _AND + 1 if joiner == "and" else _OR + 1
    # Right-align the joiner under the keyword so the conditions line up (as in the SPEC).
    pad = " " * max(len(keyword) - len(joiner), 1)
    lines = [f"{indent}{keyword} {format_expr(expr.items[0], level)}"]
    lines += [f"{indent}{pad}{joiner} {format_expr(i, level)}" for i in expr.items[1:]]
    return lines


def _comment_lines(comments: tuple[str, ...], indent: str = "") -> list[str]:
    return [f"{indent}# {c}".rstrip() for c in comments]


def _with_header(line: str, comments: ast.Comments) -> str:
    return f"{line}  # {comments.header}" if comments.header else line


def format_rule(rule: ast.Rule) -> list[str]:
    lines = _comment_lines(rule.comments.leading)
    lines.append(_with_header(f"rule {quote(rule.name)}", rule.comments))
    lines += _comment_lines(rule.comments.inner, "  ")
    if rule.priority:
        lines.append(f"  priority {rule.priority}")
    if rule.when is not None:
        lines += format_condition("when", rule.when, "  ")
    lines.append("  then " + ", ".join(format_action(a) for a in rule.actions))
    if rule.because is not None:
        lines.append(f"  because {quote(rule.because)}")
    return lines


def format_forbid(forbid: ast.Forbid) -> list[str]:
    lines = _comment_lines(forbid.comments.leading)
    lines.append(_with_header("forbid " + ", ".join(a.name for a in forbid.actions), forbid.comments))
    lines += _comment_lines(forbid.comments.inner, "  ")
    if forbid.when is not None:
        lines += format_condition("when", forbid.when, "  ")
    if forbid.because is not None:
        lines.append(f"  because {quote(forbid.because)}")
    return lines


def format_limit_body(limit: ast.LimitStmt) -> str:
    """`NAME <= BOUND`: what follows `limit` in the DSL and `limit:` in YAML."""
    return f"{limit.name} {limit.op} {format_expr(limit.bound, _COALESCE)}"


def _format_simple(stmt: ast.SetStmt | ast.LimitStmt) -> list[str]:
    if isinstance(stmt, ast.SetStmt):
        line = f"set {stmt.name} = {format_expr(stmt.value)}"
    else:
        line = f"limit {format_limit_body(stmt)}"
    if stmt.when is not None:
        line += f" when {format_expr(stmt.when)}"
    lines = _comment_lines(stmt.comments.leading)
    lines.append(_with_header(line, stmt.comments))
    lines += _comment_lines(stmt.comments.inner)
    return lines


def format_ruleset(ruleset: ast.Ruleset) -> str:
    blocks: list[list[str]] = []
    header = _comment_lines(ruleset.header_comments)
    header += [f"ruleset {quote(ruleset.name)}", f"layer {ruleset.layer}"]
    if ruleset.applies is not None:
        header += format_condition("applies", ruleset.applies, "")
    blocks.append(header)
    if ruleset.settings:
        blocks.append([line for s in ruleset.settings for line in _format_simple(s)])
    if ruleset.limits:
        blocks.append([line for s in ruleset.limits for line in _format_simple(s)])
    statements: list[ast.Rule | ast.Forbid] = [*ruleset.rules, *ruleset.forbids]
    statements.sort(key=lambda s: s.span.start if s.span else 0)
    for stmt in statements:
        blocks.append(format_rule(stmt) if isinstance(stmt, ast.Rule) else format_forbid(stmt))
    if ruleset.trailing_comments:
        blocks.append(_comment_lines(ruleset.trailing_comments))
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"
