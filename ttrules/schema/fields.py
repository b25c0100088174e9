"""The field table: every path a rule may read, its type and how it may be absent.

Presence:
- `required`: a case without it is rejected when it is loaded;
- `default`: absent means the documented default (e.g. no evidence, not blacklisted);
- `expected`: typed as always present, but real exports often lack it; a rule that reads a
  missing one is *errored* for that case (SPEC §4), which fails closed in the platform layer;
- `optional`: the type is optional (`?`); the checker demands `has(...)` or `??`;
- `derived`: computed from other fields when the case is loaded; missing when its inputs are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ttrules.i18n import N_
from ttrules.schema import types as t
from ttrules.schema.enums import ENUMS


@dataclass(frozen=True)
class FieldSpec:
    path: str
    type: t.Type
    presence: str
    description: str
    default: str = ""  # as documented, for `default` fields

    @property
    def optional(self) -> bool:
        return self.presence == "optional"

    @property
    def always_present(self) -> bool:
        """Every loaded case has a value: a required field, or one with a default."""
        return self.presence in ("required", "default")


def _f(path: str, type_: t.Type, presence: str, description: str, default: str = "") -> FieldSpec:
    return FieldSpec(path, type_, presence, description, default)


BUILTIN_FIELDS: tuple[FieldSpec, ...] = (
    _f("case.id", t.STR, "default", N_("identifier of the case"), "request.id"),
    _f("case.platform", t.enum("Platform"), "default", N_("marketplace"), "TIKTOK"),
    _f("case.market", t.STR, "expected", N_("ISO-2 market code: MY, TH, ID, PH, VN, SG, US, GB, …")),
    _f("case.now", t.TIMESTAMP, "default", N_("the time the decision is made"), "request.created_at"),
    _f("order.id", t.STR, "default", N_("order identifier"), '""'),
    _f("order.status", t.enum("OrderStatus"), "required", N_("order status (TikTok order_status)")),
    _f("order.total", t.MONEY, "required", N_("order amount paid by the buyer")),
    _f("order.currency", t.STR, "derived", N_("currency of order.total")),
    _f("order.category", t.STR, "expected", N_("product category, e.g. apparel, jewelry")),
    _f("order.sku", t.STR, "expected", N_("seller SKU")),
    _f("order.quantity", t.INT, "default", N_("units ordered"), "1"),
    _f("order.created_at", t.TIMESTAMP, "required", N_("order creation time")),
    _f("order.paid_at", t.TIMESTAMP, "optional", N_("payment time")),
    _f("order.shipped_at", t.TIMESTAMP, "optional", N_("time the seller shipped")),
    _f("order.collected_at", t.TIMESTAMP, "optional", N_("carrier pick-up time")),
    _f("order.delivered_at", t.TIMESTAMP, "optional", N_("delivery time")),
    _f("order.expected_delivery_at", t.TIMESTAMP, "optional", N_("promised delivery time")),
    _f(
        "order.shipping_due_at",
        t.TIMESTAMP,
        "optional",
        N_("the platform cancels the order if it is not AWAITING_COLLECTION by then"),
    ),
    _f(
        "order.collection_due_at",
        t.TIMESTAMP,
        "optional",
        N_("the platform cancels the order if it is not IN_TRANSIT by then"),
    ),
    _f("order.is_cod", t.BOOL, "default", N_("cash on delivery"), "false"),
    _f("order.is_replacement", t.BOOL, "default", N_("the order replaces an earlier one"), "false"),
    _f("request.id", t.STR, "default", N_("after-sales request identifier"), '""'),
    _f("request.kind", t.enum("RequestKind"), "required", N_("what the buyer asks for")),
    _f("request.initiator", t.enum("Initiator"), "default", N_("who opened the request"), "BUYER"),
    _f(
        "request.reason_code",
        t.STR,
        "expected",
        N_("TikTok reason name, e.g. ecom_order_to_ship_canceled_reason_no_longer_needed"),
    ),
    _f(
        "request.reason",
        t.enum("ReasonCategory"),
        "derived",
        N_(
            "reason category; derived from reason_code by the shipped table (OTHER for unknown codes) "
            "when not given"
        ),
    ),
    _f(
        "request.is_quality_issue",
        t.BOOL,
        "derived",
        N_("true for DAMAGED, DEFECTIVE, WRONG_ITEM, MISSING_PARTS, NOT_AS_DESCRIBED, COUNTERFEIT"),
    ),
    _f("request.refund_amount", t.MONEY, "default", N_("amount the buyer asks back"), "order.total"),
    _f("request.return_shipping_fee", t.MONEY, "optional", N_("postage of a return")),
    _f(
        "request.items_value",
        t.MONEY,
        "optional",
        N_("sale price of the order lines the request covers (of all lines when it names none)"),
    ),
    _f(
        "request.evidence",
        t.set_of(t.enum("EvidenceKind")),
        "default",
        N_("evidence the buyer supplied"),
        "{} (none)",
    ),
    _f("request.created_at", t.TIMESTAMP, "required", N_("request creation time")),
    _f("request.updated_at", t.TIMESTAMP, "optional", N_("last change of the request's status")),
    _f(
        "request.respond_by",
        t.TIMESTAMP,
        "optional",
        N_("the seller's deadline for the next action (after it the platform decides)"),
    ),
    _f(
        "request.buyer_keeps_item",
        t.BOOL,
        "optional",
        N_("the buyer may keep the item(s) in a return or replacement"),
    ),
    _f(
        "request.arbitration_status",
        t.enum("ArbitrationStatus"),
        "optional",
        N_("the platform's arbitration of a dispute"),
    ),
    _f("buyer.id", t.STR, "default", N_("buyer identifier"), '""'),
    _f("buyer.credit_score", t.INT, "expected", N_("buyer credit score, 0–100")),
    _f("buyer.orders_90d", t.INT, "expected", N_("orders in the last 90 days")),
    _f("buyer.refunds_90d", t.INT, "expected", N_("refunds in the last 90 days")),
    _f("buyer.blacklisted", t.BOOL, "default", N_("on the shop's blacklist"), "false"),
    _f("buyer.account_age_days", t.INT, "expected", N_("age of the buyer's account in days")),
    _f("logistics.carrier", t.STR, "optional", N_("carrier name")),
    _f("logistics.last_scan_at", t.TIMESTAMP, "optional", N_("last tracking event")),
    _f(
        "logistics.days_since_last_scan",
        t.INT,
        "derived",
        N_("whole days from logistics.last_scan_at to case.now; missing without a scan"),
    ),
    _f(
        "logistics.days_late",
        t.INT,
        "derived",
        N_(
            "whole days from order.expected_delivery_at to order.delivered_at (or case.now if not "
            "delivered), rounded down (7 days 23 hours late is 7), 0 when on time; missing without "
            "an expected delivery time; for exact comparisons use logistics.late_by"
        ),
    ),
    _f(
        "logistics.late_by",
        t.DURATION,
        "derived",
        N_(
            "how late, exactly: order.delivered_at (or case.now if not delivered) minus "
            "order.expected_delivery_at, 0 when on time; missing without an expected delivery time"
        ),
    ),
    _f("logistics.exception", t.enum("LogisticsException"), "default", N_("logistics exception"), "NONE"),
    _f("dropship.stage", t.enum("DropshipStage"), "default", N_("where a dropshipped item is"), "NONE"),
    _f("dropship.supplier", t.STR, "optional", N_("supplier name")),
    _f("dropship.item_cost", t.MONEY, "optional", N_("what the item cost from the supplier")),
    _f(
        "dropship.stranded_match",
        t.BOOL,
        "default",
        N_("a stranded item of the same SKU waits in the forwarder's warehouse"),
        "false",
    ),
)

NAMESPACES = ("case", "order", "request", "buyer", "logistics", "dropship")

# History records carry what happened later; rules decide before it, so they may not read it.
OUTCOME_FIELDS = ("outcome.decision", "outcome.refunded", "outcome.abuse", "outcome.handling_minutes")


@dataclass(frozen=True)
class Schema:
    fields: dict[str, FieldSpec]
    enums: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(ENUMS))

    def get(self, path: str) -> FieldSpec | None:
        return self.fields.get(path)

    # Cached (a frozen dataclass still has an instance dict): every loaded case reads it.
    @cached_property
    def extensions(self) -> tuple[FieldSpec, ...]:
        builtin = {f.path for f in BUILTIN_FIELDS}
        return tuple(f for f in self.fields.values() if f.path not in builtin)


def default_schema() -> Schema:
    return Schema({f.path: f for f in BUILTIN_FIELDS})


def extend_schema(base: Schema, declared: dict[str, str]) -> tuple[Schema, list[tuple[str, str]]]:
    """Add extension fields (`fields:` of ttrules.yaml); returns problems as (path, message)."""
    fields = dict(base.fields)
    problems: list[tuple[str, str]] = []
    for path, type_text in declared.items():
        parts = path.split(".")
        if len(parts) != 2 or parts[0] not in NAMESPACES or not parts[1].isidentifier():
            problems.append(
                (
                    path,
                    f"extension field `{path}` must be NAMESPACE.name with a "
                    f"namespace of {', '.join(NAMESPACES)}",
                )
            )
            continue
        if path in fields:
            problems.append((path, f"`{path}` is a built-in field and cannot be redeclared"))
            continue
        parsed = t.parse_type_name(str(type_text), base.enums)
        if parsed is None:
            problems.append((path, f"unknown type `{type_text}` for `{path}`"))
            continue
        type_, optional = parsed
        fields[path] = FieldSpec(
            path, type_, "optional" if optional else "expected", "extension field declared in ttrules.yaml"
        )
    return Schema(fields, base.enums), problems
