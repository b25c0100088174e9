"""The sweep: every history record decided once under the current rules and once per candidate
value of the setting, its figures added to its group (`--by`, e.g. `order.category`).

A record's decision depends only on the value its own case sees, so sweeping one value for
every record at once and reading the figures per group is the same as sweeping each group on
its own: a group's recommended value can be written as `set NAME = value when BY == "group"`
and the group's records will be decided as they were in the sweep.

Each record is read and loaded once, then decided by one compiled engine per value (the
compiled path, tested against the reference evaluator). Memory is bounded by groups x values.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ttrules.engine import Engine
from ttrules.schema.case import CaseError
from ttrules.schema.loader import load_case
from ttrules.simulate.history import HistoryRow
from ttrules.simulate.metrics import GAMING_BAND, refund_of
from ttrules.stack import Stack
from ttrules.suggest.target import Target, Value, swept_stack
from ttrules.values import Money

AUTOMATIC = frozenset({"approve", "refund_without_return"})
NONE_KEY = "(none)"
GRID_QUANTILES = [Decimal(q) / 100 for q in range(10, 100, 10)]
RESERVOIR = 20_000


@dataclass
class Cell:
    """One group's figures under one value (or under the current rules)."""

    records: int = 0
    covered: int = 0  # records whose field satisfies the comparison at this value
    automatic: int = 0  # approved or refunded without return by a rule reading the setting
    refunds: Decimal = Decimal(0)  # their refunds, report currency
    labelled: int = 0  # automatic ones with an abuse label
    abusive: int = 0  # automatic ones labelled abusive
    abuse_money: Decimal = Decimal(0)  # their refunds, report currency
    just_below: int = 0  # field in the 5 % band just below the value
    just_above: int = 0  # field in the 5 % band from the value up


@dataclass
class Sweep:
    stack: Stack
    target: Target
    values: list[Value]
    by: str
    current: dict[str, Cell] = field(default_factory=dict)
    cells: dict[str, list[Cell]] = field(default_factory=dict)
    decided: int = 0
    skipped: int = 0
    skipped_examples: list[tuple[str, str]] = field(default_factory=list)
    unconverted: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.engine = Engine.from_stack(self.stack)
        self.engines = [Engine.from_stack(swept_stack(self.stack, self.target, v)) for v in self.values]
        self.rates = self.stack.config.fx_rates()

    def run(self, rows: Iterable[HistoryRow]) -> None:
        for row in rows:
            if row.record is None:
                self._skip(row.location, row.error)
                continue
            try:
                loaded = load_case(row.record, self.stack.schema)
            except CaseError as error:
                self._skip(row.location, "; ".join(f"{p}: {m}" if p else m for p, m in error.problems))
                continue
            self.add(loaded.values, loaded.outcome)

    def _skip(self, location: str, reason: str) -> None:
        self.skipped += 1
        if len(self.skipped_examples) < 10:
            self.skipped_examples.append((location, reason))

    def add(self, values: dict[str, Any], outcome: dict[str, Any]) -> None:
        self.decided += 1
        key = values.get(self.by)
        group = NONE_KEY if key is None else str(key)
        if group not in self.current:
            self.current[group] = Cell()
            self.cells[group] = [Cell() for _v in self.values]
        abuse = outcome.get("abuse")
        compared = self.compared_amount(values)
        self._decided(self.current[group], self.engine, values, abuse)
        for value, engine, cell in zip(self.values, self.engines, self.cells[group], strict=True):
            self._decided(cell, engine, values, abuse)
            if compared is not None:
                self._place(cell, compared, value)

    def _decided(self, cell: Cell, engine: Engine, values: dict[str, Any], abuse: Any) -> None:
        cell.records += 1
        resolution = engine.decide_values(values).resolution
        # What the setting decides: the automatic resolutions its rules win (the stack's other
        # rules decide the same whatever the value, and would only dilute the figures).
        if resolution.action not in AUTOMATIC or resolution.rule is None:
            return
        if resolution.rule.label not in self.target.rules:
            return
        cell.automatic += 1
        refund = refund_of(resolution, values)
        amount = self.in_report(refund) if refund is not None else Decimal(0)
        cell.refunds += amount
        if abuse is not None:
            cell.labelled += 1
            if abuse:
                cell.abusive += 1
                cell.abuse_money += amount

    def in_report(self, money: Money) -> Decimal:
        if money.currency not in self.rates:
            self.unconverted.add(money.currency)
            return Decimal(0)
        return money.amount * self.rates[money.currency]

    def compared_amount(self, values: dict[str, Any]) -> Decimal | None:
        """The compared field of the record in the setting's terms (its currency), or None when
        the record has none or its currency has no rate."""
        if self.target.compared is None:
            return None
        raw = values.get(self.target.compared[0])
        if isinstance(raw, Money):
            currency = self.target.currency
            if raw.currency == currency:
                return raw.amount
            if raw.currency not in self.rates or currency not in self.rates:
                return None
            return raw.amount * self.rates[raw.currency] / self.rates[currency]
        if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
            return Decimal(raw)
        return None

    def _place(self, cell: Cell, amount: Decimal, value: Value) -> None:
        assert self.target.compared is not None
        threshold = value.amount if isinstance(value, Money) else value
        if admits(amount, self.target.compared[1], threshold):
            cell.covered += 1
        if threshold * (1 - GAMING_BAND) <= amount < threshold:
            cell.just_below += 1
        elif threshold <= amount <= threshold * (1 + GAMING_BAND):
            cell.just_above += 1


def admits(amount: Decimal, op: str, threshold: Decimal) -> bool:
    return {
        "<": amount < threshold,
        "<=": amount <= threshold,
        ">": amount > threshold,
        ">=": amount >= threshold,
    }[op]


def sample_amounts(sweep: Sweep, rows: Iterable[HistoryRow], seed: int = 0) -> list[Decimal]:
    """A uniform sample (reservoir) of the compared field over the history, for the grid."""
    rng = random.Random(seed)
    sample: list[Decimal] = []
    seen = 0
    for row in rows:
        if row.record is None:
            continue
        try:
            values = load_case(row.record, sweep.stack.schema).values
        except CaseError:
            continue
        amount = sweep.compared_amount(values)
        if amount is None:
            continue
        seen += 1
        if len(sample) < RESERVOIR:
            sample.append(amount)
        elif (j := rng.randrange(seen)) < RESERVOIR:
            sample[j] = amount
    return sorted(sample)


def two_figures(x: Decimal) -> Decimal:
    """`x` rounded to two significant figures (23.47 → 23, 134.5 → 130, 4.37 → 4.4)."""
    if x <= 0:
        return Decimal(0)
    exponent = x.adjusted() - 1
    return x.scaleb(-exponent).quantize(Decimal(1)).scaleb(exponent).normalize()


def grid(sample: list[Decimal], current: list[Decimal], integral: bool) -> list[Decimal]:
    """Candidate values: the 10 %, 20 %, … 90 % points of the field (two significant figures)
    and the values the setting has today."""
    points = set(current)
    if sample:
        for q in GRID_QUANTILES:
            point = two_figures(sample[min(int(q * len(sample)), len(sample) - 1)])
            points.add(point.to_integral_value() if integral else point)
    return sorted(p for p in points if p > 0 or p in current)
