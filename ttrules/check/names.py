"""Names that look alike: `a` and Cyrillic `а` are two rules to Python and one to a reviewer.

A name's look-alike key folds compatibility forms (NFKC: full-width `ａ` is `a`) and the
Cyrillic and Greek letters that are drawn like Latin ones, after Unicode's confusables table
(UTS #39) for those scripts. Chinese and other scripts are left as they are: their names are
normal here, and nothing in them is drawn like a Latin letter.
"""

from __future__ import annotations

import unicodedata

# Cyrillic and Greek letters whose glyphs are those of a Latin letter (UTS #39 confusables).
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("аеорсухіјѕԁһӏԛԝ", "aeopcyxijsdhlqw", strict=True)),
        **dict(zip("АВЕКМНОРСТУХІЈЅ", "ABEKMHOPCTYXIJS", strict=True)),
        **dict(zip("οαρνκιτ", "oapvkit", strict=True)),
        **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
    }
)


def lookalike_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).translate(_LOOKALIKES)


def unusual_letters(name: str, like: str) -> str:
    """The characters of `name` that differ from `like`, named: what makes two look-alikes two."""
    differing = [a for a, b in zip(name, like, strict=False) if a != b] or list(name)
    return ", ".join(f"`{c}` ({unicodedata.name(c, hex(ord(c)))})" for c in dict.fromkeys(differing))
