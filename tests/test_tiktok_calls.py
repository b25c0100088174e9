"""The platform call a decision implies, held to the TikTok Shop API pages it follows."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ttrules.evaluate.decision import ActionValue, Decision
from ttrules.importers import tiktok_calls
from ttrules.importers.tiktok_calls import platform_call
from ttrules.values import Money, Percent

SPECS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "tiktok"


def _decision(action: str, **args: Any) -> Decision:
    return Decision(case_id="c", resolution=ActionValue(action, args))


ASKED = {"request.refund_amount": Money(Decimal("80.00"), "MYR")}


CALLS = [
    ("CANCEL", "approve", {}, "/return_refund/202309/cancellations/R1/approve", {}),
    ("REFUND", "approve", {}, "/return_refund/202309/returns/R1/approve", {"decision": "APPROVE_REFUND"}),
    (
        "RETURN_AND_REFUND",
        "approve",
        {},
        "/return_refund/202309/returns/R1/approve",
        {"decision": "APPROVE_RETURN"},
    ),
    (
        "RETURN_AND_REFUND",
        "refund_without_return",
        {},
        "/return_refund/202309/returns/R1/approve",
        {"decision": "APPROVE_RETURN", "buyer_keep_item": True},
    ),
    (
        "REFUND",
        "partial_refund",
        {"amount": Percent(Decimal("25"))},
        "/return_refund/202309/returns/R1/approve",
        {"decision": "OFFER_PARTIAL_REFUND", "partial_refund": {"currency": "MYR", "amount": "20.00"}},
    ),
    (
        "RETURN_AND_REFUND",
        "reject",
        {"reason": "used item"},
        "/return_refund/202309/returns/R1/reject",
        {"decision": "REJECT_RETURN", "reject_reason": None, "comment": "used item"},
    ),
    (
        "REPLACEMENT",
        "replace",
        {},
        "/return_refund/202309/returns/R1/approve",
        {"decision": "APPROVE_REPLACEMENT"},
    ),
]


@pytest.mark.parametrize(("kind", "action", "args", "path", "body"), CALLS)
def test_resolutions_imply_these_calls(
    kind: str, action: str, args: dict[str, Any], path: str, body: dict[str, Any]
) -> None:
    call = platform_call(_decision(action, **args), kind, "R1", ASKED)
    assert (call["method"], call["path"], call["body"], call["sent"]) == ("POST", path, body, False)


@pytest.mark.parametrize(
    ("kind", "action"), [("CANCEL", "reject"), ("REFUND", "review"), ("REFUND", "require_evidence")]
)
def test_what_implies_no_call_says_why(kind: str, action: str) -> None:
    call = platform_call(_decision(action), kind, "R1", ASKED)
    assert call["path"] is None and call["why"]


def _spec(name: str) -> dict[str, Any]:
    return json.loads((SPECS / f"{name}.spec.json").read_text(encoding="utf-8"))["document_api_meta"]


@pytest.mark.skipif(not SPECS.is_dir(), reason="shared/ reference pages not beside the repo")
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("approve-cancellation", tiktok_calls.APPROVE_CANCELLATION),
        ("approve-return", tiktok_calls.APPROVE_RETURN),
        ("reject-return", tiktok_calls.REJECT_RETURN),
    ],
)
def test_paths_and_bodies_follow_the_api_pages(name: str, path: str) -> None:
    spec = _spec(name)
    assert spec["interface_path"] == path
    assert spec["is_post_method"] in (True, 1, "true")
    params = spec.get("request_body_param") or []
    documented = {p["name"].lstrip("^") for p in params}
    descriptions = " ".join(p.get("desc", "") for p in params)
    concrete = path.replace("{cancel_id}", "R1").replace("{return_id}", "R1")
    bodies = [body for *_, call_path, body in CALLS if call_path == concrete]
    assert bodies, f"no call in the table uses {path}"
    for body in bodies:
        assert set(body) <= documented, body
        assert "decision" not in body or body["decision"] in descriptions, body
        for name, value in body.items():
            if isinstance(value, dict):
                assert set(value) <= documented, (name, value)
