"""From the sweep's figures to a recommendation per group, under the user's constraints.

- `--cover X`: the smallest value whose coverage (the share of the group's records its
  comparison admits) reaches X, among the values that meet the other constraints;
- without `--cover`: the largest value that meets them (the most automation within the risk
  the user accepts);
- `--max-abuse X`: the share of the group's automatic refunds that went to records labelled
  abusive is at most X;
- `--max-gaming-ratio R`: just below / just above the value (5 % bands) is at most R, judged
  only when at least GAMING_MIN_BELOW records are just below (fewer say nothing).

A group with no value meeting them gets no recommendation and keeps its current rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ttrules.i18n import _
from ttrules.simulate.metrics import GAMING_MIN_BELOW, money_text, share_text
from ttrules.suggest.sweep import NONE_KEY, Cell, Sweep
from ttrules.suggest.target import Value, value_text


@dataclass(frozen=True)
class Constraints:
    cover: Decimal | None = None  # a fraction: 0.7 for 70 %
    max_abuse: Decimal | None = None
    max_gaming_ratio: Decimal | None = None


def _ratio(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


def figures(cell: Cell, compared: bool) -> dict[str, Any]:
    abuse = _ratio(cell.abusive, cell.labelled)
    gaming = _ratio(cell.just_below, cell.just_above)
    return {
        "records": cell.records,
        "coverage": share_text(cell.covered, cell.records) if compared else None,
        "automatic": cell.automatic,
        "automatic_share": share_text(cell.automatic, cell.records),
        "refunds": money_text(cell.refunds),
        "abuse_labelled": cell.labelled,
        "abusive": cell.abusive,
        "abuse_share": share_text(cell.abusive, cell.labelled) if abuse is not None else None,
        "abuse_money": money_text(cell.abuse_money),
        "just_below": cell.just_below if compared else None,
        "just_above": cell.just_above if compared else None,
        "gaming_ratio": format(gaming.quantize(Decimal("0.01")), "f")
        if compared and gaming is not None
        else None,
    }


def failures(cell: Cell, constraints: Constraints) -> list[str]:
    """The constraints (other than coverage) a value breaks for a group, in words."""
    out = []
    if constraints.max_abuse is not None:
        abuse = _ratio(cell.abusive, cell.labelled)
        if abuse is not None and abuse > constraints.max_abuse:
            out.append("abuse")
    ratio = constraints.max_gaming_ratio
    if (
        ratio is not None
        and cell.just_below >= GAMING_MIN_BELOW
        and (cell.just_above == 0 or Decimal(cell.just_below) / cell.just_above > ratio)
    ):
        out.append("gaming")
    return out


def recommend(cells: list[Cell], values: list[Value], constraints: Constraints) -> tuple[int | None, str]:
    """The index of the recommended value and why (or None and why not)."""
    eligible = [i for i, cell in enumerate(cells) if not failures(cell, constraints)]
    if constraints.cover is not None:
        reaching = [
            i
            for i in eligible
            if cells[i].records and Decimal(cells[i].covered) / cells[i].records >= constraints.cover
        ]
        if reaching:
            return reaching[0], _("the smallest value covering {cover} within the limits").format(
                cover=_percent(constraints.cover)
            )
        if not eligible:
            return None, _("no value stays within the limits")
        best = max(eligible, key=lambda i: cells[i].covered)
        return None, _("no value within the limits covers {cover} (at most {best} at {value})").format(
            cover=_percent(constraints.cover),
            best=_percent(Decimal(cells[best].covered) / max(cells[best].records, 1)),
            value=value_text(values[best]),
        )
    if not eligible:
        return None, _("no value stays within the limits")
    return eligible[-1], _("the largest value within the limits")


def _percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).quantize(Decimal('0.1'))} %"


def suggestion(sweep: Sweep, constraints: Constraints) -> dict[str, Any]:
    """The JSON of a suggestion: per group, the figures at every value and the choice."""
    compared = sweep.target.compared is not None
    groups = []
    for key in sorted(sweep.cells, key=lambda k: (-sweep.current[k].records, k)):
        cells = sweep.cells[key]
        index, why = recommend(cells, sweep.values, constraints)
        if key == NONE_KEY and index is not None:
            index, why = (
                None,
                _("records without `{by}` cannot be given a value of their own").format(by=sweep.by),
            )
        groups.append(
            {
                "key": key,
                "current": figures(sweep.current[key], compared=False),
                "rows": [
                    {"value": value_text(v), **figures(c, compared), "fails": failures(c, constraints)}
                    for v, c in zip(sweep.values, cells, strict=True)
                ],
                "recommended": value_text(sweep.values[index]) if index is not None else None,
                "why": why,
            }
        )
    target = sweep.target
    return {
        "schema": "ttrules.suggestion/1",
        "setting": target.setting,
        "ruleset": target.ruleset.name,
        "file": target.path,
        "rules": list(target.rules),
        "by": sweep.by,
        "compared": {"field": target.compared[0], "op": target.compared[1]} if target.compared else None,
        "currency": sweep.stack.config.currency,
        "constraints": {
            "cover": format(constraints.cover, "f") if constraints.cover is not None else None,
            "max_abuse": format(constraints.max_abuse, "f") if constraints.max_abuse is not None else None,
            "max_gaming_ratio": format(constraints.max_gaming_ratio, "f")
            if constraints.max_gaming_ratio is not None
            else None,
        },
        "values": [value_text(v) for v in sweep.values],
        "records": {"decided": sweep.decided, "skipped": sweep.skipped},
        "skipped_examples": [{"where": w, "reason": r} for w, r in sweep.skipped_examples],
        "unconverted_currencies": sorted(sweep.unconverted),
        "groups": groups,
    }
