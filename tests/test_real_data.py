"""Real, public order data sets, simulated through column mappings in both engines, against
figures computed independently here with plain csv, datetime and Decimal (not with ttrules).

UCI Online Retail (shared/data/uci-online-retail): invoice lines of a UK gift shop; invoices
starting with C are cancellations. Each cancellation line becomes a CANCEL request for its unit
price in GBP. The change: approving small cancellations under 30 USD -> under 100 USD, with
1 GBP = 1.27 USD.

Olist orders (shared/data/olist-orders-sample): real estimated and actual delivery dates. Each
order becomes a late-delivery refund request; the change: "more than 7 days late" written with
the whole-day count `logistics.days_late > 7` (rounded down) -> the exact `logistics.late_by > 7d`.
"""

from __future__ import annotations

import csv
import gzip
import io
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

from helpers import ROOT, simulate_cli

DATA = ROOT.parent / "shared" / "data" / "uci-online-retail" / "online_retail.csv.gz"
RATE = Decimal("1.27")
CONFIG = """\
stack: [rules/]
currency: USD
fx: {GBP: 1.27}
history:
  columns:
    case.id: InvoiceNo
    order.id: InvoiceNo
    order.sku: StockCode
    case.market: Country
    order.total: {column: UnitPrice, currency: GBP}
    order.created_at: {column: InvoiceDate, format: "%Y-%m-%d %H:%M:%S"}
    request.created_at: {column: InvoiceDate, format: "%Y-%m-%d %H:%M:%S"}
    order.status: {value: AWAITING_SHIPMENT}
    order.category: {value: gifts}
    request.kind: {value: CANCEL}
    request.reason: {value: CHANGED_MIND}
"""
RULES = """\
ruleset "shop"
layer merchant

rule "small-cancel"
  when request.kind == CANCEL and order.total < {limit}
  then approve
"""


@pytest.mark.skipif(not DATA.exists(), reason="shared/ data sets not beside the repository")
@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_uci_cancellations_against_an_independent_computation(tmp_path: Path, engine: str) -> None:
    with gzip.open(DATA, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        cancellations = [row for row in reader if row[0].startswith("C")]
    # Independent expectations.
    prices = [Decimal(row[header.index("UnitPrice")]) for row in cancellations]
    before = [p for p in prices if p * RATE < 30]
    after = [p for p in prices if p * RATE < 100]
    changed = len(after) - len(before)
    delta = ((sum(after, Decimal(0)) - sum(before, Decimal(0))) * RATE).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )

    _two_stacks(tmp_path, CONFIG, RULES.replace("{limit}", "30 USD"), RULES.replace("{limit}", "100 USD"))
    history = tmp_path / "cancellations.csv.gz"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *cancellations])
    history.write_bytes(gzip.compress(buffer.getvalue().encode()))

    code, report, output = simulate_cli(
        history, tmp_path / "baseline", tmp_path / "candidate", "--engine", engine
    )
    assert code == 0, output
    # The mapping (currency, format, constants) runs in SQL: no row goes to Python.
    assert report["engine"] == (
        {"name": "duckdb", "rows_in_sql": len(cancellations), "rows_in_python": 0}
        if engine == "duckdb"
        else {"name": "python"}
    )
    assert report["records"] == {
        "decided": len(cancellations),
        "skipped": 0,
        "skipped_by_reason": {},
        "skipped_examples": [],
    }
    assert report["changed"]["count"] == changed > 0
    assert report["resolutions"]["baseline"]["approve"] == len(before)
    assert report["resolutions"]["candidate"]["approve"] == len(after)
    assert report["money"]["auto_refunds"]["total"]["delta"] == str(delta)
    assert report["money"]["auto_refunds"]["delta"]["GBP"] == str(
        (sum(after, Decimal(0)) - sum(before, Decimal(0))).quantize(Decimal("0.01"))
    )


OLIST = ROOT.parent / "shared" / "data" / "olist-orders-sample" / "olist_orders_sample.csv.gz"
OLIST_CONFIG = """\
stack: [rules/]
currency: USD
fx: {BRL: 0.19}
history:
  columns:
    case.id: order_id
    order.id: order_id
    buyer.id: customer_id
    order.status:
      column: order_status
      values: {delivered: DELIVERED, shipped: IN_TRANSIT, canceled: CANCELLED}
      default: AWAITING_SHIPMENT
    order.created_at: {column: order_purchase_timestamp, format: "%Y-%m-%d %H:%M:%S"}
    request.created_at: {column: order_purchase_timestamp, format: "%Y-%m-%d %H:%M:%S"}
    order.delivered_at: {column: order_delivered_customer_date, format: "%Y-%m-%d %H:%M:%S"}
    order.expected_delivery_at: {column: order_estimated_delivery_date, format: "%Y-%m-%d %H:%M:%S"}
    order.total: {value: 20 BRL}
    request.kind: {value: REFUND}
    request.reason: {value: LATE_DELIVERY}
"""
OLIST_RULES = """\
ruleset "shop"
layer merchant

rule "late"
  when request.kind == REFUND and {condition}
  then approve
"""


@pytest.mark.skipif(not OLIST.exists(), reason="shared/ data sets not beside the repository")
@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_olist_late_deliveries_against_an_independent_computation(tmp_path: Path, engine: str) -> None:
    from datetime import datetime, timedelta

    with gzip.open(OLIST, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    late = []
    for row in rows:
        if row["order_delivered_customer_date"] and row["order_estimated_delivery_date"]:
            delivered = datetime.fromisoformat(row["order_delivered_customer_date"])
            late.append(delivered - datetime.fromisoformat(row["order_estimated_delivery_date"]))
    more_than_7_days = sum(1 for d in late if d > timedelta(days=7))
    whole_days_over_7 = sum(1 for d in late if d.days > 7)  # what rounding down counts
    assert whole_days_over_7 < more_than_7_days

    _two_stacks(
        tmp_path,
        OLIST_CONFIG,
        OLIST_RULES.replace("{condition}", "logistics.days_late > 7"),
        OLIST_RULES.replace("{condition}", "logistics.late_by > 7d"),
    )
    code, report, output = simulate_cli(
        OLIST,
        tmp_path / "baseline",
        tmp_path / "candidate",
        "--engine",
        engine,
        config=tmp_path / "candidate" / "ttrules.yaml",
        out=tmp_path / "report.json",
    )
    assert code == 0, output
    assert report["records"]["decided"] == len(rows) and report["records"]["skipped"] == 0
    assert report["resolutions"]["baseline"]["approve"] == whole_days_over_7
    assert report["resolutions"]["candidate"]["approve"] == more_than_7_days
    assert report["changed"]["count"] == more_than_7_days - whole_days_over_7
    statuses = {e["key"]: e["records"] for e in report["breakdowns"]["status"]}
    assert statuses["DELIVERED"] == sum(1 for r in rows if r["order_status"] == "delivered")
    if engine == "duckdb":
        assert report["engine"] == {"name": "duckdb", "rows_in_sql": len(rows), "rows_in_python": 0}


def _two_stacks(root: Path, config: str, baseline: str, candidate: str) -> None:
    for name, rules in (("baseline", baseline), ("candidate", candidate)):
        (root / name / "rules").mkdir(parents=True)
        (root / name / "ttrules.yaml").write_text(config)
        (root / name / "rules" / "shop.ttr").write_text(rules)
