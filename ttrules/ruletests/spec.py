"""Rule test files: YAML documents of cases and the decisions they must get.

    defaults:                      # optional: merged under every case of this file
      case: {market: MY}
    tests:
      - name: small cancellation is approved
        case:                      # partial: nested or dotted keys; `null` removes a default
          order.total: 20 USD
          request: {kind: CANCEL, reason: CHANGED_MIND}
        expect:
          resolution: approve
          rule: merchant/small-cancel-non-quality
      - name: cancellations by amount
        case: {request: {kind: CANCEL, reason: CHANGED_MIND}}   # the template of every row
        table:
          columns: [order.total, expect.resolution]
          rows:
            - [20 USD, approve]
            - [200 USD, review]

A YAML ruleset file may carry the same `tests:` list beside its rules. Reading never stops at
the first problem: every malformed test is reported with its location, the others still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttrules.case_files import DEFAULT_CASE, merge_case
from ttrules.diagnostics import Diagnostic, did_you_mean
from ttrules.i18n import _
from ttrules.ruletests.expect import EXPECT_KEYS, Expectation, parse_expectation
from ttrules.schema.case import unflatten
from ttrules.spans import Span, relative_display
from ttrules.syntax.load import YAML_SUFFIXES, read_source
from ttrules.syntax.yaml_source import YNode, mapping_entries, plain_value, read_yaml

FILE_KEYS = ("description", "defaults", "tests")
TEST_KEYS = ("name", "case", "expect", "table")
TABLE_KEYS = ("columns", "rows")
MAX_TEST_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class RuleTest:
    name: str
    span: Span  # where a failure is reported: the test, or its table row
    record: dict[str, Any]  # the full case, defaults merged in
    expectations: tuple[Expectation, ...]


@dataclass
class RuleTestFile:
    path: str
    tests: list[RuleTest] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _nested(data: Any) -> dict[str, Any]:
    """Dotted keys to nested mappings, keeping `null` (it means: remove the default)."""
    return unflatten(data) if isinstance(data, dict) else {}


def _non_string_key(node: YNode) -> YNode | None:
    """The first mapping key, at any depth, that YAML reads as something other than text."""
    for key, value in node.pairs:
        if key.kind != "scalar" or key.tag not in ("tag:yaml.org,2002:str", ""):
            return key
        if value.kind == "map":
            inner = _non_string_key(value)
            if inner is not None:
                return inner
    return None


class _Reader:
    def __init__(self, path: str) -> None:
        self.file = RuleTestFile(path)

    def error(self, code: str, message: str, span: Span | None, help: str = "") -> None:
        self.file.diagnostics.append(Diagnostic(code, message, span, help=help, path=self.file.path))

    def mapping(self, node: YNode, what: str, allowed: tuple[str, ...]) -> dict[str, YNode] | None:
        return mapping_entries(node, what, allowed, self.error)

    def case_data(self, node: YNode, what: str) -> dict[str, Any] | None:
        if node.is_null:
            return {}
        if node.kind != "map":
            fields = _("{what} must be a mapping of fields, not {found}").format(
                what=what, found=node.describe()
            )
            self.error("TTR012", fields, node.span)
            return None
        odd = _non_string_key(node)
        if odd is not None:
            self.error(
                "TTR012",
                _("{what} has the key `{key}`, which is not a field name").format(what=what, key=odd.value),
                odd.span,
                help=_(
                    "field names are text such as `order.total`; quote a key YAML reads as a number or a "
                    "boolean"
                ),
            )
            return None
        return _nested(plain_value(node))

    def expectations(self, pairs: list[tuple[str, YNode, Span]], what: str) -> list[Expectation] | None:
        """Expectations from (key, value node, key span) pairs; None if any is malformed."""
        result: list[Expectation] = []
        ok = True
        for key, value, key_span in pairs:
            if key not in EXPECT_KEYS:
                self.error(
                    "TTR013",
                    _("unknown expectation `{key}` in {what}").format(key=key, what=what),
                    key_span,
                    help=did_you_mean(key, EXPECT_KEYS)
                    or _("expectations: {keys}").format(keys=", ".join(EXPECT_KEYS)),
                )
                ok = False
                continue
            expectation = parse_expectation(key, value, self.file.diagnostics)
            if expectation is None:
                ok = False
            else:
                result.append(expectation)
        return result if ok else None

    def test(self, node: YNode, index: int, base: dict[str, Any]) -> list[RuleTest]:
        entries = self.mapping(node, _("test #{index}").format(index=index), TEST_KEYS)
        if entries is None:
            return []
        name = f"test #{index}"
        if "name" in entries and entries["name"].kind == "scalar" and not entries["name"].is_null:
            name = entries["name"].value
        elif "name" in entries:
            not_text = _("the `name` of test #{index} must be a string").format(index=index)
            self.error("TTR012", not_text, entries["name"].span)
        of_case = _("the `case` of `{name}`").format(name=name)
        case = self.case_data(entries["case"], of_case) if "case" in entries else {}
        if case is None:
            return []
        template = merge_case(base, case)
        if "table" in entries:
            return self.table(entries["table"], name, template, entries.get("expect"))
        if "expect" not in entries:
            self.error(
                "TTR402",
                _("test `{name}` has no `expect`").format(name=name),
                node.span,
                help=_("add `expect: {{resolution: ...}}` or a `table:` of rows").format(),
            )
            return []
        expect = self.expect_pairs(entries["expect"], name)
        if expect is None:
            return []
        expectations = self.expectations(expect, f"the `expect` of `{name}`")
        if expectations is None:
            return []
        if not expectations:
            self.error(
                "TTR402",
                _("test `{name}` expects nothing").format(name=name),
                entries["expect"].span,
                help=_("say at least what the resolution must be"),
            )
            return []
        return [RuleTest(name, node.span, _with_id(template, name), tuple(expectations))]

    def expect_pairs(self, node: YNode, name: str) -> list[tuple[str, YNode, Span]] | None:
        if node.kind != "map":
            mapping = _("the `expect` of `{name}` must be a mapping, not {found}").format(
                name=name, found=node.describe()
            )
            self.error("TTR012", mapping, node.span)
            return None
        return [(k.value, v, k.span) for k, v in node.pairs]

    def table(
        self,
        node: YNode,
        name: str,
        template: dict[str, Any],
        shared: YNode | None,
    ) -> list[RuleTest]:
        entries = self.mapping(node, f"the `table` of `{name}`", TABLE_KEYS)
        if entries is None:
            return []
        if "columns" not in entries or "rows" not in entries:
            needs = _("the `table` of `{name}` needs `columns` and `rows`").format(name=name)
            self.error("TTR012", needs, node.span)
            return []
        columns_node = entries["columns"]
        if columns_node.kind != "seq" or not all(c.kind == "scalar" for c in columns_node.items):
            self.error(
                "TTR012",
                _("`columns` must be a list of field paths and `expect.KEY` names"),
                columns_node.span,
            )
            return []
        columns = [c.value for c in columns_node.items]
        shared_pairs = self.expect_pairs(shared, name) if shared is not None else []
        if shared_pairs is None:
            return []
        if not any(c.startswith("expect.") for c in columns) and not shared_pairs:
            self.error(
                "TTR402",
                _("the table of `{name}` expects nothing").format(name=name),
                columns_node.span,
                help=_("add a column such as `expect.resolution`"),
            )
            return []
        rows_node = entries["rows"]
        if rows_node.kind != "seq":
            rows = _("`rows` must be a list, not {found}").format(found=rows_node.describe())
            self.error("TTR012", rows, rows_node.span)
            return []
        tests = []
        for number, row in enumerate(rows_node.items, start=1):
            cells = self.row_cells(row, columns, number)
            if cells is None:
                continue
            case: dict[str, Any] = {}
            expect = list(shared_pairs)
            for column, (cell, cell_span) in zip(columns, cells, strict=True):
                if column.startswith("expect."):
                    expect.append((column.removeprefix("expect."), cell, cell_span))
                else:
                    case[column] = plain_value(cell)
            expectations = self.expectations(expect, f"row {number} of `{name}`")
            if expectations is None:
                continue
            shown = ", ".join(
                f"{c}={plain_value(cell)}"
                for c, (cell, _) in zip(columns, cells, strict=True)
                if not c.startswith("expect.")
            )
            row_name = f"{name} [row {number}: {shown}]" if shown else f"{name} [row {number}]"
            record = merge_case(template, _nested(case))
            tests.append(RuleTest(row_name, row.span, _with_id(record, row_name), tuple(expectations)))
        return tests

    def row_cells(self, row: YNode, columns: list[str], number: int) -> list[tuple[YNode, Span]] | None:
        if row.kind == "seq":
            if len(row.items) != len(columns):
                cells = _("row {number} has {cells} cells for {columns} columns").format(
                    number=number, cells=len(row.items), columns=len(columns)
                )
                self.error("TTR012", cells, row.span)
                return None
            return [(cell, cell.span) for cell in row.items]
        if row.kind == "map":
            by_name = {k.value: (v, k.span) for k, v in row.pairs}
            unknown = [k for k in by_name if k not in columns]
            if unknown:
                self.error(
                    "TTR013",
                    _("row {number} has `{name}`, which is not a column").format(
                        number=number, name=unknown[0]
                    ),
                    by_name[unknown[0]][1],
                    help=_("columns: {names}").format(names=", ".join(columns)),
                )
                return None
            missing = [c for c in columns if c not in by_name]
            if missing:
                lacks = _("row {number} lacks the column `{name}`").format(number=number, name=missing[0])
                self.error("TTR012", lacks, row.span)
                return None
            return [by_name[c] for c in columns]
        shape = _("row {number} must be a list of cells or a mapping of columns").format(number=number)
        self.error("TTR012", shape, row.span)
        return None

    def tests(self, node: YNode, base: dict[str, Any]) -> None:
        if node.kind != "seq":
            self.error(
                "TTR012", _("`tests` must be a list, not {found}").format(found=node.describe()), node.span
            )
            return
        for index, item in enumerate(node.items, start=1):
            self.file.tests += self.test(item, index, base)


def _with_id(record: dict[str, Any], name: str) -> dict[str, Any]:
    """Name the case after its test unless the test gave it an id."""
    if record.get("case", {}).get("id") is None:
        return merge_case(record, {"case": {"id": name}})
    return record


def read_test_file(path: Path) -> RuleTestFile:
    """A file of rule tests (`defaults:` and `tests:`)."""
    shown = relative_display(path)
    source, diagnostics = read_source(path, MAX_TEST_FILE_BYTES)
    reader = _Reader(shown)
    reader.file.diagnostics += diagnostics
    if source is None:
        return reader.file
    root, diagnostics = read_yaml(source)
    reader.file.diagnostics += diagnostics
    if root is None:
        return reader.file
    entries = reader.mapping(root, "a test file", FILE_KEYS)
    if entries is None:
        return reader.file
    if "tests" not in entries:
        reader.error(
            "TTR012",
            _("a test file needs a `tests:` list"),
            root.span,
            help=_("see docs/testing.md for the format"),
        )
        return reader.file
    base = DEFAULT_CASE
    if "defaults" in entries:
        defaults = reader.case_data(entries["defaults"], "`defaults`")
        if defaults is None:
            return reader.file
        base = merge_case(DEFAULT_CASE, defaults)
    reader.tests(entries["tests"], base)
    return reader.file


def read_ruleset_tests(path: Path) -> RuleTestFile | None:
    """The `tests:` list inside a YAML ruleset file, or None when it has none."""
    if not path.name.endswith(YAML_SUFFIXES):
        return None
    source, _problems = read_source(path)
    if source is None:
        return None  # `check` reports an unreadable rule file
    root, _yaml_problems = read_yaml(source)
    if root is None or root.kind != "map":
        return None
    node = next((v for k, v in root.pairs if k.value == "tests"), None)
    if node is None:
        return None
    reader = _Reader(relative_display(path))
    reader.tests(node, DEFAULT_CASE)
    return reader.file


def find_test_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.name.endswith(YAML_SUFFIXES)
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
