"""The enumerations of the case schema, with TikTok Shop API spellings."""

from __future__ import annotations

ENUMS: dict[str, tuple[str, ...]] = {
    "Platform": ("TIKTOK", "SHOPEE", "LAZADA", "AMAZON", "ALIEXPRESS"),
    "OrderStatus": (
        "UNPAID",
        "ON_HOLD",
        "AWAITING_SHIPMENT",
        "PARTIALLY_SHIPPING",
        "AWAITING_COLLECTION",
        "IN_TRANSIT",
        "DELIVERED",
        "COMPLETED",
        "CANCELLED",
    ),
    "RequestKind": ("CANCEL", "REFUND", "RETURN_AND_REFUND", "REPLACEMENT"),
    "Initiator": ("BUYER", "SELLER", "SYSTEM", "OPERATOR"),
    "ReasonCategory": (
        "CHANGED_MIND",
        "WRONG_ADDRESS",
        "PAYMENT_ISSUE",
        "SELLER_LATE",
        "LATE_DELIVERY",
        "NOT_RECEIVED",
        "DAMAGED",
        "DEFECTIVE",
        "WRONG_ITEM",
        "MISSING_PARTS",
        "NOT_AS_DESCRIBED",
        "COUNTERFEIT",
        "SIZE_FIT",
        "OUT_OF_STOCK",
        "PRICING_ERROR",
        "PACKAGE_LOST",
        "DELIVERY_FAILED",
        "COLLECTION_TIMEOUT",
        "OTHER",
    ),
    "EvidenceKind": ("PHOTO", "VIDEO", "UNBOXING_VIDEO"),
    "LogisticsException": (
        "NONE",
        "DELAYED",
        "STALLED",
        "DAMAGED",
        "LOST",
        "DELIVERY_FAILED",
        "NOT_COLLECTED",
    ),
    "ArbitrationStatus": ("IN_PROGRESS", "SUPPORT_BUYER", "SUPPORT_SELLER", "CLOSED"),
    "DropshipStage": (
        "NONE",
        "SUPPLIER_NOT_SHIPPED",
        "SUPPLIER_SHIPPED",
        "IN_TRANSIT_TO_FORWARDER",
        "AT_FORWARDER",
        "FORWARDER_SHIPPED",
    ),
}

QUALITY_REASONS = frozenset(
    {"DAMAGED", "DEFECTIVE", "WRONG_ITEM", "MISSING_PARTS", "NOT_AS_DESCRIBED", "COUNTERFEIT"}
)

# Spellings that drift between TikTok API pages and SDKs, read as the canonical value.
ALIASES: dict[str, dict[str, str]] = {
    "OrderStatus": {"CANCEL": "CANCELLED", "CANCELED": "CANCELLED"},
    "RequestKind": {"BUYER_CANCEL": "CANCEL", "CANCELLATION": "CANCEL"},
}


def normalise_enum(enum_name: str, raw: str) -> str:
    """The canonical member for a raw value, or the raw value unchanged when unknown.

    Unknown values are kept as they came (they only fail comparisons), never a load error.
    """
    members = ENUMS[enum_name]
    if raw in members:
        return raw
    upper = raw.strip().upper().replace("-", "_").replace(" ", "_")
    if upper in members:
        return upper
    return ALIASES.get(enum_name, {}).get(upper, raw)
