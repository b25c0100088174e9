"""Static types of the language, as the checker sees them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Type:
    kind: str  # bool int number percent money duration timestamp str enum set error
    enum: str = ""  # the enumeration's name, for kind == "enum"
    element: Type | None = None  # for kind == "set"

    def display(self) -> str:
        if self.kind == "enum":
            return self.enum
        if self.kind == "set":
            return f"set[{self.element.display() if self.element else '?'}]"
        return {"str": "string", "error": "unknown"}.get(self.kind, self.kind)

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("int", "number", "percent")

    @property
    def is_ordered(self) -> bool:
        return self.kind in ("int", "number", "percent", "money", "duration", "timestamp", "str")


BOOL = Type("bool")
INT = Type("int")
NUMBER = Type("number")
PERCENT = Type("percent")
MONEY = Type("money")
DURATION = Type("duration")
TIMESTAMP = Type("timestamp")
STR = Type("str")
ERROR = Type("error")  # the type of an expression already reported; silences follow-on errors


def enum(name: str) -> Type:
    return Type("enum", enum=name)


def set_of(element: Type) -> Type:
    return Type("set", element=element)


SIMPLE_TYPES = {
    "bool": BOOL,
    "int": INT,
    "number": NUMBER,
    "money": MONEY,
    "duration": DURATION,
    "timestamp": TIMESTAMP,
    "str": STR,
    "percent": PERCENT,
}


def parse_type_name(text: str, enums: dict[str, tuple[str, ...]]) -> tuple[Type, bool] | None:
    """`int`, `money?`, `set[str]`, `OrderStatus` to (type, optional); None when unknown."""
    text = text.strip()
    optional = text.endswith("?")
    text = text.removesuffix("?").strip()
    if text.startswith("set[") and text.endswith("]"):
        inner = parse_type_name(text[4:-1], enums)
        if inner is None or inner[1]:
            return None
        return set_of(inner[0]), optional
    if text in SIMPLE_TYPES:
        return SIMPLE_TYPES[text], optional
    if text in enums:
        return enum(text), optional
    return None
