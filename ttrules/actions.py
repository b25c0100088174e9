"""The action registry: every action a rule may take, its slot and its parameters (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass

from ttrules.i18n import N_
from ttrules.schema import types as t

ONE_VALUED_SLOTS = ("resolution", "fulfillment", "route")
MANY_VALUED_SLOTS = ("tags", "notify")
SLOTS = ONE_VALUED_SLOTS + MANY_VALUED_SLOTS


@dataclass(frozen=True)
class Param:
    name: str
    types: tuple[t.Type, ...]
    required: bool = True
    keyword: bool = False  # given as `name: value`


@dataclass(frozen=True)
class ActionSpec:
    name: str
    slot: str
    params: tuple[Param, ...] = ()
    summary: str = ""

    @property
    def positional(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.keyword)

    @property
    def keywords(self) -> dict[str, Param]:
        return {p.name: p for p in self.params if p.keyword}


_EVIDENCE = t.enum("EvidenceKind")

ACTIONS: dict[str, ActionSpec] = {
    a.name: a
    for a in (
        ActionSpec("approve", "resolution", summary=N_("approve the request as asked")),
        ActionSpec(
            "reject",
            "resolution",
            (Param("reason", (t.STR,), required=False),),
            N_("reject the request, with a reason for the buyer"),
        ),
        ActionSpec(
            "refund_without_return", "resolution", summary=N_("refund and let the buyer keep the goods")
        ),
        ActionSpec(
            "partial_refund",
            "resolution",
            (Param("amount", (t.MONEY, t.PERCENT)),),
            N_("refund an amount or a share of the refund asked"),
        ),
        ActionSpec("replace", "resolution", summary=N_("send a replacement")),
        ActionSpec(
            "require_evidence",
            "resolution",
            (Param("kind", (_EVIDENCE,)),),
            N_("ask the buyer for evidence before deciding"),
        ),
        ActionSpec("review", "resolution", summary=N_("leave the case to a person")),
        ActionSpec(
            "intercept_at_supplier", "fulfillment", summary=N_("stop the supplier's shipment (dropship)")
        ),
        ActionSpec(
            "reject_at_forwarder",
            "fulfillment",
            summary=N_("have the forwarder refuse the parcel (dropship)"),
        ),
        ActionSpec(
            "hold_for_merge",
            "fulfillment",
            summary=N_("keep the item at the forwarder to ship with a same-SKU order"),
        ),
        ActionSpec("abandon", "fulfillment", summary=N_("write the item off")),
        ActionSpec("return_to_stock", "fulfillment", summary=N_("put the returned item back in stock")),
        ActionSpec(
            "route",
            "route",
            (Param("queue", (t.STR,)), Param("sla", (t.DURATION,), required=False, keyword=True)),
            N_("send the case to a team queue, optionally with a response SLA"),
        ),
        ActionSpec("tag", "tags", (Param("label", (t.STR,)),), N_("attach a label")),
        ActionSpec(
            "notify",
            "notify",
            (Param("template", (t.STR,)), Param("within", (t.DURATION,), required=False, keyword=True)),
            N_("send a message from a template, optionally within a time"),
        ),
    )
}

RESOLUTIONS_WITHOUT_ARGS = tuple(
    a.name for a in ACTIONS.values() if a.slot == "resolution" and not any(p.required for p in a.params)
)
