"""Generate docs/diagnostics.md from the code registry: `python -m ttrules.docgen`.

A test compares the committed page with this output, so the page cannot drift from the codes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ttrules.codes import CODES

_RANGES = [("TTR0", "Reading and parsing (TTR0xx)"), ("TTR1", "Schema, names and types (TTR1xx)")]


def render_diagnostics_page() -> str:
    out = ["# Diagnostics", "",
           "Every problem `ttrules check` reports has a stable code. This page is generated from",
           "the code registry (`ttrules/codes.py`) by `python -m ttrules.docgen`; do not edit it",
           "by hand.", "",
           "Each entry says what the check catches, why it matters, an example that triggers it",
           "and how to fix it.", ""]
    for prefix, title in _RANGES:
        out += [f"## {title}", ""]
        for doc in CODES.values():
            if not doc.code.startswith(prefix):
                continue
            out += [f"### {doc.code} {doc.name}", "", f"**What it catches.** {doc.summary}", "",
                    f"**Why it matters.** {doc.why}", "", "**Example.**", "", "```",
                    doc.example, "```", "", f"**Fix.** {doc.fix}", ""]
    return "\n".join(out)


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/diagnostics.md")
    target.write_text(render_diagnostics_page(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
