"""`ttrules serve` as an ERP meets it: a real server on a free loopback port, driven over HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from serve_helpers import ROOT, case, confirm, make_project, running, start, ttrules, wait_for, write_merchant

FIXTURES = ROOT / "tests" / "fixtures" / "tiktok"


@pytest.fixture(scope="module")
def locked_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="module")
def server(locked_project: Path) -> Any:
    with running(locked_project, "--log", str(locked_project / ".ttrules" / "module.db")) as served:
        yield served


def _resolution(body: dict[str, Any]) -> str:
    return body["resolution"]["action"]


def test_decide_gives_the_decision_json_of_explain(server: Any, locked_project: Path) -> None:
    record = case("20.00 USD")
    response = server.client.post("/v1/decide", json=record)
    assert response.status_code == 200, response.text
    (locked_project / "one.json").write_text(json.dumps(record), encoding="utf-8")
    explained = json.loads(ttrules(locked_project, "explain", "--case", "one.json", "--json").stdout)
    explained.pop("explanation", None)
    explained.pop("settings_explained", None)
    assert response.json() == explained
    assert _resolution(response.json()) == "refund_without_return"
    with_reasons = server.client.post("/v1/decide?explain=true", json=record).json()
    assert with_reasons["explanation"], with_reasons


def test_batch_decides_every_good_case_and_names_the_field_at_fault(server: Any) -> None:
    cases = [
        case("20.00 USD", case_id="a"),
        {"order": {"status": "DELIVERED"}},
        case("90.00 USD", case_id="b"),
    ]
    as_array = server.client.post("/v1/decide/batch", json=cases).json()
    lines = "\n".join(json.dumps(c) for c in cases) + "\nnot json\n"
    as_lines = server.client.post(
        "/v1/decide/batch", content=lines, headers={"content-type": "application/x-ndjson"}
    ).json()
    for body in (as_array, as_lines):
        results = body["results"]
        assert _resolution(results[0]["decision"]) == "refund_without_return"
        assert results[1]["error"] == "invalid_case"
        assert {"field": "order.total", "message": "required field is missing"} in results[1]["problems"]
        assert _resolution(results[2]["decision"]) == "review"
    assert (as_array["decided"], as_array["failed"]) == (2, 1)
    assert (as_lines["decided"], as_lines["failed"]) == (2, 2)
    assert as_lines["results"][3]["error"] == "bad_json"


@pytest.mark.parametrize(
    ("body", "status", "kind", "words"),
    [
        ('{"order": ', 400, "bad_json", "line 1 column 11"),
        ("[1, 2]", 422, "invalid_case", "JSON object, not list"),
        (
            '{"order": {"status": "DELIVERED", "total": "x"}, "request": {}}',
            422,
            "invalid_case",
            "order.total",
        ),
        (b"\xff\xfe{}", 400, "bad_encoding", "not UTF-8"),
        ("{" + " " * (2 << 20) + "}", 413, "too_large", "limit"),
    ],
)
def test_bad_input_gets_a_status_and_a_message_never_a_traceback(
    server: Any, body: str | bytes, status: int, kind: str, words: str
) -> None:
    response = server.client.post("/v1/decide", content=body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == kind
    assert words in response.json()["message"]
    assert "Traceback" not in response.text and ".py" not in response.text


def test_stack_health_readiness_and_metrics(server: Any, locked_project: Path) -> None:
    stack = server.client.get("/v1/stack").json()
    assert stack["layers"] == ["platform", "merchant"]
    assert stack["locked"] is True
    lock = (locked_project / "ttrules.lock").read_bytes()
    assert stack["lock_sha256"] == hashlib.sha256(lock).hexdigest()
    assert len(stack["revision"]) == 40
    assert server.client.get("/healthz").json() == {"ok": True}
    assert server.client.get("/readyz").json()["ready"] is True
    server.client.post("/v1/decide", json=case("20.00 USD"))
    metrics = server.client.get("/metrics").text
    assert (
        'ttrules_decisions_total{endpoint="decide",resolution="refund_without_return",rule="merchant/keep-it"}'
        in metrics
    )
    assert "ttrules_request_seconds_bucket" in metrics
    assert "ttrules_log_queue_depth" in metrics


def _tiktok(name: str, key: str) -> list[dict[str, Any]]:
    pages = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return [item for page in pages for item in page["data"][key]]


def test_tiktok_objects_are_mapped_decided_and_answered_with_the_platform_call(server: Any) -> None:
    cancellation = _tiktok("cancellations.json", "cancellations")[0]
    orders = {o["id"]: o for o in json.loads((FIXTURES / "orders-page1.json").read_text())["data"]["orders"]}
    order = orders[cancellation["order_id"]]
    response = server.client.post(
        "/v1/decide/tiktok",
        json={"order": order, "cancellation": cancellation, "now": "2026-11-03T06:00:00Z"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["case"]["request.kind"] == "CANCEL"
    assert body["decision"]["case_id"] == f"CANCEL-{cancellation['cancel_id']}"
    call = body["platform_call"]
    assert call["sent"] is False
    if _resolution(body["decision"]) == "approve":
        assert call["path"] == f"/return_refund/202309/cancellations/{cancellation['cancel_id']}/approve"
    else:
        assert call["path"] is None and call["why"]
    bad = server.client.post("/v1/decide/tiktok", json={"order": order})
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["field"] == "cancellation"


def test_tokens_are_required_when_configured(locked_project: Path, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# callers\n" + "a" * 32 + "\n", encoding="utf-8")
    with running(locked_project, "--no-log", "--token-file", str(tokens), token="a" * 32) as served:
        assert served.client.post("/v1/decide", json=case("20.00 USD")).status_code == 200
        anonymous = httpx.post(f"{served.url}/v1/decide", json=case("20.00 USD"))
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        wrong = httpx.get(f"{served.url}/v1/stack", headers={"Authorization": "Bearer " + "b" * 32})
        assert wrong.status_code == 401
        assert httpx.get(f"{served.url}/healthz").status_code == 200


def test_a_reachable_address_without_tokens_is_refused(locked_project: Path) -> None:
    done = ttrules(locked_project, "serve", "--host", "0.0.0.0", "--no-log", check=False)
    assert done.returncode == 2
    assert "--token-file" in done.stderr


def test_an_unconfirmed_stack_is_not_served(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    write_merchant(project, "45 USD")
    done = ttrules(project, "serve", "--no-log", check=False)
    assert done.returncode == 2
    assert "TTR123" in done.stderr and "cheap.ttr" in done.stderr
    with running(project, "--no-log", "--unlocked") as served:
        assert served.client.get("/v1/stack").json()["locked"] is False


def test_reload_swaps_in_a_newly_confirmed_stack_and_refuses_a_broken_one(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    with running(project, "--no-log", "--watch-interval", "0.2") as served:
        assert _resolution(served.client.post("/v1/decide", json=case("50.00 USD")).json()) == "review"
        before = served.client.get("/v1/stack").json()["lock_sha256"]
        write_merchant(project, "60 USD")
        confirm(project)  # writes a new ttrules.lock: the watcher reloads
        wait_for(lambda: served.client.get("/v1/stack").json()["lock_sha256"] != before)
        assert (
            _resolution(served.client.post("/v1/decide", json=case("50.00 USD")).json())
            == "refund_without_return"
        )
        # A broken rule file: the reload (SIGHUP) is refused and the confirmed stack keeps serving.
        (project / "rules" / "merchant" / "cheap.ttr").write_text('ruleset "cheap"\nlayer merchant\nrule\n')
        served.process.send_signal(signal.SIGHUP)
        ready = wait_for(
            lambda: (r := served.client.get("/readyz").json())["last_reload"]["ok"] is False and r
        )
        assert "cheap.ttr" in ready["last_reload"]["error"]
        assert (
            _resolution(served.client.post("/v1/decide", json=case("50.00 USD")).json())
            == "refund_without_return"
        )


def test_shadow_rules_are_logged_beside_the_live_ones_and_reported(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    candidate = tmp_path / "candidate"
    (candidate / "rules").mkdir(parents=True)
    for part in ("platform", "merchant"):
        target = candidate / "rules" / part
        target.mkdir()
        for source in (project / "rules" / part).iterdir():
            (target / source.name).write_text(source.read_text())
    (candidate / "rules" / "merchant" / "cheap.ttr").write_text(
        (candidate / "rules" / "merchant" / "cheap.ttr").read_text().replace("30 USD", "60 USD")
    )
    (candidate / "ttrules.yaml").write_text((project / "ttrules.yaml").read_text())
    log = project / ".ttrules" / "shadow.db"
    with running(project, "--log", str(log), "--shadow", str(candidate)) as served:
        live = served.client.post("/v1/decide", json=case("50.00 USD", case_id="s1")).json()
        assert _resolution(live) == "review"  # the response is the live decision only
        served.client.post("/v1/decide", json=case("20.00 USD", case_id="s2"))
    rows = (
        sqlite3.connect(log)
        .execute("SELECT case_id, resolution, shadow_resolution FROM decisions")
        .fetchall()
    )
    assert sorted(rows) == [
        ("s1", "review", "refund_without_return"),
        ("s2", "refund_without_return", "refund_without_return"),
    ]
    report = json.loads(ttrules(project, "shadow-report", "--log", str(log), "--json").stdout)
    assert (report["compared"], report["agreed"], report["disagreed"]) == (2, 1, 1)
    assert report["transitions"] == [
        {"live": "review", "shadow": "refund_without_return", "cases": 1, "refunds": {"shadow USD": "50.00"}}
    ]
    text = ttrules(project, "shadow-report", "--log", str(log)).stdout
    assert re.search(r"review -> refund_without_return +1 +shadow USD 50\.00", text), text


def test_every_acknowledged_decision_is_in_the_log_after_sigterm_and_replays(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    log = project / ".ttrules" / "decisions.db"
    served = start(project, "--log", str(log), "--mask", "buyer.id")
    acknowledged = 0
    for i in range(300):
        if (
            served.client.post("/v1/decide", json=case(f"{i % 60}.00 USD", case_id=f"d{i}")).status_code
            == 200
        ):
            acknowledged += 1
    batch = served.client.post(
        "/v1/decide/batch", json=[case("5.00 USD", case_id=f"b{i}") for i in range(200)]
    )
    acknowledged += batch.json()["decided"]
    code, err = served.stop(signal.SIGTERM)
    # uvicorn drains, then ends by the signal it was sent (as a supervisor expects).
    assert code in (0, -signal.SIGTERM), err
    assert "decision log closed: 500 entries written" in err
    con = sqlite3.connect(log)
    assert con.execute("SELECT count(*) FROM decisions").fetchone()[0] == acknowledged == 500
    masked = json.loads(con.execute("SELECT input FROM decisions WHERE case_id = 'd1'").fetchone()[0])
    assert masked["buyer"]["id"].startswith("sha256:") and masked["order"]["total"] == "1.00 USD"
    found = ttrules(project, "log", "--log", str(log), "--case", "d7", "--json").stdout.splitlines()
    assert [json.loads(line)["case_id"] for line in found] == ["d7"]
    by_rule = ttrules(project, "log", "--log", str(log), "--rule", "keep-it", "--limit", "1000").stdout
    assert len(by_rule.splitlines()) == 30 * 5 + 200  # totals under 30 USD: 0..29 of every 60
    for engine in ("python", "duckdb"):
        report = json.loads(
            ttrules(
                project,
                "simulate",
                "--history",
                str(log),
                "--engine",
                engine,
                "--format",
                "json",
                check=False,
            ).stdout
        )
        assert report["records"]["decided"] == 500, (engine, report["records"])


def test_the_readme_serve_quick_start_works_on_the_demo_workspace(tmp_path: Path) -> None:
    """The README's commands, run as written (demo made small; confirm answered at its prompt)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("To serve the demo's rules", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert "ttrules simulate --history history.parquet --save plan.json" in block
    assert "ttrules confirm plan.json && ../.venv/bin/ttrules serve" in block
    assert "-d @../examples/cases/small-cancel.json" in block
    ttrules(tmp_path, "demo", "ttrules-demo", "--records", "300")
    workspace = tmp_path / "ttrules-demo"
    ttrules(workspace, "simulate", "--history", "history.parquet", "--save", "plan.json")
    confirmed = subprocess.run(
        [sys.executable, "-m", "ttrules.cli", "confirm", "plan.json"],
        cwd=workspace,
        input="small-cancellations\n",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert confirmed.returncode == 0, confirmed.stderr
    with running(workspace) as served:
        case_file = ROOT / "examples" / "cases" / "small-cancel.json"
        response = served.client.post("/v1/decide", content=case_file.read_bytes())
        assert response.status_code == 200, response.text
        assert response.json()["resolution"]["action"]
    assert (workspace / ".ttrules" / "log" / "decisions.db").is_file()
    assert ".ttrules/log/" in (workspace / ".gitignore").read_text()


def test_a_batch_goes_to_the_log_whole_or_not_at_all(tmp_path: Path) -> None:
    """put_many: the queue's bound counts entries, a batch past it is refused whole (the service
    answers 503 and logs none of it), and what was accepted is written by close()."""
    import time

    from ttrules.decision_log import Entry, LogFull, LogWriter, open_sink

    def entry(i: int) -> Entry:
        return Entry(
            time.time(),
            "batch",
            f"c{i}",
            "{}",
            "0" * 64,
            "approve",
            ["merchant/x"],
            "{}",
            None,
            None,
            1,
            None,
        )

    writer = LogWriter(open_sink(tmp_path / "log.db"), capacity=10, flush_every=10.0)
    writer.put_many([entry(i) for i in range(6)])
    assert writer.depth <= 6
    with pytest.raises(LogFull):
        writer.put_many([entry(i) for i in range(6, 20)])  # 6 + 14 > 10, even if some are written
    writer.close()
    rows = (
        sqlite3.connect(tmp_path / "log.db").execute("SELECT case_id FROM decisions ORDER BY seq").fetchall()
    )
    assert [r[0] for r in rows] == [f"c{i}" for i in range(6)]
