"""The command line. Click only: parse arguments, call the stages, render, choose the exit code.

Exit codes: 0 ok, 1 findings or failures, 2 usage or input errors. No Python traceback reaches
a user for bad input; an internal error is reported in one line (set TTRULES_DEBUG=1 to see it).
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ttrules import __version__
from ttrules.cases import CaseFileError, iter_jsonl, read_case_file
from ttrules.check import check_stack
from ttrules.diagnostics import Diagnostic, has_errors, render_json, render_text_all
from ttrules.engine import Engine
from ttrules.evaluate.cascade import decide
from ttrules.evaluate.explain import decision_json, render_decision
from ttrules.fileio import atomic_writer, write_text_atomic
from ttrules.schema.case import CaseError, case_values, parse_case
from ttrules.stack import load_stack
from ttrules.syntax.format import format_ruleset
from ttrules.syntax.load import DSL_SUFFIXES, YAML_SUFFIXES, find_rule_files, load_ruleset_file
from ttrules.syntax.yaml_emit import emit_ruleset_yaml

OK, FINDINGS, USAGE = 0, 1, 2

_paths = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
_config = click.option("--config", "config", type=click.Path(path_type=Path),
                       help="The ttrules.yaml to use (default: ./ttrules.yaml if present).")


def _emit_diagnostics(diagnostics: list[Diagnostic], fmt: str = "text") -> None:
    if fmt == "json":
        click.echo(render_json(diagnostics))
    elif diagnostics:
        click.echo(render_text_all(diagnostics), err=True)


def _engine(paths: tuple[Path, ...], config: Path | None) -> Engine:
    engine, diagnostics = Engine.load(list(paths) or None, config)
    if engine is None:
        _emit_diagnostics(diagnostics)
        click.echo("error: the rules do not pass `ttrules check`; fix them first", err=True)
        sys.exit(USAGE)
    return engine


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ttrules")
def cli() -> None:
    """ttrules: after-sales rules for e-commerce, checked, explained and simulated."""


@cli.command()
@_paths
@_config
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def check(paths: tuple[Path, ...], config: Path | None, fmt: str) -> None:
    """Check rule files: syntax, types against the case schema, names, layers.

    PATHS are rule files or directories; without them, the stack of ttrules.yaml.
    Exits 1 when there is any error.
    """
    stack, diagnostics = load_stack(list(paths) or None, config)
    if stack is not None:
        diagnostics += check_stack(stack)
    if stack is None or any(d.code in ("TTR015", "TTR119") for d in diagnostics):
        _emit_diagnostics(diagnostics, fmt)
        sys.exit(USAGE)
    if fmt == "json":
        click.echo(render_json(diagnostics))
    else:
        files = len(stack.files)
        rules = sum(len(r.rules) + len(r.forbids) for r in stack.rulesets)
        if diagnostics:
            click.echo(render_text_all(diagnostics))
        click.echo(f"checked {files} file{'s' if files != 1 else ''}, {rules} rules: "
                   + ("errors found" if has_errors(diagnostics) else "ok"))
    sys.exit(FINDINGS if has_errors(diagnostics) else OK)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), required=True)
@click.option("--check", "check_only", is_flag=True, help="Exit 1 if a file is not formatted; write nothing.")
@click.option("--diff", is_flag=True, help="Print what would change as a unified diff; write nothing.")
def fmt(paths: tuple[Path, ...], check_only: bool, diff: bool) -> None:
    """Rewrite DSL rule files (.ttr) in canonical form. Comments are kept."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            click.echo(f"error: {path}: no such file or directory", err=True)
            sys.exit(USAGE)
        files += [f for f in find_rule_files(path) if f.name.endswith(DSL_SUFFIXES)]
    changed, failed = 0, 0
    for path in files:
        ruleset, diagnostics = load_ruleset_file(path)
        if ruleset is None or has_errors(diagnostics):
            _emit_diagnostics(diagnostics)
            failed += 1
            continue
        original = path.read_text(encoding="utf-8")
        formatted = format_ruleset(ruleset)
        if formatted == original:
            continue
        changed += 1
        if diff:
            click.echo("".join(difflib.unified_diff(
                original.splitlines(keepends=True), formatted.splitlines(keepends=True),
                fromfile=str(path), tofile=str(path))), nl=False)
        elif check_only:
            click.echo(f"would reformat {path}")
        else:
            write_text_atomic(path, formatted)
            click.echo(f"reformatted {path}")
    verb = "would be reformatted" if (check_only or diff) else "reformatted"
    click.echo(f"{changed} file{'s' if changed != 1 else ''} {verb}, "
               f"{len(files) - changed - failed} unchanged" + (f", {failed} with errors" if failed else ""),
               err=True)
    if failed:
        sys.exit(FINDINGS)
    sys.exit(FINDINGS if changed and (check_only or diff) else OK)


@cli.command()
@click.argument("source", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--to", "target", type=click.Choice(["dsl", "yaml"]),
              help="Target form (default: the other one).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
def convert(source: Path, target: str | None, output: Path | None) -> None:
    """Convert a ruleset between the DSL and the YAML form (same rules, comments kept)."""
    ruleset, diagnostics = load_ruleset_file(source)
    if ruleset is None or has_errors(diagnostics):
        _emit_diagnostics(diagnostics)
        sys.exit(FINDINGS)
    if target is None:
        target = "dsl" if source.name.endswith(YAML_SUFFIXES) else "yaml"
    text = format_ruleset(ruleset) if target == "dsl" else emit_ruleset_yaml(ruleset)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(output, text)
        click.echo(f"wrote {output}", err=True)


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
        values = case_values(parse_case(record), engine.stack.schema)
    except CaseFileError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(USAGE)
    except CaseError as error:
        name = "<stdin>" if case_file == "-" else case_file
        click.echo(f"error: {name} is not a valid case:", err=True)
        for path, message in error.problems:
            click.echo(f"  {path or '(case)'}: {message}", err=True)
        sys.exit(USAGE)
    decision = decide(engine.prepared, values, explain=True)
    if as_json:
        click.echo(json.dumps(decision_json(decision), ensure_ascii=False, indent=2))
    else:
        click.echo(render_decision(decision))


@cli.command(name="eval")
@_paths
@_config
@click.option("--cases", "cases_file", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Cases as JSON Lines (one case per line).")
@click.option("--out", "out_file", required=True,
              help="Where to write decisions as JSON Lines (- for stdout).")
@click.option("--explain", "with_trace", is_flag=True, help="Include each decision's explanation.")
def eval_(paths: tuple[Path, ...], config: Path | None, cases_file: Path, out_file: str,
          with_trace: bool) -> None:
    """Decide a batch of cases. A malformed row is reported with its row number and skipped;
    exits 1 if any row failed. The output file appears only when the run completes."""
    engine = _engine(paths, config)
    if not cases_file.exists():
        click.echo(f"error: {cases_file}: no such file", err=True)
        sys.exit(USAGE)
    decided = failed = 0

    def run(out: Any) -> None:
        nonlocal decided, failed
        with cases_file.open("rb") as handle:
            for row in iter_jsonl(handle):
                error = row.error
                if row.record is not None:
                    try:
                        values = case_values(parse_case(row.record), engine.stack.schema)
                    except CaseError as problem:
                        error = "; ".join(f"{p}: {m}" if p else m for p, m in problem.problems)
                    else:
                        decision = decide(engine.prepared, values, explain=with_trace)
                        out.write(json.dumps(decision_json(decision), ensure_ascii=False) + "\n")
                        decided += 1
                        continue
                failed += 1
                click.echo(f"{cases_file}:{row.number}: skipped: {error}", err=True)

    if out_file == "-":
        run(sys.stdout)
    else:
        with atomic_writer(Path(out_file)) as out:
            run(out)
    click.echo(f"decided {decided} case{'s' if decided != 1 else ''}"
               + (f", skipped {failed} malformed row{'s' if failed != 1 else ''}" if failed else ""),
               err=True)
    sys.exit(FINDINGS if failed else OK)


@cli.command()
@_config
@click.option("--json-schema", "json_schema", is_flag=True, help="Print the JSON Schema of a case.")
def schema(config: Path | None, json_schema: bool) -> None:
    """The case schema: every field a rule can read, its type and presence."""
    from ttrules.config import load_config
    from ttrules.schema.case import Case
    from ttrules.schema.fields import default_schema, extend_schema
    from ttrules.stack import find_config

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
        default = f" (default {spec.default})" if spec.default else ""
        click.echo(f"{spec.path:<{width}}  {type_text:<22} {spec.presence:<9} "
                   f"{spec.description}{default}")
    click.echo("")
    for name, members in fields.enums.items():
        click.echo(f"{name}: {', '.join(members)}")


def main() -> None:
    try:
        cli.main(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as error:  # a bug, not bad input: say so in one line
        if os.environ.get("TTRULES_DEBUG"):
            raise
        click.echo(f"internal error: {type(error).__name__}: {error} "
                   "(please report it; TTRULES_DEBUG=1 shows the traceback)", err=True)
        sys.exit(USAGE)


if __name__ == "__main__":
    main()
