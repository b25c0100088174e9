"""Update the zh-CN catalog from the source: `python scripts/update_catalog.py`.

The messages marked with `_`, `N_` or `pgettext` in ttrules/ (extracted by Babel) and the enum
values and actions `i18n.display` shows and the help texts of every command and option
(`cli_help.help_messages`) are written to ttrules/locale/zh_CN/LC_MESSAGES/
ttrules.po; translations already there are kept, new messages get an empty one (fill it in:
tests/test_i18n.py fails until every message has one), and messages no longer in the source
are dropped.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from ttrules import i18n
from ttrules.cli import cli
from ttrules.cli_help import help_messages

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "ttrules" / "locale" / "zh_CN" / "LC_MESSAGES" / "ttrules.po"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


Message = str | tuple[str, str]  # a plural message is (singular, plural)


def source_messages() -> list[tuple[str | None, Message, list[tuple[str, int]]]]:
    """(context, message, where) of every message the source marks, in source order."""
    found: dict[tuple[str | None, Message], list[tuple[str, int]]] = {}
    package = ROOT / "ttrules"
    for filename, line, message, _comments, context in extract_from_dir(
        package, method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.setdefault((context, message), []).append((f"ttrules/{filename}", line))
    for context, value in i18n.display_messages():
        found.setdefault((context, value), [])
    for text, where in help_messages(cli):
        found.setdefault((None, text), []).extend(where)
    return [(context, message, where) for (context, message), where in found.items()]


def main() -> None:
    old = {}
    if PO.exists():
        with PO.open("rb") as handle:
            old = {(m.context, m.id): m.string for m in read_po(handle) if m.id}
    catalog = Catalog(locale="zh_CN", domain=i18n.DOMAIN, project="ttrules", charset="utf-8")
    for context, message, where in source_messages():
        empty = ("",) if isinstance(message, tuple) else ""  # Chinese: one plural form
        catalog.add(message, old.get((context, message), empty), locations=where, context=context)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=False)
    missing = sum(1 for m in catalog if m.id and not (m.string[0] if isinstance(m.id, tuple) else m.string))
    print(f"wrote {PO.relative_to(ROOT)}: {len(catalog)} messages, {missing} without a translation")


if __name__ == "__main__":
    main()
