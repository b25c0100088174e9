"""Report figures, accumulated one history record at a time (memory bounded by the number of
rules, groups and samples, not by the number of records).

Definitions (also in docs/simulation.md):
- automatic refund: the resolution `approve` or `refund_without_return` of a CANCEL, REFUND or
  RETURN_AND_REFUND request refunds `request.refund_amount`; `partial_refund(x)` refunds x (a
  percentage is of `request.refund_amount`);
- goods kept: `order.total` of every `refund_without_return`;
- return postage: `request.return_shipping_fee` of every approved RETURN_AND_REFUND;
- abuse exposure: automatic refunds on records whose `outcome.abuse` is true;
- review: resolution `review`; hours = count x review_minutes / 60, cost = hours x agent_hour
  (not available, never 0, when agent_hour's currency has no rate to the report currency);
- requested: `request.refund_amount` of every CANCEL, REFUND or RETURN_AND_REFUND request;
  refunded in history: `outcome.refunded` where the history has it (the same for both stacks).

Rounding: every money figure is summed exactly and rounded to cents once; a delta is the
difference of the two rounded figures it stands between, and the breakdowns' figures are
apportioned (largest remainder) so that they add up to the rounded total the report shows.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ttrules.config import Config
from ttrules.evaluate.decision import ActionValue, Decision
from ttrules.simulate.backtest import Amounts, Backtest
from ttrules.syntax.literals import format_decimal, parse_money
from ttrules.values import Money, Percent, json_value

MONEY_METRICS = ("auto_refunds", "goods_kept", "return_postage", "abuse_exposure")
REFUNDING_KINDS = frozenset({"CANCEL", "REFUND", "RETURN_AND_REFUND"})
BREAKDOWNS = {
    "market": "case.market",
    "category": "order.category",
    "kind": "request.kind",
    "reason": "request.reason",
    "status": "order.status",
}
HISTORY_TOTALS = ("requested", "refunded_in_history")  # figures of the history, not of a stack
CENT = Decimal("0.01")
GAMING_BAND = Decimal("0.05")
GAMING_MIN_BELOW = 20
GAMING_RATIO = Decimal("1.5")
HISTOGRAM_BIN = Decimal(5)  # report-currency units per bin of the order amount histogram
HISTOGRAM_BINS = 60


def money_text(amount: Decimal) -> str:
    return format_decimal(amount.quantize(CENT, rounding=ROUND_HALF_EVEN))


def apportion(exact: list[Decimal], total: Decimal) -> list[Decimal]:
    """`exact` rounded to cents so that the parts add up to `total` (their sum, rounded once):
    each part is rounded half-even, and the cents still missing (or too many) go to the parts
    whose rounding moved them furthest, by the largest-remainder method. A part moves by at
    most a cent more than its own rounding; a part that is exactly zero never moves (the others
    always suffice); ties go to the earlier part."""
    rounded = [x.quantize(CENT, rounding=ROUND_HALF_EVEN) for x in exact]
    missing = int((total - sum(rounded, Decimal(0))) / CENT)
    if missing == 0:
        return rounded
    step = CENT if missing > 0 else -CENT
    order = sorted(range(len(exact)), key=lambda i: (exact[i] == 0, -(exact[i] - rounded[i]) * step, i))
    for i in order[: abs(missing)]:
        rounded[i] += step
    return rounded


def share_text(part: int, whole: int) -> str:
    if whole == 0:
        return "0"
    return format_decimal((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")))


@dataclass(frozen=True)
class Threshold:
    """A money threshold the candidate introduces or moves, on the field it is compared with."""

    field: str
    amount: Money
    rules: tuple[str, ...]


@dataclass
class MoneySum:
    by_currency: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add(self, money: Money) -> None:
        self.by_currency[money.currency] += money.amount

    def merge(self, other: MoneySum) -> None:
        for currency, amount in other.by_currency.items():
            self.by_currency[currency] += amount


@dataclass
class Side:
    resolutions: Counter[str] = field(default_factory=Counter)
    money: dict[str, MoneySum] = field(default_factory=lambda: {m: MoneySum() for m in MONEY_METRICS})
    review: int = 0
    matched: Counter[str] = field(default_factory=Counter)
    won: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    vetoes: Counter[str] = field(default_factory=Counter)
    overridden_records: int = 0
    vetoed_records: int = 0
    errored_records: int = 0
    # label -> (record number, message) of the first record, in file order, where it errored
    first_errors: dict[str, tuple[int, str]] = field(default_factory=dict)

    def note_error(self, label: str, number: int, message: str) -> None:
        known = self.first_errors.get(label)
        if known is None or number < known[0]:
            self.first_errors[label] = (number, message)

    def merge(self, other: Side) -> None:
        for name in ("resolutions", "matched", "won", "errors", "vetoes"):
            getattr(self, name).update(getattr(other, name))
        for metric, sums in other.money.items():
            self.money[metric].merge(sums)
        self.review += other.review
        self.overridden_records += other.overridden_records
        self.vetoed_records += other.vetoed_records
        self.errored_records += other.errored_records
        for label, (number, message) in other.first_errors.items():
            self.note_error(label, number, message)


def refund_of(resolution: ActionValue, values: dict[str, Any]) -> Money | None:
    if values.get("request.kind") not in REFUNDING_KINDS:
        return None
    asked = values.get("request.refund_amount")
    if resolution.action in ("approve", "refund_without_return"):
        return asked if isinstance(asked, Money) else None
    if resolution.action == "partial_refund":
        amount = resolution.args.get("amount")
        if isinstance(amount, Money):
            return amount
        if isinstance(amount, Percent) and isinstance(asked, Money):
            return Money(asked.amount * amount.fraction, asked.currency)
    return None


def _winner_labels(decision: Decision) -> set[str]:
    """Rules that won a one-valued slot; adding a tag or a notification is not a win."""
    values = [decision.resolution, *decision.fulfillment, decision.route]
    return {v.rule.label for v in values if v is not None and v.rule is not None}


def decision_signature(decision: Decision) -> tuple[Any, ...]:
    """What a person acting on the decision would see; two decisions differ when this does."""

    def action(value: ActionValue | None) -> tuple[Any, ...] | None:
        if value is None:
            return None
        return value.action, tuple(sorted((k, str(json_value(v))) for k, v in value.args.items()))

    return (
        action(decision.resolution),
        tuple(action(v) for v in decision.fulfillment),
        action(decision.route),
    )


@dataclass
class Accumulator:
    config: Config
    baseline_rules: list[str]
    candidate_rules: list[str]
    thresholds: list[Threshold]
    sample_size: int = 10
    because: dict[str, str] = field(default_factory=dict)  # rule label -> its `because`
    records: int = 0
    changed: int = 0
    resolution_changed: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    sides: dict[str, Side] = field(default_factory=lambda: {"baseline": Side(), "candidate": Side()})
    groups: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    bands: list[list[int]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_examples: list[tuple[str, str]] = field(default_factory=list)
    samples: list[Any] = field(default_factory=list)
    unconverted: set[str] = field(default_factory=set)
    totals: dict[str, MoneySum] = field(default_factory=lambda: {m: MoneySum() for m in HISTORY_TOTALS})
    histogram: list[int] = field(default_factory=lambda: [0] * (HISTOGRAM_BINS + 1))
    backtest: Backtest = field(default_factory=Backtest)
    on_skip: Callable[[str, str], None] | None = None  # every skipped row, for --skipped

    def __post_init__(self) -> None:
        self.bands = [[0, 0] for _ in self.thresholds]
        self.groups = {name: {} for name in BREAKDOWNS}

    def merge(self, later: Accumulator) -> None:
        """Add the figures of `later`, an accumulator of the same stacks over records that come
        after this one's in the history (the samples and skipped examples keep file order).
        Merging the parts of a history in order gives what one pass over it gives."""
        self.records += later.records
        self.changed += later.changed
        self.resolution_changed += later.resolution_changed
        self.transitions.update(later.transitions)
        for name, side in later.sides.items():
            self.sides[name].merge(side)
        for group, entries in later.groups.items():
            mine = self.groups[group]
            for key, entry in entries.items():
                if key in mine:
                    for figure, value in entry.items():
                        mine[key][figure] += value
                else:
                    mine[key] = dict(entry)
        for band, more in zip(self.bands, later.bands, strict=True):
            band[0] += more[0]
            band[1] += more[1]
        self.skipped.update(later.skipped)
        self.skipped_examples = (self.skipped_examples + later.skipped_examples)[:20]
        self.samples = (self.samples + later.samples)[: self.sample_size]
        self.unconverted |= later.unconverted
        for name, sums in later.totals.items():
            self.totals[name].merge(sums)
        self.histogram = [a + b for a, b in zip(self.histogram, later.histogram, strict=True)]
        self.backtest.merge(later.backtest)

    def skip(self, location: str, reason: str) -> None:
        if self.on_skip is not None:
            self.on_skip(location, reason)
        # Group by what went wrong (a field path, "invalid JSON"), not by where in the row.
        kind = re.sub(r"\d+", "N", reason.split(":")[0] if ":" in reason else reason)
        self.skipped[kind[:80]] += 1
        if len(self.skipped_examples) < 20:
            self.skipped_examples.append((location, reason))

    def add(
        self,
        record: Any,
        values: dict[str, Any],
        baseline: Decision,
        candidate: Decision,
        outcome: dict[str, Any],
        number: int = 0,
    ) -> None:
        """One decided record with its `outcome` fields (what really happened to it);
        `number` is its record number in the file (for the first error of each rule)."""
        abuse = bool(outcome.get("abuse"))
        refunded = outcome.get("refunded")
        self.records += 1
        changed = decision_signature(baseline) != decision_signature(candidate)
        self.changed += changed
        self.resolution_changed += baseline.resolution.action != candidate.resolution.action
        self.transitions[(baseline.resolution.action, candidate.resolution.action)] += 1
        refunds = {}
        for name, decision in (("baseline", baseline), ("candidate", candidate)):
            refunds[name] = self._add_side(self.sides[name], values, decision, abuse, number)
        asked = values.get("request.refund_amount")
        if values.get("request.kind") in REFUNDING_KINDS and isinstance(asked, Money):
            self.totals["requested"].add(asked)
        else:
            asked = None
        self._add_backtest(outcome, refunds, asked, baseline, candidate)
        if refunded is not None:
            self.totals["refunded_in_history"].add(refunded)
        for group, path in BREAKDOWNS.items():
            key = str(values.get(path, "(none)"))
            entry = self.groups[group].setdefault(
                key,
                {
                    "records": 0,
                    "changed": 0,
                    **{f"{s}_{m}": Decimal(0) for s in ("baseline", "candidate") for m in ("auto_refunds",)},
                    "baseline_review": 0,
                    "candidate_review": 0,
                },
            )
            entry["records"] += 1
            entry["changed"] += changed
            for side in ("baseline", "candidate"):
                decision = baseline if side == "baseline" else candidate
                entry[f"{side}_review"] += decision.resolution.action == "review"
                if refunds[side] is not None:
                    entry[f"{side}_auto_refunds"] += self.to_report(refunds[side])
        for i, threshold in enumerate(self.thresholds):
            self._band(i, threshold, values)
        total = values.get("order.total")
        if isinstance(total, Money) and total.currency in self.config.fx_rates():
            amount = self.to_report(total)
            # Compared before dividing: an absurd amount would overflow the division.
            index = (
                HISTOGRAM_BINS if amount >= HISTOGRAM_BIN * HISTOGRAM_BINS else int(amount // HISTOGRAM_BIN)
            )
            self.histogram[max(index, 0)] += 1
        if changed and len(self.samples) < self.sample_size:
            self.samples.append(record)

    def _add_backtest(
        self,
        outcome: dict[str, Any],
        refunds: dict[str, Money | None],
        asked: Money | None,
        baseline: Decision,
        candidate: Decision,
    ) -> None:
        agent, abuse, minutes = outcome.get("decision"), outcome.get("abuse"), outcome.get("handling_minutes")
        timed = int(minutes is not None)
        if agent is None and abuse is None and not timed:
            return
        self.backtest.add_records(1, agent, abuse, timed)
        for name, decision in (("baseline", baseline), ("candidate", candidate)):
            refund = refunds[name]
            self.backtest.add_decided(
                name,
                1,
                agent,
                abuse,
                decision.resolution.action,
                (refund.currency, refund.amount) if refund is not None else None,
                (asked.currency, asked.amount) if asked is not None else None,
                Decimal(minutes) if timed else Decimal(0),
                timed,
            )

    def _add_side(
        self, side: Side, values: dict[str, Any], decision: Decision, abuse: bool, number: int
    ) -> Money | None:
        action = decision.resolution.action
        side.resolutions[action] += 1
        side.review += action == "review"
        refund = refund_of(decision.resolution, values)
        if refund is not None:
            side.money["auto_refunds"].add(refund)
            if abuse:
                side.money["abuse_exposure"].add(refund)
        if action == "refund_without_return" and isinstance(values.get("order.total"), Money):
            side.money["goods_kept"].add(values["order.total"])
        postage = values.get("request.return_shipping_fee")
        if (
            action == "approve"
            and values.get("request.kind") == "RETURN_AND_REFUND"
            and isinstance(postage, Money)
        ):
            side.money["return_postage"].add(postage)
        for ref in decision.matched:
            side.matched[ref.label] += 1
        for label in _winner_labels(decision):
            side.won[label] += 1
        for error in decision.errors:
            side.errors[error.rule.label] += 1
            side.note_error(error.rule.label, number, error.message)
        side.errored_records += bool(decision.errors)
        side.overridden_records += bool(decision.overridden)
        side.vetoed_records += bool(decision.vetoed)
        for _, forbid in decision.vetoed:
            side.vetoes[f"{forbid.label} ({forbid.location})"] += 1
        return refund

    def to_report(self, money: Money) -> Decimal:
        rates = self.config.fx_rates()
        if money.currency not in rates:
            self.unconverted.add(money.currency)
            return Decimal(0)
        return money.amount * rates[money.currency]

    def _band(self, index: int, threshold: Threshold, values: dict[str, Any]) -> None:
        value = values.get(threshold.field)
        if not isinstance(value, Money):
            return
        rates = self.config.fx_rates()
        if value.currency != threshold.amount.currency:
            if value.currency not in rates or threshold.amount.currency not in rates:
                return
            value = Money(
                value.amount * rates[value.currency] / rates[threshold.amount.currency],
                threshold.amount.currency,
            )
        t = threshold.amount.amount
        if t * (1 - GAMING_BAND) <= value.amount < t:
            self.bands[index][0] += 1
        elif t <= value.amount <= t * (1 + GAMING_BAND):
            self.bands[index][1] += 1

    # ---- the report ---------------------------------------------------------------

    def _report_sum(self, sums: MoneySum) -> tuple[Decimal, list[str]]:
        """The exact sum in the report currency, and the currencies left out for want of a rate."""
        rates = self.config.fx_rates()
        total = sum((self.to_report(Money(v, c)) for c, v in sums.by_currency.items()), Decimal(0))
        return total, sorted(c for c in sums.by_currency if c not in rates)

    def _money_block(self, metric: str) -> dict[str, Any]:
        block: dict[str, Any] = {}
        currencies = sorted(
            set(self.sides["baseline"].money[metric].by_currency)
            | set(self.sides["candidate"].money[metric].by_currency)
        )
        for side in ("baseline", "candidate"):
            sums = self.sides[side].money[metric].by_currency
            block[side] = {c: money_text(sums.get(c, Decimal(0))) for c in currencies}
        block["delta"] = {
            c: money_text(Decimal(block["candidate"][c]) - Decimal(block["baseline"][c])) for c in currencies
        }
        totals, left_out = {}, set()
        for side in ("baseline", "candidate"):
            exact, missing = self._report_sum(self.sides[side].money[metric])
            totals[side] = money_text(exact)
            left_out.update(missing)
        block["total"] = {
            "currency": self.config.currency,
            "baseline": totals["baseline"],
            "candidate": totals["candidate"],
            "delta": money_text(Decimal(totals["candidate"]) - Decimal(totals["baseline"])),
            "left_out": sorted(left_out),
        }
        return block

    def _totals_block(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in HISTORY_TOTALS:
            sums = self.totals[name]
            exact, left_out = self._report_sum(sums)
            out[name] = {
                "by_currency": {c: money_text(v) for c, v in sorted(sums.by_currency.items())},
                "total": money_text(exact),
                "left_out": left_out,
            }
        out["currency"] = self.config.currency
        return out

    def _hourly(self) -> Decimal | None:
        """An agent hour in the report currency; None when it is not an amount or has no rate."""
        rate = parse_money(self.config.costs.agent_hour)
        rates = self.config.fx_rates()
        return rate[0] * rates[rate[1]] if rate is not None and rate[1] in rates else None

    def _review_block(self) -> dict[str, Any]:
        minutes = self.config.costs.review_minutes
        rate = parse_money(self.config.costs.agent_hour)
        hourly = self._hourly()
        priced = hourly is not None
        out: dict[str, Any] = {}
        for side in ("baseline", "candidate"):
            count = self.sides[side].review
            hours = Decimal(count) * minutes / 60
            cost = money_text(hours * hourly) if hourly is not None else None
            out[side] = {
                "count": count,
                "share": share_text(count, self.records),
                "hours": money_text(hours),
                "cost": cost,
            }
        base, cand = out["baseline"], out["candidate"]
        out["delta"] = {
            "count": cand["count"] - base["count"],
            "share": format_decimal(Decimal(cand["share"]) - Decimal(base["share"])),
            "hours": money_text(Decimal(cand["hours"]) - Decimal(base["hours"])),
            "cost": money_text(Decimal(cand["cost"]) - Decimal(base["cost"])) if priced else None,
        }
        out["currency"] = self.config.currency
        out["agent_hour"] = self.config.costs.agent_hour
        if not priced:
            out["cost_unavailable"] = (
                f"costs.agent_hour `{self.config.costs.agent_hour}` is not an amount"
                if rate is None
                else f"no FX rate from {rate[1]} (costs.agent_hour) to {self.config.currency}"
            )
        return out

    def _backtest_block(self) -> dict[str, Any] | None:
        """The `backtest` section (ttrules/simulate/backtest.py), or None without labels."""
        backtest = self.backtest
        if not backtest.present:
            return None

        def amounts(a: Amounts) -> dict[str, Any]:
            exact, left_out = self._report_sum(MoneySum(a.money))
            return {"count": a.count, "money": money_text(exact), "left_out": left_out}

        hourly = self._hourly()
        out: dict[str, Any] = {
            "labelled": {
                "decisions": backtest.labelled_decisions,
                "abuse": backtest.labelled_abuse,
                "abusive": backtest.abusive,
                "handling_minutes": backtest.timed,
            },
            "currency": self.config.currency,
        }
        for side, s in backtest.sides.items():
            estimated = s.reviewed - s.reviewed_timed
            minutes = s.review_minutes + estimated * self.config.costs.review_minutes
            hours = minutes / 60
            out[side] = {
                "agreement": {
                    "compared": s.compared,
                    "agreed": s.agreed,
                    "share": share_text(s.agreed, s.compared) if s.compared else None,
                    "deferred": s.deferred,
                    "over_granted": amounts(s.over_granted),
                    "under_granted": amounts(s.under_granted),
                    "matrix": [
                        {"agent": agent, "resolution": resolution, "count": n}
                        for (agent, resolution), n in sorted(s.matrix.items())
                    ],
                },
                "abuse": {
                    "stopped": amounts(s.abuse_stopped),
                    "rejected": s.abuse_rejected,
                    "let_through": amounts(s.abuse_let_through),
                    "stopped_share": share_text(s.abuse_stopped.count, backtest.abusive)
                    if backtest.abusive
                    else None,
                    "clean_rejected": s.clean_rejected,
                },
                "review": {
                    "count": s.reviewed,
                    "timed": s.reviewed_timed,
                    "estimated": estimated,
                    "hours": money_text(hours),
                    "cost": money_text(hours * hourly) if hourly is not None else None,
                },
            }
        return out

    def _rules_block(self) -> list[dict[str, Any]]:
        labels = sorted(set(self.baseline_rules) | set(self.candidate_rules))
        rows = []
        for label in labels:
            row: dict[str, Any] = {"rule": label, "because": self.because.get(label)}
            for side, present in (("baseline", self.baseline_rules), ("candidate", self.candidate_rules)):
                s = self.sides[side]
                row[side] = (
                    {"matched": s.matched[label], "won": s.won[label], "errors": s.errors[label]}
                    if label in present
                    else None
                )
            row["status"] = (
                "added" if row["baseline"] is None else "deleted" if row["candidate"] is None else "kept"
            )
            b = row["baseline"]["won"] if row["baseline"] else 0
            c = row["candidate"]["won"] if row["candidate"] else 0
            row["won_delta"] = c - b
            # A rule that errored did not match, but it is not silent: it has its own section.
            row["never_fires"] = bool(
                row["candidate"] is not None
                and row["candidate"]["matched"] == 0
                and row["candidate"]["errors"] == 0
            )
            rows.append(row)
        return rows

    def _gaming_block(self) -> list[dict[str, Any]]:
        out = []
        for threshold, (below, above) in zip(self.thresholds, self.bands, strict=True):
            ratio = (Decimal(below) / Decimal(above)).quantize(Decimal("0.01")) if above else None
            flagged = below >= GAMING_MIN_BELOW and (above == 0 or Decimal(below) / above >= GAMING_RATIO)
            out.append(
                {
                    "field": threshold.field,
                    "threshold": str(threshold.amount),
                    "rules": list(threshold.rules),
                    "band": "5%",
                    "just_below": below,
                    "just_above": above,
                    "ratio": format_decimal(ratio) if ratio is not None else None,
                    "flagged": flagged,
                }
            )
        return out

    @staticmethod
    def _breakdown(entries: dict[str, dict[str, Any]], total: dict[str, Any]) -> list[dict[str, Any]]:
        """One breakdown's rows. The baseline's refunds are apportioned to add up to the shown
        baseline total, and the changes to add up to the shown delta, so that a column of a
        breakdown sums to the figure above it and a key whose refunds did not change shows no
        change."""
        keys = sorted(entries)
        before = [entries[k]["baseline_auto_refunds"] for k in keys]
        after = [entries[k]["candidate_auto_refunds"] for k in keys]
        base = apportion(before, Decimal(total["baseline"]))
        delta = apportion([a - b for a, b in zip(after, before, strict=True)], Decimal(total["delta"]))
        shown = {"baseline": base, "candidate": [b + d for b, d in zip(base, delta, strict=True)]}
        rows = []
        for i, key in enumerate(keys):
            row = {
                "key": key,
                **{k: (money_text(v) if isinstance(v, Decimal) else v) for k, v in entries[key].items()},
            }
            for side in ("baseline", "candidate"):
                row[f"{side}_auto_refunds"] = money_text(shown[side][i])
            rows.append(row)
        return rows

    def report(self) -> dict[str, Any]:
        matrix = [
            {"baseline": b, "candidate": c, "count": n} for (b, c), n in sorted(self.transitions.items())
        ]
        sides = self.sides
        money = {metric: self._money_block(metric) for metric in MONEY_METRICS}
        return {
            "records": {
                "decided": self.records,
                "skipped": sum(self.skipped.values()),
                "skipped_by_reason": dict(sorted(self.skipped.items())),
                "skipped_examples": [{"where": w, "reason": r} for w, r in self.skipped_examples],
            },
            "changed": {
                "count": self.changed,
                "share": share_text(self.changed, self.records),
                "resolution_count": self.resolution_changed,
                "resolution_share": share_text(self.resolution_changed, self.records),
            },
            "resolutions": {
                side: dict(sorted(sides[side].resolutions.items())) for side in ("baseline", "candidate")
            },
            "transitions": matrix,
            "money": money,
            "review": self._review_block(),
            "rules": self._rules_block(),
            "platform": {
                side: {
                    "overridden_records": sides[side].overridden_records,
                    "vetoed_records": sides[side].vetoed_records,
                    "vetoes": dict(sorted(sides[side].vetoes.items())),
                }
                for side in ("baseline", "candidate")
            },
            "errors": {
                side: {
                    "records": sides[side].errored_records,
                    "by_rule": dict(sorted(sides[side].errors.items())),
                    "first": {
                        label: {"record": number, "message": message}
                        for label, (number, message) in sorted(sides[side].first_errors.items())
                    },
                }
                for side in ("baseline", "candidate")
            },
            "totals": self._totals_block(),
            "breakdowns": {
                group: self._breakdown(entries, money["auto_refunds"]["total"])
                for group, entries in self.groups.items()
            },
            "threshold_gaming": self._gaming_block(),
            "backtest": self._backtest_block(),
            "amount_histogram": {
                "field": "order.total",
                "currency": self.config.currency,
                "bin_width": format_decimal(HISTOGRAM_BIN),
                "counts": self.histogram[:HISTOGRAM_BINS],
                "overflow": self.histogram[HISTOGRAM_BINS],
            },
            "unconverted_currencies": sorted(self.unconverted),
        }
