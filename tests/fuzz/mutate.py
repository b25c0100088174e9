"""A hypothesis strategy that mutates a seed text the way fuzzers do, with the pieces that
have broken parsers before: huge numbers, bare CRs, byte order marks, control characters,
unbalanced quotes and brackets, YAML anchors and tags, keywords out of place."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

TOKENS = (
    "9" * 40,
    "9" * 4400,
    "1e999999",
    "-0",
    "010",
    "1:30",
    "99999999999999999999d",
    "%",
    " USD",
    " MYR",
    "\r",
    "\r\n",
    "\n",
    "\t",
    "\x00",
    "\x01",
    "\x85",
    "\u2028",
    "\ufeff",
    "\u0430",
    "珠宝",
    '"',
    "'",
    "\\",
    "\\u",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    ": ",
    "- ",
    "#",
    "&a ",
    "*a",
    "<<: ",
    "!!python/object:os.system ",
    "when ",
    "then ",
    "and ",
    "or ",
    "not ",
    "rule ",
    "ruleset ",
    "layer platform",
    "priority ",
    "because ",
    "forbid ",
    "limit ",
    "set ",
    "in ",
    "has(",
    "??",
    "order.total",
    "request.kind",
    "buyer.credit_score",
    "case.now",
    "null",
    "true",
    "[]",
    "{}",
    '"x"',
)


@st.composite
def mutated(draw: Any, seeds: tuple[str, ...], max_mutations: int = 6) -> str:
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, max_mutations))):
        if not text:
            text = draw(st.sampled_from(TOKENS))
            continue
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "insert", "delete", "replace", "repeat", "swap-lines"]))
        if kind == "insert":
            piece = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)))
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at + 1 :]
        elif kind == "repeat":
            span = text[at : at + draw(st.integers(1, 200))]
            text = text[:at] + span * draw(st.integers(2, 5)) + text[at:]
        else:
            lines = text.splitlines(keepends=True)
            if len(lines) > 1:
                i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
                text = "".join(lines)
    return text
