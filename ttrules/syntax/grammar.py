"""Loading the lark grammar shipped with the package."""

from __future__ import annotations

import functools

import lark

from ttrules.bundled import bundled
from ttrules.i18n import N_

START_SYMBOLS = ["start", "expr_only", "actions_only", "limit_only"]


def grammar_text() -> str:
    return bundled("ttrules.grammar").joinpath("ttrules.lark").read_text("utf-8")


@functools.cache
def parser() -> lark.Lark:
    return lark.Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        start=START_SYMBOLS,
        propagate_positions=True,
        maybe_placeholders=True,
    )


@functools.cache
def terminal_display() -> dict[str, str]:
    """How each terminal is named in a syntax error (in English: `_` translates it where shown)."""
    names = {
        "STRING": N_("a string"),
        "IDENT": N_("a name"),
        "NUMBER": N_("a number"),
        "MONEY": N_("an amount"),
        "DURATION": N_("a duration"),
        "PERCENT": N_("a percentage"),
        "COMP_OP": N_("a comparison"),
        "ADD_OP": N_("`+` or `-`"),
        "MUL_OP": N_("`*` or `/`"),
        "SIGNED_INT": N_("a whole number"),
        "IN": "`in`",
        "_AND": "`and`",
        "_OR": "`or`",
        "_NOT": "`not`",
        "$END": N_("the end of the file"),
    }
    for term in parser().terminals:
        if term.name not in names and term.pattern.type == "str":
            names[term.name] = f"`{term.pattern.value}`"
    return names
