"""The command line. Click only: parse arguments, call the stages, render, choose the exit code.

Exit codes: 0 ok, 1 findings or failures, 2 usage or input errors. No Python traceback reaches
a user for bad input; an internal error is reported in one line (set TTRULES_DEBUG=1 to see it).
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ttrules import __version__, i18n
from ttrules.case_files import CaseFileError, iter_jsonl, read_case_file
from ttrules.check import check_stack
from ttrules.cli_help import TranslatedGroup
from ttrules.diagnostics import Diagnostic, has_errors, render_json, render_text_all
from ttrules.engine import Engine
from ttrules.evaluate.cascade import decide
from ttrules.evaluate.explain import decision_json, render_decision
from ttrules.fileio import atomic_writer, write_bytes_atomic, write_text_atomic
from ttrules.pipeline import project_root, run_stages
from ttrules.pipeline.simulation import (
    Simulation,
    SimulationError,
    SimulationRequest,
    history_coverage,
    run_simulation,
)
from ttrules.schema.case import CaseError
from ttrules.schema.loader import load_values
from ttrules.simulate.run import Options
from ttrules.stack import load_stack
from ttrules.syntax.format import format_ruleset
from ttrules.syntax.load import DSL_SUFFIXES, YAML_SUFFIXES, find_rule_files, load_ruleset_file
from ttrules.syntax.table import CSV_SUFFIXES, TABLE_SUFFIXES
from ttrules.syntax.yaml_emit import emit_ruleset_yaml

OK, FINDINGS, USAGE, INTERNAL = 0, 1, 2, 3

DEFAULT_LOG = Path(".ttrules/log/decisions.db")  # beside ttrules.yaml; init and demo ignore it in git


def _log_file(path: Path, config: Path | None = None) -> Path:
    """A relative log path is the project's (beside ttrules.yaml), wherever ttrules runs."""
    return path if path.is_absolute() else project_root(config)[0] / path


_paths = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
_config = click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path),
    help="The ttrules.yaml to use (default: ./ttrules.yaml if present).",
)


def _emit_diagnostics(diagnostics: list[Diagnostic], fmt: str = "text") -> None:
    if fmt in ("json", "sarif", "github"):
        click.echo(_machine_diagnostics(diagnostics, fmt), nl=False)
    elif diagnostics:
        click.echo(render_text_all(diagnostics), err=True)


def _machine_diagnostics(diagnostics: list[Diagnostic], fmt: str) -> str:
    from ttrules.ci_formats import render_github, render_sarif

    if fmt == "sarif":
        return render_sarif(diagnostics)
    if fmt == "github":
        return render_github(diagnostics)
    return render_json(diagnostics) + "\n"


def _engine(paths: tuple[Path, ...], config: Path | None) -> Engine:
    engine, diagnostics = Engine.load(list(paths) or None, config)
    if engine is None:
        _emit_diagnostics(diagnostics)
        click.echo(i18n._("error: the rules do not pass `ttrules check`; fix them first"), err=True)
        sys.exit(USAGE)
    return engine


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    i18n.set_language(value)
    return value


@click.group(cls=TranslatedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ttrules")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh-CN"], case_sensitive=False),
    callback=_choose_language,
    expose_value=False,
    is_eager=True,
    help="The language of reports and messages (default: TTRULES_LANG, then the locale).",
)
def cli() -> None:
    """ttrules: after-sales rules for e-commerce, checked, explained and simulated."""


@cli.command()
@_paths
@_config
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Output format: text for people, json, sarif (GitHub code scanning), github (workflow annotations).",
)
@click.option(
    "--locked", is_flag=True, help="Also fail when the rule files differ from ttrules.lock (see `confirm`)."
)
@click.option("--no-analysis", is_flag=True, help="Skip the layering analysis and lints (TTR2xx, TTR3xx).")
@click.option(
    "--emit-tests",
    "emit_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the analysis' witness cases as rule tests into this directory.",
)
@click.option(
    "--history",
    "history",
    type=click.Path(path_type=Path),
    help="Also check a history against the rules: fields they read that it rarely fills "
    "(TTR124; its first 100,000 records, through the column mapping).",
)
def check(
    paths: tuple[Path, ...],
    config: Path | None,
    fmt: str,
    locked: bool,
    no_analysis: bool,
    emit_dir: Path | None,
    history: Path | None,
) -> None:
    """Check rule files: syntax, types against the case schema, names, layers; then the
    layering analysis and lints, proven by a solver or shown by a confirmed example.

    PATHS are rule files or directories; without them, the stack of ttrules.yaml.
    Exits 1 when there is any error.
    """
    if emit_dir is not None and no_analysis:
        click.echo(
            i18n._(
                "error: --emit-tests writes the analysis' witnesses; it needs the analysis (drop "
                "--no-analysis)"
            ),
            err=True,
        )
        sys.exit(USAGE)
    checked = run_stages(list(paths) or None, config, analysis=not no_analysis, locked=locked)
    stack, diagnostics = checked.stack, checked.diagnostics
    if checked.undecided and fmt == "text":
        click.echo(
            i18n.ngettext(
                "note: the analysis left {count} question undecided (solver time limit or the analysis "
                "budget); nothing was claimed about it",
                "note: the analysis left {count} questions undecided (solver time limit or the analysis "
                "budget); nothing was claimed about them",
                checked.undecided,
            ).format(count=checked.undecided),
            err=True,
        )
    if emit_dir is not None and checked.analyzed:
        from ttrules.analyze.emit import write_witness_tests

        written = write_witness_tests(emit_dir, checked.witnesses)
        click.echo(
            i18n.ngettext(
                "wrote {count} witness test to {path}",
                "wrote {count} witness tests to {path}",
                len(checked.witnesses),
            ).format(count=len(checked.witnesses), path=written),
            err=True,
        )
    if stack is not None and history is not None and not has_errors(diagnostics):
        try:
            diagnostics += history_coverage(stack, history, 100_000)[1]
        except SimulationError as error:
            click.echo(str(error), err=True)
            sys.exit(USAGE)
    if stack is None or any(d.code in ("TTR015", "TTR119") for d in diagnostics):
        _emit_diagnostics(diagnostics, fmt)
        sys.exit(USAGE)
    if fmt != "text":
        click.echo(_machine_diagnostics(diagnostics, fmt), nl=False)
    else:
        files = len(stack.files)
        rules = sum(len(r.rules) + len(r.forbids) for r in stack.rulesets)
        if diagnostics:
            click.echo(render_text_all(diagnostics))
        verdict = i18n._("errors found") if has_errors(diagnostics) else i18n._("ok")
        checked = i18n.ngettext(
            "checked {files} file, {rules} rules: {verdict}",
            "checked {files} files, {rules} rules: {verdict}",
            files,
        )
        click.echo(checked.format(files=files, rules=rules, verdict=verdict))
    sys.exit(FINDINGS if has_errors(diagnostics) else OK)


@cli.command(name="test")
@click.argument("test_paths", nargs=-1, type=click.Path(path_type=Path))
@_config
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Report format: text for people, json, junit (XML), sarif (GitHub code "
    "scanning), github (workflow annotations).",
)
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Write the report here.")
@click.option(
    "--junit-xml",
    "junit_file",
    type=click.Path(path_type=Path),
    help="Also write JUnit XML here (for CI dashboards).",
)
@click.option(
    "--coverage-min",
    type=click.FloatRange(0, 100),
    help="Fail when fewer than this many percent of the rules took effect in a test.",
)
@click.option("-k", "name_filter", metavar="TEXT", help="Run only the tests whose name contains TEXT.")
@click.option("-v", "--verbose", is_flag=True, help="List the passed tests too.")
def test_(
    test_paths: tuple[Path, ...],
    config: Path | None,
    fmt: str,
    out_file: Path | None,
    junit_file: Path | None,
    coverage_min: float | None,
    name_filter: str | None,
    verbose: bool,
) -> None:
    """Run rule tests: cases and the decisions they must get; report rule coverage.

    TEST_PATHS are test files or directories; without them, the `tests:` entries of
    ttrules.yaml (default tests/) and the `tests:` lists inside the stack's YAML rule files.
    Exits 1 when a test fails or cannot run or coverage is below --coverage-min, 2 when the
    rules do not pass `ttrules check` or there are no tests.
    """
    from decimal import Decimal

    from ttrules.ruletests import render as test_render
    from ttrules.ruletests.discover import DiscoveryError, discover_tests
    from ttrules.ruletests.run import coverage_diagnostic, failure_diagnostics, run_tests

    engine, diagnostics = Engine.load(None, config)
    if engine is None:
        _emit_diagnostics(diagnostics, "text" if fmt in ("junit",) else fmt)
        click.echo(i18n._("error: the rules do not pass `ttrules check`; no test was run"), err=True)
        sys.exit(USAGE)
    root, _ = project_root(config)
    try:
        files = discover_tests(engine, root, test_paths)
    except DiscoveryError as error:
        click.echo(str(error), err=True)
        sys.exit(USAGE)
    run = run_tests(engine, files, name_filter)
    below = (
        coverage_diagnostic(run, Decimal(str(coverage_min)), "ttrules test")
        if coverage_min is not None and not name_filter
        else None
    )
    if fmt in ("sarif", "github"):
        text = _machine_diagnostics(
            run.diagnostics + failure_diagnostics(run) + ([below] if below else []), fmt
        )
    elif fmt == "json":
        text = test_render.render_json(run)
    elif fmt == "junit":
        text = test_render.render_junit(run)
    else:
        text = test_render.render_text(run, verbose)
        if below is not None:
            text += "\n" + render_text_all([below]) + "\n"
    if out_file is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out_file, text)
        click.echo(
            i18n._("wrote {path}: {summary}").format(path=out_file, summary=test_render.summary_line(run)),
            err=True,
        )
    if junit_file is not None:
        write_text_atomic(junit_file, test_render.render_junit(run))
    sys.exit(OK if run.ok and below is None else FINDINGS)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), required=True)
@click.option("--check", "check_only", is_flag=True, help="Exit 1 if a file is not formatted; write nothing.")
@click.option("--diff", is_flag=True, help="Print what would change as a unified diff; write nothing.")
def fmt(paths: tuple[Path, ...], check_only: bool, diff: bool) -> None:
    """Rewrite DSL rule files (.ttr) and decision tables (.csv) in canonical form. Comments are kept."""
    from ttrules.syntax.table_emit import emit_ruleset_table

    files: list[Path] = []
    for path in paths:
        if not path.exists():
            click.echo(i18n._("error: {path}: no such file or directory").format(path=path), err=True)
            sys.exit(USAGE)
        files += [f for f in find_rule_files(path) if f.name.endswith(DSL_SUFFIXES + CSV_SUFFIXES)]
    changed, failed = 0, 0
    for path in files:
        ruleset, diagnostics = load_ruleset_file(path)
        if ruleset is None or has_errors(diagnostics):
            _emit_diagnostics(diagnostics)
            failed += 1
            continue
        original = path.read_text(encoding="utf-8")
        formatted = (
            emit_ruleset_table(ruleset) if path.name.endswith(CSV_SUFFIXES) else format_ruleset(ruleset)
        )
        if formatted == original:
            continue
        changed += 1
        if diff:
            click.echo(
                "".join(
                    difflib.unified_diff(
                        original.splitlines(keepends=True),
                        formatted.splitlines(keepends=True),
                        fromfile=str(path),
                        tofile=str(path),
                    )
                ),
                nl=False,
            )
        elif check_only:
            click.echo(i18n._("would reformat {path}").format(path=path))
        else:
            write_text_atomic(path, formatted)
            click.echo(i18n._("reformatted {path}").format(path=path))
    unchanged = len(files) - changed - failed
    if check_only or diff:
        summary = i18n.ngettext(
            "{count} file would be reformatted, {unchanged} unchanged",
            "{count} files would be reformatted, {unchanged} unchanged",
            changed,
        )
    else:
        summary = i18n.ngettext(
            "{count} file reformatted, {unchanged} unchanged",
            "{count} files reformatted, {unchanged} unchanged",
            changed,
        )
    summary = summary.format(count=changed, unchanged=unchanged)
    if failed:
        summary += i18n._(", {count} with errors").format(count=failed)
    click.echo(summary, err=True)
    if failed:
        sys.exit(FINDINGS)
    sys.exit(FINDINGS if changed and (check_only or diff) else OK)


@cli.command()
@click.argument("source", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--to",
    "target",
    type=click.Choice(["dsl", "yaml", "csv", "xlsx"]),
    help="Target form (default: YAML for the DSL, the DSL for YAML and tables); xlsx needs -o.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
def convert(source: Path, target: str | None, output: Path | None) -> None:
    """Convert a ruleset between the DSL, the YAML form and a decision table (CSV); the same rules."""
    from ttrules.syntax.table_emit import NotATable, emit_ruleset_table

    ruleset, diagnostics = load_ruleset_file(source)
    if ruleset is None or has_errors(diagnostics):
        _emit_diagnostics(diagnostics)
        sys.exit(FINDINGS)
    if target is None:
        target = "dsl" if source.name.endswith(YAML_SUFFIXES + TABLE_SUFFIXES) else "yaml"
    if target == "xlsx":
        from ttrules.syntax.table_emit import table_rows
        from ttrules.syntax.table_xlsx import write_workbook

        if output is None:
            click.echo(i18n._("error: a workbook is binary: give -o FILE.xlsx"), err=True)
            sys.exit(USAGE)
        try:
            workbook = write_workbook(table_rows(ruleset))
        except NotATable as error:
            problem = i18n._("error: {path} cannot be a decision table: {problem}")
            click.echo(problem.format(path=source, problem=error), err=True)
            sys.exit(FINDINGS)
        write_bytes_atomic(output, workbook)
        click.echo(i18n._("wrote {path}").format(path=output), err=True)
        return
    try:
        if target == "csv":
            text = emit_ruleset_table(ruleset)
        else:
            text = format_ruleset(ruleset) if target == "dsl" else emit_ruleset_yaml(ruleset)
    except NotATable as error:
        click.echo(
            i18n._("error: {path} cannot be a decision table: {problem}").format(path=source, problem=error),
            err=True,
        )
        sys.exit(FINDINGS)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(output, text)
        click.echo(i18n._("wrote {path}").format(path=output), err=True)


@cli.command()
@_paths
@_config
@click.option("--case", "case_file", required=True, help="A case as a JSON file, or - for stdin.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision and its explanation as JSON.")
def explain(paths: tuple[Path, ...], config: Path | None, case_file: str, as_json: bool) -> None:
    """Decide one case and explain why: winners per slot, losers and why, failed conditions."""
    engine = _engine(paths, config)
    try:
        record = read_case_file(case_file, sys.stdin)
        values = load_values(record, engine.stack.schema)
    except CaseFileError as error:
        click.echo(i18n._("error: {problem}").format(problem=error), err=True)
        sys.exit(USAGE)
    except CaseError as error:
        name = "<stdin>" if case_file == "-" else case_file
        click.echo(i18n._("error: {name} is not a valid case:").format(name=name), err=True)
        whole = i18n._("(case)")
        for path, message in error.problems:
            click.echo(f"  {path or whole}: {message}", err=True)
        sys.exit(USAGE)
    decision = decide(engine.prepared, values, explain=True)
    if as_json:
        click.echo(json.dumps(decision_json(decision), ensure_ascii=False, indent=2))
    else:
        click.echo(render_decision(decision))


@cli.command(name="eval")
@_paths
@_config
@click.option(
    "--cases",
    "cases_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Cases as JSON Lines (one case per line).",
)
@click.option(
    "--out", "out_file", required=True, help="Where to write decisions as JSON Lines (- for stdout)."
)
@click.option("--explain", "with_trace", is_flag=True, help="Include each decision's explanation.")
def eval_(
    paths: tuple[Path, ...], config: Path | None, cases_file: Path, out_file: str, with_trace: bool
) -> None:
    """Decide a batch of cases. A malformed row is reported with its row number and skipped;
    exits 1 if any row failed. The output file appears only when the run completes."""
    engine = _engine(paths, config)
    if not cases_file.exists():
        click.echo(i18n._("error: {path}: no such file").format(path=cases_file), err=True)
        sys.exit(USAGE)
    decided = failed = 0

    def run(out: Any) -> None:
        nonlocal decided, failed
        with cases_file.open("rb") as handle:
            for row in iter_jsonl(handle):
                error = row.error
                if row.record is not None:
                    try:
                        values = load_values(row.record, engine.stack.schema)
                    except CaseError as problem:
                        error = "; ".join(f"{p}: {m}" if p else m for p, m in problem.problems)
                    else:
                        decision = engine.decide_values(values, explain=with_trace)
                        out.write(json.dumps(decision_json(decision), ensure_ascii=False) + "\n")
                        decided += 1
                        continue
                failed += 1
                skipped = i18n._("{path}:{row}: skipped: {error}")
                click.echo(skipped.format(path=cases_file, row=row.number, error=error), err=True)

    if out_file == "-":
        run(sys.stdout)
    else:
        with atomic_writer(Path(out_file)) as out:
            run(out)
    summary = i18n.ngettext("decided {count} case", "decided {count} cases", decided).format(count=decided)
    if failed:
        summary += i18n.ngettext(
            ", skipped {count} malformed row", ", skipped {count} malformed rows", failed
        ).format(count=failed)
    click.echo(summary, err=True)
    sys.exit(FINDINGS if failed else OK)


@cli.command()
@_config
@click.option(
    "--json-schema",
    "--case-json-schema",
    "json_schema",
    is_flag=True,
    help="Print the JSON Schema of a case file.",
)
@click.option(
    "--ruleset-json-schema", is_flag=True, help="Print the JSON Schema of the YAML rule format (for editors)."
)
def schema(config: Path | None, json_schema: bool, ruleset_json_schema: bool) -> None:
    """The case schema: every field a rule can read, its type and presence."""
    from ttrules.config import load_config
    from ttrules.schema.case import Case
    from ttrules.schema.fields import default_schema, extend_schema
    from ttrules.stack import find_config

    if ruleset_json_schema:
        from ttrules.syntax.yaml_json_schema import ruleset_json_schema as build

        click.echo(json.dumps(build(), indent=2, ensure_ascii=False))
        return
    fields = default_schema()
    config_file = find_config(config)
    if config_file is not None:  # extension fields come from ttrules.yaml
        loaded, problems = load_config(config_file)
        if loaded is None:
            _emit_diagnostics(problems)
            sys.exit(USAGE)
        fields, extension_problems = extend_schema(fields, loaded.fields)
        if extension_problems:
            click.echo("\n".join(f"error: {message}" for _, message in extension_problems), err=True)
            sys.exit(USAGE)
    if json_schema:
        click.echo(json.dumps(Case.model_json_schema(), indent=2))
        return
    width = max(len(f.path) for f in fields.fields.values())
    for spec in fields.fields.values():
        type_text = spec.type.display() + ("?" if spec.optional else "")
        default = i18n._(" (default {value})").format(value=spec.default) if spec.default else ""
        click.echo(
            f"{spec.path:<{width}}  {type_text:<22} {spec.presence:<9} {i18n._(spec.description)}{default}"
        )
    click.echo("")
    for name, members in fields.enums.items():
        click.echo(f"{name}: {', '.join(members)}")


@cli.command()
@click.option(
    "--history",
    "history",
    required=True,
    type=click.Path(path_type=Path),
    help="Historical cases: .jsonl, .csv, .parquet, or the decision log of `ttrules serve` (.db).",
)
@click.option(
    "--history-format",
    type=click.Choice(["jsonl", "csv", "parquet", "decision-log"]),
    help="The history's format, when its name does not tell.",
)
@click.option("--baseline", help="Current rules: a git revision (default HEAD) or a directory.")
@click.option("--candidate", help="Proposed rules: a directory (default: the working tree).")
@_config
@click.option("--limit", type=click.IntRange(min=1), help="Replay at most this many records.")
@click.option(
    "--sample",
    type=click.FloatRange(0, 1, min_open=True),
    help="Replay a random share of the records (with --seed).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --sample.")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "python", "spark"]),
    default="duckdb",
    show_default=True,
    help="duckdb: both stacks in one columnar pass (JSONL and CSV are copied into "
    "Parquet first; falls back to python, saying why, for what it does not "
    "compile); python: record by record; spark: the records decided by the tasks of a "
    "Spark job (paths, globs or URIs of Parquet, JSON Lines or CSV files).",
)
@click.option(
    "--spark-master",
    metavar="URL",
    default="local[2]",
    show_default=True,
    help="With --engine spark: the Spark master (local[N], spark://HOST:PORT, yarn, …), or "
    "`session` for the one spark-submit or the platform configured.",
)
@click.option(
    "--partition-by",
    metavar="FIELD",
    help="With --engine spark: also a report per value of this case field (e.g. case.market), "
    "in the same run.",
)
@click.option(
    "--samples",
    "sample_count",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many changed cases to show with both explanations.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Report format on stdout (or --out).",
)
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Write the report here.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path),
    help="Also write a self-contained HTML page with charts.",
)
@click.option(
    "--fail-if",
    "gates",
    multiple=True,
    metavar="EXPR",
    help="Exit 1 when this condition on report figures holds (repeatable), "
    "e.g. 'abuse_exposure.delta > 100 USD'.",
)
@click.option(
    "--save",
    "plan_file",
    type=click.Path(path_type=Path),
    help="Save the simulation as a plan for `ttrules confirm`.",
)
@click.option(
    "--max-skipped",
    "max_skipped",
    type=click.FloatRange(0, 100),
    default=5.0,
    show_default=True,
    metavar="PERCENT",
    help="Exit 1 when more than this share of the rows is skipped as unreadable or invalid.",
)
@click.option(
    "--allow-skipped",
    is_flag=True,
    help="Exit 0 even when no record was decided or more than --max-skipped were skipped.",
)
@click.option(
    "--skipped",
    "skipped_file",
    type=click.Path(path_type=Path),
    help="Write every skipped row (where, why) to this JSON Lines file; the report keeps the first 20.",
)
def simulate(
    history: Path,
    history_format: str | None,
    baseline: str | None,
    candidate: str | None,
    config: Path | None,
    limit: int | None,
    sample: float | None,
    seed: int,
    engine: str,
    spark_master: str,
    partition_by: str | None,
    sample_count: int,
    fmt: str,
    out_file: Path | None,
    html_file: Path | None,
    gates: tuple[str, ...],
    plan_file: Path | None,
    max_skipped: float,
    allow_skipped: bool,
    skipped_file: Path | None,
) -> None:
    """Replay history under the current and the proposed rules and report what would change.

    Exits 1 when a --fail-if gate trips, when no record was decided or more than
    --max-skipped percent of the rows were skipped (unless --allow-skipped); 2 when either
    stack fails `check` or the history cannot be read.
    """
    from ttrules.simulate.gates import parse_gates, too_few_decided, tripped

    stack_config = _engine_config(config)
    parsed, problems = parse_gates(list(gates), stack_config.currency, frozenset(stack_config.fx))
    if problems:
        _emit_diagnostics(problems)
        click.echo(i18n._("error: fix the --fail-if gates (nothing was simulated)"), err=True)
        sys.exit(USAGE)
    options = Options(limit=limit, sample=sample, seed=seed, samples=sample_count)
    request = SimulationRequest(
        history, history_format, baseline, candidate, config, options, engine, spark_master, partition_by
    )
    if skipped_file is None:
        simulation = _simulate(request)
    else:  # every skipped row, as the run meets it; the file appears whole or not at all
        with atomic_writer(skipped_file) as sink:

            def note(where: str, why: str) -> None:
                sink.write(json.dumps({"where": where, "reason": why}, ensure_ascii=False) + "\n")

            simulation = _simulate(replace(request, options=replace(options, on_skip=note)))
        click.echo(i18n._("wrote {path}").format(path=skipped_file), err=True)
    report = simulation.report
    _write_report(report, fmt, out_file)
    if html_file is not None:
        _write_report(report, "html", html_file)
    if plan_file is not None:
        from ttrules.simulate.plan import build_plan

        if candidate is not None:
            click.echo(i18n._("error: --save needs the candidate to be the working tree"), err=True)
            sys.exit(USAGE)
        root, config_file = project_root(config)
        plan = build_plan(
            report, simulation.baseline.engine.stack, simulation.candidate.engine.stack, root, config_file
        )
        write_text_atomic(plan_file, json.dumps(plan, ensure_ascii=False, indent=2) + "\n")
        click.echo(
            i18n._("saved plan {path} (digest {digest}); confirm it with `ttrules confirm {path}`").format(
                path=plan_file, digest=plan["plan_digest"][:12]
            ),
            err=True,
        )
    failures = tripped(parsed, report, stack_config.fx_rates())
    if not allow_skipped:
        failures += too_few_decided(report["records"], max_skipped)
    for message in failures:
        click.echo(message, err=True)
    sys.exit(FINDINGS if failures else OK)


@cli.command(name="compile")
@_paths
@_config
@click.option("--show", is_flag=True, help="Print the Python the stack's decisions are generated as.")
@click.option(
    "--sql", is_flag=True, help="Print the duckdb engine's query over --history, as a DuckDB script."
)
@click.option(
    "--history", type=click.Path(path_type=Path), help="With --sql: the Parquet history the query reads."
)
@click.option(
    "--dialect",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="The SQL dialect of --sql.",
)
@click.option(
    "--baseline", help="With --sql: the current rules, a git revision (default HEAD) or a directory."
)
@click.option("--candidate", help="With --sql: the proposed rules, a directory (default: the working tree).")
def compile_(
    paths: tuple[Path, ...],
    config: Path | None,
    show: bool,
    sql: bool,
    history: Path | None,
    dialect: str,
    baseline: str | None,
    candidate: str | None,
) -> None:
    """Print what a stack becomes: its generated decision code (--show) or its simulation query (--sql)."""
    from ttrules.pipeline.compilation import fast_path_listing, simulation_script

    if show == sql:
        click.echo(i18n._("error: give one of --show and --sql"), err=True)
        sys.exit(USAGE)
    if show:
        click.echo(fast_path_listing(_engine(paths, config)), nl=False)
        return
    if paths:
        click.echo(
            i18n._("error: --sql reads the rules as simulate does (--baseline, --candidate), not PATHS"),
            err=True,
        )
        sys.exit(USAGE)
    if history is None:
        click.echo(i18n._("error: --sql needs --history, the Parquet history the query reads"), err=True)
        sys.exit(USAGE)
    try:
        click.echo(simulation_script(history, baseline, candidate, config, dialect), nl=False)
    except SimulationError as error:
        _emit_diagnostics(error.diagnostics)
        click.echo(str(error), err=True)
        sys.exit(USAGE)


def _engine_config(config: Path | None) -> Any:
    from ttrules.config import Config, load_config
    from ttrules.stack import find_config

    found = find_config(config)
    if found is None:
        return Config()
    loaded, problems = load_config(found)
    if loaded is None:
        _emit_diagnostics(problems)
        sys.exit(USAGE)
    return loaded


def _write_report(report: dict[str, Any], fmt: str, out_file: Path | None) -> None:
    from ttrules.simulate.render import render

    if fmt == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "html":
        from ttrules.simulate.html import render_html

        text = render_html(report)
    else:
        text = render(report, markdown=fmt == "markdown")
    if out_file is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out_file, text)
        click.echo(i18n._("wrote {path}").format(path=out_file), err=True)


def _simulate(request: SimulationRequest) -> Simulation:
    """The run, its notes on stderr; a run that cannot go on exits 2 with its diagnostics."""
    try:
        return run_simulation(request, lambda message: click.echo(message, err=True))
    except SimulationError as error:
        _emit_diagnostics(error.diagnostics)
        click.echo(str(error), err=True)
        sys.exit(USAGE)


def _percent(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """`70%`, `70 %` or `70`: a percentage, as a fraction."""
    from decimal import Decimal, InvalidOperation

    if value is None:
        return None
    try:
        number = Decimal(value.strip().removesuffix("%").strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not 0 <= number <= 100:
        raise click.BadParameter(i18n._("a percentage from 0 to 100, such as 70%"))
    return number / 100


@cli.command()
@click.argument("setting")
@click.option(
    "--history",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    required=True,
    help="Historical cases to sweep (any format `simulate` reads).",
)
@click.option(
    "--history-format",
    type=click.Choice(["jsonl", "csv", "parquet", "decision-log"]),
    help="The history's format, when its name does not tell.",
)
@_config
@click.option("--by", default="order.category", show_default=True, help="The field to recommend a value per.")
@click.option("--ruleset", help="The ruleset whose setting to sweep, when several set it.")
@click.option(
    "--values",
    "values",
    metavar="LIST",
    help="Candidate values, comma-separated (e.g. '20 USD,30 USD,40 USD'); default: the 10 %…90 % "
    "points of the field the rules compare the setting with, and its values today.",
)
@click.option(
    "--cover",
    callback=_percent,
    metavar="PERCENT",
    help="Recommend the smallest value whose comparison admits this share of a group's records.",
)
@click.option(
    "--max-abuse",
    callback=_percent,
    metavar="PERCENT",
    help="At most this share of a group's automatic refunds going to records labelled abusive.",
)
@click.option(
    "--max-gaming-ratio",
    type=click.FloatRange(min=0),
    metavar="RATIO",
    help="At most this many records just below the value per record just above (5 % bands).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
@click.option(
    "--html", "html_file", type=click.Path(path_type=Path), help="Also write the curves as an HTML page."
)
@click.option("--limit", type=click.IntRange(min=1), help="Sweep only the first N records of the history.")
@click.option("--write", is_flag=True, help="Write the recommended values into the ruleset file.")
def suggest(
    setting: str,
    history: Path,
    history_format: str | None,
    config: Path | None,
    by: str,
    ruleset: str | None,
    values: str | None,
    cover: Any,
    max_abuse: Any,
    max_gaming_ratio: float | None,
    fmt: str,
    limit: int | None,
    html_file: Path | None,
    write: bool,
) -> None:
    """Sweep a setting over the history and recommend a value per group.

    Every record is decided under the current rules and at each candidate value; per group
    (--by) it prints coverage, the automatic share, refunds, the abuse share and the
    threshold-gaming ratio at each value, and recommends the value meeting --cover,
    --max-abuse and --max-gaming-ratio. The edit is shown as a diff; --write writes it, to be
    simulated and confirmed like any change. Exits 2 when the setting cannot be swept.
    """
    from decimal import Decimal

    from ttrules.pipeline.suggestion import SuggestRequest, run_suggestion
    from ttrules.suggest.recommend import Constraints
    from ttrules.suggest.render import render_html, render_text

    if cover is None and max_abuse is None:
        click.echo(i18n._("error: say what to recommend for: --cover, --max-abuse or both"), err=True)
        sys.exit(USAGE)
    constraints = Constraints(
        cover, max_abuse, Decimal(str(max_gaming_ratio)) if max_gaming_ratio is not None else None
    )
    listed = tuple(v for v in (values or "").split(",") if v.strip())
    request = SuggestRequest(
        setting, history, by, ruleset, listed, constraints, config, history_format, limit
    )
    try:
        result = run_suggestion(request)
    except SimulationError as error:
        _emit_diagnostics(error.diagnostics)
        click.echo(str(error), err=True)
        sys.exit(USAGE)
    if fmt == "json":
        click.echo(json.dumps(result.report, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result.report, result.diff), nl=False)
    if html_file is not None:
        write_text_atomic(html_file, render_html(result.report, result.diff))
        click.echo(i18n._("wrote {path}").format(path=html_file), err=True)
    if write and result.edited is not None:
        write_text_atomic(result.path, result.edited)
        click.echo(
            i18n._(
                "wrote {path}: simulate it (`ttrules simulate`) and confirm it (`ttrules confirm`)"
            ).format(path=result.path),
            err=True,
        )
    elif write:
        click.echo(i18n._("no group has a recommendation: nothing written"), err=True)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path("ttrules-demo"))
@click.option(
    "--records",
    type=click.IntRange(min=1),
    default=20_000,
    show_default=True,
    help="How many synthetic history records to generate.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the generator.")
def demo(directory: Path, records: int, seed: int) -> None:
    """Make a demo workspace and simulate a rule change on synthetic history.

    DIRECTORY (default ./ttrules-demo) becomes a git repository holding the bundled rules as the
    committed baseline; the working tree raises the small-cancellation limit to 100 USD for
    every category; the change is simulated on generated history, and the report is written as
    report.html, report.md and report.json beside a terminal summary.
    """
    import contextlib

    from ttrules.simulate.demo import CHANGED_FILE, create_workspace

    try:
        history = create_workspace(directory, records, seed)
    except (FileExistsError, RuntimeError, OSError) as error:
        click.echo(i18n._("error: {problem}").format(problem=error), err=True)
        sys.exit(USAGE)
    click.echo(
        i18n._(
            "demo workspace: {directory} (baseline committed; changed in the working tree: "
            "{changed}; {records} history records)"
        ).format(directory=directory, changed=CHANGED_FILE, records=f"{records:,}"),
        err=True,
    )
    with contextlib.chdir(directory):
        report = _simulate(SimulationRequest(Path(history.name))).report
        _write_report(report, "markdown", Path("report.md"))
        _write_report(report, "json", Path("report.json"))
        _write_report(report, "html", Path("report.html"))
    _write_report(report, "text", None)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default=Path("."))
@click.option(
    "--install",
    "requirement",
    metavar="REQUIREMENT",
    help="What the workflow pip-installs (e.g. 'ttrules @ git+https://…@v0.1.0'); "
    "default: a wheel of this ttrules, written into .ttrules/.",
)
def init(directory: Path, requirement: str | None) -> None:
    """Make a rules repository in DIRECTORY (default: here; new or empty).

    It gets ttrules.yaml, the pinned platform policy, an example merchant ruleset and its rule
    tests, a sample history, a GitHub Actions workflow (fmt --check, check --locked, test,
    simulate) that installs this very ttrules (a wheel of it in .ttrules/, or --install), and
    the initial ttrules.lock. Its CI passes as written.
    """
    from ttrules.scaffold import scaffold

    try:
        written = scaffold(directory, requirement)
    except (FileExistsError, RuntimeError, OSError) as error:
        click.echo(i18n._("error: {problem}").format(problem=error), err=True)
        sys.exit(USAGE)
    for path in written:
        click.echo("  " + i18n._("wrote {path}").format(path=path), err=True)
    click.echo(
        i18n._("a rules repository is ready in {directory}. Next:").format(directory=directory)
        + f"\n  cd {directory} && git init && git add -A && git commit -m 'Rules'\n"
        "  ttrules check && ttrules test",
        err=True,
    )


@cli.command()
@click.argument("plan_file", type=click.Path(path_type=Path))
@_config
@click.option("--yes", is_flag=True, help="Do not ask; needs --plan-digest (for automation).")
@click.option("--plan-digest", help="The plan's digest, as `simulate --save` printed it.")
def confirm(plan_file: Path, config: Path | None, yes: bool, plan_digest: str | None) -> None:
    """Confirm a simulated change: show it, ask for the ruleset's name, write ttrules.lock.

    Refused when the plan was edited or the rule files changed since the simulation.
    """
    from ttrules.simulate.plan import (
        LOCK_NAME,
        PlanError,
        confirming,
        file_hashes,
        load_plan,
        replaced_lock_moved,
        stale_files,
        write_lock,
    )
    from ttrules.simulate.render import render

    if yes and not plan_digest:
        click.echo(
            i18n._("error: --yes needs --plan-digest, so that skipping the question is deliberate"), err=True
        )
        sys.exit(USAGE)
    try:
        plan = load_plan(plan_file)
    except PlanError as error:
        click.echo(i18n._("error: {problem}").format(problem=error), err=True)
        sys.exit(USAGE)
    stack, diagnostics = load_stack(None, config)
    if stack is None or has_errors(diagnostics + check_stack(stack)):
        click.echo(i18n._("error: the rules do not pass `ttrules check`"), err=True)
        sys.exit(USAGE)
    root, config_file = project_root(config)
    stale = stale_files(plan, file_hashes(stack, root, config_file))
    if stale:
        click.echo(
            i18n._("error: these files changed since the plan was simulated; simulate again:")
            + "\n  "
            + "\n  ".join(stale),
            err=True,
        )
        sys.exit(USAGE)
    click.echo(render(plan.data["report"]))
    changes = plan.data["changes"]
    for kind in ("added", "changed", "deleted", "reordered"):
        if changes.get(kind):
            click.echo(f"{i18n._(_CHANGE_KINDS[kind])} ({len(changes[kind])}):")
            click.echo("\n".join(f"  {item}" for item in changes[kind]))
    word = plan.data["confirm_word"]
    if yes:
        if plan_digest not in (plan.digest, plan.digest[:12]):
            click.echo(i18n._("error: --plan-digest does not match this plan"), err=True)
            sys.exit(USAGE)
    else:
        typed = click.prompt(
            i18n._("Type `{word}` to confirm").format(word=word), default="", show_default=False
        )
        if typed.strip() != word:
            click.echo(i18n._("not confirmed; nothing was written"), err=True)
            sys.exit(FINDINGS)
    try:
        with confirming(root):
            if replaced_lock_moved(plan, root / LOCK_NAME):
                click.echo(
                    i18n._(
                        "error: {lock} changed since the plan was simulated (another change was confirmed); "
                        "simulate again so the report compares against it"
                    ).format(lock=LOCK_NAME),
                    err=True,
                )
                sys.exit(USAGE)
            lock = write_lock(root / LOCK_NAME, plan)
    except PlanError as error:
        click.echo(i18n._("error: {problem}").format(problem=error), err=True)
        sys.exit(USAGE)
    click.echo(
        i18n._(
            "wrote {lock} ({files} files, confirmed by {who} at {when}); commit it with the change"
        ).format(
            lock=LOCK_NAME, files=len(lock["files"]), who=lock["confirmed_by"], when=lock["confirmed_at"]
        ),
        err=True,
    )


_CHANGE_KINDS = {
    "added": i18n.N_("ADDED"),
    "changed": i18n.N_("CHANGED"),
    "deleted": i18n.N_("DELETED"),
    "reordered": i18n.N_("REORDERED"),
}


@cli.group(name="list")
def list_group() -> None:
    """Edit the value lists of ttrules.yaml (`lists:`) that rules read with `list("NAME")`."""


def _list_file(name: str, config: Path | None) -> Path:
    from ttrules.stack import find_config

    stack_config = _engine_config(config)
    if name not in stack_config.lists:
        known = ", ".join(sorted(stack_config.lists)) or i18n._("none")
        click.echo(
            i18n._("error: no list `{name}` in ttrules.yaml (lists: {known})").format(name=name, known=known),
            err=True,
        )
        sys.exit(USAGE)
    found = find_config(config)
    base = found.parent if found is not None else Path.cwd()
    return base / stack_config.lists[name]


def _edit_list(name: str, config: Path | None, **change: tuple[str, ...]) -> tuple[Path, int, int]:
    from ttrules.lists import ListError, edit_list

    path = _list_file(name, config)
    try:
        added, removed = edit_list(path, **change)
    except ListError as error:
        click.echo(i18n._("error: {problem}").format(problem=error), err=True)
        sys.exit(USAGE)
    return path, added, removed


@list_group.command(name="add")
@click.argument("name")
@click.argument("values", nargs=-1, required=True)
@_config
def list_add(name: str, values: tuple[str, ...], config: Path | None) -> None:
    """Add VALUES to the list NAME (those already there are left alone)."""
    path, added, _removed = _edit_list(name, config, add=values)
    done = i18n._("{path}: {count} added; simulate and confirm the change like a rule's")
    click.echo(done.format(path=path, count=added), err=True)


@list_group.command(name="remove")
@click.argument("name")
@click.argument("values", nargs=-1, required=True)
@_config
def list_remove(name: str, values: tuple[str, ...], config: Path | None) -> None:
    """Remove VALUES from the list NAME."""
    path, _added, removed = _edit_list(name, config, remove=values)
    done = i18n._("{path}: {count} removed; simulate and confirm the change like a rule's")
    click.echo(done.format(path=path, count=removed), err=True)


@cli.group(name="import")
def import_group() -> None:
    """Import platform API exports as history records for `simulate`."""


def _market_code(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha() or not code.isascii():
        raise click.BadParameter(f"`{value}` is not an ISO-2 market code such as MY")
    return code


@import_group.command(name="tiktok")
@click.option(
    "--orders",
    multiple=True,
    required=True,
    help="Get Order Detail responses (file, glob or directory; repeatable).",
)
@click.option("--cancellations", multiple=True, help="Search Cancellations responses.")
@click.option("--returns", multiple=True, help="Search Returns responses.")
@click.option("--tracking", multiple=True, help="Get Tracking responses, per order id.")
@click.option(
    "--records",
    "return_records",
    multiple=True,
    help="Get Return Records responses, per return id (evidence).",
)
@click.option(
    "--buyers",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Buyer facts and abuse labels (CSV or JSON Lines with buyer_id).",
)
@click.option(
    "--products",
    multiple=True,
    help="A product catalog for order.category: Get Product responses, or a CSV with "
    "category and sku_id, product_id or seller_sku (repeatable).",
)
@click.option(
    "--market",
    callback=lambda _c, _p, v: _market_code(v),
    help="The shop's market (ISO-2, e.g. MY) for orders without a recipient region.",
)
@click.option(
    "--now",
    "now",
    type=click.Choice(["updated", "deadline", "request"]),
    default="updated",
    show_default=True,
    help="case.now of each record: the request's last update (when the seller decided), "
    "the seller's response deadline, or the request's creation.",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(path_type=Path),
    help="history.jsonl or history.parquet",
)
@click.option(
    "--report", "report_file", type=click.Path(path_type=Path), help="Also write the import report as JSON."
)
def import_tiktok_command(
    orders: tuple[str, ...],
    cancellations: tuple[str, ...],
    returns: tuple[str, ...],
    tracking: tuple[str, ...],
    return_records: tuple[str, ...],
    buyers: Path | None,
    products: tuple[str, ...],
    market: str | None,
    now: str,
    out_file: Path,
    report_file: Path | None,
) -> None:
    """Join TikTok Shop requests to their orders and write history records.

    Exits 1 when something could not be used (a file or page skipped, a request without its
    order); the report at the end lists it all, with unknown enum values and their counts.
    """
    from ttrules.importers.output import write_records
    from ttrules.importers.responses import expand
    from ttrules.importers.tiktok import ImportOptions, import_tiktok

    if not cancellations and not returns:
        click.echo(i18n._("error: give --cancellations and/or --returns: they are the requests"), err=True)
        sys.exit(USAGE)
    options = ImportOptions(products=expand(products), market=market, now=now)
    records, report = import_tiktok(
        expand(orders),
        expand(cancellations),
        expand(returns),
        expand(tracking),
        expand(return_records),
        buyers,
        options,
    )
    write_records(out_file, records)
    summary = report.as_dict()
    click.echo(
        i18n._(
            "wrote {records} records to {path} (from {orders} orders, {cancellations} cancellations, "
            "{returns} returns)"
        ).format(
            records=f"{len(records):,}",
            path=out_file,
            orders=f"{report.orders:,}",
            cancellations=f"{report.cancellations:,}",
            returns=f"{report.returns:,}",
        ),
        err=True,
    )
    for label, key in (
        (i18n.N_("requests without their order"), "requests_without_order"),
        (i18n.N_("duplicate request ids (the later update was kept)"), "duplicate_requests"),
    ):
        if summary[key]:
            click.echo(
                f"{i18n._(label)}: {len(summary[key])}: {', '.join(summary[key][:10])}"
                + (" …" if len(summary[key]) > 10 else ""),
                err=True,
            )
    for item in summary["unknown_values"]:
        kept = i18n._("unknown value kept: {field} = {value} ({count}x)")
        click.echo(kept.format(field=item["field"], value=item["value"], count=item["count"]), err=True)
    for code, count in summary["unknown_reason_codes"].items():
        unknown = i18n._("reason code not in the table (read as OTHER): {code} ({count}x)")
        click.echo(unknown.format(code=code, count=count), err=True)
    for problem in summary["skipped"]:
        click.echo(i18n._("skipped: {problem}").format(problem=problem), err=True)
    for item in summary["missing_fields"]:
        click.echo(
            i18n._("missing: {field} in {records} of {total} records ({share} %); filled by {filler}").format(
                field=item["field"],
                records=f"{item['records']:,}",
                total=f"{report.written:,}",
                share=f"{float(item['share']) * 100:.1f}",
                filler=item["filled_by"],
            ),
            err=True,
        )
    if summary["markets_from_currency"]:
        click.echo(
            i18n._(
                "note: case.market of {records} records comes from their currency (no recipient region "
                "code; --market sets it)"
            ).format(records=f"{summary['markets_from_currency']:,}"),
            err=True,
        )
    from ttrules.stack import find_config

    if find_config(None) is not None:  # warn now, not when the simulation cannot convert
        rates = _engine_config(None).fx_rates()
        missing = sorted(c for c in summary["record_currencies"] if c not in rates)
        summary["currencies_without_fx_rate"] = missing
        if missing:
            click.echo(
                i18n._(
                    "warning: ttrules.yaml has no FX rate for {currencies}; simulation totals in the report "
                    "currency will leave them out"
                ).format(currencies=", ".join(missing)),
                err=True,
            )
    if report_file is not None:
        write_text_atomic(report_file, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    sys.exit(FINDINGS if summary["skipped"] or summary["requests_without_order"] else OK)


@cli.command()
@_config
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8181, show_default=True)
@click.option(
    "--unlocked",
    is_flag=True,
    help="Serve the rule files as they are, not only the confirmed ttrules.lock (development only).",
)
@click.option(
    "--shadow",
    metavar="DIR|REV",
    help="Also decide every case under these rules (a directory or git revision); the log keeps both.",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_LOG,
    show_default=True,
    help="The decision log: a SQLite file, or .jsonl for JSON Lines.",
)
@click.option("--no-log", is_flag=True, help="Keep no decision log (and allow no --shadow).")
@click.option("--no-log-inputs", is_flag=True, help="Log decisions without the cases they decided.")
@click.option(
    "--mask",
    "mask_fields",
    multiple=True,
    metavar="FIELD",
    help="Log this case field (e.g. buyer.id) as a digest instead of its value (repeatable).",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path),
    help="Bearer tokens, one a line, that callers must send (or TTRULES_SERVE_TOKENS=a,b).",
)
@click.option(
    "--allow-anonymous",
    is_flag=True,
    help="Serve a non-loopback --host without tokens (behind a proxy that authenticates).",
)
@click.option(
    "--watch-interval",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Seconds between looks at ttrules.lock for a newly confirmed stack (0: only on SIGHUP).",
)
@click.option("--market", help="The shop's market, for TikTok orders without a region code.")
def serve(
    config: Path | None,
    host: str,
    port: int,
    unlocked: bool,
    shadow: str | None,
    log_path: Path,
    no_log: bool,
    no_log_inputs: bool,
    mask_fields: tuple[str, ...],
    token_file: Path | None,
    allow_anonymous: bool,
    watch_interval: float,
    market: str | None,
) -> None:
    """Serve decisions over HTTP (POST /v1/decide) to an ERP, with a decision log.

    Only a stack that passes `ttrules check --locked` is served; a newly confirmed
    ttrules.lock (or SIGHUP) reloads it, and a stack that fails keeps the old one serving.
    See docs/serve.md.
    """
    from ttrules.serve.run import ServeConfig, ServeError
    from ttrules.serve.run import serve as run_service

    if unlocked:
        click.echo(
            i18n._("warning: --unlocked: serving rules that were not simulated and confirmed"), err=True
        )
    log = None if no_log else _log_file(log_path, config)
    settings = ServeConfig(
        config=config,
        host=host,
        port=port,
        locked=not unlocked,
        shadow=shadow,
        log=log,
        log_inputs=not no_log_inputs,
        mask=mask_fields,
        token_file=token_file,
        allow_anonymous=allow_anonymous,
        watch_interval=watch_interval,
        market=market,
    )
    try:
        run_service(settings, lambda line: click.echo(line, err=True))
    except ServeError as error:
        click.echo(i18n._("error: {problem}").format(problem=error), err=True)
        sys.exit(USAGE)


@cli.command(name="log")
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_LOG,
    show_default=True,
    help="The decision log of `ttrules serve`.",
)
@click.option("--case", "case_id", help="Only this case id.")
@click.option("--rule", help="Only decisions this rule won a slot of (layer/rule or the rule's name).")
@click.option("--since", help="From this time (ISO 8601, inclusive).")
@click.option("--until", help="Up to this time (ISO 8601, exclusive).")
@click.option("--disagreements", is_flag=True, help="Only where the shadow's resolution differs.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line, every column.")
def log_(
    log_path: Path,
    case_id: str | None,
    rule: str | None,
    since: str | None,
    until: str | None,
    disagreements: bool,
    limit: int,
    as_json: bool,
) -> None:
    """Query the decision log: which rules decided which cases, when, under which lock."""
    from ttrules.decision_log import LogError, Query, query

    wanted = Query(case_id, rule, since, until, disagreements, limit)
    try:
        for entry in query(_log_file(log_path), wanted):
            if as_json:
                click.echo(json.dumps(entry, ensure_ascii=False))
                continue
            shadow = f"  shadow: {entry['shadow_resolution']}" if entry["shadow_decision"] is not None else ""
            click.echo(
                f"#{entry['seq']} {entry['received_at']} {entry['case_id'] or '-'} "
                f"{entry['resolution'] or '(none)'} by {', '.join(entry['rules']) or '(defaults)'} "
                f"lock {(entry['lock_sha256'] or '-')[:12]} {entry['latency_us']} µs{shadow}"
            )
    except LogError as error:
        click.echo(i18n._("error: {problem}").format(problem=error), err=True)
        sys.exit(USAGE)


@cli.command(name="shadow-report")
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_LOG,
    show_default=True,
    help="The decision log of a `ttrules serve --shadow` run.",
)
@click.option("--since", help="From this time (ISO 8601, inclusive).")
@click.option("--until", help="Up to this time (ISO 8601, exclusive).")
@click.option("--samples", type=click.IntRange(min=0), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def shadow_report_(log_path: Path, since: str | None, until: str | None, samples: int, as_json: bool) -> None:
    """Summarise where the shadow rules disagreed with the live ones on real traffic."""
    from ttrules.decision_log import LogError
    from ttrules.serve.shadow_report import render_shadow_report, shadow_report

    try:
        report = shadow_report(_log_file(log_path), since, until, samples)
    except LogError as error:
        click.echo(i18n._("error: {problem}").format(problem=error), err=True)
        sys.exit(USAGE)
    click.echo(
        json.dumps(report, ensure_ascii=False, indent=2) if as_json else render_shadow_report(report),
        nl=not as_json or True,
    )


def main() -> None:
    try:
        cli.main(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo(i18n._("interrupted"), err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as error:  # a bug, not bad input: say so in one line
        if os.environ.get("TTRULES_DEBUG"):
            raise
        click.echo(
            i18n._(
                "internal error: {kind}: {problem} (please report it; TTRULES_DEBUG=1 shows the traceback)"
            ).format(kind=type(error).__name__, problem=error),
            err=True,
        )
        sys.exit(INTERNAL)  # not the user's input: a script can tell it from a usage error


if __name__ == "__main__":
    main()
