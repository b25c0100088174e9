"""Focused tests of syntax helpers whose edge cases the goldens do not pin down."""

from __future__ import annotations

from ttrules import ast
from ttrules.spans import SourceFile
from ttrules.syntax import parse_ruleset_text
from ttrules.syntax.dsl import parse_fragment, split_statements
from ttrules.syntax.format import format_expr
from ttrules.syntax.yaml_comments import yaml_comments


def parse_expr(text: str) -> ast.Expr:
    diagnostics: list = []
    expr = parse_fragment(text, "expr_only", SourceFile("x", text), lambda p: p, diagnostics)
    assert not diagnostics
    return expr


def test_yaml_comments_skip_quotes_and_block_scalars() -> None:
    text = (
        '# top\nruleset: "a # not"\nrules:\n  - name: x  # eol\n    when: |\n'
        "      a # part of the scalar\n      b\n    then: [approve]  # after\n# end\n"
    )
    found = [t for _, t in yaml_comments(text)]
    assert found == ["top", "eol", "after", "end"]


def test_yaml_expression_spans_point_into_the_file() -> None:
    text = (
        "ruleset: r\nlayer: merchant\nrules:\n  - name: a\n"
        "    when: 'order.total > 5 USD'\n    then: [approve]\n"
    )
    ruleset, diagnostics = parse_ruleset_text(text, "r.yaml")
    assert ruleset is not None and not diagnostics
    when = ruleset.rules[0].when
    assert when is not None and when.span is not None
    assert when.span.start_line_col() == (5, 12)
    assert when.span.text() == "order.total > 5 USD"


def test_precedence_and_folding() -> None:
    assert parse_expr("-5") == ast.NumberLit(-5)  # a sign is part of the literal
    assert parse_expr("a - -5") == ast.Arith("-", ast.SettingRef("a"), ast.NumberLit(-5))
    expr = parse_expr("x ?? 1 > 2 and not y or z")
    assert isinstance(expr, ast.Or) and isinstance(expr.items[0], ast.And)
    assert parse_expr("a and (b and c)") == parse_expr("a and b and c")  # n-ary, flattened
    assert format_expr(parse_expr("(a + b) * c - (d - e)")) == "(a + b) * c - (d - e)"


def test_keywords_are_names_where_names_belong() -> None:
    ruleset, diagnostics = parse_ruleset_text('ruleset "k"\nlayer merchant\nset limit = 5\n', "k.ttr")
    assert ruleset is not None and not diagnostics
    assert ruleset.settings[0].name == "limit"


def test_statements_split_only_at_line_starts() -> None:
    text = 'ruleset "x" layer merchant\nrule "a"\n  when order.total < 5 USD then approve\nset y = 1\n'
    chunks, _ = split_statements(text)
    assert [text[a:b].split()[0] for a, b in chunks] == ["ruleset", "rule", "set"]


def test_durations_keep_their_written_unit() -> None:
    assert format_expr(parse_expr("48h")) == "48h"
    assert parse_expr("48h") == parse_expr("2d")
