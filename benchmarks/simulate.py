"""`ttrules simulate` with the duckdb, python and spark engines: wall time, records/s, peak RSS.

    python benchmarks/simulate.py [N ...] [--python-max M] [--format parquet|jsonl|csv]
                                  [--engine spark [--spark-max M] [--spark-master URL]]
                                                               (default: 1000000 10000000, parquet)

For each N, a history of N records in the format (cached in the system temp directory) is
simulated in the demo workspace (the demo's change, both stacks, full JSON report), each
engine in its own process so its peak RSS is its own. Where both engines ran, their reports
are compared figure by figure (they must be identical).

Histories: up to 1,000,000 records come from the seeded generator (`ttrules demo`'s); a larger
N repeats the 1,000,000-record file (row content repeats, every row is still decided), since
generating 10M records in Python takes longer than simulating them. The python engine is run
up to --python-max records (default 1,000,000): at ~4,000 records/s, 10M would take 40 min.
JSON Lines and CSV histories are written by the same generator, up to 1,000,000 records.

`--engine spark` adds the Spark engine (`pip install '.[spark]'`, Java 17) on --spark-master
(default local[2]) up to --spark-max records (default 1,000,000; 10M on local[2] takes about
as long as the python engine's million times ten over two cores); its report is compared with
duckdb's too. The peak RSS is the driver's; Spark's JVM and Python workers are not in it.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from ttrules.simulate.demo import create_workspace
from ttrules.simulate.generate import write_csv, write_jsonl, write_parquet

CACHE = Path(tempfile.gettempdir()) / "ttrules-bench"
GENERATED_MAX = 1_000_000


def history(n: int, fmt: str = "parquet") -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"history-{n}.{fmt}"
    if path.exists():
        return path
    if fmt != "parquet":
        if n > GENERATED_MAX:
            raise SystemExit(f"{fmt} histories are generated up to {GENERATED_MAX:,} records")
        (write_jsonl if fmt == "jsonl" else write_csv)(path, n, seed=7)
        return path
    if n <= GENERATED_MAX:
        write_parquet(path, n, seed=7)
        return path
    import duckdb

    base = history(GENERATED_MAX)
    copies, rest = divmod(n, GENERATED_MAX)
    con = duckdb.connect()
    parts = [base] * copies
    relation = con.read_parquet([str(p) for p in parts])
    if rest:
        relation = relation.union(con.read_parquet(str(base)).limit(rest))
    relation.write_parquet(str(path), compression="zstd", row_group_size=100_000)
    return path


def run(command: list[str], cwd: Path) -> tuple[float, float]:
    """Run a command; return (wall seconds, its peak RSS in MiB)."""
    start = time.perf_counter()
    errors = cwd / "stderr.txt"  # kept: a failed run says why
    pid = os.fork()
    if pid == 0:  # the child becomes the command, so its rusage is its own
        os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        os.execvp(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        tail = errors.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise SystemExit(f"{' '.join(command)} failed with status {status}:\n" + "\n".join(tail))
    return elapsed, usage.ru_maxrss / 1024


def figures(report: Path) -> dict[str, object]:
    data = json.loads(report.read_text(encoding="utf-8"))
    data.pop("engine", None)
    return data


def main() -> None:
    args = sys.argv[1:]
    python_max = GENERATED_MAX
    if "--python-max" in args:
        i = args.index("--python-max")
        python_max = int(args[i + 1])
        del args[i : i + 2]
    fmt = "parquet"
    if "--format" in args:
        i = args.index("--format")
        fmt = args[i + 1]
        del args[i : i + 2]
    engines = ["duckdb", "python"]
    spark_max, master = GENERATED_MAX, "local[2]"
    if "--engine" in args:
        i = args.index("--engine")
        if args[i + 1] == "spark":
            engines.append("spark")
        del args[i : i + 2]
    if "--spark-max" in args:
        i = args.index("--spark-max")
        spark_max = int(args[i + 1])
        del args[i : i + 2]
    if "--spark-master" in args:
        i = args.index("--spark-master")
        master = args[i + 1]
        del args[i : i + 2]
    sizes = [int(a) for a in args] or [1_000_000, 10_000_000]
    ttrules = str(Path(sys.executable).with_name("ttrules"))
    print(
        f"machine: {platform.machine()} python {platform.python_version()} {platform.system()}; "
        f"cpus={os.cpu_count()}; both stacks (the demo change), full report; {fmt} histories"
    )
    workspace = Path(tempfile.mkdtemp(prefix="ttrules-bench-")) / "ws"
    create_workspace(workspace, 10, seed=7)
    print(f"{'records':>11}  {'engine':>6}  {'wall s':>8}  {'records/s':>11}  {'peak RSS MiB':>12}  report")
    for n in sizes:
        path = history(n, fmt)
        reports = {}
        for engine in engines:
            if engine == "python" and n > python_max:
                print(f"{n:>11,}  {engine:>6}  {'skipped (over --python-max)':>36}")
                continue
            if engine == "spark" and n > spark_max:
                print(f"{n:>11,}  {engine:>6}  {'skipped (over --spark-max)':>36}")
                continue
            out = workspace / f"report-{engine}-{n}.json"
            seconds, rss = run(
                [
                    ttrules,
                    "simulate",
                    "--history",
                    str(path),
                    "--engine",
                    engine,
                    "--format",
                    "json",
                    "--out",
                    str(out),
                    *(["--spark-master", master] if engine == "spark" else []),
                ],
                workspace,
            )
            reports[engine] = figures(out)
            same = ""
            if engine != "duckdb" and "duckdb" in reports:
                same = "identical to duckdb" if reports[engine] == reports["duckdb"] else "DIFFERS"
            print(
                f"{n:>11,}  {engine:>6}  {seconds:>8.1f}  {n / seconds:>11,.0f}  {rss:>12.1f}  {same}",
                flush=True,
            )


if __name__ == "__main__":
    main()
