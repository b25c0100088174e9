"""A hardened YAML reader that keeps positions.

PyYAML composes the document into nodes; we never construct Python objects from it with
PyYAML's constructors. Anchors, aliases and explicit tags are refused (the "billion laughs"
attack lives in aliases), nesting is bounded, and every node keeps its character offsets so
that diagnostics, even for an expression inside a scalar, point at the right line and column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml

from ttrules.diagnostics import Diagnostic, did_you_mean
from ttrules.i18n import N_, _
from ttrules.spans import SourceFile, Span

MAX_YAML_DEPTH = 50
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}


class YamlRefused(Exception):
    """Raised inside the composer to stop at a refused construct; becomes a diagnostic."""

    def __init__(self, code: str, message: str, index: int, help: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.index, self.help = code, message, index, help


_SCALAR_KINDS = {
    "tag:yaml.org,2002:int": N_("a whole number"),
    "tag:yaml.org,2002:float": N_("a number"),
    "tag:yaml.org,2002:bool": N_("true/false"),
    "tag:yaml.org,2002:null": N_("nothing (null)"),
}


@dataclass
class YNode:
    kind: str  # "map" | "seq" | "scalar"
    span: Span
    tag: str = ""
    value: str = ""  # scalars: the value as parsed (escapes resolved)
    style: str | None = None
    items: list[YNode] = field(default_factory=list)  # seq
    pairs: list[tuple[YNode, YNode]] = field(default_factory=list)  # map

    @property
    def is_null(self) -> bool:
        return self.kind == "scalar" and self.tag == "tag:yaml.org,2002:null"

    def describe(self) -> str:
        if self.kind == "map":
            return _("a mapping")
        if self.kind == "seq":
            return _("a list")
        return _(_SCALAR_KINDS.get(self.tag, N_("a string")))

    def offset_of(self, index: int) -> int:
        """The file offset of character `index` of a scalar's value."""
        table = self._offsets()
        return table[min(max(index, 0), len(table) - 1)]

    def _offsets(self) -> list[int]:
        cached = getattr(self, "_offset_table", None)
        if cached is None:
            raw = self.span.source.text[self.span.start : self.span.end]
            cached = align_offsets(self.value, raw, self.span.start)
            self._offset_table = cached
        return cached


def align_offsets(value: str, raw: str, raw_start: int) -> list[int]:
    """Map each character of a scalar's value to its offset in the raw source text.

    Works for plain, quoted and block scalars: characters that the value shares with the source
    are matched in order, and what YAML removes (quotes, escapes, indentation, folded line
    breaks) is skipped. The table has one extra entry for the end of the value.
    """
    table: list[int] = []
    p = 0
    n = len(raw)
    if raw[:1] in ("'", '"'):
        p = 1
    elif raw[:1] in ("|", ">"):
        p = raw.find("\n") + 1 if "\n" in raw else n
    for char in value:
        if p < n and raw[p] == char:
            table.append(raw_start + p)
            p += 1
            continue
        if char in " \n" and p < n and raw[p] in " \t\r\n":
            table.append(raw_start + p)
            while p < n and raw[p] in " \t\r\n":
                p += 1
            continue
        q = raw.find(char, p)
        if q == -1:
            table.append(raw_start + min(p, max(n - 1, 0)))
            continue
        table.append(raw_start + q)
        p = q + 1
    table.append(raw_start + min(p, n))
    return table


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(
                "TTR011",
                _("YAML aliases are not allowed"),
                event.start_mark.index,
                help=_("write the value out in full"),
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlRefused(
                "TTR011",
                _("YAML anchor `&{anchor}` is not allowed").format(anchor=anchor),
                event.start_mark.index,
                help=_("write the value out in full"),
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _STANDARD_TAGS:
            refused = _("YAML tag `{tag}` is not allowed").format(tag=tag)
            raise YamlRefused("TTR011", refused, event.start_mark.index, help=_("remove the tag"))
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                deep = _("YAML nested more than {levels} levels deep").format(levels=MAX_YAML_DEPTH)
                raise YamlRefused("TTR010", deep, event.start_mark.index)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _convert(node: yaml.Node, source: SourceFile) -> YNode:
    """PyYAML node to YNode; depth is already bounded by the loader, so recursion is safe."""
    span = Span(source, node.start_mark.index, node.end_mark.index)
    if isinstance(node, yaml.MappingNode):
        return YNode(
            "map", span, node.tag, pairs=[(_convert(k, source), _convert(v, source)) for k, v in node.value]
        )
    if isinstance(node, yaml.SequenceNode):
        return YNode("seq", span, node.tag, items=[_convert(i, source) for i in node.value])
    return YNode("scalar", span, node.tag, value=node.value, style=node.style)


def read_yaml(source: SourceFile) -> tuple[YNode | None, list[Diagnostic]]:
    """Compose one YAML document; None (with a diagnostic) when it cannot be read safely."""
    loader = None
    try:
        # The reader checks the characters as it is made: a non-printable one raises here.
        loader = _Loader(source.text)
        node = loader.get_single_node()
    except YamlRefused as refused:
        span = Span(source, refused.index, min(refused.index + 1, len(source.text)))
        return None, [Diagnostic(refused.code, refused.message, span, help=refused.help)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        index = mark.index if mark is not None else 0
        span = Span(source, index, min(index + 1, len(source.text)))
        problem = error.problem or error.context or "malformed YAML"
        context = f" ({error.context})" if error.context and error.problem else ""
        return None, [
            Diagnostic(
                "TTR010",
                f"{problem}{context}",
                span,
                help=_(
                    "check the indentation and quoting on this line; quote expressions that contain "
                    "`: ` or start with `{{`"
                ).format(),
            )
        ]
    except yaml.reader.ReaderError as error:
        index = min(error.position, max(len(source.text) - 1, 0))
        span = Span(source, index, min(index + 1, len(source.text)))
        return None, [
            Diagnostic(
                "TTR010",
                _("the character U+{code} is not allowed in YAML").format(code=f"{error.character:04X}")
                if isinstance(error.character, int)
                else _("a character is not allowed in YAML"),
                span,
                help=_("remove it, or write it as an escape (`\\x01`) inside a double-quoted string"),
            )
        ]
    except yaml.YAMLError as error:
        malformed = _("malformed YAML: {problem}").format(problem=error)
        return None, [Diagnostic("TTR010", malformed, None, path=source.path)]
    except RecursionError:
        return None, [Diagnostic("TTR010", _("YAML nested too deeply"), None, path=source.path)]
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return None, []
    return _convert(node, source), []


def plain_value(node: YNode) -> Any:
    """A YNode as plain Python data (str, int, Decimal, bool, None, list, dict).

    Used for configuration files; scalars are typed by their resolved YAML tag, floats become
    Decimal so that money and FX rates stay exact.
    """
    if node.kind == "map":
        return {plain_value(k): plain_value(v) for k, v in node.pairs}
    if node.kind == "seq":
        return [plain_value(i) for i in node.items]
    if node.tag == "tag:yaml.org,2002:int":
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return node.value
    if node.tag == "tag:yaml.org,2002:float":
        try:
            return Decimal(node.value.replace("_", ""))
        except ArithmeticError:
            return node.value
    if node.tag == "tag:yaml.org,2002:bool":
        return node.value.lower() in ("true", "yes", "on")
    if node.tag == "tag:yaml.org,2002:null":
        return None
    return node.value


Report = Callable[..., None]  # (code, message, span, help="") -> None


def mapping_entries(
    node: YNode, what: str, allowed: tuple[str, ...], report: Report
) -> dict[str, YNode] | None:
    """A mapping's entries by key; an unknown or repeated key is reported and left out, a
    value that is not a mapping is reported and gives None."""
    if node.kind != "map":
        report(
            "TTR012",
            _("{what} must be a mapping, not {found}").format(what=what, found=node.describe()),
            node.span,
        )
        return None
    result: dict[str, YNode] = {}
    for key, value in node.pairs:
        name = key.value if key.kind == "scalar" else ""
        if name not in allowed:
            report(
                "TTR013",
                _("unknown key `{name}` in {what}").format(name=name, what=what),
                key.span,
                help=did_you_mean(name, allowed) or _("allowed keys: {keys}").format(keys=", ".join(allowed)),
            )
        elif name in result:
            report(
                "TTR006", _("key `{name}` is given twice in {what}").format(name=name, what=what), key.span
            )
        else:
            result[name] = value
    return result
