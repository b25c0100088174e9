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
APPROVED = {"CANCELLATION_REQUEST_SUCCESS", "CANCELLATION_REQUEST_COMPLETE",
            "RETURN_OR_REFUND_REQUEST_SUCCESS", "RETURN_OR_REFUND_REQUEST_COMPLETE",
            "AWAITING_BUYER_SHIP", "BUYER_SHIPPED_ITEM", "REPLACEMENT_REQUEST_REFUND_SUCCESS"}
REPLACED = {"REPLACEMENT_REQUEST_COMPLETE"}
REJECTED = {"RETURN_OR_REFUND_REQUEST_REJECT", "REPLACEMENT_REQUEST_REJECT", "REJECT_RECEIVE_PACKAGE"}
WITHDRAWN = {"CANCELLATION_REQUEST_CANCEL", "RETURN_OR_REFUND_REQUEST_CANCEL",
             "REPLACEMENT_REQUEST_CANCEL"}
PENDING = {"CANCELLATION_REQUEST_PENDING", "RETURN_OR_REFUND_REQUEST_PENDING",
           "REPLACEMENT_REQUEST_PENDING", "AWAITING_BUYER_RESPONSE"}
KNOWN_REQUEST_STATUSES = APPROVED | REPLACED | REJECTED | WITHDRAWN | PENDING
KNOWN_CANCEL_TYPES = {"CANCEL", "BUYER_CANCEL", "REQUEST_CANCEL_REFUND"}


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
    aliases = {"REQUEST_SUCCESS": "RETURN_OR_REFUND_REQUEST_SUCCESS",
               "REQUEST_REJECT": "RETURN_OR_REFUND_REQUEST_REJECT",
               "REFUND_OR_RETURN_REQUEST_REJECT": "RETURN_OR_REFUND_REQUEST_REJECT",
               "RETURN_OR_REFUND_CANCEL": "RETURN_OR_REFUND_REQUEST_CANCEL"}
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "records_written": self.written,
            "orders_read": self.orders, "cancellations_read": self.cancellations,
            "returns_read": self.returns,
            "requests_without_order": sorted(self.without_order),
            "duplicate_requests": sorted(self.duplicates),
            "unknown_values": [{"field": f, "value": v, "count": n}
                               for (f, v), n in sorted(self.unknown_values.items())],
            "unknown_reason_codes": dict(sorted(self.unknown_reason_codes.items())),
            "record_currencies": dict(sorted(self.currencies.items())),
            "skipped": self.problems.items,
        }


def _enum(report: ImportReport, field_name: str, enum: str, raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    value = normalise_enum(enum, str(raw))
    if value not in ENUMS[enum]:
        report.unknown_values[(field_name, str(raw))] += 1
    return value


def _by_id(objects: list[tuple[str, dict[str, Any]]], key: str, id_field: str,
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
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip()]
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


def _order_fields(order: dict[str, Any], report: ImportReport) -> dict[str, Any]:
    payment = order.get("payment") or {}
    currency = payment.get("currency")
    if currency:
        report.currencies[str(currency).upper()] += 1
    address = order.get("recipient_address") or {}
    return {
        "case.platform": "TIKTOK",
        "case.market": address.get("region_code"),
        "order.id": str(order.get("id", "")),
        "order.status": _enum(report, "order.status", "OrderStatus", order.get("status")),
        "order.total": money(payment.get("total_amount"), currency),
        "order.created_at": timestamp(order.get("create_time")),
        "order.paid_at": timestamp(order.get("paid_time")),
        "order.shipped_at": timestamp(order.get("rts_time")),
        "order.collected_at": timestamp(order.get("collection_time")),
        "order.delivered_at": timestamp(order.get("delivery_time")),
        "order.expected_delivery_at": timestamp(order.get("delivery_sla_time")
                                                or order.get("delivery_option_required_delivery_time")),
        "order.is_cod": bool(order.get("is_cod", False)),
        "buyer.id": str(order.get("user_id", "")) or None,
        "logistics.carrier": order.get("shipping_provider"),
        "source.order_status": order.get("status"),
    }


def _line_items(order: dict[str, Any], requested: list[dict[str, Any]]) -> dict[str, Any]:
    """SKU and quantity of what the request covers (a partial request covers some lines)."""
    lines = {str(item.get("id")): item for item in order.get("line_items") or []}
    wanted = [lines.get(str(item.get("order_line_item_id"))) or item for item in requested]
    chosen = [item for item in wanted if item] or list(lines.values())
    sku = next((item.get("seller_sku") for item in chosen if item.get("seller_sku")), None)
    return {"order.sku": sku, "order.quantity": max(1, len(chosen))}


def _request_fields(kind: str, item: dict[str, Any], id_key: str, reason_key: str,
                    report: ImportReport) -> dict[str, Any]:
    refund = item.get("refund_amount") or {}
    role = item.get("role")
    initiator = _enum(report, "request.initiator", "Initiator", str(role).upper() if role else None)
    reason_code = item.get(reason_key)
    if reason_code and category_of(str(reason_code)) is None:
        report.unknown_reason_codes[str(reason_code)] += 1
    return {
        "request.id": str(item.get(id_key, "")),
        "request.kind": kind,
        "request.initiator": initiator or "BUYER",
        "request.reason_code": reason_code,
        "request.refund_amount": money(refund.get("refund_total"), refund.get("currency")),
        "request.created_at": timestamp(item.get("create_time")),
    }


def _outcome(status: str, kind: str, item: dict[str, Any]) -> dict[str, Any]:
    refund = item.get("refund_amount") or {}
    partial = item.get("partial_refund") or {}
    if status in APPROVED and item.get("seller_proposed_return_type") == "PARTIAL_REFUND" \
            and not item.get("buyer_rejected_partial_refund"):
        return {"outcome.decision": "partial_refund",
                "outcome.refunded": money(partial.get("amount"), partial.get("currency"))}
    if status in APPROVED:
        decision = "replace" if kind == "REPLACEMENT" else "approve"
        return {"outcome.decision": decision,
                "outcome.refunded": money(refund.get("refund_total"), refund.get("currency"))
                if decision == "approve" else None}
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
    parts = [fee.get(k) for k in ("seller_paid_return_shipping_fee",
                                  "platform_paid_return_shipping_fee",
                                  "buyer_paid_return_shipping_fee")]
    values = [Decimal(str(p)) for p in parts if p not in (None, "")]
    return money(sum(values, Decimal(0)), fee.get("currency")) if values else None


def _evidence(records: list[dict[str, Any]]) -> list[str]:
    kinds = set()
    for record in records:
        if record.get("images"):
            kinds.add("PHOTO")
        if record.get("videos"):
            kinds.add("VIDEO")
    return sorted(kinds)


def _latest(items: list[tuple[str, dict[str, Any]]], id_key: str, report: ImportReport,
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


def import_tiktok(orders: list[Path], cancellations: list[Path], returns: list[Path],
                  tracking: list[Path], records: list[Path], buyers: Path | None,
                  ) -> tuple[list[dict[str, Any]], ImportReport]:
    report = ImportReport()
    problems = report.problems
    order_index: dict[str, dict[str, Any]] = {}
    for _, data in data_objects(orders, problems):
        for order in data.get("orders") or ([data] if "id" in data and "status" in data else []):
            order_index[str(order.get("id"))] = order
            report.orders += 1
    cancel_items = [(w, c) for w, d in data_objects(cancellations, problems)
                    for c in d.get("cancellations") or []]
    return_items = [(w, r) for w, d in data_objects(returns, problems)
                    for r in d.get("return_orders") or []]
    report.cancellations, report.returns = len(cancel_items), len(return_items)
    scans = _by_id(list(data_objects(tracking, problems)), "tracking", "order_id")
    return_records = _by_id(list(data_objects(records, problems)), "records", "return_id")
    buyer_rows = _read_buyers(buyers, report)

    out: list[dict[str, Any]] = []
    requests = [("CANCEL", where, item, "cancel_id", "cancel_reason", "cancel_status", "cancel_line_items")
                for where, item in _latest(cancel_items, "cancel_id", report).values()]
    requests += [(None, where, item, "return_id", "return_reason", "return_status", "return_line_items")
                 for where, item in _latest(return_items, "return_id", report).values()]
    for kind, where, item, id_key, reason_key, status_key, lines_key in requests:
        if kind is None:
            kind = _enum(report, "request.kind", "RequestKind", item.get("return_type")) or "REFUND"
        else:
            raw_type = item.get("cancel_type")
            if raw_type and str(raw_type) not in KNOWN_CANCEL_TYPES:
                report.unknown_values[("cancel_type", str(raw_type))] += 1
        order = order_index.get(str(item.get("order_id", "")))
        request_id = str(item.get(id_key, ""))
        if order is None:
            report.without_order.append(request_id)
            continue
        raw_status = str(item.get(status_key) or "")
        status = request_status(raw_status) if raw_status else ""
        if raw_status and status not in KNOWN_REQUEST_STATUSES:
            report.unknown_values[(status_key, raw_status)] += 1
        record = {"case.id": f"{kind}-{request_id}", **_order_fields(order, report),
                  **_line_items(order, item.get(lines_key) or []),
                  **_request_fields(kind, item, id_key, reason_key, report),
                  **_outcome(status, kind, item)}
        if kind != "CANCEL":
            record["request.return_shipping_fee"] = _return_postage(item)
            record["request.evidence"] = _evidence(return_records.get(request_id, []))
        order_scans = [e.get("update_time_millis") or e.get("update_time")
                       for e in scans.get(str(order.get("id")), [])]
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
        record.update({"source.request_status": raw_status or None,
                       "source.request_type": item.get("return_type") or item.get("cancel_type"),
                       "source.file": where,
                       "source.payload": json.dumps(item, ensure_ascii=False, sort_keys=True,
                                                    default=str)})
        out.append({k: v for k, v in record.items() if v is not None})
    report.written = len(out)
    return out, report
