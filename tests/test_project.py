"""Promises about the project itself: layout, lint, docs, packaging, data tables."""

from __future__ import annotations

import ast as pyast
import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ttrules.codes import CODES
from ttrules.docgen import PAGES, SECTIONS
from ttrules.schema.enums import ENUMS
from ttrules.schema.reasons import category_of, reason_rows

from helpers import ROOT

REFERENCE = ROOT.parent / "shared" / "reference" / "tiktok" / "tiktok_reason_codes.csv"


def _imports(path: Path) -> set[str]:
    tree = pyast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, pyast.ImportFrom) and node.module:
            names.add(node.module if node.module.startswith("ttrules") else node.module.split(".")[0])
    return names


def test_only_the_syntax_stage_imports_lark_and_yaml() -> None:
    for path in (ROOT / "ttrules").rglob("*.py"):
        if "syntax" in path.parts:
            continue
        assert not _imports(path) & {"lark", "yaml"}, path


def test_only_the_analysis_stage_imports_z3() -> None:
    for path in (ROOT / "ttrules").rglob("*.py"):
        if "analyze" in path.parts:
            continue
        assert "z3" not in _imports(path), path
        # The analysis is a later stage: only the stage list (pipeline) and the CLI run it.
        if path.relative_to(ROOT).as_posix() not in ("ttrules/cli.py", "ttrules/pipeline/__init__.py"):
            assert not any(i.startswith("ttrules.analyze") for i in _imports(path)), path


# The package's layers, lowest first (docs/architecture.md draws them). A module may import from
# its own layer and the layers below it, never from one above: the CLI sits on the pipeline,
# the pipeline on the stages, every stage on the core. The longest prefix places a module.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "primitives",
        (
            "ttrules",
            "ttrules.spans",
            "ttrules.codes",
            "ttrules.fileio",
            "ttrules.bundled",
            "ttrules.textwidth",
            "ttrules.syntax.literals",
            "ttrules.schema.types",
        ),
    ),
    (
        "core",
        (
            "ttrules.diagnostics",
            "ttrules.values",
            "ttrules.ast",
            "ttrules.actions",
            "ttrules.workspace",
            "ttrules.schema",
            "ttrules.i18n",
        ),
    ),
    ("syntax", ("ttrules.syntax",)),
    ("project", ("ttrules.config", "ttrules.lists", "ttrules.stack", "ttrules.case_files")),
    ("check", ("ttrules.check",)),
    ("evaluate", ("ttrules.evaluate", "ttrules.engine")),
    ("rule tests", ("ttrules.ruletests",)),
    ("analysis", ("ttrules.analyze",)),
    (
        "simulation",
        (
            "ttrules.simulate",
            "ttrules.columnar",
            "ttrules.distributed",
            "ttrules.decision_log",
            "ttrules.importers",
        ),
    ),
    ("suggestion", ("ttrules.suggest",)),
    ("pipeline", ("ttrules.pipeline",)),
    ("service", ("ttrules.serve",)),
    (
        "entry points",
        (
            "ttrules.cli",
            "ttrules.cli_help",
            "ttrules.scaffold",
            "ttrules.selfwheel",
            "ttrules.docgen",
            "ttrules.ci_formats",
            "ttrules.distributed.launch",  # the file spark-submit runs: it starts the CLI
        ),
    ),
]


def _layer(module: str) -> int | None:
    placed = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    return max(placed)[1] if placed else None


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "ttrules").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def test_every_module_has_a_layer_and_imports_no_layer_above_its_own() -> None:
    """Imports inside functions count too: a deferred import is still a dependency."""
    modules = _modules()
    unplaced = sorted(m for m in modules if _layer(m) is None)
    assert not unplaced, f"place these modules in LAYERS: {unplaced}"
    upward = []
    for module, path in sorted(modules.items()):
        mine = _layer(module)
        assert mine is not None
        for node in pyast.walk(pyast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, pyast.ImportFrom) and node.module and node.module.startswith("ttrules"):
                base = node.module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            elif isinstance(node, pyast.Import):
                targets = [a.name for a in node.names if a.name.startswith("ttrules")]
            else:
                continue
            for target in targets:
                theirs = _layer(target)
                if theirs is not None and theirs > mine:
                    where = f"{module} ({LAYERS[mine][0]}), line {node.lineno}"
                    upward.append(f"{where} imports {target} ({LAYERS[theirs][0]})")
    assert not upward, "\n".join(upward)


def test_no_private_name_crosses_a_module_boundary() -> None:
    """What one module shares with another is public: `from ttrules.x import _name` and
    `module._name` on a ttrules module are how a helper gets taught twice or changed under a
    caller. (`_`, the catalog's gettext, is the one private-looking name meant to be shared.)"""
    modules = _modules()
    crossing = []
    for module, path in sorted(modules.items()):
        tree = pyast.parse(path.read_text(encoding="utf-8"))
        aliases = set()  # names bound to ttrules modules here
        for node in pyast.walk(tree):
            if isinstance(node, pyast.ImportFrom) and node.module and node.module.startswith("ttrules"):
                for alias in node.names:
                    if f"{node.module}.{alias.name}" in modules:
                        aliases.add(alias.asname or alias.name)
                    elif alias.name.startswith("_") and alias.name != "_" and not alias.name.startswith("__"):
                        crossing.append(f"{module}, line {node.lineno}: imports {node.module}.{alias.name}")
            elif isinstance(node, pyast.Import):
                aliases.update(a.asname for a in node.names if a.name.startswith("ttrules") and a.asname)
        for node in pyast.walk(tree):
            if (
                isinstance(node, pyast.Attribute)
                and isinstance(node.value, pyast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and node.attr != "_"
                and not node.attr.startswith("__")
            ):
                crossing.append(f"{module}, line {node.lineno}: reads {node.value.id}.{node.attr}")
    assert not crossing, "\n".join(crossing)


def test_the_architecture_page_lists_the_layers_in_order() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    positions = [page.find(f"**{name}**") for name, _ in LAYERS]
    assert -1 not in positions and positions == sorted(positions), list(zip(LAYERS, positions, strict=True))


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    return subprocess.run([ruff, *args, str(ROOT)], capture_output=True, text=True)


def test_ruff_is_clean() -> None:
    result = _ruff("check")
    assert result.returncode == 0, result.stdout


def test_code_is_formatted_by_ruff() -> None:
    result = _ruff("format", "--check")
    assert result.returncode == 0, "run `ruff format`:\n" + result.stdout


def test_every_code_has_its_page_with_every_section() -> None:
    index = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    for code, doc in CODES.items():
        page = ROOT / "docs" / "codes" / f"{code}.md"
        assert page.is_file(), f"{code} has no page; run `python -m ttrules.docgen`"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(f"# {code} {doc.name}\n")
        for section, body in zip(
            SECTIONS, (doc.summary, doc.why, doc.example.markdown(code), doc.fix), strict=True
        ):
            assert body.strip(), f"{code} lacks `{section}`"
            assert f"## {section}\n\n" in text and body in text, f"{code}: `{section}`"
        assert f"[{code}](codes/{code}.md)" in index
    stale = {p.stem for p in (ROOT / "docs" / "codes").glob("*.md")} - set(CODES)
    assert not stale, f"pages of codes that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_pages_are_current(name: str) -> None:
    assert (ROOT / name).read_text(encoding="utf-8") == PAGES[name](), "run `python -m ttrules.docgen`"


def test_every_code_used_in_the_source_is_registered() -> None:
    import re

    used = set()
    for path in (ROOT / "ttrules").rglob("*.py"):
        used |= set(re.findall(r'"(TTR\d{3})"', path.read_text(encoding="utf-8")))
    assert used <= set(CODES), used - set(CODES)


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/ reference data not beside the repo")
def test_every_reference_reason_code_is_mapped() -> None:
    with REFERENCE.open(encoding="utf-8") as handle:
        reference = list(csv.DictReader(handle))
    shipped = {(r.market, r.reason_name) for r in reason_rows()}
    for row in reference:
        assert (row["market"], row["reason_name"]) in shipped, row
        assert category_of(row["reason_name"]) in ENUMS["ReasonCategory"], row


def test_reason_table_is_consistent_and_known_codes_map_sensibly() -> None:
    categories: dict[str, set[str]] = {}
    for row in reason_rows():
        categories.setdefault(row.reason_name, set()).add(row.category)
    assert all(len(c) == 1 for c in categories.values())
    expected = {
        "ecom_order_to_ship_canceled_reason_no_longer_needed": "CHANGED_MIND",
        "ecom_order_to_ship_canceled_reason_wrong_delivery_info": "WRONG_ADDRESS",
        "ecom_order_delivered_refund_reason_damaged": "DAMAGED",
        "seller_cancel_reason_out_of_stock": "OUT_OF_STOCK",
        "seller_cancel_reason_wrong_price": "PRICING_ERROR",
        "ecom_order_to_ship_canceled_reason_not_shipped_on_time": "SELLER_LATE",
    }
    for code, category in expected.items():
        assert category_of(code) == category, code


def test_wheel_ships_grammar_reason_table_and_rulesets(tmp_path: Path) -> None:
    """`pip install .` into a clean place, then run from another directory."""
    target = tmp_path / "site"
    # Build from a clean copy: setuptools reuses a stale build/ directory, which would hide a
    # package missing from the package list.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "__pycache__", ".hypothesis", ".*_cache", "ttrules-demo"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    code = (
        "import ttrules.syntax.grammar as g, ttrules.schema.reasons as r, importlib.resources as ir;"
        "assert 'ruleset' in g.grammar_text() and len(r.reason_rows()) > 1000;"
        "assert ir.files('ttrules.rulesets').joinpath('platform/tiktok-shop-sea.ttr').is_file();"
        "assert ir.files('ttrules.distributed').joinpath('launch/ttrules_submit.py').is_file();"
        "assert ir.files('ttrules.distributed').joinpath('log4j2.properties').is_file();"
        "print(g.__file__)"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert str(target) in out.stdout
    # Every package of the source tree is in the wheel (the package list is explicit).
    for init in (ROOT / "ttrules").rglob("__init__.py"):
        package = init.parent.relative_to(ROOT)
        assert (target / package / "__init__.py").is_file(), f"{package} is not in the wheel"


def test_every_code_has_its_chinese_page_in_chinese() -> None:
    """docs/zh-CN/codes/: a page per code, every section in Chinese (the catalog's texts)."""
    from ttrules import i18n

    translations = i18n.catalog(i18n.CHINESE)
    for code, doc in CODES.items():
        text = (ROOT / "docs" / "zh-CN" / "codes" / f"{code}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# {code} {doc.name}\n")
        for section in ("它发现什么", "为什么重要", "示例", "如何修正"):
            assert f"## {section}\n\n" in text, (code, section)
        for english in (doc.summary, doc.why, doc.fix):
            assert translations[(None, english)] in text, (code, english)
    index = (ROOT / "docs" / "zh-CN" / "diagnostics.md").read_text(encoding="utf-8")
    assert all(f"[{code}](codes/{code}.md)" in index for code in CODES)
