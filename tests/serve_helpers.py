"""A locked project on disk and a real `ttrules serve` on a free loopback port, for tests and
benchmarks/serve.py."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]

CONFIG = """\
stack:
  - rules/platform/
  - rules/merchant/
default: review
currency: USD
"""
PLATFORM = """\
ruleset "basics"
layer platform

rule "refund-if-not-collected"
  priority 90
  when request.kind == CANCEL and order.status == AWAITING_SHIPMENT
  then approve
  because "the carrier has not collected the parcel"
"""
MERCHANT = """\
ruleset "cheap"
layer merchant

set small_limit = {limit}

rule "keep-it"
  priority 10
  when request.kind == REFUND and order.total < small_limit
  then refund_without_return
  because "cheap goods are not worth the return postage"
"""


def case(total: str, kind: str = "REFUND", status: str = "DELIVERED", case_id: str = "c1") -> dict[str, Any]:
    return {
        "case": {"id": case_id},
        "order": {"status": status, "total": total, "created_at": "2026-05-01T08:00:00Z"},
        "request": {"kind": kind, "created_at": "2026-05-03T08:00:00Z"},
        "buyer": {"id": "buyer-7"},
    }


def ttrules(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "ttrules.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"ttrules {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def write_merchant(project: Path, limit: str) -> None:
    (project / "rules" / "merchant" / "cheap.ttr").write_text(MERCHANT.format(limit=limit), encoding="utf-8")


def confirm(project: Path) -> None:
    """Simulate the working tree against HEAD, confirm it (ttrules.lock), and commit."""
    saved = ttrules(
        project, "simulate", "--history", "history.jsonl", "--engine", "python", "--save", "plan.json"
    )
    digest = re.search(r"digest ([0-9a-f]+)", saved.stderr)
    assert digest, saved.stderr
    ttrules(project, "confirm", "plan.json", "--yes", "--plan-digest", digest.group(1))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "confirmed")


def make_project(project: Path, limit: str = "30 USD") -> Path:
    (project / "rules" / "platform").mkdir(parents=True)
    (project / "rules" / "merchant").mkdir(parents=True)
    (project / "ttrules.yaml").write_text(CONFIG, encoding="utf-8")
    (project / "rules" / "platform" / "basics.ttr").write_text(PLATFORM, encoding="utf-8")
    write_merchant(project, limit)
    history = [case(f"{10 + 7 * i}.00 USD", case_id=f"h{i}") for i in range(12)]
    history.append(case("5.00 USD", kind="CANCEL", status="AWAITING_SHIPMENT", case_id="h-cancel"))
    (project / "history.jsonl").write_text("".join(json.dumps(c) + "\n" for c in history), encoding="utf-8")
    (project / ".gitignore").write_text(".ttrules/\nplan.json\n", encoding="utf-8")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "rules")
    confirm(project)
    return project


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int, token: str | None) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err


def start(project: Path, *args: str, token: str | None = None, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ttrules.cli", "serve", "--port", str(port), *args],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the server exited {process.returncode}:\n{out}\n{err}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return Server(process, port, token)
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not come up in 60 s")


@contextlib.contextmanager
def running(project: Path, *args: str, token: str | None = None) -> Iterator[Server]:
    server = start(project, *args, token=token)
    try:
        yield server
    finally:
        server.stop()


def wait_for(condition: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")
