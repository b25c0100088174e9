"""The language ttrules speaks to people: English (the source) or Simplified Chinese.

Chosen, in order, by `--lang`, `TTRULES_LANG`, then the locale (`LC_ALL`, `LC_MESSAGES`,
`LANG`); anything that is not Chinese is English. Messages are gettext catalogs managed with
Babel (`ttrules/locale/zh_CN/LC_MESSAGES/ttrules.po`, read as it is, so the catalog in the
repository is the one that runs); a test fails when a string marked for translation has no
zh-CN entry. Machine output (JSON, SARIF, the decision log) never changes with the language.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from importlib import resources

ENGLISH, CHINESE = "en", "zh-CN"
LANGUAGES = (ENGLISH, CHINESE)
DOMAIN = "ttrules"

_chosen: str | None = None


def normalise(tag: str | None) -> str | None:
    """`zh_CN.UTF-8`, `zh-cn`, `zh_Hans`, `zh` -> zh-CN; `en_US`, `C`, `POSIX` -> en; '' -> None."""
    if not tag:
        return None
    base = tag.split(".")[0].split("@")[0].replace("_", "-").lower()
    if base.startswith("zh"):
        return CHINESE
    return ENGLISH


def set_language(tag: str | None) -> None:
    """`--lang`: overrides the environment; None goes back to it."""
    global _chosen
    _chosen = normalise(tag)


@contextlib.contextmanager
def speaking(tag: str) -> Iterator[None]:
    """Everything inside in the language `tag` (the docs generator writes both languages)."""
    global _chosen
    before, _chosen = _chosen, normalise(tag)
    try:
        yield
    finally:
        _chosen = before


def language() -> str:
    if _chosen is not None:
        return _chosen
    for variable in ("TTRULES_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        found = normalise(os.environ.get(variable))
        if found is not None:
            return found
    return ENGLISH


@functools.cache
def catalog(lang: str) -> dict[tuple[str | None, str], str]:
    """(context, message) -> translation for `lang`; English has none (its messages are the
    source)."""
    if lang == ENGLISH:
        return {}
    from babel.messages.pofile import read_po

    folder = lang.replace("-", "_")
    path = resources.files("ttrules").joinpath("locale", folder, "LC_MESSAGES", f"{DOMAIN}.po")
    with path.open("rb") as handle:
        messages = read_po(handle)
    found: dict[tuple[str | None, str], str] = {}
    for m in messages:
        if not m.id or m.fuzzy:
            continue
        # A plural message is keyed by its singular: Chinese has one form for every count.
        key, text = (m.id[0], m.string[0]) if isinstance(m.id, tuple) else (m.id, m.string)
        if text:
            found[(m.context, str(key))] = str(text)
    return found


def _(message: str) -> str:
    """`message` in the chosen language (the English text when it has no translation)."""
    return catalog(language()).get((None, message), message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The message for `count` things: English picks the singular for one; a translation (of a
    language with one form, as Chinese) is used for every count."""
    translated = catalog(language()).get((None, singular))
    if translated is not None:
        return translated
    return singular if count == 1 else plural


def pgettext(context: str, message: str) -> str:
    return catalog(language()).get((context, message), message)


def display(kind: str, value: str) -> str:
    """An enum value or an action as people read it in the chosen language, with the
    identifier the DSL uses beside it: `人工审核 (review)`. English shows the identifier."""
    shown = pgettext(kind, value)
    return value if shown == value else f"{shown} ({value})"


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined; `_` translates it where it is shown."""
    return message


def display_messages() -> list[tuple[str, str]]:
    """(context, value) of every enum value and action `display` shows: the catalog needs a
    translation for each, and the completeness test asks for it."""
    from ttrules.actions import ACTIONS
    from ttrules.schema.enums import ENUMS

    shown = [("resolution", a) for a, spec in ACTIONS.items() if spec.slot == "resolution"]
    shown += [("rule status", s) for s in ("kept", "added", "deleted")]
    shown += [
        (enum, value) for enum in ("RequestKind", "OrderStatus", "ReasonCategory") for value in ENUMS[enum]
    ]
    return shown
