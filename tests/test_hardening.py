"""Regression cases for hostile or broken input (issue: Hardening): each gets a located
diagnostic or is read as it should be, never a Python exception or a silent wrong value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ttrules.cli import cli
from ttrules.config import load_config
from ttrules.simulate.history import read_history

from helpers import simulate_cli


def _check(tmp_path: Path, config: str, rules: str = 'ruleset "m"\nlayer merchant\n') -> tuple[int, str]:
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "m.ttr").write_text(rules)
    (tmp_path / "ttrules.yaml").write_text(config)
    result = CliRunner().invoke(cli, ["check", "--config", str(tmp_path / "ttrules.yaml"), "--no-analysis"])
    return result.exit_code, result.output


def test_a_non_printable_character_in_yaml_is_a_located_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        'ruleset: x\nlayer: merchant\nrules:\n  - name: "a\x01b"\n    when: "true"\n    then: [approve]\n'
    )
    result = CliRunner().invoke(cli, ["check", str(path), "--no-analysis"])
    assert result.exit_code == 1
    assert "error[TTR010]: the character U+0001 is not allowed in YAML" in result.output
    assert "r.yaml:4:13" in result.output


def test_a_misspelt_fail_closed_layer_is_an_error(tmp_path: Path) -> None:
    code, output = _check(tmp_path, "stack: [rules/]\nfail_closed: [platfrom]\n")
    assert code == 2
    assert (
        "fail_closed.0: `platfrom` is not a layer (layers: platform, merchant); did you mean `platform`?"
        in output
    )


def test_a_key_given_twice_in_the_config_is_an_error_at_the_second(tmp_path: Path) -> None:
    code, output = _check(tmp_path, "stack: [rules/]\nfail_closed: [platform]\nfail_closed: []\n")
    assert code == 2 and "`fail_closed` is given twice in this mapping" in output
    assert "ttrules.yaml:3:1" in output


def test_repeated_layers_and_non_iso_currencies_are_errors(tmp_path: Path) -> None:
    config, problems = load_config(_write(tmp_path, "layers: [merchant, merchant]\nfx: {US$: 1}\n"))
    assert config is None
    messages = [d.message for d in problems]
    assert "fx: `US$` is not an ISO 4217 code such as MYR" in messages
    config, problems = load_config(_write(tmp_path, "layers: [merchant, merchant]\nfail_closed: []\n"))
    assert config is None and [d.message for d in problems] == ["layers: `merchant` listed twice"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ttrules.yaml"
    path.write_text(text)
    return path


def test_a_byte_order_mark_does_not_cost_the_first_row(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    row = (
        '{"order.total": "5 USD", "order.status": "DELIVERED", "order.created_at": "2026-01-01T00:00:00Z", '
        '"request.kind": "REFUND", "request.created_at": "2026-01-01T00:00:00Z"}\n'
    )
    path.write_bytes(b"\xef\xbb\xbf" + (row * 2).encode())
    rows = list(read_history(path))
    assert [(r.number, r.error) for r in rows] == [(1, ""), (2, "")]
    assert rows[0].record is not None and rows[0].record["order.total"] == "5 USD"


def test_an_internal_error_has_its_own_exit_code(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    import ttrules.cli as module

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(module.cli, "main", broken)
    monkeypatch.delenv("TTRULES_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        module.main()
    assert stopped.value.code == 3


def test_literals_beyond_their_limits_are_located_ttr014(tmp_path: Path) -> None:
    huge = "9" * 5000
    path = tmp_path / "big.ttr"
    path.write_text(
        'ruleset "m"\nlayer merchant\nset w = 99999999999999999999d\nrule "a"\n  priority 99999999999\n'
        f"  when order.total > {huge} USD and order.quantity > 1{huge}\n  then partial_refund({huge}%)\n"
    )
    result = CliRunner().invoke(cli, ["check", str(path), "--no-analysis"])
    assert result.exit_code == 1, result.output
    assert result.output.count("error[TTR014]") == 5
    assert "the duration `99999999999999999999d` is longer than 999999999d" in result.output
    assert "a priority is at most 1,000,000,000 either way" in result.output
    assert "has 5000 digits; at most 30" in result.output
    assert "big.ttr:6:" in result.output


def test_a_yaml_priority_must_be_written_plainly(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    rules = "".join(
        f'  - name: r{i}\n    priority: {p}\n    when: "true"\n    then: [approve]\n'
        for i, p in enumerate(["010", "1:30", "99999999999999", "10"])
    )
    path.write_text(f"ruleset: m\nlayer: merchant\nrules:\n{rules}")
    result = CliRunner().invoke(cli, ["check", str(path), "--no-analysis"])
    assert result.exit_code == 1
    assert (
        "`priority` of rule `r0` must be a whole number written plainly (e.g. 10), not `010`" in result.output
    )
    assert "not `1:30`" in result.output
    assert "error[TTR014]: `priority` of rule `r2`: a priority is at most 1,000,000,000" in result.output
    assert "r3" not in result.output


def test_every_skipped_row_can_be_listed_with_its_location(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "m.ttr").write_text('ruleset "m"\nlayer merchant\n')
    (tmp_path / "ttrules.yaml").write_text("stack: [rules/]\n")
    good = (
        '{"order.total": "5 USD", "order.status": "DELIVERED", "order.created_at": "2026-01-01T00:00:00Z", '
        '"request.kind": "REFUND", "request.created_at": "2026-01-01T00:00:00Z"}'
    )
    lines = [good if i % 2 == 0 else "not json" for i in range(60)]  # 30 bad rows: more than 20
    (tmp_path / "h.jsonl").write_text("\n".join(lines) + "\n")
    for engine in ("duckdb", "python"):
        out = tmp_path / f"skipped-{engine}.jsonl"
        history = tmp_path / "h.jsonl"
        code, _, output = simulate_cli(
            history,
            tmp_path,
            tmp_path,
            "--allow-skipped",
            "--skipped",
            str(out),
            "--engine",
            engine,
            config=tmp_path / "ttrules.yaml",
        )
        assert code == 0, output
        assert "10 more rows skipped" in output and "--skipped FILE lists every one" in output
        listed = [json.loads(line) for line in out.read_text().splitlines()]
        assert [row["where"] for row in listed] == [f"h.jsonl:{n}" for n in range(2, 61, 2)]
        assert listed[0]["reason"].startswith("invalid JSON")


def test_a_reorder_that_changes_decisions_is_shown_as_a_change() -> None:
    from ttrules.simulate.plan import changed_rulesets, rule_changes

    from helpers import engine_from_texts

    a = 'rule "a"\n  when request.kind == CANCEL\n  then approve\n'
    b = 'rule "b"\n  when request.kind == CANCEL\n  then reject("no")\n'
    head = 'ruleset "m"\nlayer merchant\n'
    before = engine_from_texts([head + a + b]).stack
    swapped = engine_from_texts([head + b + a]).stack  # equal priority: source order decides
    changes = rule_changes(before, swapped)
    assert changes["reordered"] == ["rule merchant/a", "rule merchant/b"]
    assert changes["added"] == changes["changed"] == changes["deleted"] == []
    assert changed_rulesets(before, swapped) == ["m"]  # what confirm asks to type, not `(no change)`
    # Two rulesets of a layer whose files now sort the other way round.
    one, two = 'ruleset "one"\nlayer merchant\n' + a, 'ruleset "two"\nlayer merchant\n' + b
    first, flipped = engine_from_texts([one, two]).stack, engine_from_texts([two, one]).stack
    assert rule_changes(first, flipped)["reordered"] == ["rule merchant/a", "rule merchant/b"]
    assert changed_rulesets(first, flipped) == ["one", "two"]
    assert rule_changes(first, first)["reordered"] == [] and changed_rulesets(first, first) == []


GOOD_ROW = {
    "order": {"status": "DELIVERED", "total": "5.00 USD", "created_at": "2026-01-01T00:00:00Z"},
    "request": {"kind": "REFUND", "created_at": "2026-01-02T00:00:00Z"},
}
CSV_HEADER = "order.status,order.total,order.created_at,request.kind,request.created_at,case.id\n"
CSV_ROW = "DELIVERED,5 USD,2026-01-01T00:00:00Z,REFUND,2026-01-02T00:00:00Z,{}\n"


def _both_engines(tmp_path: Path, history: Path, rules: str, config: str) -> list[dict[str, Any]]:
    """The report of each engine (python, then duckdb) on `history` under one ruleset."""
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "m.ttr").write_text(rules)
    (tmp_path / "ttrules.yaml").write_text(config)
    reports = []
    for engine in ("python", "duckdb"):
        code, report, output = simulate_cli(
            history,
            tmp_path,
            tmp_path,
            "--allow-skipped",
            "--engine",
            engine,
            config=tmp_path / "ttrules.yaml",
        )
        assert code == 0, output
        reports.append(report)
    return reports


def _skips(tmp_path: Path, name: str, content: bytes) -> list[tuple[int, list[tuple[str, str]]]]:
    """(records decided, [(where, reason)] skipped) by each engine, for a history file."""
    history = tmp_path / name
    history.write_bytes(content)
    found = []
    for report in _both_engines(tmp_path, history, 'ruleset "m"\nlayer merchant\n', "stack: [rules/]\n"):
        records = report["records"]
        found.append((records["decided"], [(e["where"], e["reason"]) for e in records["skipped_examples"]]))
    assert found[0] == found[1], found  # both engines skip exactly the same rows
    return found


def test_absurd_numbers_in_a_history_are_bad_rows_not_a_crash(tmp_path: Path) -> None:
    good = json.dumps(GOOD_ROW)
    long_number = good[:-1] + ', "buyer": {"credit_score": ' + "9" * 5000 + "}}"
    huge_text = good.replace('"5.00 USD"', '"1e999999 USD"')
    huge_number = good.replace('"total": "5.00 USD"', '"total": 1e999999, "currency": "USD"')
    lines = [good, long_number, huge_text, huge_number, good]
    ((decided, skipped), _) = _skips(tmp_path, "h.jsonl", ("\n".join(lines) + "\n").encode())
    assert decided == 2
    assert skipped[0] == ("h.jsonl:2", "invalid JSON at column 190: a number with more than 4,300 digits")
    assert skipped[1][0] == "h.jsonl:3" and "1e999999 USD" in skipped[1][1]
    assert skipped[2] == ("h.jsonl:4", "order.total: an amount of more than 32 digits before the point")


def test_a_truncated_gzip_history_keeps_what_was_read_and_says_where_it_ends(tmp_path: Path) -> None:
    import gzip

    whole = gzip.compress(("".join(json.dumps(GOOD_ROW) + "\n" for _ in range(400))).encode())
    ((decided, skipped), _) = _skips(tmp_path, "h.jsonl.gz", whole[: len(whole) // 2])
    assert 0 < decided < 400
    assert len(skipped) <= 2  # the cut row, if the cut fell inside one, and the end of the stream
    where, reason = skipped[-1]
    assert reason.startswith("the compressed file is damaged or cut short here")
    assert where == f"h.jsonl.gz:{decided + len(skipped)}"


def test_an_unterminated_csv_quote_swallows_no_good_row(tmp_path: Path) -> None:
    rows = [CSV_ROW.format('"open'), CSV_ROW.format("b"), CSV_ROW.format('"two\nlines"'), CSV_ROW.format("c")]
    content = (CSV_HEADER + "".join(rows)).encode() + CSV_ROW.format("\xff").encode("latin-1")
    ((decided, skipped), _) = _skips(tmp_path, "h.csv", content)
    assert decided == 3  # b, the quoted cell over two lines, c
    assert skipped == [
        ("h.csv:2", "a quoted cell opens here and does not close on this row"),
        ("h.csv:7", "not valid UTF-8"),
    ]


def _rule_names(path: Path) -> list[str]:
    from ttrules.syntax.load import load_ruleset_file

    ruleset, diagnostics = load_ruleset_file(path)
    assert ruleset is not None, diagnostics
    return [rule.name for rule in ruleset.rules]


def test_line_endings_are_one_definition_for_check_fmt_and_convert(tmp_path: Path) -> None:
    """A bare CR is a line break everywhere: a comment cannot hide a rule from `check` that the
    YAML form then holds, and a CR-only file is not one long comment."""
    cases = {
        "cr-only.ttr": 'ruleset "m"\rlayer merchant\r# note\rrule "a"\r'
        "  when request.kind == CANCEL\r  then approve\r",
        "mixed.ttr": 'ruleset "m"\nlayer merchant\n# note\rrule "hidden"\r  when true\r  then approve\n'
        'rule "a"\n  when request.kind == CANCEL\n  then approve\n',
        "separators.ttr": 'ruleset "m"\nlayer merchant\n# a\x85rule "x"\u2028  when true\x01\n'
        'rule "a"\n  when request.kind == CANCEL\n  then approve\n',
    }
    expected = {"cr-only.ttr": ["a"], "mixed.ttr": ["hidden", "a"], "separators.ttr": ["a"]}
    for name, text in cases.items():
        source = tmp_path / name
        source.write_bytes(text.encode("utf-8"))
        assert _rule_names(source) == expected[name], name
        converted = tmp_path / f"{source.stem}.yaml"
        result = CliRunner().invoke(cli, ["convert", str(source), "--to", "yaml", "-o", str(converted)])
        assert result.exit_code == 0, result.output
        assert _rule_names(converted) == expected[name], (name, converted.read_text())
        result = CliRunner().invoke(cli, ["fmt", str(source)])
        assert result.exit_code == 0, result.output
        assert _rule_names(source) == expected[name], (name, source.read_text())


def test_only_the_configured_files_may_hold_the_strongest_layer(tmp_path: Path) -> None:
    (tmp_path / "platform").mkdir()
    (tmp_path / "merchant").mkdir()
    (tmp_path / "platform" / "p.ttr").write_text('ruleset "p"\nlayer platform\n')
    (tmp_path / "merchant" / "sneaky.ttr").write_text(
        'ruleset "sneaky"\nlayer platform\n\nrule "x"\n  when request.kind == CANCEL\n  then approve\n'
    )
    config = tmp_path / "ttrules.yaml"
    for text, expected in (
        ("stack: [platform/, merchant/]\n", "only platform/ may declare layer platform"),
        ("stack: [platform/, merchant/]\nlayer_paths: {platform: [platform/p.ttr]}\n", "only platform/p.ttr"),
    ):
        config.write_text(text)
        result = CliRunner().invoke(cli, ["check", "--config", str(config), "--no-analysis"])
        assert result.exit_code == 1, result.output
        assert "error[TTR125]: this file may not hold layer `platform`" in result.output
        assert "merchant/sneaky.ttr:2:1" in result.output and expected in result.output
    # A `..` cannot walk a file into the protected directory.
    config.write_text("stack: [platform/, merchant/, platform/../merchant/]\n")
    assert "TTR125" in CliRunner().invoke(cli, ["check", "--config", str(config), "--no-analysis"]).output
    config.write_text("stack: [platform/, merchant/]\nlayer_paths: {platfrom: [merchant/]}\n")
    result = CliRunner().invoke(cli, ["check", "--config", str(config), "--no-analysis"])
    assert result.exit_code == 2 and "`platfrom` is not a layer" in result.output


def test_a_partial_refund_is_more_than_nothing_and_at_most_all() -> None:
    from helpers import check_texts

    def codes(amount: str) -> list[str]:
        rule = f'rule "r"\n  when order.total > 5 USD\n  then partial_refund({amount})\n'
        return [d.code for d in check_texts(['ruleset "m"\nlayer merchant\n' + rule])]

    for amount in ("30%", "100%", "0.5 USD"):
        assert codes(amount) == [], amount
    for amount in ("0%", "150%", "0 USD", "9" * 26 + "%"):
        assert codes(amount) == ["TTR109"], amount


def test_a_lock_without_its_files_is_refused_not_a_crash(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "m.ttr").write_text('ruleset "m"\nlayer merchant\n')
    (tmp_path / "ttrules.yaml").write_text("stack: [rules/]\n")
    monkeypatch.chdir(tmp_path)
    for lock in ({"schema": "ttrules.lock/1"}, {"schema": "ttrules.lock/1", "files": ["rules/m.ttr"]}):
        (tmp_path / "ttrules.lock").write_text(json.dumps(lock))
        result = CliRunner().invoke(cli, ["check", "--locked", "--no-analysis"])
        assert result.exit_code == 1, result.output
        assert "TTR123" in result.output and "`files` must map each file's path" in result.output


def test_the_configuration_names_no_rules_outside_its_workspace(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.ttr").write_text('ruleset "o"\nlayer merchant\n')
    workspace = tmp_path / "shop"
    workspace.mkdir()
    for entry in ("../outside/", "/", "rules/../../outside/"):
        (workspace / "ttrules.yaml").write_text(f"stack: [{entry}]\n")
        result = CliRunner().invoke(
            cli, ["check", "--config", str(workspace / "ttrules.yaml"), "--no-analysis"]
        )
        assert result.exit_code == 2, result.output
        assert f"stack: `{entry}` is outside the workspace" in result.output
    # named on the command line, a directory anywhere is read: the user asked for it
    result = CliRunner().invoke(cli, ["check", str(outside), "--no-analysis"])
    assert result.exit_code == 0, result.output


def test_a_symlink_loop_and_an_unreadable_directory_are_passed_over(tmp_path: Path) -> None:
    import os

    rules = tmp_path / "rules"
    (rules / "ok").mkdir(parents=True)
    (rules / "ok" / "m.ttr").write_text('ruleset "m"\nlayer merchant\n')
    os.symlink(rules, rules / "ok" / "back")  # a loop back up the tree
    os.symlink("loop-b.ttr", rules / "loop-a.ttr")
    os.symlink("loop-a.ttr", rules / "loop-b.ttr")
    result = CliRunner().invoke(cli, ["check", str(rules), "--no-analysis"])
    assert result.exit_code == 0, result.output
    assert "checked 1 file" in result.output


def test_a_fifo_or_a_device_as_the_configuration_is_refused_at_once(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for config in (str(fifo), "/dev/zero"):
        result = CliRunner().invoke(cli, ["check", "--config", config, "--no-analysis"])
        assert result.exit_code == 2, result.output
        assert "cannot read ttrules.yaml: not a regular file" in result.output


def test_names_that_look_alike_are_refused() -> None:
    from helpers import check_texts

    latin = 'ruleset "m"\nlayer merchant\nrule "a"\n  when order.total > 5 USD\n  then review\n'
    cyrillic = 'rule "\u0430"\n  when order.total > 6 USD\n  then review\n'
    found = [(d.code, d.message) for d in check_texts([latin + cyrillic])]
    assert found == [("TTR110", "rule `\u0430` looks the same as `a` but is another name")]
    chinese = 'rule "小额取消"\n  when order.total > 6 USD\n  then review\n'
    assert not check_texts([latin + chinese])  # other scripts are names like any other
    rulesets = ['ruleset "shop"\nlayer merchant\n', 'ruleset "ｓｈｏｐ"\nlayer merchant\n']
    assert [d.code for d in check_texts(rulesets)] == ["TTR120"]


def test_a_number_is_a_unix_time_in_seconds_whatever_its_size() -> None:
    from ttrules.schema.case import CaseError, parse_case

    from helpers import BASE_CASE, merge

    later = parse_case(merge(BASE_CASE, {"request": {"created_at": 30_000_000_000}}))
    assert later.request.created_at.year == 2920  # pydantic alone would read milliseconds: 1970
    as_text = parse_case(merge(BASE_CASE, {"request": {"created_at": "1760000000"}}))
    assert as_text.request.created_at.isoformat() == "2025-10-09T08:53:20+00:00"
    try:
        parse_case(merge(BASE_CASE, {"request": {"created_at": 1_760_000_000_000}}))
    except CaseError as error:
        assert "not a Unix time in seconds" in str(error) and "milliseconds" in str(error)
    else:
        raise AssertionError("a time in milliseconds was accepted")


def test_a_killed_write_leaves_no_temporary_file_for_long(tmp_path: Path) -> None:
    import os
    import time

    from ttrules.fileio import STALE_SECONDS, write_text_atomic

    target = tmp_path / "ttrules.lock"
    old = tmp_path / ".ttrules.lock.abc123.tmp"  # what a kill -9 during a write leaves
    fresh = tmp_path / ".ttrules.lock.def456.tmp"  # another process writing right now
    other = tmp_path / ".report.json.ghi789.tmp"  # another file's: not ours to remove
    for path in (old, fresh, other):
        path.write_text("partial")
    long_ago = time.time() - STALE_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    write_text_atomic(target, "{}\n")
    assert target.read_text() == "{}\n"
    assert not old.exists() and fresh.exists() and other.exists()


def test_an_amount_with_a_million_decimal_places_is_a_bad_row() -> None:
    from decimal import Decimal

    from ttrules.schema.case import CaseError

    from helpers import BASE_CASE, bundled_engine, merge

    for amount in (Decimal("1e-999999"), "0." + "1" * 31 + " USD"):
        try:
            bundled_engine().values(merge(BASE_CASE, {"order": {"total": amount}}))
        except CaseError as error:
            assert "more than 30 digits after the point" in str(error)
        else:
            raise AssertionError(f"{amount} was accepted")


def test_a_misspelt_reason_code_is_warned_with_the_right_one_and_a_known_one_is_not() -> None:
    from helpers import check_texts

    def found(condition: str) -> list[tuple[str, str]]:
        text = f'ruleset "m"\nlayer merchant\nrule "r"\n  when {condition}\n  then review\n'
        return [(d.code, d.help) for d in check_texts([text])]

    right = "ecom_order_to_ship_canceled_reason_no_longer_needed"
    assert found(f'request.reason_code == "{right}"') == []
    assert found(f'request.reason_code in {{"{right}", "{right[:-1]}"}}') == [
        ("TTR126", f"did you mean `{right}`?")
    ]
    assert found(f'"{right}x" != request.reason_code')[0][0] == "TTR126"
    assert found('request.reason_code == "something_new"') == [
        ("TTR126", "compare `request.reason` (the code's category) instead")
    ]


def test_a_percent_extension_field_reads_80_percent_and_a_fraction_on_both_engines(tmp_path: Path) -> None:
    from helpers import BASE_CASE, engine_from_texts, merge

    config = {"fields": {"order.discount": "percent?"}}
    rule = (
        'rule "deep-discount"\n  when has(order.discount) and order.discount >= 50%\n'
        '  then review\n  because "x"\n'
    )
    engine = engine_from_texts(['ruleset "m"\nlayer merchant\n' + rule], config)
    decided = {
        raw: engine.decide(merge(BASE_CASE, {"order": {"discount": raw}})).resolution.rule is not None
        for raw in ("80%", "80 %", 0.8, "0.8", "30%", 0.3, 1)
    }
    assert decided == {"80%": True, "80 %": True, 0.8: True, "0.8": True, "30%": False, 0.3: False, 1: True}

    rows = [merge(GOOD_ROW, {"order": {"discount": d}}) for d in ("80%", 0.3, "0.75", "lots")]
    history = tmp_path / "h.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config_text = "stack: [rules/]\nfields:\n  order.discount: percent?\n"
    reports = _both_engines(tmp_path, history, 'ruleset "m"\nlayer merchant\n' + rule, config_text)
    for report in reports:
        assert report["records"]["decided"] == 3
        assert [e["where"] for e in report["records"]["skipped_examples"]] == ["h.jsonl:4"]
        won = {r["rule"]: r["candidate"]["won"] for r in report["rules"]}
        assert won["merchant/deep-discount"] == 2  # 80 % and 0.75
    assert reports[0]["rules"] == reports[1]["rules"]
