"""East Asian text in diagnostics: carets are placed and sized in terminal columns."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ttrules.diagnostics import render_text_all
from ttrules.textwidth import width

from helpers import check_texts


def _caret_line(rule_when: str) -> tuple[str, str]:
    text = f'ruleset "m"\nlayer merchant\nrule "r"\n  when {rule_when}\n  then review\n'
    rendered = render_text_all(check_texts([text])).splitlines()
    source = next(line for line in rendered if line.startswith("4 | "))
    caret = rendered[rendered.index(source) + 1]
    return source[len("4 | ") :], caret[len("  | ") :]


def test_a_caret_after_chinese_text_stands_under_its_token() -> None:
    source, caret = _caret_line('order.category == "珠宝" and order.totl < 30 USD')
    start = caret.index("^")
    assert width(source[: source.index("order.totl")]) == start
    assert caret[start:].split(" ")[0] == "^" * len("order.totl")


def test_a_span_over_chinese_text_is_as_wide_as_it_shows() -> None:
    source, caret = _caret_line('order.total > "三十美元"')
    span = 'order.total > "三十美元"'
    assert caret.index("^") == width(source[: source.index(span)])
    assert caret.count("^") == width(span) == len(span) + 4  # four characters of two columns each


def test_display_width_counts_wide_narrow_and_combining_characters() -> None:
    assert width("abc") == 3
    assert width("珠宝") == 4
    assert width("ＡＢ") == 4  # full-width Latin
    assert width("e\u0301") == 1  # a combining accent takes no column


def test_chinese_setting_rule_and_because_texts_decide_as_documented() -> None:
    """docs/language.md: `set 小额上限 = 30 USD` and Chinese names and texts are ordinary."""
    from helpers import BASE_CASE, engine_from_texts

    text = (
        'ruleset "珠宝退货"\nlayer merchant\nset 小额上限 = 30 USD\n'
        'rule "珠宝小额取消"\n  when order.total < 小额上限\n  then approve\n  because "小额取消，直接同意"\n'
    )
    decision = engine_from_texts([text]).decide(BASE_CASE)
    assert decision.resolution.action == "approve"
    assert decision.resolution.rule is not None
    assert (decision.resolution.rule.name, decision.resolution.rule.because) == (
        "珠宝小额取消",
        "小额取消，直接同意",
    )


@given(
    st.lists(
        st.sampled_from(["退款", "仅退款", "，", "。", "（", "）", "refund", " ", "--max-skipped", "珠宝"]),
        max_size=40,
    ),
    st.integers(min_value=8, max_value=60),
)
def test_wrapped_lines_fit_their_columns_and_keep_every_character(parts: list[str], columns: int) -> None:
    from ttrules.textwidth import width, wrap

    text = "".join(parts).strip()
    lines = wrap(text, columns)
    longest_token = max((width(word) for word in text.split()), default=0)
    # A word longer than a line gets one of its own, with the punctuation that may not start the
    # next line (a space and a full-width comma: three columns more).
    assert all(width(line) <= max(columns, longest_token + 3) for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line.startswith(("，", "。", "）")) for line in lines[1:])


def test_lines_of_chinese_are_joined_without_a_space() -> None:
    from ttrules.textwidth import join_lines

    assert join_lines(["重放历史数据", "报告变化"]) == "重放历史数据报告变化"
    assert join_lines(["Replay the", "history"]) == "Replay the history"
    assert join_lines(["超过 --max-skipped", "百分比"]) == "超过 --max-skipped百分比"
