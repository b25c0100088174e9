"""Decisions and their explanations, as data.

A decision carries the value of each slot and which rule set it; its trace (when asked for)
says, for every rule, why it won, lost, was vetoed, did not match or errored. Renderers for
text and JSON live in `explain.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RuleRef:
    layer: str
    ruleset: str
    name: str
    path: str
    line: int
    # The rule's `because`: the human part of the decision, shown wherever the rule is named.
    because: str | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return f"{self.layer}/{self.name}"

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class ActionValue:
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    rule: RuleRef | None = None  # None: the stack's default
    fail_closed: bool = False  # set because a rule of a fail-closed layer errored


@dataclass(frozen=True)
class FailedCondition:
    text: str  # the conjunct that was false, as canonical DSL
    observed: tuple[tuple[str, str], ...]  # (field or setting, value) pairs it read
    needed: str = ""  # e.g. "< 50 USD"


@dataclass(frozen=True)
class RuleError:
    rule: RuleRef
    message: str
    fail_closed: bool


@dataclass(frozen=True)
class Clamp:
    limit: RuleRef
    text: str
    before: Any
    after: Any


@dataclass(frozen=True)
class SettingTrace:
    name: str
    value: Any
    set_by: RuleRef | None
    clamps: tuple[Clamp, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class Loss:
    """Why a matching rule did not get a slot: `winner` took it, by a stronger layer, a higher
    priority or an earlier place in the source, or holds it empty having errored."""

    slot: str
    reason: str  # "layer" | "priority" | "order" | "held"
    winner: RuleRef
    priorities: tuple[int, int] = (0, 0)  # (the loser's, the winner's)

    @property
    def why(self) -> str:
        """In English: the decision JSON's `why`, which never changes with the language."""
        if self.reason == "layer":
            return f"overridden by {self.winner.label}"
        if self.reason == "priority":
            loser, winner = self.priorities
            return f"lower priority than {self.winner.label} ({loser} < {winner})"
        if self.reason == "held":
            return f"held by errored {self.winner.label} (fail closed)"
        return f"{self.winner.label} comes first in source order"


@dataclass
class RuleTrace:
    rule: RuleRef
    kind: str  # "rule" | "forbid"
    status: str  # won | lost | vetoed | no_match | errored | not_applicable | matched
    priority: int = 0
    won: list[str] = field(default_factory=list)  # slots this rule set
    lost: list[Loss] = field(default_factory=list)
    vetoed_by: RuleRef | None = None
    vetoes: list[RuleRef] = field(default_factory=list)  # forbids: the rules they set aside
    failed: FailedCondition | None = None
    error: str = ""


@dataclass(frozen=True)
class Decision:
    """A value: the compiled path hands out one object (or a copy differing in `case_id`) for
    every case of the same class, so neither it nor its lists are to be changed."""

    case_id: str
    resolution: ActionValue
    fulfillment: list[ActionValue] = field(default_factory=list)  # the winning rule's steps
    route: ActionValue | None = None
    tags: list[ActionValue] = field(default_factory=list)
    notify: list[ActionValue] = field(default_factory=list)
    settings: dict[str, SettingTrace] = field(default_factory=dict)
    errors: list[RuleError] = field(default_factory=list)
    held: dict[str, RuleRef] = field(default_factory=dict)  # slots left empty by a fail-closed error
    # Cheap facts for aggregate reports (always filled; the trace is the full story):
    matched: list[RuleRef] = field(default_factory=list)  # rules whose condition held
    vetoed: list[tuple[RuleRef, RuleRef]] = field(default_factory=list)  # (rule, by forbid)
    overridden: list[RuleRef] = field(default_factory=list)  # lost a slot to a stronger layer
    trace: list[RuleTrace] | None = None

    def slot(self, name: str) -> ActionValue | None:
        """The value of a one-valued slot (for fulfillment: its first step)."""
        if name == "fulfillment":
            return self.fulfillment[0] if self.fulfillment else None
        return getattr(self, name)  # type: ignore[no-any-return]
