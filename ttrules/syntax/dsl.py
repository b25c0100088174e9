"""DSL text to AST.

The file is split into statements at their leading keyword (keywords are reserved, so this is
safe outside strings and comments) and each statement is parsed on its own: one syntax error
costs one statement, and every error in a file is reported in one run. lark trees and tokens
never leave this module.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import lark
from lark import v_args

from ttrules import ast
from ttrules.diagnostics import Diagnostic
from ttrules.i18n import N_, _
from ttrules.spans import SourceFile, Span
from ttrules.syntax.grammar import parser, terminal_display
from ttrules.syntax.literals import (
    KEYWORDS,
    MAX_DURATION_SECONDS,
    duration_seconds,
    is_enum_name,
    parse_money,
    priority_problem,
    too_many_digits,
)

MAX_EXPR_DEPTH = 64
STATEMENT_KEYWORDS = frozenset({"ruleset", "layer", "applies", "set", "limit", "rule", "forbid"})
_SCAN = re.compile(r'"(?:[^"\\\n\r]|\\.)*"?|#[^\n]*|[^\W\d]\w*|\S')

OffsetMap = Callable[[int], int]


@dataclass(frozen=True)
class Header:
    kind: str  # ruleset | layer | applies
    value: Any
    span: Span


@dataclass(frozen=True)
class _Clause:
    kind: str  # priority | when | then | because
    value: Any
    span: Span


@dataclass
class _Context:
    source: SourceFile
    offset: OffsetMap
    diagnostics: list[Diagnostic]

    def span(self, start: int, end: int) -> Span:
        return Span(self.source, self.offset(start), self.offset(end))

    def meta_span(self, meta: Any) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return self.span(meta.start_pos, meta.end_pos)

    def token_span(self, token: lark.Token) -> Span:
        start = token.start_pos or 0
        return self.span(start, token.end_pos if token.end_pos is not None else start + len(token))

    def error(self, code: str, message: str, span: Span | None, label: str = "", help: str = "") -> None:
        self.diagnostics.append(Diagnostic(code, message, span, label=label, help=help))


@v_args(meta=True)
class _Builder(lark.visitors.Transformer_NonRecursive):
    """One lark rule to one AST node."""

    def __init__(self, ctx: _Context) -> None:
        super().__init__()
        self.ctx = ctx

    # -- literals
    def _sized(self, meta: Any, text: str) -> bool:
        """Whether a number's text is within the literal limits (else TTR014, reported)."""
        problem = too_many_digits(text)
        if problem is not None:
            self.ctx.error(
                "TTR014",
                _("a literal too long: {problem}").format(problem=problem),
                self.ctx.meta_span(meta),
                help=_("numbers, amounts, percentages and durations have at most 30 digits"),
            )
        return problem is None

    def number(self, meta: Any, children: list[Any]) -> ast.Expr:
        text = str(children[0])
        value = Decimal(text) if self._sized(meta, text) else Decimal(0)
        return ast.NumberLit(value, span=self.ctx.meta_span(meta))

    def money(self, meta: Any, children: list[Any]) -> ast.Expr:
        text = str(children[0])
        # A literal too long (reported) stands as zero in its own currency.
        parsed = parse_money(text) if self._sized(meta, text) else (Decimal(0), text.split()[-1])
        amount, currency = parsed or (Decimal(0), "XXX")
        return ast.MoneyLit(amount, currency, span=self.ctx.meta_span(meta))

    def percent(self, meta: Any, children: list[Any]) -> ast.Expr:
        text = str(children[0])
        value = Decimal(text[:-1]) if self._sized(meta, text) else Decimal(0)
        return ast.PercentLit(value, span=self.ctx.meta_span(meta))

    def duration(self, meta: Any, children: list[Any]) -> ast.Expr:
        text = " ".join(str(tok) for tok in children)
        seconds = sum(duration_seconds(str(tok)) for tok in children) if self._sized(meta, text) else 0
        if abs(seconds) > MAX_DURATION_SECONDS:
            self.ctx.error(
                "TTR014",
                _("the duration `{text}` is longer than 999999999d").format(text=text[:40]),
                self.ctx.meta_span(meta),
                help=_("no real window is that long"),
            )
            seconds = 0
        return ast.DurationLit(seconds, text=text, span=self.ctx.meta_span(meta))

    def string(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.StringLit(self._string_value(children[0]), span=self.ctx.meta_span(meta))

    def true(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.BoolLit(True, span=self.ctx.meta_span(meta))

    def false(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.BoolLit(False, span=self.ctx.meta_span(meta))

    def _string_value(self, token: lark.Token) -> str:
        try:
            value = json.loads(str(token))
        except json.JSONDecodeError:
            self.ctx.error(
                "TTR004",
                _("invalid escape in string"),
                self.ctx.token_span(token),
                help=_('strings allow the escapes \\" \\\\ \\n \\t \\uXXXX'),
            )
            return str(token)[1:-1]
        return str(value)

    # -- names
    def path(self, meta: Any, parts: list[lark.Token]) -> ast.Expr:
        span = self.ctx.meta_span(meta)
        names = [str(p) for p in parts]
        if len(names) == 1:
            if is_enum_name(names[0]):
                return ast.EnumLit(names[0], span=span)
            return ast.SettingRef(names[0], span=span)
        if names[0] == "setting" and len(names) == 2:
            return ast.SettingRef(names[1], span=span)
        return ast.FieldRef(".".join(names), span=span)

    def call(self, meta: Any, children: list[Any]) -> ast.Expr:
        name, args = str(children[0]), tuple(c for c in children[1:] if c is not None)
        span = self.ctx.meta_span(meta)
        if name == "has" and len(args) == 1:
            return ast.Has(args[0], span=span)
        return ast.Call(name, args, span=span)

    def set_lit(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.SetLit(tuple(c for c in children if c is not None), span=self.ctx.meta_span(meta))

    # -- operators
    def not_(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.Not(children[0], span=self.ctx.meta_span(meta))

    def neg(self, meta: Any, children: list[Any]) -> ast.Expr:
        operand, span = children[0], self.ctx.meta_span(meta)
        # A minus sign on a number is part of the literal, so `-5` formats and re-parses as is.
        match operand:
            case ast.NumberLit(value=v):
                return ast.NumberLit(-v, span=span)
            case ast.MoneyLit(amount=a, currency=c):
                return ast.MoneyLit(-a, c, span=span)
            case ast.PercentLit(value=v):
                return ast.PercentLit(-v, span=span)
        return ast.Neg(operand, span=span)

    def compare(self, meta: Any, children: list[Any]) -> ast.Expr:
        left, op, right = children
        return ast.Compare(str(op), left, right, span=self.ctx.meta_span(meta))

    def in_(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.In(children[0], children[2], span=self.ctx.meta_span(meta))

    def not_in(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.In(children[0], children[2], negated=True, span=self.ctx.meta_span(meta))

    def between(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.Between(*children, span=self.ctx.meta_span(meta))

    def and_expr(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.And(_flatten(ast.And, children), span=self.ctx.meta_span(meta))

    def or_expr(self, meta: Any, children: list[Any]) -> ast.Expr:
        return ast.Or(_flatten(ast.Or, children), span=self.ctx.meta_span(meta))

    def coalesce(self, meta: Any, children: list[Any]) -> ast.Expr:
        result = children[0]
        for right in children[1:]:
            result = ast.Coalesce(result, right, span=_join(result, right))
        return result

    def sum(self, meta: Any, children: list[Any]) -> ast.Expr:
        return _fold_arith(children)

    def product(self, meta: Any, children: list[Any]) -> ast.Expr:
        return _fold_arith(children)

    # -- actions
    def action(self, meta: Any, children: list[Any]) -> ast.Action:
        name = str(children[0])
        args: list[ast.Expr] = []
        kwargs: list[tuple[str, ast.Expr]] = []
        for child in children[1:]:
            if child is None:
                continue
            if isinstance(child, tuple):
                kwargs.append(child)
            else:
                if kwargs:
                    self.ctx.error(
                        "TTR002",
                        _("positional argument after a named one"),
                        child.span,
                        help=_("put named arguments (`sla: 30m`) last"),
                    )
                args.append(child)
        return ast.Action(name, tuple(args), tuple(kwargs), span=self.ctx.meta_span(meta))

    def kwarg(self, meta: Any, children: list[Any]) -> tuple[str, ast.Expr]:
        return str(children[0]), children[1]

    def action_name(self, meta: Any, children: list[Any]) -> ast.Action:
        return ast.Action(str(children[0]), span=self.ctx.meta_span(meta))

    # -- entry points
    def expr_only(self, meta: Any, children: list[Any]) -> ast.Expr:
        return children[0]

    def actions_only(self, meta: Any, children: list[Any]) -> list[ast.Action]:
        return list(children)

    def limit_op(self, meta: Any, children: list[Any]) -> lark.Token:
        return children[0]

    def limit_only(self, meta: Any, children: list[Any]) -> tuple[str, lark.Token, ast.Expr]:
        return str(children[0]), children[1], children[2]

    # -- statements
    def ruleset_decl(self, meta: Any, children: list[Any]) -> Header:
        return Header("ruleset", self._string_value(children[0]), self.ctx.meta_span(meta))

    def layer_decl(self, meta: Any, children: list[Any]) -> Header:
        return Header("layer", str(children[0]), self.ctx.meta_span(meta))

    def applies_decl(self, meta: Any, children: list[Any]) -> Header:
        return Header("applies", children[0], self.ctx.meta_span(meta))

    def set_stmt(self, meta: Any, children: list[Any]) -> ast.SetStmt:
        name, value, when = children
        return ast.SetStmt(str(name), value, when.value if when else None, span=self.ctx.meta_span(meta))

    def limit_stmt(self, meta: Any, children: list[Any]) -> ast.LimitStmt | None:
        name, op, bound, when = children
        span = self.ctx.meta_span(meta)
        if str(op) not in ("<=", ">=", "in"):
            self.ctx.error(
                "TTR002",
                _("`limit` takes `<=`, `>=` or `in`, not `{op}`").format(op=op),
                self.ctx.token_span(op),
                help=_("e.g. `limit return_window <= 7d`"),
            )
        return ast.LimitStmt(str(name), str(op), bound, when.value if when else None, span=span)

    def priority_clause(self, meta: Any, children: list[Any]) -> _Clause:
        text = str(children[0])
        value = int(text) if self._sized(meta, text) else 0
        problem = priority_problem(value)
        if problem is not None:
            self.ctx.error("TTR014", problem, self.ctx.meta_span(meta), help=_("e.g. `priority 100`"))
            value = 0
        return _Clause("priority", value, self.ctx.meta_span(meta))

    def when_clause(self, meta: Any, children: list[Any]) -> _Clause:
        return _Clause("when", children[0], self.ctx.meta_span(meta))

    def then_clause(self, meta: Any, children: list[Any]) -> _Clause:
        return _Clause("then", tuple(children), self.ctx.meta_span(meta))

    def because_clause(self, meta: Any, children: list[Any]) -> _Clause:
        return _Clause("because", self._string_value(children[0]), self.ctx.meta_span(meta))

    def rule_stmt(self, meta: Any, children: list[Any]) -> ast.Rule:
        name_token, clauses = children[0], children[1:]
        span = self.ctx.meta_span(meta)
        found = self._clauses(clauses, ("priority", "when", "then", "because"))
        then = found.get("then")
        if then is None:
            self.ctx.error(
                "TTR007",
                _("rule `{name}` has no `then`").format(name=self._string_value(name_token)),
                self.ctx.token_span(name_token),
                help=_("add `then ACTION` (e.g. `then review`)"),
            )
        return ast.Rule(
            self._string_value(name_token),
            then.value if then else (),
            when=found["when"].value if "when" in found else None,
            priority=found["priority"].value if "priority" in found else 0,
            because=found["because"].value if "because" in found else None,
            span=span,
        )

    def forbid_stmt(self, meta: Any, children: list[Any]) -> ast.Forbid:
        actions = tuple(c for c in children if isinstance(c, ast.Action))
        found = self._clauses([c for c in children if isinstance(c, _Clause)], ("when", "because"))
        return ast.Forbid(
            actions,
            when=found["when"].value if "when" in found else None,
            because=found["because"].value if "because" in found else None,
            span=self.ctx.meta_span(meta),
        )

    def _clauses(self, clauses: list[_Clause], allowed: tuple[str, ...]) -> dict[str, _Clause]:
        found: dict[str, _Clause] = {}
        for clause in clauses:
            if clause.kind in found:
                self.ctx.error(
                    "TTR006",
                    _("`{clause}` is given twice").format(clause=clause.kind),
                    clause.span,
                    label=_("second one here"),
                    help=_("join conditions with `and`")
                    if clause.kind == "when"
                    else _("keep one `{clause}`").format(clause=clause.kind),
                )
                continue
            found[clause.kind] = clause
        return found

    def start(self, meta: Any, children: list[Any]) -> list[Any]:
        return children


def _flatten(kind: type, items: list[ast.Expr]) -> tuple[ast.Expr, ...]:
    out: list[ast.Expr] = []
    for item in items:
        if isinstance(item, kind):
            out.extend(item.items)  # type: ignore[attr-defined]
        else:
            out.append(item)
    return tuple(out)


def _join(left: ast.Node, right: ast.Node) -> Span | None:
    if left.span is None or right.span is None:
        return left.span or right.span
    return left.span.to(right.span)


def _fold_arith(children: list[Any]) -> ast.Expr:
    result = children[0]
    for op, right in zip(children[1::2], children[2::2], strict=True):
        result = ast.Arith(str(op), result, right, span=_join(result, right))
    return result


# ---- syntax errors -------------------------------------------------------------------


def _expected_words(expected: set[str]) -> str:
    names = terminal_display()
    # Inside one statement, the start of the next statement is never the useful suggestion.
    useful = {n for n in expected if names.get(n, "").strip("`") not in STATEMENT_KEYWORDS}
    words = sorted({_(names.get(name, name.lower())) for name in useful or expected})
    if len(words) > 8:
        words = [*words[:8], "…"]
    if len(words) == 1:
        return words[0]
    return _("{some} or {last}").format(some=", ".join(words[:-1]), last=words[-1])


_RESERVED = KEYWORDS

_CHAR_HELP = {
    "&": N_("use `and` instead of `&&`"),
    "|": N_("use `or` instead of `||`"),
    "!": N_("use `not` (and `!=` for inequality)"),
    "'": N_('strings use double quotes: "text"'),
    ";": N_("statements need no separator; start the next one on a new line"),
    "[": N_("sets are written with braces: `{A, B}`"),
}


def _syntax_error(error: lark.exceptions.LarkError, ctx: _Context, text: str) -> None:
    if isinstance(error, lark.UnexpectedCharacters):
        pos = error.pos_in_stream
        char = text[pos] if pos < len(text) else ""
        if char == '"':
            ctx.error(
                "TTR004",
                _("unterminated string"),
                ctx.span(pos, pos + 1),
                label=_("this string is never closed"),
                help=_('close it with `"` on the same line'),
            )
            return
        ctx.error(
            "TTR003",
            _("unexpected character `{char}`").format(char=char),
            ctx.span(pos, pos + 1),
            label=_("expected {words}").format(words=_expected_words(set(error.allowed or ()))),
            help=_(_CHAR_HELP[char]) if char in _CHAR_HELP else "",
        )
        return
    if isinstance(error, lark.UnexpectedToken):
        token = error.token
        expected = set(error.expected)
        if token.type == "$END":
            end = len(text.rstrip())
            ctx.error(
                "TTR002",
                _("unexpected end of statement"),
                ctx.span(max(0, end - 1), end),
                label=_("expected {words} after this").format(words=_expected_words(expected)),
            )
            return
        help_text = ""
        if str(token) == "=" and "COMP_OP" in expected:
            help_text = _("use `==` to compare")
        elif str(token).upper() in {"AND", "OR", "NOT"} and str(token) != str(token).lower():
            help_text = _("keywords are lower case: `{word}`").format(word=str(token).lower())
        elif "IDENT" in expected and str(token) in _RESERVED:
            help_text = _("`{word}` is a reserved word; choose another name").format(word=token)
        elif token.type == "IDENT" and "COMMA" in expected:
            help_text = _("separate actions with `,`")
        ctx.error(
            "TTR002",
            _("unexpected `{token}`").format(token=_shorten(str(token))),
            ctx.token_span(token),
            label=_("expected {words}").format(words=_expected_words(expected)),
            help=help_text,
        )
        return
    if isinstance(error, lark.UnexpectedEOF):
        end = len(text.rstrip())
        ctx.error(
            "TTR002",
            _("unexpected end of statement"),
            ctx.span(max(0, end - 1), end),
            label=_("expected {words}").format(words=_expected_words(set(error.expected))),
        )
        return
    ctx.error("TTR002", _("cannot parse: {problem}").format(problem=error), ctx.span(0, len(text)))


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- entry points -------------------------------------------------------------------


def parse_fragment(
    text: str, start: str, source: SourceFile, offset: OffsetMap, diagnostics: list[Diagnostic]
) -> Any:
    """Parse `text` from grammar entry `start`; spans go through `offset` into `source`."""
    ctx = _Context(source, offset, diagnostics)
    try:
        tree = parser().parse(text, start=start)
    except lark.exceptions.LarkError as error:
        _syntax_error(error, ctx, text)
        return None
    result = _Builder(ctx).transform(tree)
    if not _depth_ok(result, ctx):
        return None
    return result


def _depth_ok(result: Any, ctx: _Context) -> bool:
    exprs = [e for e in _expressions_in(result) if e is not None]
    for expr in exprs:
        depth = ast.expr_depth(expr)
        if depth > MAX_EXPR_DEPTH:
            ctx.error(
                "TTR008",
                _("expression nested {depth} levels deep (at most {limit})").format(
                    depth=depth, limit=MAX_EXPR_DEPTH
                ),
                expr.span,
                help=_("flatten it with `and`/`or` chains or `in {{...}}`").format(),
            )
            return False
    return True


def _expressions_in(item: Any) -> list[ast.Expr | None]:
    match item:
        case list():
            return [e for sub in item for e in _expressions_in(sub)]
        case tuple() if len(item) == 3 and isinstance(item[0], str):  # limit_only
            return [item[2]]
        case Header(kind="applies", value=v):
            return [v]
        case ast.SetStmt(value=v, when=w):
            return [v, w]
        case ast.LimitStmt(bound=b, when=w):
            return [b, w]
        case ast.Rule(when=w, actions=acts) | ast.Forbid(when=w, actions=acts):
            return [w, *(a for act in acts for a in act.args), *(v for act in acts for _, v in act.kwargs)]
        case ast.Action(args=args, kwargs=kwargs):
            return [*args, *(v for _, v in kwargs)]
        case Header():
            return []
        case _:
            return [item] if isinstance(item, ast.Node) else []


def split_statements(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
    """Statement chunks (start, end) and comments (offset, text) of a DSL file.

    A chunk starts at a statement keyword that begins a line. Splitting less often is always
    correct (the grammar accepts several statements in a chunk); it only coarsens recovery.
    Keywords are not reserved where the grammar expects a name (`set limit = 5`), which is
    why a keyword in the middle of a line never starts a chunk.
    """
    starts: list[int] = []
    comments: list[tuple[int, str]] = []
    previous_end = 0
    for match in _SCAN.finditer(text):
        token = match.group()
        first_on_line = previous_end == 0 or "\n" in text[previous_end : match.start()]
        previous_end = match.end()
        if token.startswith("#"):
            comments.append((match.start(), token[1:].strip()))
        elif token in STATEMENT_KEYWORDS and first_on_line:
            starts.append(match.start())
    if not starts or (text[: starts[0]].strip() and not _only_comments(text[: starts[0]])):
        starts.insert(0, 0)
    bounds = [*starts, len(text)]
    return [(a, b) for a, b in itertools.pairwise(bounds)], comments


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("#") for line in text.splitlines())


def parse_ruleset_dsl(source: SourceFile) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    chunks, comments = split_statements(source.text)
    items: list[Any] = []
    for start, end in chunks:
        parsed = parse_fragment(
            source.text[start:end], "start", source, lambda p, s=start: p + s, diagnostics
        )
        if parsed:
            items.extend(i for i in parsed if i is not None)
    ruleset = _assemble(source, items, comments, diagnostics)
    return ruleset, diagnostics


def _assemble(
    source: SourceFile, items: list[Any], comments: list[tuple[int, str]], diagnostics: list[Diagnostic]
) -> ast.Ruleset | None:
    headers: dict[str, Header] = {}
    statements: list[ast.Statement] = []
    for item in items:
        if isinstance(item, Header):
            if item.kind in headers:
                diagnostics.append(
                    Diagnostic(
                        "TTR016",
                        _("second `{kind}` statement").format(kind=item.kind),
                        item.span,
                        label=_("already given above"),
                    )
                )
                continue
            headers[item.kind] = item
        else:
            statements.append(item)
    statements, header_comments, trailing = attach_comments(
        statements, list(headers.values()), comments, source
    )
    start_span = Span(source, 0, min(1, len(source.text)))
    for kind in ("ruleset", "layer"):
        if kind not in headers:
            example = 'ruleset "my-shop"' if kind == "ruleset" else "layer merchant"
            diagnostics.append(
                Diagnostic(
                    "TTR005",
                    _("missing `{kind}` statement").format(kind=kind),
                    start_span,
                    help=_("start the file with `{example}`").format(example=example),
                )
            )
    if "ruleset" not in headers or "layer" not in headers:
        return None
    return ast.Ruleset(
        name=headers["ruleset"].value,
        layer=headers["layer"].value,
        applies=headers["applies"].value if "applies" in headers else None,
        settings=ast.group_settings([s for s in statements if isinstance(s, ast.SetStmt)]),
        limits=tuple(s for s in statements if isinstance(s, ast.LimitStmt)),
        rules=tuple(s for s in statements if isinstance(s, ast.Rule)),
        forbids=tuple(s for s in statements if isinstance(s, ast.Forbid)),
        header_comments=header_comments,
        trailing_comments=trailing,
        name_span=headers["ruleset"].span,
        layer_span=headers["layer"].span,
        span=Span(source, 0, len(source.text)),
    )


def attach_comments(
    statements: list[ast.Statement],
    headers: list[Header],
    comments: list[tuple[int, str]],
    source: SourceFile,
) -> tuple[list[ast.Statement], tuple[str, ...], tuple[str, ...]]:
    """Give each comment to the statement it precedes or sits in, so that nothing is lost."""
    ordered = sorted(statements, key=lambda s: s.span.start if s.span else 0)
    leading: dict[int, list[str]] = {}
    header: dict[int, str] = {}
    inner: dict[int, list[str]] = {}
    header_comments: list[str] = []
    trailing: list[str] = []
    header_end = max((h.span.end for h in headers), default=0)
    for offset, text in comments:
        owner = next(
            (i for i, s in enumerate(ordered) if s.span and s.span.start <= offset < s.span.end), None
        )
        if owner is not None:
            stmt_span = ordered[owner].span
            assert stmt_span is not None
            if source.line_col(offset)[0] == source.line_col(stmt_span.start)[0]:
                header[owner] = text if owner not in header else header[owner] + " " + text
            else:
                inner.setdefault(owner, []).append(text)
            continue
        following = next((i for i, s in enumerate(ordered) if s.span and s.span.start > offset), None)
        if following is not None and offset > header_end:
            leading.setdefault(following, []).append(text)
        elif following is None and offset > header_end and ordered:
            trailing.append(text)
        else:
            header_comments.append(text)
    result = []
    for i, stmt in enumerate(ordered):
        if i in leading or i in header or i in inner:
            stmt = replace(
                stmt,
                comments=ast.Comments(  # type: ignore[arg-type]
                    tuple(leading.get(i, ())), header.get(i, ""), tuple(inner.get(i, ()))
                ),
            )
        result.append(stmt)
    return result, tuple(header_comments), tuple(trailing)
