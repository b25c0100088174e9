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

from helpers import ROOT, simulate_cli

FIXTURES = ROOT / "tests" / "fixtures" / "tiktok"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], dict, str, int]:
    out = tmp_path_factory.mktemp("import") / "history.jsonl"
    report = out.with_name("report.json")
    result = CliRunner().invoke(
        cli,
        [
            "import",
            "tiktok",
            "--orders",
            str(FIXTURES / "orders-page1.json"),
            "--orders",
            str(FIXTURES / "orders-page2.jsonl"),
            "--cancellations",
            str(FIXTURES / "cancellations.json"),
            "--returns",
            str(FIXTURES / "returns*.json"),
            "--tracking",
            str(FIXTURES / "tracking.json"),
            "--records",
            str(FIXTURES / "records.jsonl"),
            "--buyers",
            str(FIXTURES / "buyers.csv"),
            "--out",
            str(out),
            "--report",
            str(report),
        ],
        catch_exceptions=False,
    )
    records = {json.loads(line)["request.id"]: json.loads(line) for line in out.read_text().splitlines()}
    return records, json.loads(report.read_text()), result.output, result.exit_code


def test_return_and_refund_fields(imported) -> None:  # type: ignore[no-untyped-def]
    record = imported[0]["4035318504086700002"]
    expected = {
        "case.id": "RETURN_AND_REFUND-4035318504086700002",
        "case.platform": "TIKTOK",
        "case.market": "MY",
        "order.id": "577086512001000001",
        "order.status": "DELIVERED",
        "order.total": "84.80 MYR",
        "order.created_at": "2025-11-01T07:00:00Z",
        "order.paid_at": "2025-11-01T07:01:00Z",
        "order.shipped_at": "2025-11-02T03:10:00Z",
        "order.collected_at": "2025-11-02T08:00:00Z",
        "order.delivered_at": "2025-11-06T07:00:00Z",
        "order.expected_delivery_at": "2025-11-07T07:00:00Z",
        "order.is_cod": False,
        "order.sku": "KB-RGB-87",
        "order.quantity": 1,
        "logistics.carrier": "J&T Express",
        "buyer.id": "7021436810468230001",
        "request.kind": "RETURN_AND_REFUND",
        "request.initiator": "BUYER",
        "request.reason_code": "ecom_order_delivered_refund_and_return_reason_defective",
        "request.refund_amount": "84.80 MYR",
        "request.return_shipping_fee": "6.50 MYR",
        "request.evidence": ["PHOTO", "VIDEO"],
        "request.created_at": "2025-11-07T07:00:00Z",
        "buyer.credit_score": 82,
        "buyer.orders_90d": 6,
        "buyer.refunds_90d": 1,
        "buyer.blacklisted": False,
        "buyer.account_age_days": 730,
        "outcome.decision": "reject",
        "outcome.abuse": False,
        "source.order_status": "DELIVERED",
        "source.request_status": "RETURN_OR_REFUND_REQUEST_REJECTED",
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
    CliRunner().invoke(
        cli,
        [
            "import",
            "tiktok",
            "--orders",
            str(FIXTURES / "orders-page1.json"),
            "--orders",
            str(FIXTURES / "orders-page2.jsonl"),
            "--cancellations",
            str(FIXTURES / "cancellations.json"),
            "--returns",
            str(FIXTURES / "returns.json"),
            "--out",
            str(history),
        ],
        catch_exceptions=False,
    )
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            "--history",
            str(history),
            "--baseline",
            str(ROOT),
            "--candidate",
            str(ROOT),
            "--format",
            "json",
            "--out",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["records"]["decided"] == 7 and report["records"]["skipped"] == 0
    assert report["changed"]["count"] == 0  # the same stack on both sides


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("RETURN_OR_REFUND_REQUEST_REJECTED", "RETURN_OR_REFUND_REQUEST_REJECT"),
        ("REQUEST_SUCCESS", "RETURN_OR_REFUND_REQUEST_SUCCESS"),
        ("RETURN_OR_REFUND__REQUEST_CANCELLED", "RETURN_OR_REFUND_REQUEST_CANCEL"),
        ("RETURN_OR_REFUND_CANCEL", "RETURN_OR_REFUND_REQUEST_CANCEL"),
        ("CANCELLATION_REQUEST_CANCELLED", "CANCELLATION_REQUEST_CANCEL"),
        ("REFUND_OR_RETURN_REQUEST_REJECT", "RETURN_OR_REFUND_REQUEST_REJECT"),
    ],
)
def test_status_spelling_drift(raw: str, canonical: str) -> None:
    assert request_status(raw) == canonical


def test_timestamps_in_seconds_and_milliseconds() -> None:
    assert timestamp(1761990000) == timestamp(1761990000000) == "2025-11-01T09:40:00Z"
    assert timestamp(None) is None and timestamp(0) is None


# ---- what real exports lack: catalog, market, evidence, decision time ------------------------

CATALOG = """sku_id,product_id,seller_sku,category
,,KB-RGB-87,electronics
,,EARBUDS-X2,electronics
,,CASE-IP15,electronics
,,MUG-RED,home
,,MUG-GRN,home
,,MUG-BLU,home
,,TEE-WHT-L,apparel
"""
ALL_BUYERS = "buyer_id,credit_score,orders_90d,refunds_90d,blacklisted,account_age_days\n" + "".join(
    f"702143681046823000{i},{60 + 7 * i},{i + 2},{i % 2},false,{100 * i}\n" for i in range(1, 6)
)


PAGES = ("orders-page1.json", "orders-page2.jsonl")


def _import(
    tmp_path: Path,
    *extra: str,
    orders: tuple[str, ...] = PAGES,
) -> tuple[dict[str, dict], dict, str]:
    out, report = tmp_path / "history.jsonl", tmp_path / "report.json"
    args = [
        "import",
        "tiktok",
        "--cancellations",
        str(FIXTURES / "cancellations.json"),
        "--returns",
        str(FIXTURES / "returns.json"),
        "--records",
        str(FIXTURES / "records.jsonl"),
        "--tracking",
        str(FIXTURES / "tracking.json"),
        "--out",
        str(out),
        "--report",
        str(report),
    ]
    for name in orders:
        args += ["--orders", str(name if "/" in name else FIXTURES / name)]
    result = CliRunner().invoke(cli, [*args, *extra], catch_exceptions=False)
    records = {json.loads(line)["request.id"]: json.loads(line) for line in out.read_text().splitlines()}
    return records, json.loads(report.read_text()), result.output


def test_a_catalog_and_buyer_facts_decide_with_no_missing_field_errors(tmp_path: Path) -> None:
    (tmp_path / "catalog.csv").write_text(CATALOG)
    (tmp_path / "buyers.csv").write_text(ALL_BUYERS)
    records, report, output = _import(
        tmp_path, "--products", str(tmp_path / "catalog.csv"), "--buyers", str(tmp_path / "buyers.csv")
    )
    assert report["catalog_entries"] == 7
    assert {r["order.category"] for r in records.values()} == {"electronics", "home", "apparel"}
    # What the rules need is there; what some requests really lack (no tracking yet, no return
    # records fetched) is still reported.
    missing = {m["field"] for m in report["missing_fields"]}
    assert not missing & {
        "order.category",
        "case.market",
        "buyer.credit_score",
        "buyer.orders_90d",
        "buyer.refunds_90d",
        "buyer.account_age_days",
    }
    assert missing <= {
        "logistics.last_scan_at",
        "order.paid_at",
        "order.expected_delivery_at",
        "request.evidence",
    }
    assert "missing: order.category" not in output
    code, sim, output = simulate_cli(tmp_path / "history.jsonl", ROOT, ROOT, config=ROOT / "ttrules.yaml")
    assert code == 0, output
    assert sim["records"]["skipped"] == 0
    assert sim["errors"]["baseline"] == {"records": 0, "by_rule": {}, "first": {}}


def test_the_report_names_each_field_it_could_not_fill_and_the_flag_that_fills_it(tmp_path: Path) -> None:
    records, report, output = _import(tmp_path)
    missing = {m["field"]: m for m in report["missing_fields"]}
    assert missing["order.category"]["records"] == len(records) == 7
    assert missing["order.category"]["share"] == "1.0000"
    assert missing["order.category"]["filled_by"].startswith("--products")
    assert missing["buyer.credit_score"]["filled_by"] == "--buyers"
    assert missing["request.evidence"]["filled_by"].startswith("--records")
    assert "missing: order.category in 7 of 7 records (100.0 %); filled by --products" in output


def test_markets_fall_back_to_the_shop_then_to_the_currency(tmp_path: Path) -> None:
    page = json.loads((FIXTURES / "orders-page1.json").read_text())
    for order in page["data"]["orders"]:
        order.get("recipient_address", {}).pop("region_code", None)
    (tmp_path / "orders.json").write_text(json.dumps(page))
    orders = (str(tmp_path / "orders.json"), "orders-page2.jsonl")
    records, report, output = _import(tmp_path, orders=orders)
    ringgit = records["4035318504086700002"]  # its order is in MYR and has no region any more
    assert ringgit["case.market"] == "MY" and report["markets_from_currency"] >= 1
    assert "comes from their currency" in output
    records, report, _ = _import(tmp_path, "--market", "sg", orders=orders)
    assert records["4035318504086700002"]["case.market"] == "SG"
    assert report["markets_from_currency"] == 0
    bad = CliRunner().invoke(
        cli,
        [
            "import",
            "tiktok",
            "--orders",
            orders[0],
            "--returns",
            str(FIXTURES / "returns.json"),
            "--market",
            "Malaysia",
            "--out",
            str(tmp_path / "x.jsonl"),
        ],
    )
    assert bad.exit_code == 2 and "not an ISO-2 market code" in bad.output


def test_request_fields_the_api_documents(tmp_path: Path) -> None:
    records, _, _ = _import(tmp_path)
    rejected = records["4035318504086700002"]
    assert rejected["request.arbitration_status"] == "CLOSED"
    assert rejected["request.buyer_keeps_item"] is False
    assert rejected["request.updated_at"] == timestamp(1762585200)
    # The pending version had a deadline; the later update (approved) has no next action.
    assert "request.respond_by" not in records["4035318504086600001"]
    from ttrules.importers.tiktok import ImportReport, _request_fields

    pending = {
        "cancel_id": "1",
        "create_time": 1762149600,
        "seller_next_action_response": [
            {"action": "SELLER_RESPOND_CANCEL", "deadline": 1762322400},
            {"deadline": 1762400000},
        ],
    }
    fields = _request_fields("CANCEL", pending, "cancel_id", "cancel_reason", ImportReport())
    assert fields["request.respond_by"] == timestamp(1762322400)  # the earliest deadline


def test_case_now_is_when_the_seller_decided_unless_told_otherwise(tmp_path: Path) -> None:
    records, _, _ = _import(tmp_path)
    rejected = records["4035318504086700002"]
    assert rejected["case.now"] == rejected["request.updated_at"] != rejected["request.created_at"]
    records, _, _ = _import(tmp_path, "--now", "deadline")
    cancel = records["4035318504086600001"]  # no deadline left: its last update
    assert cancel["case.now"] == cancel["request.updated_at"]
    records, _, _ = _import(tmp_path, "--now", "request")
    assert all("case.now" not in r for r in records.values())  # the loader's default: created_at


def test_evidence_unboxing_videos_and_the_sellers_own_images(tmp_path: Path) -> None:
    from ttrules.importers.tiktok import _evidence

    assert _evidence([{"role": "Buyer", "videos": [{"url": "v"}], "description": "Unboxing video"}]) == [
        "UNBOXING_VIDEO"
    ]
    assert _evidence([{"role": "BUYER", "videos": [{"url": "v"}], "note": "开箱视频"}]) == ["UNBOXING_VIDEO"]
    assert _evidence([{"role": "Buyer", "videos": [{"url": "v"}], "description": "broken"}]) == ["VIDEO"]
    assert _evidence([{"role": "Seller", "images": [{"url": "i"}]}]) == []


def test_a_get_product_response_is_a_catalog(tmp_path: Path) -> None:
    from ttrules.importers.tiktok import ImportReport, read_catalog

    product = {
        "code": 0,
        "message": "Success",
        "data": {
            "id": "1729582718300000001",
            "title": "Keyboard",
            "category_chains": [
                {"id": "1", "local_name": "Computers", "is_leaf": False},
                {"id": "2", "local_name": "Keyboards", "is_leaf": True},
            ],
            "skus": [{"id": "1729582718300000009", "seller_sku": "KB-RGB-87"}],
        },
    }
    (tmp_path / "product.json").write_text(json.dumps(product))
    report = ImportReport()
    assert read_catalog([tmp_path / "product.json"], report) == {
        "1729582718300000001": "Keyboards",
        "1729582718300000009": "Keyboards",
        "KB-RGB-87": "Keyboards",
    }
    (tmp_path / "bad.csv").write_text("seller_sku,category\nKB,\n")
    assert read_catalog([tmp_path / "bad.csv"], report) == {}
    assert "bad.csv:2: a catalog row needs `category`" in report.problems.items[-1]


def test_items_value_is_the_sale_price_of_the_requested_lines(imported) -> None:  # type: ignore[no-untyped-def]
    records = imported[0]
    assert records["4035318504086700002"]["request.items_value"] == "79.90 MYR"  # total 84.80 with postage
    # A partial return covers one line of a three-line order: its value, not the order's.
    partial = records["4035318504086700003"]
    assert (partial["order.total"], partial["request.items_value"]) == ("1180 THB", "390 THB")


def test_order_fields_the_api_documents() -> None:
    from ttrules.importers.tiktok import ImportOptions, ImportReport, _order_fields

    order = {
        "id": "1",
        "status": "AWAITING_SHIPMENT",
        "payment": {"currency": "MYR", "total_amount": "10"},
        "create_time": 1762149600,
        "shipping_due_time": 1762322400,
        "collection_due_time": 1762408800,
        "is_replacement_order": True,
    }
    fields = _order_fields(order, ImportOptions(), ImportReport())
    assert fields["order.shipping_due_at"] == timestamp(1762322400)
    assert fields["order.collection_due_at"] == timestamp(1762408800)
    assert fields["order.is_replacement"] is True
