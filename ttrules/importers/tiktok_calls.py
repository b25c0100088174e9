"""The TikTok Shop API call a decision implies, as data (the service never sends it).

Paths and bodies follow the Return & Refund API 202309 pages (Approve Cancellation, Approve
Return, Reject Return); tests/test_tiktok_calls.py holds them to the bundled API specs.
Resolutions a person or the buyer must act on first (review, require_evidence) imply no call;
neither does a rejected cancellation, whose API page is not among the references. Each such
answer says why, so an ERP never guesses.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ttrules.evaluate.decision import Decision
from ttrules.values import Money, Percent

API = "/return_refund/202309"
APPROVE_CANCELLATION = API + "/cancellations/{cancel_id}/approve"
APPROVE_RETURN = API + "/returns/{return_id}/approve"
REJECT_RETURN = API + "/returns/{return_id}/reject"

_APPROVALS = {
    "REFUND": "APPROVE_REFUND",
    "RETURN_AND_REFUND": "APPROVE_RETURN",
    "REPLACEMENT": "APPROVE_REPLACEMENT",
}
_REJECTIONS = {
    "REFUND": "REJECT_REFUND",
    "RETURN_AND_REFUND": "REJECT_RETURN",
    "REPLACEMENT": "REJECT_REPLACEMENT",
}


def _call(path: str, body: dict[str, Any], title: str) -> dict[str, Any]:
    return {"method": "POST", "path": path, "body": body, "api": title, "sent": False}


def _none(why: str) -> dict[str, Any]:
    return {"method": None, "path": None, "body": None, "sent": False, "why": why}


def platform_call(decision: Decision, kind: str, request_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """The call for a decided cancellation (kind CANCEL) or return/refund request."""
    resolution = decision.resolution
    action = resolution.action
    if action in ("review", "require_evidence"):
        return _none(
            "a person decides (review)"
            if action == "review"
            else "the buyer is asked for evidence first (Seller Center message); no decision yet"
        )
    if kind == "CANCEL":
        if action == "approve":
            path = APPROVE_CANCELLATION.format(cancel_id=request_id)
            return _call(path, {}, "Approve Cancellation")
        return _none(f"`{action}` on a cancellation: reject it in Seller Center (no bundled API page)")
    if action == "reject":
        body: dict[str, Any] = {"decision": _REJECTIONS.get(kind, "REJECT_REFUND"), "reject_reason": None}
        reason = resolution.args.get("reason")
        if reason:
            body["comment"] = str(reason)
        call = _call(REJECT_RETURN.format(return_id=request_id), body, "Reject Return")
        call["why"] = "reject_reason must be a code from Get Reject Reasons; the ERP fills it in"
        return call
    path = APPROVE_RETURN.format(return_id=request_id)
    if action == "approve":
        return _call(path, {"decision": _APPROVALS.get(kind, "APPROVE_REFUND")}, "Approve Return")
    if action == "refund_without_return":
        return _call(path, {"decision": "APPROVE_RETURN", "buyer_keep_item": True}, "Approve Return")
    if action == "replace":
        return _call(path, {"decision": "APPROVE_REPLACEMENT"}, "Approve Return")
    if action == "partial_refund":
        amount = _partial_amount(resolution.args.get("amount"), values.get("request.refund_amount"))
        if amount is None:
            return _none("partial_refund without an amount the API can take")
        return _call(
            path,
            {
                "decision": "OFFER_PARTIAL_REFUND",
                "partial_refund": {"currency": amount.currency, "amount": format(amount.amount, "f")},
            },
            "Approve Return",
        )
    return _none(f"`{action}` has no TikTok Shop API call")


def _partial_amount(amount: Any, asked: Any) -> Money | None:
    """A money amount as is; a share (`30%`) of the refund asked, to the cent."""
    if isinstance(amount, Money):
        return amount
    if isinstance(amount, Percent) and isinstance(asked, Money):
        share = (asked.amount * amount.fraction).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return Money(share, asked.currency)
    return None
