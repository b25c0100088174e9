"""Build ttrules/schema/data/reason_codes.csv from the TikTok reference table.

Run from the repository root:

    python scripts/build_reason_table.py ../shared/reference/tiktok/tiktok_reason_codes.csv

Each row of the reference (market, reason_name, reason_text) gets a ReasonCategory by the first
pattern below that matches its reason name or text. Order matters: specific before general.
The output is committed; tests check that every reference code is mapped.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

# (category, regex over "reason_name | reason_text", lower-cased)
PATTERNS: list[tuple[str, str]] = [
    ("PAYMENT_ISSUE", r"discount|coupon"),
    (
        "CHANGED_MIND",
        r"need to change colou?r or size|change_color|change_size|"
        r"buyer_cancel_wrong_item_variation",
    ),
    ("COUNTERFEIT", r"counterfeit|fake|authenticat|certificate"),
    (
        "WRONG_ITEM",
        r"wrong (item|product)|wrong_item|not the product that was sent|wrong_product|"
        r"item variation|different product|returned is not",
    ),
    ("MISSING_PARTS", r"missing|some items are missing"),
    ("DAMAGED", r"damag|broken|spoiled|expired|not frozen|box damaged|scrapped"),
    ("DEFECTIVE", r"defect|doesn't work|does not work|functions well|not work"),
    ("SIZE_FIT", r"size|fit|too big|too small|too long|too short|doesn_t_fit"),
    (
        "NOT_AS_DESCRIBED",
        r"description|not as expected|not as described|style|pattern|"
        r"material|quality|color|colour",
    ),
    ("PACKAGE_LOST", r"lost|untraceable|package_lost"),
    (
        "DELIVERY_FAILED",
        r"delivery failed|delivery attempt failed|deliver_failed|delivery_failed|"
        r"unable to deliver|address_not_deliver|package rejected|"
        r"failed_delivery|inbound failed",
    ),
    ("COLLECTION_TIMEOUT", r"collection time ?out|collection_time_out|pick.?up time"),
    (
        "NOT_RECEIVED",
        r"not received|wasn't received|didn't receive|haven't received|"
        r"did not receive|not_received|didn_t_receive",
    ),
    (
        "LATE_DELIVERY",
        r"arrive on time|arrived too late|late delivery|missed estimated|"
        r"not delivered within|wasn't delivered within|late_delivery|"
        r"estimated delivery time|delivery_time",
    ),
    ("SELLER_LATE", r"shipped on time|not_shipped_on_time|late shipment|ship_late|not shipped"),
    ("OUT_OF_STOCK", r"out of stock|out_of_stock|inventory shortage|stock"),
    ("PRICING_ERROR", r"pricing error|wrong_price|wrong price"),
    ("WRONG_ADDRESS", r"address|delivery info|wrong_delivery_info"),
    (
        "PAYMENT_ISSUE",
        r"pay|payment|coupon|discount|top up|recharge|charged|unauthori[sz]ed|"
        r"risk|verification|verify",
    ),
    (
        "CHANGED_MIND",
        r"mistake|no longer need|better price|change of mind|changed my mind|"
        r"does not suit|doesn't suit|shipping fee|delivery costs|"
        r"need to change|multiple sizes|changed_mind|no_longer_need",
    ),
]


def categorise(name: str, text: str, section: str = "") -> str:
    # A seller's reason for rejecting a request says nothing about why the buyer asked.
    if section.startswith("Seller Reject"):
        return "OTHER"
    haystack = f"{name} | {text}".lower()
    for category, pattern in PATTERNS:
        if re.search(pattern, haystack):
            return category
    return "OTHER"


def main(reference: str) -> None:
    with open(reference, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = Path(__file__).resolve().parents[1] / "ttrules" / "schema" / "data" / "reason_codes.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["market", "doc", "section", "order_status", "reason_name", "reason_text", "category"]
        )
        for row in rows:
            writer.writerow(
                [
                    row["market"],
                    row["doc"],
                    row["section"],
                    row["order_status"],
                    row["reason_name"],
                    row["reason_text"],
                    categorise(row["reason_name"], row["reason_text"], row["section"]),
                ]
            )
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
