"""`simulate --engine spark` on local Spark (local[2]): the same report as the duckdb engine on
generated stacks and histories, a history split over several files, and its refusals.

A separate CI step (`pytest -m spark`, after `pip install '.[spark]'`); the README's test
command deselects these tests, as they need PySpark and a JVM.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttrules.columnar.run import replay_duckdb
from ttrules.distributed.spark import SparkError, replay_spark
from ttrules.simulate.history import read_history
from ttrules.simulate.run import Options, Side, new_accumulator, replay_rows

from columnar_cases import CONFIG, SUPPORTED, histories, with_more_conditions
from helpers import bundled_engine, engine_from_texts
from strategies import rich_stacks

pytestmark = pytest.mark.spark


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    columns = sorted({key for record in records for key in record})
    pq.write_table(pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in records]), path)
    return path


def _json(acc: Any) -> Any:
    return json.loads(json.dumps({**acc.report(), "samples": acc.samples}, default=str))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rich_stacks(),
    rich_stacks(),
    histories(),
    st.lists(st.sampled_from(SUPPORTED), min_size=3, max_size=3),
    st.integers(0, 3),
)
def test_spark_engine_equals_duckdb_engine(
    tmp_path_factory: Any,
    before: list[str],
    after: list[str],
    records: list[dict[str, Any]],
    extra: list[str],
    samples: int,
) -> None:
    path = _write(tmp_path_factory.mktemp("history") / "history.parquet", records)
    sides = (
        Side(engine_from_texts(with_more_conditions(before, extra), CONFIG), "b"),
        Side(engine_from_texts(with_more_conditions(after, extra[::-1]), CONFIG), "c"),
    )
    options = Options(samples=samples)
    fast, _ = replay_duckdb(*sides, path, "parquet", {}, options)
    spread = replay_spark(*sides, [str(path)], {}, options).total
    assert _json(spread) == _json(fast)


def test_a_history_in_several_files_is_one_history(tmp_path: Path) -> None:
    from ttrules.simulate.generate import write_parquet

    whole = tmp_path / "whole.parquet"
    write_parquet(whole, 3000, seed=5)
    table = pq.read_table(whole)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, 3000, 1000)):
        pq.write_table(table.slice(start, 1000), parts / f"part-{i}.parquet", row_group_size=250)
    small = 'ruleset "m"\nlayer merchant\nrule "small"\n  when order.total < 30 USD\n  then approve\n'
    sides = (Side(bundled_engine(), "b"), Side(engine_from_texts([small], CONFIG), "c"))
    options = Options(samples=5)
    replayed = replay_spark(*sides, [str(parts / "*.parquet")], {}, options)
    spread, tasks = replayed.total, replayed.parts
    expected = new_accumulator(*sides, options)
    for i in range(3):  # the files in name order, each in row order
        replay_rows(*sides, read_history(parts / f"part-{i}.parquet"), expected)
    first_file = new_accumulator(*sides, options)
    replay_rows(*sides, read_history(parts / "part-0.parquet"), first_file)
    # A rule's first error is the first in file order, files in name order (numbers restart
    # in each file, so the one-file-after-another pass cannot say it by number alone).
    got, want = _json(spread), _json(expected)
    assert got["errors"]["candidate"]["first"] == _json(first_file)["errors"]["candidate"]["first"]
    assert got["errors"]["candidate"]["first"], "the test needs a rule that errors"
    for report in (got, want):
        report["errors"]["candidate"].pop("first")
    assert got == want
    # One file of one split: spread over the cores by a shuffle, each task's rows sorted back;
    # the changed cases and first errors kept are still the file's first ones.
    replayed = replay_spark(*sides, [str(whole)], {}, options)
    spread, tasks = replayed.total, replayed.parts
    one_pass = new_accumulator(*sides, options)
    replay_rows(*sides, read_history(whole), one_pass)
    assert _json(spread) == _json(one_pass) and tasks > 1
    assert spread.records == 3000 and tasks >= 3 and len(spread.samples) == 5


def test_refusals(tmp_path: Path) -> None:
    engine = bundled_engine()
    sides = (Side(engine, "b"), Side(engine, "c"))
    with pytest.raises(SparkError, match="Spark cannot read"):
        replay_spark(*sides, [str(tmp_path / "missing.parquet")], {}, Options())
    taken = _write(tmp_path / "taken.parquet", [{"_ttr_row": 1, "order.total": "5 USD"}])
    with pytest.raises(SparkError, match="column named `_ttr_row`"):
        replay_spark(*sides, [str(taken)], {}, Options())
    with pytest.raises(SparkError, match="--sample and --limit"):
        replay_spark(*sides, [str(taken)], {}, Options(limit=3))


def test_the_command_reports_what_the_duckdb_engine_reports(tmp_path: Path, monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from ttrules.cli import cli
    from ttrules.simulate.demo import create_workspace

    root = tmp_path / "demo"
    history = create_workspace(root, 2000, 7)
    monkeypatch.chdir(root)
    reports = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.json"
        args = [
            "simulate",
            "--history",
            str(history),
            "--engine",
            engine,
            "--format",
            "json",
            "--out",
            str(out),
        ]
        result = CliRunner().invoke(
            cli, [*args, "--config", str(root / "ttrules.yaml"), "--baseline", "HEAD"]
        )
        assert result.exit_code == 0, result.output
        reports[engine] = json.loads(out.read_text(encoding="utf-8"))
    assert reports["spark"].pop("engine")["name"] == "spark"
    reports["duckdb"].pop("engine")
    assert reports["spark"] == reports["duckdb"]
    assert reports["spark"]["changed"]["count"] > 0


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_text_histories_are_read_by_the_python_engines_reader(tmp_path: Path, fmt: str) -> None:
    """JSON Lines and CSV files, one of them gzipped, with an unreadable row: each file is read
    whole by a task with the reader the other engines use, so rows, numbers and skips agree."""
    import gzip

    from ttrules.simulate.generate import write_csv, write_jsonl

    write = write_jsonl if fmt == "jsonl" else write_csv
    files = []
    for i in range(3):
        path = tmp_path / f"part-{i}.{fmt}"
        write(path, 400, seed=20 + i)
        files.append(path)
    broken = files[1].read_text(encoding="utf-8").splitlines(keepends=True)
    broken.insert(5, "{not json\n" if fmt == "jsonl" else '"unclosed,quote\n')
    files[1].write_text("".join(broken), encoding="utf-8")
    zipped = tmp_path / f"part-2.{fmt}.gz"
    zipped.write_bytes(gzip.compress(files[2].read_bytes()))
    files[2].unlink()
    files[2] = zipped
    small = 'ruleset "m"\nlayer merchant\nrule "small"\n  when order.total < 30 USD\n  then approve\n'
    sides = (Side(bundled_engine(), "b"), Side(engine_from_texts([small], CONFIG), "c"))
    options = Options(samples=4)
    replayed = replay_spark(*sides, [str(tmp_path / "part-*")], {}, options, fmt=fmt)
    spread, tasks = replayed.total, replayed.parts
    expected = new_accumulator(*sides, options)
    for path in files:
        replay_rows(*sides, read_history(path, {}, fmt), expected)
    got, want = _json(spread), _json(expected)
    for report in (got, want):
        report["errors"]["candidate"].pop("first")  # numbers restart per file: see above
    assert got == want and tasks == 3
    assert got["records"]["skipped"] >= 1


def test_a_file_that_is_not_its_format_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text('{"order": {}}\n', encoding="utf-8")
    engine = bundled_engine()
    with pytest.raises(SparkError, match=r"h\.csv"):
        replay_spark(
            Side(engine, "b"), Side(engine, "c"), [str(tmp_path / "h.csv")], {}, Options(), fmt="csv"
        )


def test_partition_by_gives_each_value_the_report_of_its_own_records(tmp_path: Path) -> None:
    from ttrules.schema.loader import load_values
    from ttrules.simulate.generate import write_parquet

    path = tmp_path / "h.parquet"
    write_parquet(path, 1500, seed=9)
    small = 'ruleset "m"\nlayer merchant\nrule "small"\n  when order.total < 30 USD\n  then approve\n'
    sides = (Side(bundled_engine(), "b"), Side(engine_from_texts([small], CONFIG), "c"))
    options = Options(samples=0)
    replayed = replay_spark(*sides, [str(path)], {}, options, partition_by="case.market")
    rows = list(read_history(path))
    markets = {row.record["case.market"] for row in rows if row.record}
    assert set(replayed.partitions) == markets and len(markets) > 1
    for market, acc in replayed.partitions.items():
        own = new_accumulator(*sides, options)
        mine = [
            r for r in rows if load_values(r.record, sides[1].engine.stack.schema)["case.market"] == market
        ]
        replay_rows(*sides, mine, own)
        assert _json(acc) == _json(own), market
    assert replayed.total.records == sum(acc.records for acc in replayed.partitions.values()) == 1500
    with pytest.raises(SparkError, match="not a field"):
        replay_spark(*sides, [str(path)], {}, options, partition_by="shop")
