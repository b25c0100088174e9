"""`ttrules import tiktok` on fixtures written from the TikTok Shop API reference pages.

Every expected value below was written by hand from the fixture files (timestamps are the Unix
times in the fixtures, converted once to UTC).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.importers.tiktok import request_status, timestamp

from helpers import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "tiktok"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], dict, str, int]:
    out = tmp_path_factory.mktemp("import") / "history.jsonl"
    report = out.with_name("report.json")
    result = CliRunner().invoke(cli, [
        "import", "tiktok",
        "--orders", str(FIXTURES / "orders-page1.json"), "--orders", str(FIXTURES / "orders-page2.jsonl"),
        "--cancellations", str(FIXTURES / "cancellations.json"),
        "--returns", str(FIXTURES / "returns*.json"),
        "--tracking", str(FIXTURES / "tracking.json"), "--records", str(FIXTURES / "records.jsonl"),
        "--buyers", str(FIXTURES / "buyers.csv"), "--out", str(out), "--report", str(report)],
        catch_exceptions=False)
    records = {json.loads(line)["request.id"]: json.loads(line) for line in out.read_text().splitlines()}
    return records, json.loads(report.read_text()), result.output, result.exit_code


def test_return_and_refund_fields(imported) -> None:  # type: ignore[no-untyped-def]
    record = imported[0]["4035318504086700002"]
    expected = {
        "case.id": "RETURN_AND_REFUND-4035318504086700002", "case.platform": "TIKTOK", "case.market": "MY",
        "order.id": "577086512001000001", "order.status": "DELIVERED", "order.total": "84.80 MYR",
        "order.created_at": "2025-11-01T07:00:00Z", "order.paid_at": "2025-11-01T07:01:00Z",
        "order.shipped_at": "2025-11-02T03:10:00Z", "order.collected_at": "2025-11-02T08:00:00Z",
        "order.delivered_at": "2025-11-06T07:00:00Z", "order.expected_delivery_at": "2025-11-07T07:00:00Z",
        "order.is_cod": False, "order.sku": "KB-RGB-87", "order.quantity": 1,
        "logistics.carrier": "J&T Express", "buyer.id": "7021436810468230001",
        "request.kind": "RETURN_AND_REFUND", "request.initiator": "BUYER",
        "request.reason_code": "ecom_order_delivered_refund_and_return_reason_defective",
        "request.refund_amount": "84.80 MYR", "request.return_shipping_fee": "6.50 MYR",
        "request.evidence": ["PHOTO", "VIDEO"], "request.created_at": "2025-11-07T07:00:00Z",
        "buyer.credit_score": 82, "buyer.orders_90d": 6, "buyer.refunds_90d": 1,
        "buyer.blacklisted": False, "buyer.account_age_days": 730,
        "outcome.decision": "reject", "outcome.abuse": False,
        "source.order_status": "DELIVERED", "source.request_status": "RETURN_OR_REFUND_REQUEST_REJECTED",
        "source.request_type": "RETURN_AND_REFUND",
    }
    for key, value in expected.items():
        assert record[key] == value, key
    assert json.loads(record["source.payload"])["return_id"] == "4035318504086700002"


def test_refund_with_tracking_and_abuse_label(imported) -> None:  # type: ignore[no-untyped-def]
    record = imported[0]["4035318504086700001"]
    assert record["order.status"] == "IN_TRANSIT" and record["case.market"] == "PH"
    assert record["order.total"] == "1344.00 PHP"
    assert record["logistics.last_scan_at"] == "2025-11-01T09:40:00Z"  # update_time_millis, newest
    assert record["outcome.decision"] == "approve" and record["outcome.refunded"] == "1344.00 PHP"
    assert record["source.request_status"] == "REQUEST_SUCCESS"  # the raw spelling is kept
    assert record["buyer.credit_score"] == 41 and record["outcome.abuse"] is True


def test_cancellations_duplicates_and_order_status_spelling(imported) -> None:  # type: ignore[no-untyped-def]
    records = imported[0]
    late = records["4035318504086600001"]  # on both pages: the later update wins
    assert late["outcome.decision"] == "approve"
    assert late["source.request_status"] == "CANCELLATION_REQUEST_SUCCESS"
    assert late["order.is_cod"] is True and late["order.total"] == "590 THB"
    assert late["request.created_at"] == "2025-11-03T06:00:00Z"
    cancelled = records["4035318504086600002"]
    assert cancelled["order.status"] == "CANCELLED" and cancelled["source.order_status"] == "CANCEL"
    assert cancelled["request.kind"] == "CANCEL" and cancelled["order.sku"] == "CASE-IP15"


def test_replacement_partial_refund_and_line_items(imported) -> None:  # type: ignore[no-untyped-def]
    replacement = imported[0]["4035318504086700003"]
    assert replacement["request.kind"] == "REPLACEMENT" and replacement["outcome.decision"] == "replace"
    assert replacement["order.sku"] == "MUG-RED" and replacement["order.quantity"] == 1
    partial = imported[0]["4035318504086700004"]
    assert partial["outcome.decision"] == "partial_refund" and partial["outcome.refunded"] == "120 THB"
    assert partial["order.sku"] == "MUG-GRN"


def test_the_report_is_exact(imported) -> None:  # type: ignore[no-untyped-def]
    records, report, output, code = imported
    assert code == 1  # something could not be used, and the report says what
    assert report["records_written"] == len(records) == 7
    assert (report["orders_read"], report["cancellations_read"], report["returns_read"]) == (5, 3, 6)
    assert report["requests_without_order"] == ["4035318504086700005"]
    assert report["duplicate_requests"] == ["4035318504086600001"]
    assert report["unknown_values"] == [{"field": "request.kind", "value": "EXCHANGE", "count": 1}]
    assert report["unknown_reason_codes"] == {"ecom_some_reason_added_next_year": 1}
    assert report["record_currencies"] == {"MYR": 3, "PHP": 1, "THB": 3}
    assert len(report["skipped"]) == 2
    assert "returns-error.json: an API error response was saved (code 36009004" in report["skipped"][0]
    assert "returns-truncated.json:1:" in report["skipped"][1] and "truncated" in report["skipped"][1]
    assert "unknown value kept: request.kind = EXCHANGE (1x)" in output


def test_import_then_simulate_end_to_end(imported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = tmp_path / "history.parquet"
    CliRunner().invoke(cli, [
        "import", "tiktok", "--orders", str(FIXTURES / "orders-page1.json"),
        "--orders", str(FIXTURES / "orders-page2.jsonl"),
        "--cancellations", str(FIXTURES / "cancellations.json"), "--returns", str(FIXTURES / "returns.json"),
        "--out", str(history)], catch_exceptions=False)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, [
        "simulate", "--history", str(history), "--baseline", str(ROOT), "--candidate", str(ROOT),
        "--format", "json", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["records"]["decided"] == 7 and report["records"]["skipped"] == 0
    assert report["changed"]["count"] == 0  # the same stack on both sides


@pytest.mark.parametrize(("raw", "canonical"), [
    ("RETURN_OR_REFUND_REQUEST_REJECTED", "RETURN_OR_REFUND_REQUEST_REJECT"),
    ("REQUEST_SUCCESS", "RETURN_OR_REFUND_REQUEST_SUCCESS"),
    ("RETURN_OR_REFUND__REQUEST_CANCELLED", "RETURN_OR_REFUND_REQUEST_CANCEL"),
    ("RETURN_OR_REFUND_CANCEL", "RETURN_OR_REFUND_REQUEST_CANCEL"),
    ("CANCELLATION_REQUEST_CANCELLED", "CANCELLATION_REQUEST_CANCEL"),
    ("REFUND_OR_RETURN_REQUEST_REJECT", "RETURN_OR_REFUND_REQUEST_REJECT"),
])
def test_status_spelling_drift(raw: str, canonical: str) -> None:
    assert request_status(raw) == canonical


def test_timestamps_in_seconds_and_milliseconds() -> None:
    assert timestamp(1761990000) == timestamp(1761990000000) == "2025-11-01T09:40:00Z"
    assert timestamp(None) is None and timestamp(0) is None
