"""`POST /v1/decide/tiktok`: the TikTok objects an ERP already holds, decided.

The body carries a Get Order Detail `order` and either a `cancellation` (Search Cancellations)
or a `return` (Search Returns), with what the exports lack given beside them: `buyer` facts,
`tracking` events, `return_records`, the order's `category`, the shop's `market`. They are
mapped by the importer's own code (`ttrules import tiktok` gives the same case for the same
objects), decided, and answered with the platform call the decision implies, as data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ttrules.engine import Engine
from ttrules.evaluate.decision import Decision
from ttrules.evaluate.explain import decision_json
from ttrules.importers.tiktok import ImportOptions, ImportReport, RequestSources, request_record
from ttrules.importers.tiktok_calls import platform_call

KEYS = ("order", "cancellation", "return", "buyer", "tracking", "return_records", "category", "market", "now")


class TikTokError(Exception):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['message']}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class TikTokDecision:
    record: dict[str, Any]
    decision: Decision
    body: dict[str, Any]


def _object(payload: dict[str, Any], key: str, problems: list[dict[str, str]]) -> dict[str, Any] | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, dict):
        problems.append({"field": key, "message": f"must be a JSON object, not {type(value).__name__}"})
        return None
    return value


def _list(payload: dict[str, Any], key: str, problems: list[dict[str, str]]) -> list[Any]:
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append({"field": key, "message": "must be a list of JSON objects"})
        return []
    return value


def map_request(
    payload: dict[str, Any], received: float, market: str | None
) -> tuple[str, str, dict[str, Any]]:
    """(kind, request id, case record) of a TikTok request; TikTokError names what is wrong."""
    problems: list[dict[str, str]] = []
    unknown = sorted(set(payload) - set(KEYS))
    if unknown:
        problems.append({"field": unknown[0], "message": f"unknown key (expected {', '.join(KEYS)})"})
    order = _object(payload, "order", problems)
    cancellation = _object(payload, "cancellation", problems)
    returned = _object(payload, "return", problems)
    buyer = _object(payload, "buyer", problems)
    tracking = _list(payload, "tracking", problems)
    records = _list(payload, "return_records", problems)
    if order is None and not any(p["field"] == "order" for p in problems):
        problems.append({"field": "order", "message": "required: the Get Order Detail order"})
    if (cancellation is None) == (returned is None):
        problems.append(
            {"field": "cancellation", "message": "give exactly one of `cancellation` and `return`"}
        )
    now = payload.get("now")
    if now is not None and not isinstance(now, str | int):
        problems.append({"field": "now", "message": "an ISO 8601 time or Unix seconds"})
    if problems:
        raise TikTokError(problems)
    assert order is not None
    kind, item = ("CANCEL", cancellation) if cancellation is not None else (None, returned)
    assert item is not None
    id_key = "cancel_id" if kind == "CANCEL" else "return_id"
    request_id = str(item.get(id_key, ""))
    report = ImportReport()
    sources = RequestSources(
        ImportOptions(market=payload.get("market") or market, now="created"),
        report,
        scans={str(order.get("id")): tracking},
        return_records={request_id: records},
        buyers={str(order.get("user_id", "")): buyer} if buyer else {},
    )
    try:
        record = request_record(kind, "request", item, order, sources)
    except (ValueError, TypeError, AttributeError) as error:
        raise TikTokError(
            [{"field": (kind and "cancellation") or "return", "message": f"cannot be mapped: {error}"}]
        ) from None
    assert record is not None
    if payload.get("category") and "order.category" not in record:
        record["order.category"] = str(payload["category"])
    # A live decision is made now (the history replay uses the request's own times instead).
    record["case.now"] = (
        now if now is not None else datetime.fromtimestamp(received, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )
    record.pop("source.payload", None)  # the ERP holds it; the log needn't repeat it
    record.pop("source.file", None)
    return kind or record["request.kind"], request_id, record


def decide_tiktok(
    engine: Engine, payload: dict[str, Any], received: float, market: str | None
) -> TikTokDecision:
    kind, request_id, record = map_request(payload, received, market)
    values = engine.values(record)
    decision = engine.decide_values(values)
    body = {
        "case": json.loads(json.dumps(record, default=str)),
        "decision": decision_json(decision),
        "platform_call": platform_call(decision, kind, request_id, values),
    }
    return TikTokDecision(record, decision, body)
