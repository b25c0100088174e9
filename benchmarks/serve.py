"""`ttrules serve` under load from a real HTTP load generator, on loopback.

    python benchmarks/serve.py [--seconds 5] [--acknowledged 100000] [--million]

Needs wrk (Debian: `apt-get install wrk`). The server runs the bundled example stack
with `--unlocked` (the checks a locked start adds happen once, before serving), on a free port.
Printed, never asserted:

- single decisions per second and p50/p99 latency at 1, 16 and 64 connections, with the
  decision log on and off (wrk, `--latency`);
- the batch endpoint's decisions per second (10,000 cases a request);
- log loss: requests wrk saw answered, then SIGTERM, then rows in the log (zero lost when
  rows >= answered; a request in flight when wrk stops is logged but not counted by wrk);
- the server's resident memory before and after 1M decisions (`--million`).

Cases are the generated ones of benchmarks/decide.py (seeded), 1,000 distinct bodies in turn.
Client and server share the machine's cores, as the anchors in the issue's peers do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from decide import make_case  # noqa: E402

from ttrules.engine import Engine  # noqa: E402

from serve_helpers import start  # noqa: E402

LUA = """
local bodies = {
%s
}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/v1/decide", {["Content-Type"] = "application/json"}, bodies[i])
end
"""


def wrk_script(directory: Path, count: int = 1000) -> Path:
    import random

    rng = random.Random(20261122)
    bodies = ",\n".join(f"[==[{json.dumps(make_case(rng, i))}]==]" for i in range(count))
    path = directory / "decide.lua"
    path.write_text(LUA % bodies, encoding="utf-8")
    return path


def run_wrk(url: str, script: Path, connections: int, seconds: float) -> dict[str, float]:
    threads = min(2, connections)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": requests,
        "failed": int(failed.group(1)) if failed else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def batch_rate(server: object, rounds: int = 5, size: int = 10_000) -> float:
    import random

    rng = random.Random(7)
    body = json.dumps([make_case(rng, i) for i in range(size)])
    client: httpx.Client = server.client  # type: ignore[attr-defined]
    best = 0.0
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.post("/v1/decide/batch", content=body, headers={"content-type": "application/json"})
        elapsed = time.perf_counter() - began
        assert response.status_code == 200 and response.json()["decided"] == size, response.text[:300]
        best = max(best, size / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--acknowledged", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="Also decide 1M cases and compare memory.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("benchmarks/serve.py needs wrk (apt-get install wrk)")
    scratch = Path(tempfile.mkdtemp(prefix="ttrules-serve-bench-"))
    script = wrk_script(scratch)
    print(
        f"machine: {platform.machine()} python {platform.python_version()}; cpus={os.cpu_count()}; "
        "client (wrk, 2 threads) and server on the same cores"
    )
    config = str(ROOT / "ttrules.yaml")
    engine, _ = Engine.load(None, Path(config))
    assert engine is not None
    rules = len(engine.prepared.rules) + len(engine.prepared.forbids)
    print(f"stack: bundled example ({rules} rules and forbids), --unlocked; 1,000 distinct cases in turn")
    for label, log_args in (
        ("log on ", ["--log", str(scratch / "decisions.db")]),
        ("log off", ["--no-log"]),
    ):
        server = start(ROOT, "--config", config, "--unlocked", "--watch-interval", "0", *log_args)
        run_wrk(server.url, script, 16, 1)  # warm up
        for connections in (1, 16, 64):
            figures = run_wrk(server.url, script, connections, args.seconds)
            print(
                f"  single, {label}, {connections:>2} connections: {figures['rps']:9,.0f} decisions/s  "
                f"p50 {figures['p50']:6.2f} ms  p99 {figures['p99']:6.2f} ms"
                + (f"  (non-2xx: {figures['failed']})" if figures["failed"] else "")
            )
        if label == "log on ":
            print(f"  batch,  {label}, 10,000 cases a request: {batch_rate(server):9,.0f} decisions/s")
        server.stop()

    log = scratch / "loss.db"
    server = start(ROOT, "--config", config, "--unlocked", "--watch-interval", "0", "--log", str(log))
    answered = 0
    while answered < args.acknowledged:
        figures = run_wrk(server.url, script, 16, 10)
        answered += int(figures["requests"] - figures["failed"])
    began = time.perf_counter()
    code, _ = server.stop(signal.SIGTERM)
    drained = time.perf_counter() - began
    rows = sqlite3.connect(log).execute("SELECT count(*) FROM decisions").fetchone()[0]
    lost = "none lost" if rows >= answered else f"LOST {answered - rows:,}"
    print(
        f"  log after SIGTERM: {answered:,} answered, {rows:,} rows ({lost}); "
        f"drained and stopped in {drained:.2f} s (exit {code})"
    )

    if args.million:
        server = start(
            ROOT, "--config", config, "--unlocked", "--watch-interval", "0", "--log", str(scratch / "m.db")
        )
        batch_rate(server, rounds=1)
        samples = [f"{rss_mib(server.process.pid):,.0f}"]
        for _ in range(5):
            batch_rate(server, rounds=20)  # 200,000 decisions
            samples.append(f"{rss_mib(server.process.pid):,.0f}")
        print(f"  memory (MiB) after 10k and every further 200k decisions, to 1,010,000: {' '.join(samples)}")
        server.stop()
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
