"""TikTok Shop Open API exports to history records.

Joins cancellations and returns to their orders (by order id, and by line item for partial
requests), maps every field SPEC §2 names from its API field, keeps the raw statuses and the
request's raw payload under `source.*`, derives `outcome.*` from the request's status, and
counts everything it could not use. Field by field mapping: docs/tiktok-import.md.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ttrules.importers.responses import Problems, data_objects
from ttrules.schema.enums import ENUMS, normalise_enum
from ttrules.schema.reasons import category_of

# Request statuses, canonical spelling after normalisation (see `request_status`).
APPROVED = {
    "CANCELLATION_REQUEST_SUCCESS",
    "CANCELLATION_REQUEST_COMPLETE",
    "RETURN_OR_REFUND_REQUEST_SUCCESS",
    "RETURN_OR_REFUND_REQUEST_COMPLETE",
    "AWAITING_BUYER_SHIP",
    "BUYER_SHIPPED_ITEM",
    "REPLACEMENT_REQUEST_REFUND_SUCCESS",
}
REPLACED = {"REPLACEMENT_REQUEST_COMPLETE"}
REJECTED = {"RETURN_OR_REFUND_REQUEST_REJECT", "REPLACEMENT_REQUEST_REJECT", "REJECT_RECEIVE_PACKAGE"}
WITHDRAWN = {"CANCELLATION_REQUEST_CANCEL", "RETURN_OR_REFUND_REQUEST_CANCEL", "REPLACEMENT_REQUEST_CANCEL"}
PENDING = {
    "CANCELLATION_REQUEST_PENDING",
    "RETURN_OR_REFUND_REQUEST_PENDING",
    "REPLACEMENT_REQUEST_PENDING",
    "AWAITING_BUYER_RESPONSE",
}
KNOWN_REQUEST_STATUSES = APPROVED | REPLACED | REJECTED | WITHDRAWN | PENDING
KNOWN_CANCEL_TYPES = {"CANCEL", "BUYER_CANCEL", "REQUEST_CANCEL_REFUND"}
# A market for orders without recipient_address.region_code (and no --market): by currency.
CURRENCY_MARKETS = {
    "MYR": "MY",
    "THB": "TH",
    "IDR": "ID",
    "PHP": "PH",
    "VND": "VN",
    "SGD": "SG",
    "GBP": "GB",
    "USD": "US",
    "MXN": "MX",
    "JPY": "JP",
}
NOW_CHOICES = ("updated", "deadline", "request")
# Fields the bundled rules read that an export may lack, and what fills them.
WATCHED_FIELDS = {
    "order.category": "--products (a catalog: product or SKU -> category)",
    "case.market": "--market (the shop's region), when orders lack recipient_address.region_code",
    "buyer.credit_score": "--buyers",
    "buyer.orders_90d": "--buyers",
    "buyer.refunds_90d": "--buyers",
    "buyer.account_age_days": "--buyers",
    "logistics.last_scan_at": "--tracking (Get Tracking responses)",
    "request.evidence": "--records (Get Return Records responses; returns only)",
    "order.paid_at": "the orders' paid_time",
    "order.expected_delivery_at": "the orders' delivery_sla_time",
    "request.reason_code": "the requests' cancel_reason / return_reason",
}
_UNBOXING = ("unbox", "开箱")  # a buyer's video the record calls an unboxing video


@dataclass(frozen=True)
class ImportOptions:
    """What the API exports lack, given by the user."""

    products: list[Path] = field(default_factory=list)  # catalog: category per product or SKU
    market: str | None = None  # the shop's market, for orders without a region code
    now: str = "updated"  # case.now: the request's update_time, the seller's deadline, or its creation


def request_status(raw: str) -> str:
    """The documented spelling drift, folded: *_REJECTED -> *_REJECT, *_CANCELLED -> *_CANCEL,
    REQUEST_SUCCESS -> RETURN_OR_REFUND_REQUEST_SUCCESS, doubled underscores."""
    status = raw.strip().upper()
    while "__" in status:
        status = status.replace("__", "_")
    if status.endswith("_REJECTED"):
        status = status[: -len("ED")]
    if status.endswith("_CANCELLED"):
        status = status[: -len("LED")]
    aliases = {
        "REQUEST_SUCCESS": "RETURN_OR_REFUND_REQUEST_SUCCESS",
        "REQUEST_REJECT": "RETURN_OR_REFUND_REQUEST_REJECT",
        "REFUND_OR_RETURN_REQUEST_REJECT": "RETURN_OR_REFUND_REQUEST_REJECT",
        "RETURN_OR_REFUND_CANCEL": "RETURN_OR_REFUND_REQUEST_CANCEL",
    }
    return aliases.get(status, status)


def timestamp(value: Any) -> str | None:
    """Unix seconds or milliseconds (or an ISO string) to ISO 8601 UTC."""
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        return value
    number = int(value)
    if number > 100_000_000_000:  # milliseconds: later than the year 5138 in seconds
        number //= 1000
    return datetime.fromtimestamp(number, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: Any, currency: Any) -> str | None:
    if amount in (None, "") or not currency:
        return None
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        return None
    return f"{value} {str(currency).strip().upper()}"


@dataclass
class ImportReport:
    written: int = 0
    orders: int = 0
    cancellations: int = 0
    returns: int = 0
    without_order: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unknown_values: Counter[tuple[str, str]] = field(default_factory=Counter)
    unknown_reason_codes: Counter[str] = field(default_factory=Counter)
    currencies: Counter[str] = field(default_factory=Counter)
    problems: Problems = field(default_factory=Problems)
    missing: Counter[str] = field(default_factory=Counter)  # watched field -> records without it
    markets_guessed: int = 0  # records whose market came from their currency
    products: int = 0  # catalog entries read

    def as_dict(self) -> dict[str, Any]:
        return {
            "records_written": self.written,
            "orders_read": self.orders,
            "cancellations_read": self.cancellations,
            "returns_read": self.returns,
            "requests_without_order": sorted(self.without_order),
            "duplicate_requests": sorted(self.duplicates),
            "unknown_values": [
                {"field": f, "value": v, "count": n} for (f, v), n in sorted(self.unknown_values.items())
            ],
            "unknown_reason_codes": dict(sorted(self.unknown_reason_codes.items())),
            "record_currencies": dict(sorted(self.currencies.items())),
            "catalog_entries": self.products,
            "markets_from_currency": self.markets_guessed,
            "missing_fields": [
                {
                    "field": name,
                    "records": self.missing[name],
                    "share": f"{self.missing[name] / self.written:.4f}" if self.written else "0",
                    "filled_by": WATCHED_FIELDS[name],
                }
                for name in WATCHED_FIELDS
                if self.missing[name]
            ],
            "skipped": self.problems.items,
        }


def _enum(report: ImportReport, field_name: str, enum: str, raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    value = normalise_enum(enum, str(raw))
    if value not in ENUMS[enum]:
        report.unknown_values[(field_name, str(raw))] += 1
    return value


def _by_id(
    objects: list[tuple[str, dict[str, Any]]],
    key: str,
    id_field: str,
) -> dict[str, list[Any]]:
    """Per-id lists from responses saved either with the id inside (`{"order_id": …,
    "tracking": […]}`) or keyed by id (`{"5770…": {"data": {"tracking": […]}}}`)."""
    found: dict[str, list[Any]] = {}
    for _, data in objects:
        if key in data and id_field in data:
            found.setdefault(str(data[id_field]), []).extend(data[key] or [])
            continue
        for identifier, value in data.items():
            inner = value.get("data", value) if isinstance(value, dict) else None
            if isinstance(inner, dict) and isinstance(inner.get(key), list):
                found.setdefault(str(identifier), []).extend(inner[key])
    return found


def _read_buyers(path: Path | None, report: ImportReport) -> dict[str, dict[str, Any]]:
    """buyers file: CSV or JSON Lines with buyer_id and any of credit_score, orders_90d,
    refunds_90d, blacklisted, account_age_days, abuse."""
    if path is None:
        return {}
    rows: list[dict[str, Any]] = []
    try:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
        else:
            rows = [
                json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, csv.Error) as error:
        report.problems.add(f"{path}: cannot read the buyers file: {error}")
        return {}
    buyers = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not row.get("buyer_id"):
            report.problems.add(f"{path}: row {number}: no buyer_id; skipped")
            continue
        buyers[str(row["buyer_id"])] = row
    return buyers


def _flag(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "y")


def _market(
    order: dict[str, Any], currency: str | None, options: ImportOptions, report: ImportReport
) -> str | None:
    """The recipient's region; else the shop's (--market); else the one its currency names."""
    region = (order.get("recipient_address") or {}).get("region_code")
    if region:
        return str(region).strip().upper()
    if options.market:
        return options.market
    guessed = CURRENCY_MARKETS.get(str(currency or "").upper())
    report.markets_guessed += guessed is not None
    return guessed


def _order_fields(order: dict[str, Any], options: ImportOptions, report: ImportReport) -> dict[str, Any]:
    payment = order.get("payment") or {}
    currency = payment.get("currency")
    if currency:
        report.currencies[str(currency).upper()] += 1
    return {
        "case.platform": "TIKTOK",
        "case.market": _market(order, currency, options, report),
        "order.id": str(order.get("id", "")),
        "order.status": _enum(report, "order.status", "OrderStatus", order.get("status")),
        "order.total": money(payment.get("total_amount"), currency),
        "order.created_at": timestamp(order.get("create_time")),
        "order.paid_at": timestamp(order.get("paid_time")),
        "order.shipped_at": timestamp(order.get("rts_time")),
        "order.collected_at": timestamp(order.get("collection_time")),
        "order.delivered_at": timestamp(order.get("delivery_time")),
        "order.expected_delivery_at": timestamp(
            order.get("delivery_sla_time") or order.get("delivery_option_required_delivery_time")
        ),
        "order.shipping_due_at": timestamp(order.get("shipping_due_time")),
        "order.collection_due_at": timestamp(order.get("collection_due_time")),
        "order.is_cod": bool(order.get("is_cod", False)),
        "order.is_replacement": bool(order.get("is_replacement_order", False)),
        "buyer.id": str(order.get("user_id", "")) or None,
        "logistics.carrier": order.get("shipping_provider"),
        "source.order_status": order.get("status"),
    }


def _line_items(
    order: dict[str, Any], requested: list[dict[str, Any]], catalog: dict[str, str]
) -> dict[str, Any]:
    """SKU, quantity and category of what the request covers (a partial request covers some
    lines); the category is the catalog's for the first line it knows (by SKU id, product id,
    then seller SKU)."""
    lines = {str(item.get("id")): item for item in order.get("line_items") or []}
    wanted = [lines.get(str(item.get("order_line_item_id"))) or item for item in requested]
    chosen = [item for item in wanted if item] or list(lines.values())
    sku = next((item.get("seller_sku") for item in chosen if item.get("seller_sku")), None)
    category = next(
        (
            catalog[str(item[key])]
            for item in chosen
            for key in ("sku_id", "product_id", "seller_sku")
            if item.get(key) not in (None, "") and str(item[key]) in catalog
        ),
        None,
    )
    return {
        "order.sku": sku,
        "order.quantity": max(1, len(chosen)),
        "order.category": category,
        "request.items_value": _items_value(chosen, order),
    }


def _items_value(lines: list[dict[str, Any]], order: dict[str, Any]) -> str | None:
    """The sale price of the lines, in their currency (the order's when a line names none);
    unknown when a line has no sale price."""
    prices = [
        (line.get("sale_price"), line.get("currency") or (order.get("payment") or {}).get("currency"))
        for line in lines
    ]
    if not prices or any(p in (None, "") or not c for p, c in prices) or len({c for _, c in prices}) > 1:
        return None
    try:
        total = sum((Decimal(str(p).strip()) for p, _ in prices), Decimal(0))
    except InvalidOperation:
        return None
    return money(total, prices[0][1])


def _request_fields(
    kind: str, item: dict[str, Any], id_key: str, reason_key: str, report: ImportReport
) -> dict[str, Any]:
    refund = item.get("refund_amount") or {}
    role = item.get("role")
    initiator = _enum(report, "request.initiator", "Initiator", str(role).upper() if role else None)
    reason_code = item.get(reason_key)
    if reason_code and category_of(str(reason_code)) is None:
        report.unknown_reason_codes[str(reason_code)] += 1
    deadlines = [
        step.get("deadline")
        for step in item.get("seller_next_action_response") or []
        if isinstance(step, dict) and step.get("deadline")
    ]
    keeps = item.get("can_buyer_keep_item")
    return {
        "request.id": str(item.get(id_key, "")),
        "request.kind": kind,
        "request.initiator": initiator or "BUYER",
        "request.reason_code": reason_code,
        "request.refund_amount": money(refund.get("refund_total"), refund.get("currency")),
        "request.created_at": timestamp(item.get("create_time")),
        "request.updated_at": timestamp(item.get("update_time")),
        "request.respond_by": timestamp(min(int(d) for d in deadlines)) if deadlines else None,
        "request.buyer_keeps_item": keeps if isinstance(keeps, bool) else _flag(keeps),
        "request.arbitration_status": _enum(
            report, "request.arbitration_status", "ArbitrationStatus", item.get("arbitration_status")
        ),
    }


def _outcome(status: str, kind: str, item: dict[str, Any]) -> dict[str, Any]:
    refund = item.get("refund_amount") or {}
    partial = item.get("partial_refund") or {}
    if (
        status in APPROVED
        and item.get("seller_proposed_return_type") == "PARTIAL_REFUND"
        and not item.get("buyer_rejected_partial_refund")
    ):
        return {
            "outcome.decision": "partial_refund",
            "outcome.refunded": money(partial.get("amount"), partial.get("currency")),
        }
    if status in APPROVED:
        decision = "replace" if kind == "REPLACEMENT" else "approve"
        return {
            "outcome.decision": decision,
            "outcome.refunded": money(refund.get("refund_total"), refund.get("currency"))
            if decision == "approve"
            else None,
        }
    if status in REPLACED:
        return {"outcome.decision": "replace"}
    if status in REJECTED:
        return {"outcome.decision": "reject"}
    if status in WITHDRAWN:
        return {"outcome.decision": "withdrawn"}
    return {}


def _return_postage(item: dict[str, Any]) -> str | None:
    fees = item.get("shipping_fee_amount") or []
    fee = fees[0] if isinstance(fees, list) and fees else fees if isinstance(fees, dict) else {}
    parts = [
        fee.get(k)
        for k in (
            "seller_paid_return_shipping_fee",
            "platform_paid_return_shipping_fee",
            "buyer_paid_return_shipping_fee",
        )
    ]
    values = [Decimal(str(p)) for p in parts if p not in (None, "")]
    return money(sum(values, Decimal(0)), fee.get("currency")) if values else None


def _evidence(records: list[dict[str, Any]]) -> list[str]:
    """What the buyer supplied: photos, and videos (an unboxing video where the record's text
    says so). The seller's own images are not the buyer's evidence."""
    kinds = set()
    for record in records:
        if str(record.get("role") or "").upper() == "SELLER":
            continue
        if record.get("images"):
            kinds.add("PHOTO")
        if record.get("videos"):
            text = " ".join(
                str(record.get(k) or "") for k in ("description", "note", "reason_text", "event")
            ).lower()
            kinds.add("UNBOXING_VIDEO" if any(word in text for word in _UNBOXING) else "VIDEO")
    return sorted(kinds)


def _now(record: dict[str, Any], choice: str) -> str | None:
    """case.now for a replay: when the seller really decided (the request's last update), the
    seller's deadline, or the request's creation (the loader's default)."""
    if choice == "updated":
        return record.get("request.updated_at")
    if choice == "deadline":
        return record.get("request.respond_by") or record.get("request.updated_at")
    return None


def read_catalog(paths: list[Path], report: ImportReport) -> dict[str, str]:
    """Category per SKU id, product id or seller SKU: CSV files with a `category` column and any
    of `sku_id`, `product_id`, `seller_sku`; or Get Product responses (`id`, `category_chains`,
    `skus`), whose category is the leaf's `local_name`."""
    catalog: dict[str, str] = {}
    for path in paths:
        if path.suffix.lower() == ".csv":
            _catalog_csv(path, catalog, report)
            continue
        for _, data in data_objects([path], report.problems):
            products = data.get("products") if isinstance(data.get("products"), list) else [data]
            for product in products:
                category = _leaf_category(product.get("category_chains"))
                if category is None or not product.get("id"):
                    continue
                catalog[str(product["id"])] = category
                for sku in product.get("skus") or []:
                    for key in ("id", "seller_sku"):
                        if isinstance(sku, dict) and sku.get(key):
                            catalog[str(sku[key])] = category
                report.products += 1
    return catalog


def _leaf_category(chains: Any) -> str | None:
    if not isinstance(chains, list) or not chains:
        return None
    leaf = next((c for c in chains if isinstance(c, dict) and c.get("is_leaf")), chains[-1])
    name = str(leaf.get("local_name") or "").strip() if isinstance(leaf, dict) else ""
    return name or None


def _catalog_csv(path: Path, catalog: dict[str, str], report: ImportReport) -> None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        report.problems.add(f"{path}: cannot read the catalog: {error}")
        return
    for number, row in enumerate(rows, start=2):
        category = (row.get("category") or "").strip()
        keys = [
            str(row[k]).strip() for k in ("sku_id", "product_id", "seller_sku") if (row.get(k) or "").strip()
        ]
        if not category or not keys:
            report.problems.add(
                f"{path}:{number}: a catalog row needs `category` and one of "
                "sku_id, product_id, seller_sku; skipped"
            )
            continue
        for key in keys:
            catalog[key] = category
        report.products += 1


def _latest(
    items: list[tuple[str, dict[str, Any]]],
    id_key: str,
    report: ImportReport,
) -> dict[str, tuple[str, dict[str, Any]]]:
    """One entry per request id: the one updated last wins, and the report says so."""
    chosen: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, item in items:
        key = str(item.get(id_key, ""))
        if not key:
            report.problems.add(f"{where}: a request without `{id_key}`; skipped")
            continue
        if key in chosen:
            report.duplicates.append(key)
            if int(item.get("update_time") or 0) < int(chosen[key][1].get("update_time") or 0):
                continue
        chosen[key] = (where, item)
    return chosen


@dataclass
class RequestSources:
    """What a request is joined with: the user's options and the other exports, by id."""

    options: ImportOptions
    report: ImportReport
    catalog: dict[str, str] = field(default_factory=dict)
    scans: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by order id
    return_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by return id
    buyers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by user id


def request_record(
    kind: str | None,
    where: str,
    item: dict[str, Any],
    order: dict[str, Any] | None,
    sources: RequestSources,
) -> dict[str, Any] | None:
    """One case record from a cancellation (kind CANCEL) or a return (kind None: its
    return_type says) and its order, or None (counted in the report) without the order."""
    options, report = sources.options, sources.report
    keys = "cancel" if kind == "CANCEL" else "return"
    id_key, reason_key, status_key, lines_key = (
        f"{keys}_id",
        f"{keys}_reason",
        f"{keys}_status",
        f"{keys}_line_items",
    )
    catalog, scans, return_records, buyer_rows = (
        sources.catalog,
        sources.scans,
        sources.return_records,
        sources.buyers,
    )
    if kind is None:
        kind = _enum(report, "request.kind", "RequestKind", item.get("return_type")) or "REFUND"
    else:
        raw_type = item.get("cancel_type")
        if raw_type and str(raw_type) not in KNOWN_CANCEL_TYPES:
            report.unknown_values[("cancel_type", str(raw_type))] += 1
    request_id = str(item.get(id_key, ""))
    if order is None:
        report.without_order.append(request_id)
        return None
    raw_status = str(item.get(status_key) or "")
    status = request_status(raw_status) if raw_status else ""
    if raw_status and status not in KNOWN_REQUEST_STATUSES:
        report.unknown_values[(status_key, raw_status)] += 1
    record = {
        "case.id": f"{kind}-{request_id}",
        **_order_fields(order, options, report),
        **_line_items(order, item.get(lines_key) or [], catalog),
        **_request_fields(kind, item, id_key, reason_key, report),
        **_outcome(status, kind, item),
    }
    record["case.now"] = _now(record, options.now)
    if kind != "CANCEL":
        record["request.return_shipping_fee"] = _return_postage(item)
        record["request.evidence"] = _evidence(return_records.get(request_id, []))
    order_scans = [
        e.get("update_time_millis") or e.get("update_time") for e in scans.get(str(order.get("id")), [])
    ]
    order_scans = [s for s in order_scans if s]
    if order_scans:
        record["logistics.last_scan_at"] = timestamp(max(int(s) for s in order_scans))
    buyer = buyer_rows.get(str(order.get("user_id", "")))
    if buyer:
        for name in ("credit_score", "orders_90d", "refunds_90d", "account_age_days"):
            if buyer.get(name) not in (None, ""):
                record[f"buyer.{name}"] = int(buyer[name])
        if _flag(buyer.get("blacklisted")) is not None:
            record["buyer.blacklisted"] = _flag(buyer.get("blacklisted"))
        if _flag(buyer.get("abuse")) is not None:
            record["outcome.abuse"] = _flag(buyer.get("abuse"))
    record.update(
        {
            "source.request_status": raw_status or None,
            "source.request_type": item.get("return_type") or item.get("cancel_type"),
            "source.file": where,
            "source.payload": json.dumps(item, ensure_ascii=False, sort_keys=True, default=str),
        }
    )
    record = {k: v for k, v in record.items() if v is not None}
    for name in WATCHED_FIELDS:
        if name == "request.evidence":
            # Unknown only for a return whose records were not given (a cancellation has
            # no evidence; a return with records and no media has none).
            report.missing[name] += kind != "CANCEL" and request_id not in return_records
        elif record.get(name) in (None, ""):
            report.missing[name] += 1
    return record


def import_tiktok(
    orders: list[Path],
    cancellations: list[Path],
    returns: list[Path],
    tracking: list[Path],
    records: list[Path],
    buyers: Path | None,
    options: ImportOptions | None = None,
) -> tuple[list[dict[str, Any]], ImportReport]:
    options = options or ImportOptions()
    report = ImportReport()
    problems = report.problems
    catalog = read_catalog(options.products, report)
    order_index: dict[str, dict[str, Any]] = {}
    for _, data in data_objects(orders, problems):
        for order in data.get("orders") or ([data] if "id" in data and "status" in data else []):
            order_index[str(order.get("id"))] = order
            report.orders += 1
    cancel_items = [
        (w, c) for w, d in data_objects(cancellations, problems) for c in d.get("cancellations") or []
    ]
    return_items = [(w, r) for w, d in data_objects(returns, problems) for r in d.get("return_orders") or []]
    report.cancellations, report.returns = len(cancel_items), len(return_items)
    scans = _by_id(list(data_objects(tracking, problems)), "tracking", "order_id")
    return_records = _by_id(list(data_objects(records, problems)), "records", "return_id")
    buyer_rows = _read_buyers(buyers, report)

    out: list[dict[str, Any]] = []
    requests: list[tuple[str | None, str, dict[str, Any]]] = [
        ("CANCEL", where, item) for where, item in _latest(cancel_items, "cancel_id", report).values()
    ]
    requests += [(None, where, item) for where, item in _latest(return_items, "return_id", report).values()]
    sources = RequestSources(options, report, catalog, scans, return_records, buyer_rows)
    for kind, where, item, *_ in requests:
        record = request_record(kind, where, item, order_index.get(str(item.get("order_id", ""))), sources)
        if record is not None:
            out.append(record)
    report.written = len(out)
    return out, report
