"""Generate docs pages from the code: `python -m ttrules.docgen`.

docs/diagnostics.md comes from the code registry and docs/case-schema.md from the field table;
a test compares the committed pages with this output, so they cannot drift from the code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ttrules import i18n
from ttrules.codes import CODES, EXAMPLE_CONFIG
from ttrules.fileio import write_text_atomic
from ttrules.i18n import N_, _

_RANGES = [
    ("TTR0", N_("Reading and parsing (TTR0xx)")),
    ("TTR1", N_("Schema, names and types (TTR1xx)")),
    ("TTR2", N_("Layering analysis (TTR2xx)")),
    ("TTR3", N_("Lints (TTR3xx)")),
    ("TTR4", N_("Rule tests (TTR4xx)")),
]


SECTIONS = ("What it catches", "Why it matters", "Example", "Fix")
_SECTION_WORDS = (N_("What it catches"), N_("Why it matters"), N_("Example"), N_("Fix"))

_INTRO = N_(
    "Every problem ttrules reports has a stable code. Each code has its own page: what it catches, "
    "why it matters, an example that triggers it and how to fix it. These pages are generated "
    "from the code registry (`ttrules/codes.py`) by `python -m ttrules.docgen`; do not edit them "
    "by hand."
)
_EXAMPLES = N_(
    "Every example is a small workspace, and a test runs the command each page shows on it and "
    "requires exactly that page's code. An example that shows no `ttrules.yaml` has this one:"
)


def render_diagnostics_page() -> str:
    """The index of codes, in the language being spoken (English: docs/, Chinese: docs/zh-CN/)."""
    english = i18n.language() == i18n.ENGLISH
    out = ["# " + _("Diagnostics"), ""]
    out += _paragraph(_(_INTRO)) if not english else _ENGLISH_INTRO
    out += [
        "",
        *(_paragraph(_(_EXAMPLES)) if not english else _ENGLISH_EXAMPLES),
        "",
        "```yaml",
        EXAMPLE_CONFIG.rstrip("\n"),
        "```",
        "",
    ]
    for prefix, title in _RANGES:
        out += [f"## {_(title)}", "", _("| code | name | what it catches |"), "|---|---|---|"]
        for doc in CODES.values():
            if doc.code.startswith(prefix):
                summary = _(doc.summary).replace("|", "\\|")  # a bar would end the table cell
                out.append(f"| [{doc.code}](codes/{doc.code}.md) | {doc.name} | {summary} |")
        out.append("")
    return "\n".join(out)


# The English index keeps its hand-wrapped lines (the pages in the repository are compared whole).
_ENGLISH_INTRO = [
    "Every problem ttrules reports has a stable code. Each code has its own page: what it",
    "catches, why it matters, an example that triggers it and how to fix it. These pages are",
    "generated from the code registry (`ttrules/codes.py`) by `python -m ttrules.docgen`; do",
    "not edit them by hand.",
]
_ENGLISH_EXAMPLES = [
    "Every example is a small workspace, and a test runs the command each page shows on it and",
    "requires exactly that page's code. An example that shows no `ttrules.yaml` has this one:",
]


def _paragraph(text: str) -> list[str]:
    return [text]


def render_code_page(code: str) -> str:
    doc = CODES[code]
    title = _(next(title for prefix, title in _RANGES if code.startswith(prefix)))
    sections = [_(word) for word in _SECTION_WORDS]
    example = doc.example.markdown(
        code, reports=_("{command} reports {code}{others}."), others=_(" (and {codes})"), translate=_
    )
    return "\n".join(
        [
            f"# {doc.code} {doc.name}",
            "",
            _("Family: {family}. All codes: [diagnostics](../diagnostics.md).").format(family=title),
            "",
            f"## {sections[0]}",
            "",
            _(doc.summary),
            "",
            f"## {sections[1]}",
            "",
            _(doc.why),
            "",
            f"## {sections[2]}",
            "",
            example,
            "",
            f"## {sections[3]}",
            "",
            _(doc.fix),
            "",
        ]
    )


def _in_chinese(render: Callable[[], str]) -> str:
    with i18n.speaking(i18n.CHINESE):
        return render()


_PRESENCE = {
    "required": "required: a case without it is rejected when loaded",
    "default": "may be absent: the default shown applies",
    "expected": "may be absent in real data: a rule reading a missing one is errored",
    "optional": "optional (`?`): rules must guard it with `has(...)` or `??`",
    "derived": "computed when the case is loaded; absent when its inputs are",
}


def render_case_schema_page() -> str:
    from ttrules.schema.enums import ALIASES, ENUMS, QUALITY_REASONS
    from ttrules.schema.fields import BUILTIN_FIELDS

    out = [
        "# The case schema",
        "",
        "What a rule sees: one after-sales request with its order, buyer and logistics facts.",
        "Field names and enum values follow the TikTok Shop Open API. This page is generated",
        "from the field table (`ttrules/schema/fields.py`) by `python -m ttrules.docgen`;",
        "`ttrules schema` prints the same, with your extension fields, and",
        "`ttrules schema --json-schema` the JSON Schema of a case file.",
        "",
        "## Fields",
        "",
        "| field | type | presence | meaning |",
        "|---|---|---|---|",
    ]
    for spec in BUILTIN_FIELDS:
        type_text = spec.type.display() + ("?" if spec.optional else "")
        default = f" Default: `{spec.default}`." if spec.default else ""
        out.append(f"| `{spec.path}` | {type_text} | {spec.presence} | {spec.description}.{default} |")
    out += ["", "Presence:", ""]
    out += [f"- **{name}**: {text}." for name, text in _PRESENCE.items()]
    out += ["", "## Enumerations", ""]
    for name, members in ENUMS.items():
        out.append(f"- **{name}**: " + ", ".join(f"`{m}`" for m in members))
    out += [
        "",
        "`request.is_quality_issue` is true for "
        + ", ".join(f"`{r}`" for r in sorted(QUALITY_REASONS))
        + ".",
        "",
        "Values are matched case-insensitively; known spelling drift is normalised ("
        + "; ".join(f"{e}: " + ", ".join(f"`{a}` → `{c}`" for a, c in m.items()) for e, m in ALIASES.items())
        + "). Unknown values are kept as they came: never a load error, they only compare "
        "unequal to every known value.",
        "",
        "## Values in case files",
        "",
        '- **money**: `"12.50 USD"`, `{"amount": "12.50", "currency": "USD"}`, or a bare '
        "number in `order.currency` (which defaults to the currency of `order.total`). JSON "
        "numbers are read as exact decimals, never binary floats. An amount is never negative "
        "(a reversal line is not a case) and has at most 32 digits before the point; a row that "
        "breaks either is skipped with its number.",
        "- **timestamp**: ISO 8601 (`2026-05-01T10:00:00Z`; without a zone it is UTC) or a Unix "
        "time in seconds (a number or a cell of digits), whatever its size: `30000000000` is the "
        "year 2920, never milliseconds; a time in milliseconds is out of range and says so.",
        '- **percent** (an extension field declared `percent`): `"80%"`, or a fraction: '
        "`0.8` (or a cell `0.8`) is 80 %, as a percentage is a number in the rules.",
        "- **set** (`request.evidence`): a JSON list.",
        '- Keys may be nested (`{"order": {"total": …}}`) or dotted (`{"order.total": …}`).',
        "",
        "## Reason codes",
        "",
        "`request.reason` is derived from `request.reason_code` (a TikTok reason name such as",
        "`ecom_order_to_ship_canceled_reason_no_longer_needed`) through the shipped table of",
        "every market's official codes (`ttrules/schema/data/reason_codes.csv`, built by",
        "`scripts/build_reason_table.py`). A code not in the table reads as `OTHER`. A seller's",
        "reasons for rejecting a request map to `OTHER`: they say nothing about why the buyer asked.",
        "",
        "## Extension fields",
        "",
        "Declare fields your data has under `fields:` in `ttrules.yaml`:",
        "",
        "```yaml",
        "fields:",
        "  order.restock_days: int?     # ? makes it optional",
        "  buyer.vip_level: int",
        "  order.tags: set[str]",
        "```",
        "",
        "Types: `int`, `number`, `money`, `duration`, `timestamp`, `str`, `bool`, `percent`, an "
        "enumeration name, `set[T]`; `?` for optional. The namespace must be one of `case`, "
        "`order`, `request`, `buyer`, `logistics`, `dropship`. A value of the wrong type "
        "rejects the case with the field's path.",
        "",
        "## History records",
        "",
        "A record for simulation is a case plus `outcome.decision`, `outcome.refunded` (money), "
        "`outcome.abuse` (bool) and `outcome.handling_minutes`. Rules cannot read `outcome.*`: "
        "it is what happened later.",
        "",
    ]
    return "\n".join(out)


def _in_english(render: Callable[[], str]) -> str:
    with i18n.speaking(i18n.ENGLISH):
        return render()


PAGES: dict[str, Callable[[], str]] = {
    "docs/diagnostics.md": partial(_in_english, render_diagnostics_page),
    "docs/case-schema.md": render_case_schema_page,
    **{f"docs/codes/{code}.md": partial(_in_english, partial(render_code_page, code)) for code in CODES},
    "docs/zh-CN/diagnostics.md": partial(_in_chinese, render_diagnostics_page),
    **{
        f"docs/zh-CN/codes/{code}.md": partial(_in_chinese, partial(render_code_page, code)) for code in CODES
    },
}


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    for name, render in PAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(root / name, render())
        print(f"wrote {root / name}")


if __name__ == "__main__":
    main()
