"""`ttrules.yaml`: the stack, default resolution, currency, FX table, costs and extensions."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ttrules.actions import RESOLUTIONS_WITHOUT_ARGS
from ttrules.diagnostics import Diagnostic, did_you_mean
from ttrules.i18n import _
from ttrules.spans import SourceFile
from ttrules.syntax.load import decode_text
from ttrules.syntax.yaml_source import YNode, plain_value, read_yaml
from ttrules.workspace import DISK, Files

CONFIG_NAME = "ttrules.yaml"
MAX_CONFIG_BYTES = 1024 * 1024


class Costs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    review_minutes: Decimal = Decimal(6)
    agent_hour: str = "4 USD"


class ColumnSpec(BaseModel):
    """How one case field is read from a history file's columns."""

    model_config = ConfigDict(extra="forbid")
    column: str | None = None  # the source column
    value: Any = None  # a constant instead of a column
    currency: str | None = None  # amounts in this column are in this currency
    values: dict[str, str] = Field(default_factory=dict)  # raw value -> case value
    default: str | None = None  # with `values`: the case value of any other raw value
    format: str | None = None  # strptime format for timestamps, e.g. "%m/%d/%Y %H:%M"

    @model_validator(mode="after")
    def _default_needs_values(self) -> ColumnSpec:
        if self.default is not None and not self.values:
            raise ValueError("`default` is the value for raw values not in `values`; give `values` too")
        return self


ANALYSIS_PREFIXES = ("TTR2", "TTR3")  # the codes `lint:` may select, ignore or re-grade


class LintConfig(BaseModel):
    """Which analysis findings (TTR2xx, TTR3xx) to report and how severely."""

    model_config = ConfigDict(extra="forbid")
    select: list[str] = Field(default_factory=lambda: list(ANALYSIS_PREFIXES))
    ignore: list[str] = Field(default_factory=list)
    severity: dict[str, Literal["error", "warning", "info"]] = Field(default_factory=dict)

    @field_validator("select", "ignore")
    @classmethod
    def _analysis_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            _check_analysis_code(code)
        return value

    @field_validator("severity")
    @classmethod
    def _analysis_severities(cls, value: dict[str, str]) -> dict[str, str]:
        for code in value:
            _check_analysis_code(code)
        return value

    def matches(self, patterns: list[str], code: str) -> bool:
        return any(code.startswith(p) for p in patterns)


def _check_analysis_code(code: str) -> None:
    from ttrules.codes import CODES

    if not code.startswith(ANALYSIS_PREFIXES):
        raise ValueError(
            f"`{code}`: only layering and lint codes (TTR2xx, TTR3xx) can be selected, ignored or re-graded"
        )
    if len(code) == 6 and code not in CODES:
        raise ValueError(f"`{code}` is not a diagnostic code")


class HistoryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    columns: dict[str, str | ColumnSpec] = Field(default_factory=dict)


class Config(BaseModel):
    """The parsed `ttrules.yaml`; every key has a default so a bare directory works too."""

    model_config = ConfigDict(extra="forbid")

    stack: list[str] = Field(default_factory=lambda: ["rulesets/"])
    tests: list[str] = Field(default_factory=lambda: ["tests/"])  # rule test files or directories
    layers: list[str] = Field(default_factory=lambda: ["platform", "merchant"])
    # Where the rulesets of a layer may be (files or directories, relative to ttrules.yaml).
    # Unset for the strongest layer, it is the first `stack:` entry when there are several.
    layer_paths: dict[str, list[str]] = Field(default_factory=dict)
    fail_closed: list[str] = Field(default_factory=lambda: ["platform"])
    default: str = "review"
    currency: str = "USD"
    fx: dict[str, Decimal] = Field(default_factory=dict)
    costs: Costs = Field(default_factory=Costs)
    fields: dict[str, str] = Field(default_factory=dict)
    lists: dict[str, str] = Field(default_factory=dict)  # name -> file, for `x in list("name")`
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    lint: LintConfig = Field(default_factory=LintConfig)

    def paths_of_layer(self, layer: str) -> list[str] | None:
        """Where rulesets of `layer` may be, or None when anywhere in the stack."""
        if layer in self.layer_paths:
            return self.layer_paths[layer]
        if self.layers and layer == self.layers[0] and len(self.stack) > 1:
            return self.stack[:1]
        return None

    @field_validator("stack", "tests", mode="before")
    @classmethod
    def _one_path(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("default")
    @classmethod
    def _default_is_resolution(cls, value: str) -> str:
        if value not in RESOLUTIONS_WITHOUT_ARGS:
            hint = did_you_mean(value, RESOLUTIONS_WITHOUT_ARGS)
            raise ValueError(
                f"`{value}` is not a resolution without arguments "
                f"({', '.join(RESOLUTIONS_WITHOUT_ARGS)}){'; ' + hint if hint else ''}"
            )
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha() or not value.isupper():
            raise ValueError(f"`{value}` is not an ISO 4217 code such as USD")
        return value

    @field_validator("fx")
    @classmethod
    def _positive_rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for code, rate in value.items():
            if len(code) != 3 or not code.isupper() or not code.isalpha() or not code.isascii():
                raise ValueError(f"`{code}` is not an ISO 4217 code such as MYR")
            if rate <= 0:
                raise ValueError(f"the rate for {code} must be positive")
        return value

    def cross_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Problems between keys (a field validator sees one key): (where, message)."""
        from ttrules.syntax.literals import parse_money

        problems: list[tuple[tuple[str, ...], str]] = []
        repeated = sorted({layer for layer in self.layers if self.layers.count(layer) > 1})
        if repeated:
            problems.append((("layers",), f"{', '.join(f'`{r}`' for r in repeated)} listed twice"))
        for index, layer in enumerate(self.fail_closed):
            if layer not in self.layers:
                # A misspelt layer here would silently switch fail-closed off for the real one.
                hint = did_you_mean(layer, self.layers)
                problems.append(
                    (
                        ("fail_closed", str(index)),
                        f"`{layer}` is not a layer (layers: "
                        f"{', '.join(self.layers)}){'; ' + hint if hint else ''}",
                    )
                )
        for layer in self.layer_paths:
            if layer not in self.layers:
                # A misspelt layer here would leave the real one unprotected.
                hint = did_you_mean(layer, self.layers)
                problems.append(
                    (
                        ("layer_paths", layer),
                        f"`{layer}` is not a layer (layers: "
                        f"{', '.join(self.layers)}){'; ' + hint if hint else ''}",
                    )
                )
        rate = parse_money(self.costs.agent_hour)
        if rate is None:
            problems.append(
                (("costs", "agent_hour"), f"`{self.costs.agent_hour}` is not an amount such as `4 USD`")
            )
        elif rate[1] not in self.fx_rates() and "agent_hour" in self.costs.model_fields_set:
            # An explicit cost that cannot be priced would make every review cost "n/a"; the
            # default (4 USD) in a report currency without a USD rate is reported as n/a instead.
            problems.append(
                (
                    ("costs", "agent_hour"),
                    f"no FX rate from {rate[1]} to the report currency {self.currency}: "
                    f"add `{rate[1]}` to `fx` or give the cost in {self.currency}",
                )
            )
        return problems

    def fx_rates(self) -> dict[str, Decimal]:
        """Units of the report currency per unit of each currency, the report currency included."""
        return {**self.fx, self.currency: Decimal(1)}


def _node_at(root: YNode, loc: tuple[Any, ...], at_key: bool) -> YNode:
    """The YAML node an error is about: the key itself for an unknown key, else its value."""
    node = root
    for depth, key in enumerate(loc):
        if node.kind == "map":
            match = next(((k, v) for k, v in node.pairs if k.value == str(key)), None)
            if match is None:
                return node
            node = match[0] if at_key and depth == len(loc) - 1 else match[1]
        elif node.kind == "seq" and isinstance(key, int) and key < len(node.items):
            node = node.items[key]
        else:
            return node
    return node


def _duplicate_keys(root: YNode) -> list[Diagnostic]:
    """A key given twice in one mapping: YAML keeps the last silently, which can undo a setting
    (a second `fail_closed:`) without a word; it is an error at the second key."""
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.kind == "map":
            seen: set[str] = set()
            for key, value in node.pairs:
                if key.value in seen:
                    found.append(
                        Diagnostic(
                            "TTR119",
                            _("`{key}` is given twice in this mapping").format(key=key.value),
                            key.span,
                            help=_("keep one of them"),
                        )
                    )
                seen.add(key.value)
                stack.append(value)
        elif node.kind == "seq":
            stack.extend(node.items)
    return found


def load_config(path: Path, files: Files = DISK) -> tuple[Config | None, list[Diagnostic]]:
    shown = files.display(path)
    try:
        data = files.read_bytes(path, MAX_CONFIG_BYTES)
    except OSError as error:
        unreadable = _("cannot read {name}: {reason}").format(name=CONFIG_NAME, reason=error.strerror)
        return None, [Diagnostic("TTR119", unreadable, None, path=shown)]
    if len(data) > MAX_CONFIG_BYTES:
        return None, [Diagnostic("TTR009", _("the configuration file is too large"), None, path=shown)]
    text, diagnostics = decode_text(data, shown)
    if text is None:
        return None, diagnostics
    source = SourceFile(shown, text)
    root, diagnostics = read_yaml(source)
    if diagnostics:
        return None, diagnostics
    if root is None:
        return Config(), []
    if root.kind != "map":
        return None, [Diagnostic("TTR119", _("{name} must be a mapping").format(name=CONFIG_NAME), root.span)]
    duplicates = _duplicate_keys(root)
    try:
        config = Config.model_validate(plain_value(root))
    except ValidationError as error:
        result = list(duplicates)
        for item in error.errors(include_url=False):
            loc = tuple(item["loc"])
            node = _node_at(root, loc, at_key=item["type"] == "extra_forbidden")
            key = ".".join(str(p) for p in loc)
            message = item["msg"].removeprefix("Value error, ")
            help = ""
            if item["type"] == "extra_forbidden":
                message = f"unknown key `{key}`"
                help = did_you_mean(str(loc[-1]), list(Config.model_fields) + list(Costs.model_fields))
            result.append(Diagnostic("TTR119", f"{key}: {message}", node.span, help=help))
        return None, result
    problems = duplicates + [
        Diagnostic("TTR119", f"{'.'.join(loc)}: {message}", _node_at(root, loc, False).span)
        for loc, message in config.cross_problems()
    ]
    return (None, problems) if problems else (config, [])
