"""Streaming simulation (the Python engine: pydantic loading, compiled decisions, both stacks,
full report): time, rate and peak memory by size.

    python benchmarks/simulate_stream.py [N ...]        (default: 20000 100000)

For each N, a seeded history of N records is generated (Parquet, cached in the system temp
directory), the demo change is made in a scratch git workspace, and `ttrules simulate` runs in
its own process so its peak RSS is measured alone. Memory should stay flat as N grows.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from ttrules.simulate.demo import create_workspace


def peak_rss_mib(command: list[str], cwd: Path) -> tuple[float, float]:
    """Run a command; return (wall seconds, its peak RSS in MiB)."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child becomes the command, so its rusage is its own
        os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvp(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [20_000, 100_000]
    ttrules = str(Path(sys.executable).with_name("ttrules"))
    print(f"machine: {platform.machine()} python {platform.python_version()} {platform.system()}; "
          f"cpus={os.cpu_count()}; engine: python (compiled decisions), both stacks, full report")
    print(f"{'records':>10}  {'wall s':>8}  {'records/s':>10}  {'peak RSS MiB':>12}")
    for n in sizes:
        workspace = Path(tempfile.mkdtemp(prefix=f"ttrules-bench-{n}-"))
        history = create_workspace(workspace / "ws", n, seed=7)
        seconds, rss = peak_rss_mib([ttrules, "simulate", "--history", str(history),
                                     "--format", "json", "--out", "report.json"], workspace / "ws")
        print(f"{n:>10,}  {seconds:>8.1f}  {n / seconds:>10,.0f}  {rss:>12.1f}", flush=True)


if __name__ == "__main__":
    main()
