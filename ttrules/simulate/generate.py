"""A seeded generator of synthetic after-sales history, realistic enough to teach.

Markets come with their currencies; prices follow a log-normal distribution per category;
each request kind has its own mix of reasons, drawn from TikTok's real reason codes for the
market; credit scores skew high with a low tail; abuse (labelled in `outcome.abuse`) is
concentrated in low-credit buyers, who also pick amounts just under common thresholds
(the 98 USD pattern); deliveries run late and tracking stalls at realistic rates; a share of
orders are dropshipped and sit at some stage between supplier and forwarder.

Records are generated in chunks and written as Parquet (or JSONL), so memory stays flat.
"""

from __future__ import annotations

import bisect
import json
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ttrules.schema.reasons import reason_rows

# market -> (currency, units of currency per USD, share of orders)
MARKETS = {
    "MY": ("MYR", 4.5, 0.28),
    "TH": ("THB", 36.0, 0.22),
    "ID": ("IDR", 15900.0, 0.18),
    "PH": ("PHP", 56.0, 0.14),
    "VN": ("VND", 25600.0, 0.10),
    "SG": ("SGD", 1.35, 0.08),
}
# category -> (median price USD, spread sigma, share)
CATEGORIES = {
    "apparel": (18.0, 0.6, 0.34),
    "beauty": (14.0, 0.5, 0.18),
    "home": (26.0, 0.7, 0.18),
    "electronics": (45.0, 0.8, 0.18),
    "jewelry": (32.0, 0.9, 0.12),
}
KINDS = {"CANCEL": 0.46, "REFUND": 0.24, "RETURN_AND_REFUND": 0.25, "REPLACEMENT": 0.05}
REASON_MIX = {
    "CANCEL": {
        "CHANGED_MIND": 0.55,
        "WRONG_ADDRESS": 0.12,
        "PAYMENT_ISSUE": 0.12,
        "SELLER_LATE": 0.10,
        "OUT_OF_STOCK": 0.05,
        "OTHER": 0.06,
    },
    "REFUND": {
        "NOT_RECEIVED": 0.32,
        "LATE_DELIVERY": 0.22,
        "DAMAGED": 0.16,
        "MISSING_PARTS": 0.10,
        "WRONG_ITEM": 0.08,
        "PACKAGE_LOST": 0.06,
        "OTHER": 0.06,
    },
    "RETURN_AND_REFUND": {
        "SIZE_FIT": 0.24,
        "NOT_AS_DESCRIBED": 0.22,
        "DEFECTIVE": 0.18,
        "CHANGED_MIND": 0.16,
        "DAMAGED": 0.10,
        "WRONG_ITEM": 0.06,
        "OTHER": 0.04,
    },
    "REPLACEMENT": {"DEFECTIVE": 0.45, "DAMAGED": 0.35, "WRONG_ITEM": 0.20},
}
DOC_OF_KIND = {
    "CANCEL": "cancel-reasons",
    "REFUND": "refund-reasons",
    "RETURN_AND_REFUND": "return-reasons",
    "REPLACEMENT": "return-reasons",
}
ABUSE_THRESHOLDS_USD = (30.0, 50.0, 100.0)
START = datetime(2026, 1, 1, tzinfo=UTC)


class _Choice:
    """A weighted choice drawn with one random() and a bisect (random.choices is slower)."""

    def __init__(self, table: dict[str, float]) -> None:
        self.items = list(table)
        total, self.cumulative = 0.0, []
        for weight in table.values():
            total += weight
            self.cumulative.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def _int(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in [low, high]; randint's generality costs more than we need."""
    return low + int(rng.random() * (high - low + 1))


def _money(amount: float, per_usd: float, currency: str) -> str:
    return f"{amount:.0f} {currency}" if per_usd > 1000 else f"{amount:.2f} {currency}"


def _agent_decision(index: int, kind: str, abuse: bool, evidence: list[str]) -> str:
    """What the agent who handled the request decided (for labelled backtests). Drawn from the
    index, not the random stream, so that every other field of every record is what it was
    before the field was added: agents approve most cancellations, approve returns more often
    with evidence, and reject most, but not all, of the abuse they see."""
    draw = (index * 2654435761 + 40503) % 1000 / 1000
    if draw < 0.03:
        return "withdrawn"
    if abuse:
        return "reject" if draw < 0.75 else "approve"
    if kind == "CANCEL":
        return "approve" if draw < 0.93 else "reject"
    if kind == "REPLACEMENT":
        return "replace" if draw < 0.85 else "reject"
    approve = 0.88 if evidence else 0.7
    if draw < approve:
        return "approve"
    return "partial_refund" if draw < approve + 0.06 else "reject"


PICK_MARKET = _Choice({m: v[2] for m, v in MARKETS.items()})
PICK_CATEGORY = _Choice({c: v[2] for c, v in CATEGORIES.items()})
PICK_KIND = _Choice(KINDS)
PICK_REASON = {kind: _Choice(mix) for kind, mix in REASON_MIX.items()}
PICK_DROPSHIP = _Choice(
    {
        "NONE": 0.7,
        "SUPPLIER_NOT_SHIPPED": 0.08,
        "SUPPLIER_SHIPPED": 0.06,
        "IN_TRANSIT_TO_FORWARDER": 0.07,
        "AT_FORWARDER": 0.07,
        "FORWARDER_SHIPPED": 0.02,
    }
)


def _reason_codes() -> dict[tuple[str, str, str], list[str]]:
    """(market, doc, category) -> buyer-initiated reason names from the shipped table."""
    codes: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for row in reason_rows():
        if row.section.startswith("Buyer Initiates") and row.market in MARKETS:
            codes[(row.market, row.doc, row.category)].append(row.reason_name)
    return codes


class Generator:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.codes = _reason_codes()
        # Credit scores skew high with a low tail; drawn from a precomputed Beta(6, 1.8) table.
        self.credit = [max(0, min(100, int(self.rng.betavariate(6, 1.8) * 100))) for _ in range(4096)]

    def _reason_code(self, market: str, kind: str, category: str) -> tuple[str | None, str]:
        doc = DOC_OF_KIND[kind]
        choices = self.codes.get((market, doc, category))
        if choices:
            return self.rng.choice(choices), category
        return None, category  # no official code for it: the record carries the category only

    def record(self, index: int) -> dict[str, Any]:
        rng = self.rng
        market = PICK_MARKET(rng)
        currency, per_usd, _ = MARKETS[market]
        category = PICK_CATEGORY(rng)
        median, sigma, _ = CATEGORIES[category]
        credit = self.credit[int(rng.random() * 4096)]
        abuse_rate = 0.16 if credit < 50 else 0.05 if credit < 70 else 0.006
        abuse = rng.random() < abuse_rate
        if abuse and rng.random() < 0.7:  # abusers learn where automatic approval stops
            usd = rng.choice(ABUSE_THRESHOLDS_USD) * rng.uniform(0.90, 0.995)
        else:
            usd = median * math.exp(rng.gauss(0, sigma))
        kind = PICK_KIND(rng)
        reason_category = PICK_REASON[kind](rng)
        code, reason = self._reason_code(market, kind, reason_category)
        created = START + timedelta(seconds=_int(rng, 0, 300 * 86400))
        paid = created + timedelta(minutes=_int(rng, 1, 90))
        delivered_days = rng.choice((3, 4, 5, 6, 7, 8, 10, 14))
        expected = paid + timedelta(days=6)
        status, collected, delivered, request_at = self._timeline(kind, paid, delivered_days)
        last_scan = None
        exception = "NONE"
        if status == "IN_TRANSIT":
            stalled = rng.random() < 0.18
            last_scan = request_at - timedelta(days=_int(rng, 6, 12) if stalled else _int(rng, 0, 2))
            exception = "STALLED" if stalled else "NONE"
        elif status == "DELIVERED" and delivered is not None and delivered > expected:
            exception = "DELAYED"
        if reason == "DAMAGED" and rng.random() < 0.5:
            exception = "DAMAGED"
        dropship = PICK_DROPSHIP(rng) if kind == "CANCEL" else "NONE"
        amount = _money(usd * per_usd, per_usd, currency)
        postage = None
        if kind == "RETURN_AND_REFUND":
            postage = _money(rng.uniform(2.5, 9.0) * per_usd, per_usd, currency)
        evidence = []
        if kind != "CANCEL" and rng.random() < (0.35 if abuse else 0.55):
            evidence = rng.sample(["PHOTO", "VIDEO", "UNBOXING_VIDEO"], _int(rng, 1, 2))
        record: dict[str, Any] = {
            "case.id": f"{market}-{index:07d}",
            "case.platform": "TIKTOK",
            "case.market": market,
            "order.id": f"57{index:09d}",
            "order.status": status,
            "order.total": amount,
            "order.category": category,
            "order.sku": f"{category[:3].upper()}-{_int(rng, 1, 400):03d}",
            "order.quantity": 1 if rng.random() < 0.85 else _int(rng, 2, 4),
            "order.created_at": created,
            "order.paid_at": paid,
            "order.collected_at": collected,
            "order.delivered_at": delivered,
            "order.expected_delivery_at": expected,
            "order.is_cod": market in ("ID", "PH", "VN") and rng.random() < 0.3,
            "request.id": f"R{index:08d}",
            "request.kind": kind,
            "request.initiator": "BUYER" if rng.random() < 0.93 else "SELLER",
            "request.reason_code": code,
            "request.reason": None if code else reason,
            "request.refund_amount": amount,
            "request.return_shipping_fee": postage,
            "request.evidence": evidence,
            "request.created_at": request_at,
            "buyer.id": f"B{_int(rng, 1, 400_000):06d}",
            "buyer.credit_score": credit,
            "buyer.orders_90d": _int(rng, 0, 25),
            "buyer.refunds_90d": _int(rng, 0, 6 if abuse else 2),
            "buyer.blacklisted": abuse and rng.random() < 0.08,
            "buyer.account_age_days": _int(rng, 3, 2500),
            "logistics.last_scan_at": last_scan,
            "logistics.exception": exception,
            "dropship.stage": dropship,
            "dropship.item_cost": _money(usd * per_usd * 0.45, per_usd, currency)
            if dropship != "NONE"
            else None,
            "dropship.stranded_match": dropship == "AT_FORWARDER" and rng.random() < 0.3,
            "outcome.abuse": abuse,
            "outcome.handling_minutes": _int(rng, 2, 15),
            "outcome.decision": _agent_decision(index, kind, abuse, evidence),
            # The example stack's extension field (ttrules.yaml): when an out-of-stock item is
            # back, known for most of them. From the index, not the random stream, so that
            # every other field of every record is what it was before the field was added.
            "order.restock_days": (index * 7919) % 31 if reason == "OUT_OF_STOCK" and index % 5 else None,
        }
        return record

    def _timeline(
        self,
        kind: str,
        paid: datetime,
        delivered_days: int,
    ) -> tuple[str, datetime | None, datetime | None, datetime]:
        rng = self.rng
        if kind == "CANCEL":
            hours = rng.choice((0.3, 0.6, 2, 5, 20, 50, 80, 100))
            status = "AWAITING_SHIPMENT" if hours < 48 or rng.random() < 0.6 else "AWAITING_COLLECTION"
            return status, None, None, paid + timedelta(hours=hours)
        collected = paid + timedelta(hours=_int(rng, 12, 60))
        if kind == "REFUND" and rng.random() < 0.45:
            return "IN_TRANSIT", collected, None, collected + timedelta(days=_int(rng, 4, 16))
        delivered = paid + timedelta(days=delivered_days, hours=_int(rng, 0, 12))
        return "DELIVERED", collected, delivered, delivered + timedelta(days=_int(rng, 0, 20))

    def chunks(self, count: int, size: int = 50_000) -> Iterator[list[dict[str, Any]]]:
        for start in range(0, count, size):
            yield [self.record(i) for i in range(start, min(count, start + size))]


_INT_COLUMNS = {"order.restock_days"}


def _arrow_schema() -> Any:
    import pyarrow as pa

    sample = Generator(0).record(0)
    timestamp = pa.timestamp("us", tz="UTC")
    types = {
        datetime: timestamp,
        bool: pa.bool_(),
        int: pa.int64(),
        str: pa.string(),
        list: pa.list_(pa.string()),
    }
    fields = []
    for name, value in sample.items():
        kind = types.get(type(value), pa.string())
        if name.endswith(("_at",)):
            kind = timestamp
        if name in _INT_COLUMNS:  # often missing, so the sample record does not show the type
            kind = pa.int64()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def write_parquet(path: Path, count: int, seed: int = 7) -> None:
    """Write `count` records as Parquet, one row group per chunk (memory stays flat)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    names = schema.names
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for chunk in Generator(seed).chunks(count):
            columns = {name: [row[name] for row in chunk] for name in names}
            writer.write_table(pa.table(columns, schema=schema))


def write_jsonl(path: Path, count: int, seed: int = 7) -> None:
    def encode(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    with path.open("w", encoding="utf-8") as handle:
        for chunk in Generator(seed).chunks(count):
            for record in chunk:
                clean = {k: encode(v) for k, v in record.items() if v is not None}
                handle.write(json.dumps(clean, ensure_ascii=False) + "\n")


def write_csv(path: Path, count: int, seed: int = 7) -> None:
    """The same records as CSV, as an export writes them: sets as `A|B`, empty cells for
    missing values, booleans as true/false."""
    import csv

    names = _arrow_schema().names
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for chunk in Generator(seed).chunks(count):
            writer.writerows([csv_cell(record.get(name)) for name in names] for record in chunk)


def csv_cell(value: Any) -> str:
    """A value as a CSV export writes it (what the history reader reads back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "|".join(value)
    return str(value)
