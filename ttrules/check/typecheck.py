"""Static typing of expressions, with units (SPEC §3).

`infer` gives an expression's type and reports what is wrong inside it. Bare UPPERCASE enum
values have no type of their own; they are resolved against what they are compared with, so
`request.kind == CANCL` is caught with a did-you-mean. An expression already reported has the
type ERROR, which silences follow-on errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ttrules import ast
from ttrules.check.functions import FUNCTIONS
from ttrules.check.guards import present_if_false, present_if_true
from ttrules.diagnostics import Diagnostic, Severity, did_you_mean
from ttrules.i18n import N_, _
from ttrules.schema import types as t
from ttrules.schema.fields import OUTCOME_FIELDS, Schema
from ttrules.schema.reasons import category_of, reason_categories

_UNIT_HINT = {
    ("money", "number"): N_("give the number its currency, e.g. `50 USD`"),
    ("money", "int"): N_("give the number its currency, e.g. `50 USD`"),
    ("duration", "number"): N_("give the number its unit, e.g. `3d` or `12h`"),
    ("duration", "int"): N_("give the number its unit, e.g. `3d` or `12h`"),
    ("timestamp", "duration"): N_("subtract timestamps to get a duration: `case.now - order.paid_at <= 1h`"),
    ("timestamp", "int"): N_("subtract timestamps to get a duration, then compare with `2d`"),
}
_ARITH_HINT = {
    ("money", "int"): N_("give the number its currency, e.g. `5 USD`"),
    ("money", "number"): N_("give the number its currency, e.g. `5 USD`"),
    ("timestamp", "timestamp"): N_("subtract timestamps (`a - b`) to get a duration"),
    ("money", "money"): N_("multiply money by a number or a percentage"),
}


@dataclass
class Scope:
    """What an expression may refer to where it stands."""

    present: frozenset[str] = frozenset()  # optional fields proven present here
    settings_allowed: bool = True

    def with_present(self, paths: Iterable[str]) -> Scope:
        return Scope(self.present | frozenset(paths), self.settings_allowed)


@dataclass
class TypeChecker:
    schema: Schema
    settings: dict[str, t.Type]
    report_currency: str = "USD"
    fx: frozenset[str] = frozenset()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    schema_name: str = "the case schema"

    def error(
        self,
        code: str,
        message: str,
        node: ast.Node,
        label: str = "",
        help: str = "",
        severity: Severity = Severity.ERROR,
    ) -> t.Type:
        self.diagnostics.append(Diagnostic(code, message, node.span, severity, label, help))
        return t.ERROR

    # -- entry points
    def condition(self, expr: ast.Expr, scope: Scope, what: str) -> None:
        found = self.infer(expr, scope)
        if found not in (t.BOOL, t.ERROR):
            self.error(
                "TTR113",
                _("{what} must be true or false, not {found}").format(what=what, found=found.display()),
                expr,
                label=_("this is {found}").format(found=found.display()),
                help=_("compare it, e.g. `order.total > 0 USD`"),
            )

    def expect(self, expr: ast.Expr, expected: tuple[t.Type, ...], scope: Scope, what: str) -> t.Type:
        """Check that `expr` has one of `expected`; enum literals are resolved against them."""
        if isinstance(expr, ast.EnumLit):
            enums = [e for e in expected if e.kind == "enum"]
            if enums:
                return self._enum_member(expr, enums[0])
        found = self.infer(expr, scope)
        if found == t.ERROR or any(_assignable(found, e) for e in expected):
            return found
        wanted = _(" or ").join(e.display() for e in expected)
        return self.error(
            "TTR109",
            _("{what} must be {wanted}, not {found}").format(what=what, wanted=wanted, found=found.display()),
            expr,
            label=_("this is {found}").format(found=found.display()),
        )

    # -- inference
    def infer(self, expr: ast.Expr, scope: Scope, allow_optional: bool = False) -> t.Type:
        match expr:
            case ast.NumberLit(value=v):
                return t.INT if v == v.to_integral_value() and v.as_tuple().exponent == 0 else t.NUMBER
            case ast.PercentLit():
                return t.PERCENT
            case ast.MoneyLit(currency=c):
                self._check_currency(c, expr)
                return t.MONEY
            case ast.DurationLit():
                return t.DURATION
            case ast.StringLit():
                return t.STR
            case ast.BoolLit():
                return t.BOOL
            case ast.EnumLit(name=n):
                return self.error(
                    "TTR102",
                    _("`{value}` is an enum value with nothing to compare it with").format(value=n),
                    expr,
                    help=_(
                        "compare a field with it, e.g. `request.kind == {value}`; strings are written in "
                        "quotes"
                    ).format(value=n),
                )
            case ast.SetLit(items=items):
                return self._set_literal(items, scope, None)
            case ast.FieldRef():
                return self._field(expr, scope, allow_optional)
            case ast.SettingRef(name=n):
                return self._setting(n, expr, scope)
            case ast.Not(operand=o):
                self.condition(o, scope, _("the operand of `not`"))
                return t.BOOL
            case ast.Neg(operand=o):
                found = self.infer(o, scope)
                if found.kind not in ("int", "number", "percent", "money", "duration", "error"):
                    return self.error(
                        "TTR104", _("cannot negate {found}").format(found=found.display()), expr
                    )
                return found
            case ast.And(items=items) | ast.Or(items=items):
                local = scope
                side = _("each side of `and`") if isinstance(expr, ast.And) else _("each side of `or`")
                for item in items:
                    self.condition(item, local, side)
                    facts = present_if_true(item) if isinstance(expr, ast.And) else present_if_false(item)
                    local = local.with_present(facts)
                return t.BOOL
            case ast.Compare(op=op, left=left, right=right):
                self._comparison(op, left, right, expr, scope)
                return t.BOOL
            case ast.In(item=item, collection=coll):
                self._membership(item, coll, expr, scope)
                return t.BOOL
            case ast.Between(value=v, low=lo, high=hi):
                self._comparison("<=", lo, v, expr, scope)
                self._comparison("<=", v, hi, expr, scope)
                return t.BOOL
            case ast.Has(target=target):
                if not isinstance(target, ast.FieldRef):
                    return self.error(
                        "TTR118", _("`has` takes a field path"), target, help=_("e.g. `has(order.paid_at)`")
                    )
                self._field(target, scope, allow_optional=True)
                return t.BOOL
            case ast.Coalesce(value=v, default=d):
                left = self.infer(v, scope, allow_optional=True)
                right = self.infer(d, scope)
                if t.ERROR not in (left, right) and not comparable(left, right):
                    return self.error(
                        "TTR102",
                        _("`??` default is {default} but the value is {value}").format(
                            default=right.display(), value=left.display()
                        ),
                        d,
                    )
                return left
            case ast.Arith(op=op, left=left, right=right):
                return self._arith(op, left, right, expr, scope)
            case ast.Call(name=name, args=args):
                return self._call(name, args, expr, scope)
        return t.ERROR

    # -- pieces
    def _field(self, ref: ast.FieldRef, scope: Scope, allow_optional: bool) -> t.Type:
        spec = self.schema.get(ref.path)
        if spec is None:
            if ref.path in OUTCOME_FIELDS or ref.path.startswith("outcome."):
                return self.error(
                    "TTR101",
                    _("`{path}` is what happened later; rules cannot read it").format(path=ref.path),
                    ref,
                    help=_("outcome fields are for `ttrules simulate`"),
                )
            return self.error(
                "TTR101",
                _("unknown field `{path}`").format(path=ref.path),
                ref,
                label=_("not in the case schema")
                if self.schema_name == "the case schema"
                else _("not in the report figures"),
                help=did_you_mean(ref.path, self.schema.fields)
                or (
                    _("see `ttrules schema`, or declare it under `fields:` in ttrules.yaml")
                    if self.schema_name == "the case schema"
                    else _("see the figures in docs/simulation.md")
                ),
            )
        if spec.optional and not allow_optional and ref.path not in scope.present:
            self.error(
                "TTR105",
                _("`{path}` is optional and may be missing").format(path=ref.path),
                ref,
                label=_("used without a guard"),
                help=_("guard it with `has({path}) and ...` or give a default: `{path} ?? VALUE`").format(
                    path=ref.path
                ),
            )
        return spec.type

    def _setting(self, name: str, node: ast.Node, scope: Scope) -> t.Type:
        if not scope.settings_allowed:
            return self.error(
                "TTR115",
                _("setting `{name}` is read inside a setting").format(name=name),
                node,
                help=_("compute settings from case fields only"),
            )
        if name not in self.settings:
            return self.error(
                "TTR106",
                _("unknown setting `{name}`").format(name=name),
                node,
                label=_("no ruleset sets it"),
                help=did_you_mean(name, self.settings)
                or _(
                    'if you meant the text, quote it: `"{name}"`; otherwise add `set {name} = VALUE` to a'
                    " ruleset"
                ).format(name=name),
            )
        return self.settings[name]

    def _check_currency(self, currency: str, node: ast.Node) -> None:
        if currency != self.report_currency and currency not in self.fx:
            self.error(
                "TTR112",
                _("no FX rate for {currency}").format(currency=currency),
                node,
                severity=Severity.WARNING,
                label=_("report currency is {currency}").format(currency=self.report_currency),
                help=_(
                    "add `{currency}: RATE` under `fx:` in ttrules.yaml; comparing with amounts in other "
                    "currencies errors at run time"
                ).format(currency=currency),
            )

    def _enum_member(self, lit: ast.EnumLit, expected: t.Type) -> t.Type:
        members = self.schema.enums.get(expected.enum, ())
        if lit.name not in members:
            return self.error(
                "TTR103",
                _("`{value}` is not a {enum} value").format(value=lit.name, enum=expected.enum),
                lit,
                help=did_you_mean(lit.name, members)
                or _("{enum} is one of {values}").format(enum=expected.enum, values=", ".join(members)),
            )
        return expected

    def _set_literal(self, items: tuple[ast.Expr, ...], scope: Scope, element: t.Type | None) -> t.Type:
        found = element
        for item in items:
            if isinstance(item, ast.EnumLit):
                if element is not None and element.kind == "enum":
                    self._enum_member(item, element)
                elif element is not None and element != t.ERROR:
                    self._literal_mismatch(item, element)
                continue
            item_type = self.infer(item, scope)
            if found is None:
                found = item_type
            elif t.ERROR not in (found, item_type) and not comparable(found, item_type):
                mixes = _("set mixes {first} and {other}").format(
                    first=found.display(), other=item_type.display()
                )
                self.error("TTR102", mixes, item)
        return t.set_of(found or t.ERROR)

    def _literal_mismatch(self, lit: ast.EnumLit, other: t.Type) -> t.Type:
        hint = (
            _('strings are written in quotes: `"{value}"`').format(value=lit.name) if other == t.STR else ""
        )
        if other.kind == "money" and len(lit.name) == 3:
            hint = _("write an amount: `50 {currency}`").format(currency=lit.name)
        return self.error(
            "TTR102",
            _("`{value}` is an enum value, but it is compared with {other}").format(
                value=lit.name, other=other.display()
            ),
            lit,
            help=hint,
        )

    def _side(self, expr: ast.Expr, other: ast.Expr, scope: Scope) -> t.Type:
        """The type of one comparison side, resolving an enum literal against the other side."""
        if isinstance(expr, ast.EnumLit):
            other_type = self.infer(other, scope) if not isinstance(other, ast.EnumLit) else t.ERROR
            if other_type.kind == "enum":
                return self._enum_member(expr, other_type)
            if other_type != t.ERROR:
                return self._literal_mismatch(expr, other_type)
            return self.error("TTR102", _("two enum values compared with each other"), expr)
        return self.infer(expr, scope)

    def _comparison(self, op: str, left: ast.Expr, right: ast.Expr, node: ast.Node, scope: Scope) -> None:
        if isinstance(left, ast.EnumLit) or isinstance(right, ast.EnumLit):
            lit, other = (left, right) if isinstance(left, ast.EnumLit) else (right, left)
            found = self._side(lit, other, scope)
            if found != t.ERROR and op not in ("==", "!="):
                self.error(
                    "TTR102",
                    _("`{op}` does not order enum values").format(op=op),
                    node,
                    help=_("use `==`, `!=` or `in {{...}}`").format(),
                )
            return
        lt, rt = self.infer(left, scope), self.infer(right, scope)
        if t.ERROR in (lt, rt):
            return
        for reading, literal in ((left, right), (right, left)):
            self._known_reason_code(reading, literal)
        if not comparable(lt, rt):
            hint = _UNIT_HINT.get((lt.kind, rt.kind)) or _UNIT_HINT.get((rt.kind, lt.kind), "")
            self.error(
                "TTR102",
                _("cannot compare {left} with {right}").format(left=lt.display(), right=rt.display()),
                node,
                label=f"{lt.display()} {op} {rt.display()}",
                help=_(hint) if hint else "",
            )
            return
        if op not in ("==", "!=") and not (lt.is_ordered and rt.is_ordered):
            self.error(
                "TTR102",
                _("`{op}` does not order {kind} values").format(op=op, kind=lt.display()),
                node,
                help=_("use `==`, `!=` or `in {{...}}`").format()
                if lt.kind == "enum"
                else _("use `==` or `!=`"),
            )

    def _known_reason_code(self, reading: ast.Expr, literal: ast.Expr) -> None:
        """TTR126: `request.reason_code` against a code the shipped table does not have."""
        if not (
            isinstance(reading, ast.FieldRef)
            and reading.path == "request.reason_code"
            and isinstance(literal, ast.StringLit)
            and category_of(literal.value) is None
        ):
            return
        self.error(
            "TTR126",
            _("`{code}` is not a TikTok Shop reason code ttrules knows").format(code=literal.value),
            literal,
            severity=Severity.WARNING,
            help=did_you_mean(literal.value, reason_categories())
            or _("compare `request.reason` (the code's category) instead"),
        )

    def _membership(self, item: ast.Expr, coll: ast.Expr, node: ast.Node, scope: Scope) -> None:
        if isinstance(coll, ast.SetLit):
            if isinstance(item, ast.EnumLit):
                self.error("TTR102", _("an enum value tested against a set of literals"), item)
                return
            item_type = self.infer(item, scope)
            if item_type == t.ERROR:
                return
            for literal in coll.items:
                self._known_reason_code(item, literal)
            set_type = self._set_literal(coll.items, scope, item_type)
            element = set_type.element or t.ERROR
            if element != t.ERROR and item_type.kind != "enum" and not comparable(item_type, element):
                self.error("TTR102", _tested(item_type, element), node)
            return
        coll_type = self.infer(coll, scope)
        if coll_type == t.ERROR:
            return
        if coll_type.kind != "set":
            self.error(
                "TTR102",
                _("`in` needs a set on its right, not {found}").format(found=coll_type.display()),
                coll,
                help=_("write a set: `x in {{A, B}}`").format(),
            )
            return
        element = coll_type.element or t.ERROR
        if isinstance(item, ast.EnumLit):
            if element.kind == "enum":
                self._enum_member(item, element)
            elif element != t.ERROR:
                self._literal_mismatch(item, element)
            return
        item_type = self.infer(item, scope)
        if t.ERROR not in (item_type, element) and not comparable(item_type, element):
            self.error("TTR102", _tested(item_type, element), node)

    def _arith(self, op: str, left: ast.Expr, right: ast.Expr, node: ast.Node, scope: Scope) -> t.Type:
        lt, rt = self.infer(left, scope), self.infer(right, scope)
        if t.ERROR in (lt, rt):
            return t.ERROR
        result = arith_type(op, lt, rt)
        if result is None:
            hint = _ARITH_HINT.get((lt.kind, rt.kind))
            return self.error(
                "TTR104",
                _("`{op}` is not defined for {left} and {right}").format(
                    op=op, left=lt.display(), right=rt.display()
                ),
                node,
                label=f"{lt.display()} {op} {rt.display()}",
                help=_(hint) if hint else "",
            )
        return result

    def _call(self, name: str, args: tuple[ast.Expr, ...], node: ast.Node, scope: Scope) -> t.Type:
        if name == "list":  # a value list the stack could not resolve; TTR127 said why
            return t.ERROR
        if name not in FUNCTIONS:
            return self.error(
                "TTR107",
                _("unknown function `{name}`").format(name=name),
                node,
                help=did_you_mean(name, FUNCTIONS)
                or _("functions: {names}").format(names=", ".join(FUNCTIONS)),
            )
        types = [self.infer(a, scope) for a in args]
        if t.ERROR in types:
            return t.ERROR
        signature = FUNCTIONS[name]
        if name in ("min", "max"):
            if len(args) < 2:
                two = _("`{name}` needs at least two arguments").format(name=name)
                return self.error("TTR107", two, node, help=signature)
            first = types[0]
            if not first.is_ordered or any(not comparable(first, x) for x in types[1:]):
                ordered = _("`{name}` needs values of one ordered type").format(name=name)
                return self.error("TTR107", ordered, node, help=signature)
            return first if all(x == first for x in types) else t.NUMBER
        if len(args) != 1:
            one = _("`{name}` takes one argument, not {count}").format(name=name, count=len(args))
            return self.error("TTR107", one, node, help=signature)
        kind = types[0].kind
        if name == "abs" and kind in ("int", "number", "percent", "money", "duration"):
            return types[0]
        if name == "lower" and kind == "str":
            return t.STR
        if name == "days" and kind == "duration":
            return t.NUMBER
        takes = _("`{name}` does not take {found}").format(name=name, found=types[0].display())
        return self.error("TTR107", takes, node, help=signature)


def _tested(item: t.Type, element: t.Type) -> str:
    return _("{item} tested against a set of {element}").format(
        item=item.display(), element=element.display()
    )


def _assignable(found: t.Type, expected: t.Type) -> bool:
    if found == expected:
        return True
    return bool(expected.kind == "number" and found.kind in ("int", "percent"))


def comparable(a: t.Type, b: t.Type) -> bool:
    if a == b:
        return True
    if a.is_numeric and b.is_numeric:
        return True
    if a.kind == "set" and b.kind == "set":
        return (
            a.element is None
            or b.element is None
            or comparable(a.element, b.element)
            or t.ERROR in (a.element, b.element)
        )
    return False


def arith_type(op: str, a: t.Type, b: t.Type) -> t.Type | None:
    """The unit rules: the type of `a op b`, or None when the units do not work out."""
    num = ("int", "number", "percent")
    ka, kb = a.kind, b.kind
    if op in "+-":
        if ka == kb and ka in ("int", "money", "duration", "percent"):
            return a
        if ka in num and kb in num:
            return t.NUMBER
        if ka == "timestamp" and kb == "duration":
            return t.TIMESTAMP
        if op == "+" and ka == "duration" and kb == "timestamp":
            return t.TIMESTAMP
        if op == "-" and ka == kb == "timestamp":
            return t.DURATION
        return None
    if op == "*":
        if ka == kb == "int":
            return t.INT
        if ka in num and kb in num:
            return t.NUMBER
        for x, y in ((ka, kb), (kb, ka)):
            if x == "money" and y in num:
                return t.MONEY
            if x == "duration" and y in num:
                return t.DURATION
        return None
    if op == "/":
        if ka in num and kb in num:
            return t.NUMBER
        if ka in ("money", "duration") and kb in num:
            return a
        if ka == kb and ka in ("money", "duration"):
            return t.NUMBER
        return None
    return None
