"""Labelled backtests: both stacks judged against what really happened to each record.

A history may carry, per record, the decision of the agent who handled it
(`outcome.decision`), whether it was later confirmed abuse (`outcome.abuse`) and how long the
agent spent on it (`outcome.handling_minutes`). From those the report adds, per stack:

- agreement with the agents: a stack's resolution and the agent's decision are compared by
  what they do for the buyer (`OUTCOME_CLASSES`); a record the stack leaves to a person
  (review, require_evidence) is deferred, not compared; an agent decision outside the
  vocabulary (`withdrawn`, free text) is counted but not compared. Over-granted: the stack
  refunds where the agent rejected (money: the stack's refund). Under-granted: the stack
  rejects where the agent refunded or replaced (money: the amount requested).
- abuse: of the records labelled abusive, those the stack stops (no automatic refund; money:
  the amount requested) and those it lets through (money: its automatic refund, the abuse
  exposure); and records labelled clean that it rejects.
- review cost from the real handling minutes of the records it sends to review, the flat
  `costs.review_minutes` standing in for a record without minutes.

Both engines add grouped figures (`n` records alike at once), so one definition serves the
record-at-a-time python engine and the grouped duckdb table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

# What a resolution, or an agent's decision, does for the buyer.
OUTCOME_CLASSES = {
    "approve": "refund",
    "refund_without_return": "refund",
    "partial_refund": "partial",
    "replace": "replace",
    "reject": "reject",
}
DEFERRING = frozenset({"review", "require_evidence"})  # a person decides later
GRANTING = frozenset({"refund", "partial", "replace"})


@dataclass
class Amounts:
    """A count of records and their money by currency."""

    count: int = 0
    money: Counter[str] = field(default_factory=Counter)

    def add(self, n: int, amount: tuple[str, Decimal] | None) -> None:
        self.count += n
        if amount is not None:
            self.money[amount[0]] += amount[1]

    def merge(self, other: Amounts) -> None:
        self.count += other.count
        for currency, amount in other.money.items():
            self.money[currency] += amount


@dataclass
class StackFigures:
    matrix: Counter[tuple[str, str]] = field(default_factory=Counter)  # (agent, resolution) -> n
    compared: int = 0
    agreed: int = 0
    deferred: int = 0
    over_granted: Amounts = field(default_factory=Amounts)
    under_granted: Amounts = field(default_factory=Amounts)
    abuse_stopped: Amounts = field(default_factory=Amounts)
    abuse_rejected: int = 0
    abuse_let_through: Amounts = field(default_factory=Amounts)
    clean_rejected: int = 0
    reviewed: int = 0
    reviewed_timed: int = 0
    review_minutes: Decimal = Decimal(0)  # the real minutes of the timed reviewed records

    def merge(self, other: StackFigures) -> None:
        self.matrix.update(other.matrix)
        for name in ("over_granted", "under_granted", "abuse_stopped", "abuse_let_through"):
            getattr(self, name).merge(getattr(other, name))
        for name in ("compared", "agreed", "deferred", "abuse_rejected", "clean_rejected", "reviewed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reviewed_timed += other.reviewed_timed
        self.review_minutes += other.review_minutes


@dataclass
class Backtest:
    labelled_decisions: int = 0
    labelled_abuse: int = 0
    abusive: int = 0
    timed: int = 0
    sides: dict[str, StackFigures] = field(
        default_factory=lambda: {"baseline": StackFigures(), "candidate": StackFigures()}
    )

    def merge(self, other: Backtest) -> None:
        self.labelled_decisions += other.labelled_decisions
        self.labelled_abuse += other.labelled_abuse
        self.abusive += other.abusive
        self.timed += other.timed
        for side, figures in other.sides.items():
            self.sides[side].merge(figures)

    @property
    def present(self) -> bool:
        return bool(self.labelled_decisions or self.labelled_abuse or self.timed)

    def add_records(self, n: int, agent: str | None, abuse: bool | None, timed: int) -> None:
        """`n` records with these labels (counted once, not per stack); `timed` of them have
        handling minutes."""
        self.labelled_decisions += n if agent is not None else 0
        self.labelled_abuse += n if abuse is not None else 0
        self.abusive += n if abuse else 0
        self.timed += timed

    def add_decided(
        self,
        side: str,
        n: int,
        agent: str | None,
        abuse: bool | None,
        resolution: str,
        refund: tuple[str, Decimal] | None,
        asked: tuple[str, Decimal] | None,
        minutes: Decimal,
        timed: int,
    ) -> None:
        """`n` records one stack resolved alike: `refund` is that stack's automatic refund of
        them (None when it refunds nothing), `asked` the amount they requested, `minutes` the
        sum of the handling minutes of the `timed` ones that have them."""
        s = self.sides[side]
        mine = OUTCOME_CLASSES.get(resolution)
        if agent is not None:
            s.matrix[(agent, resolution)] += n
            theirs = OUTCOME_CLASSES.get(agent.strip().lower())
            if resolution in DEFERRING:
                s.deferred += n
            elif theirs is not None and mine is not None:
                s.compared += n
                s.agreed += n if mine == theirs else 0
                if theirs == "reject" and refund is not None:
                    s.over_granted.add(n, refund)
                if mine == "reject" and theirs in GRANTING:
                    s.under_granted.add(n, asked)
        if abuse is True:
            if refund is None:
                s.abuse_stopped.add(n, asked)
                s.abuse_rejected += n if mine == "reject" else 0
            else:
                s.abuse_let_through.add(n, refund)
        elif abuse is False and mine == "reject":
            s.clean_rejected += n
        if resolution == "review":
            s.reviewed += n
            s.reviewed_timed += timed
            s.review_minutes += minutes
