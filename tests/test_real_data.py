"""A real, public order data set, simulated through a column mapping, against figures computed
independently here with plain csv and Decimal (not with ttrules).

UCI Online Retail (shared/data/uci-online-retail): invoice lines of a UK gift shop; invoices
starting with C are cancellations. Each cancellation line becomes a CANCEL request for its unit
price in GBP. The change: approving small cancellations under 30 USD -> under 100 USD, with
1 GBP = 1.27 USD.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ttrules.cli import cli

from helpers import ROOT

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
def test_uci_cancellations_against_an_independent_computation(tmp_path: Path) -> None:
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
        Decimal("0.01"), rounding=ROUND_HALF_EVEN)

    for name, limit in (("baseline", "30 USD"), ("candidate", "100 USD")):
        (tmp_path / name / "rules").mkdir(parents=True)
        (tmp_path / name / "ttrules.yaml").write_text(CONFIG)
        (tmp_path / name / "rules" / "shop.ttr").write_text(RULES.replace("{limit}", limit))
    history = tmp_path / "cancellations.csv.gz"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *cancellations])
    history.write_bytes(gzip.compress(buffer.getvalue().encode()))

    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, [
        "simulate", "--history", str(history), "--baseline", str(tmp_path / "baseline"),
        "--candidate", str(tmp_path / "candidate"), "--format", "json", "--out", str(out)],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["records"] == {"decided": len(cancellations), "skipped": 0,
                                 "skipped_by_reason": {}, "skipped_examples": []}
    assert report["changed"]["count"] == changed > 0
    assert report["resolutions"]["baseline"]["approve"] == len(before)
    assert report["resolutions"]["candidate"]["approve"] == len(after)
    assert report["money"]["auto_refunds"]["total"]["delta"] == str(delta)
    assert report["money"]["auto_refunds"]["delta"]["GBP"] == str(
        (sum(after, Decimal(0)) - sum(before, Decimal(0))).quantize(Decimal("0.01")))
