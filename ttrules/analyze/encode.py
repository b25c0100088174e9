"""A checked stack as SMT formulas (z3): when each rule matches, errors, is vetoed, wins a slot.

The encoding follows the reference evaluator (SPEC §4), not a simplification of it:
- a field is a value and a presence flag; fields the schema marks `required` or `default` are
  always present, the others (`expected`, `optional`, `derived`) may be missing, and reading a
  missing one is an error of the rule being evaluated;
- money is a real number in report-currency units plus the currency it is in (a literal's code,
  or one variable per money field); an operation that converts between two currencies (a
  comparison, `+`, `-`, `/`, a clamp) errors unless they are equal or both have an FX rate, as
  the evaluator does. Giving each currency without a rate its own positive scale keeps this an
  over-approximation of real cases. Durations and timestamps are real seconds, percent
  is its fraction, enum and string fields are strings (unknown raw values are legal values);
  `X in SETFIELD` is one boolean per member;
- every expression encodes to (value, ok): `ok` says it evaluates without error, with the
  reference's left-to-right, short-circuit order for `and`, `or`, `between` and conjuncts;
- settings are the first matching `set` of the strongest layer, clamped by limits.

What cannot be encoded exactly (arithmetic between two fields' products, `/` by a non-literal,
`==` between sets, `??` around an approximated value) becomes a fresh unconstrained variable.
That over-approximates the cases, so an *unsatisfiable* query still proves its claim; a
*satisfiable* one is only a candidate until a witness case is confirmed by the evaluator.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from ttrules import ast
from ttrules.actions import ONE_VALUED_SLOTS
from ttrules.evaluate.prepare import ForbidEntry, PreparedStack, RuleEntry, RulesetEntry
from ttrules.schema import types as t
from ttrules.schema.case import load_bounds
from ttrules.schema.fields import FieldSpec, Schema

SECONDS_PER_DAY = 86_400
# Bounds every loaded case satisfies: the case model's `ge`/`le`, and the derived day counts,
# which `case_values` floors at 0.
INT_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    **load_bounds(),
    "logistics.days_since_last_scan": (0, None),
    "logistics.days_late": (0, None),
}


@dataclass(frozen=True)
class Term:
    value: Any  # a z3 expression
    ok: Any  # z3 Bool: evaluates without error
    exact: bool = True  # False when part of it is approximated by a fresh variable
    currency: Any = None  # money: a z3 Int naming the currency its amount is in; else None


@dataclass(frozen=True)
class FieldVar:
    spec: FieldSpec
    value: Any
    present: Any
    currency: Any = None  # money fields: the currency of this field's amount (a z3 Int)


def _number(value: Decimal | int | Fraction) -> Any:
    fraction = Fraction(value)
    if fraction.denominator == 1:
        return z3.IntVal(fraction.numerator)
    return z3.Q(fraction.numerator, fraction.denominator)


def _true() -> Any:
    return z3.BoolVal(True)


def conjuncts(when: ast.Expr | None) -> tuple[ast.Expr, ...]:
    if when is None:
        return ()
    return when.items if isinstance(when, ast.And) else (when,)


class Encoder:
    """Formulas over one set of case variables, shared by every rule of the stack."""

    def __init__(self, prepared: PreparedStack, schema: Schema) -> None:
        self.prepared = prepared
        self.schema = schema
        self.rates = prepared.fx
        self.fields: dict[str, FieldVar] = {}
        self.members: dict[tuple[str, str], Any] = {}
        self.facts: list[Any] = []  # constraints every real case satisfies
        self._fresh = itertools.count()
        self._settings: dict[str, Term] = {}
        self._applies: dict[int, Term] = {}
        self._rules: dict[int, tuple[Any, Any, bool]] = {}
        self._derived_cache: dict[tuple[str, int, str], Any] = {}  # live, vetoed, holds
        self.lower = z3.Function("lower", z3.StringSort(), z3.StringSort())
        self._codes = {code: i for i, code in enumerate(sorted(self.rates))}

    # ---- currencies ---------------------------------------------------------------------

    # A currency is an integer: 0..k-1 the currencies with a rate in `fx` (sorted), any larger
    # one some currency without a rate (different integers, different currencies). Only identity
    # and "has a rate" matter, and integers keep the solver in linear arithmetic.

    def currency_code(self, code: str) -> Any:
        return z3.IntVal(self._codes[code])

    def _has_rate(self, currency: Any) -> Any:
        return currency < len(self._codes)

    def converts(self, a: Term, b: Term) -> Any:
        """An operation between two money values does not fail on conversion."""
        if a.currency is None or b.currency is None:
            return _true()
        return z3.Or(a.currency == b.currency, z3.And(self._has_rate(a.currency), self._has_rate(b.currency)))

    # ---- variables ----------------------------------------------------------------------

    def field(self, path: str) -> FieldVar:
        if path not in self.fields:
            spec = self.schema.fields[path]
            value = self._variable(path, spec.type)
            present = _true() if spec.always_present else z3.Bool(f"has {path}")
            currency = z3.Int(f"currency of {path}") if spec.type.kind == "money" else None
            if currency is not None:
                self.facts.append(currency >= 0)
            self.fields[path] = FieldVar(spec, value, present, currency)
            low, high = INT_BOUNDS.get(path, (None, None))
            if low is not None:
                self.facts.append(value >= low)
            if high is not None:
                self.facts.append(value <= high)
            self._derived(path)
        return self.fields[path]

    def _variable(self, name: str, type_: t.Type) -> Any:
        if type_.kind == "bool":
            return z3.Bool(name)
        if type_.kind == "int":
            return z3.Int(name)
        if type_.kind in ("str", "enum"):
            return z3.String(name)
        if type_.kind == "set":
            return None  # read through `member`
        return z3.Real(name)

    def member(self, path: str, item: str) -> Any:
        key = (path, item)
        if key not in self.members:
            self.field(path)
            self.members[key] = z3.Bool(f"{item} in {path}")
        return self.members[key]

    def _derived(self, path: str) -> None:
        """Derived fields are functions of other fields: say how, so witnesses are real cases."""
        if path == "logistics.days_since_last_scan":
            scan, now = self.field("logistics.last_scan_at"), self.field("case.now")
            var = self.fields[path]
            days = z3.ToInt((now.value - scan.value) / SECONDS_PER_DAY)
            self.facts += [
                var.present == scan.present,
                z3.Implies(scan.present, var.value == z3.If(days > 0, days, 0)),
            ]
        elif path == "logistics.days_late":
            expected = self.field("order.expected_delivery_at")
            delivered, now = self.field("order.delivered_at"), self.field("case.now")
            var = self.fields[path]
            reference = z3.If(delivered.present, delivered.value, now.value)
            days = z3.ToInt((reference - expected.value) / SECONDS_PER_DAY)
            self.facts += [
                var.present == expected.present,
                z3.Implies(expected.present, var.value == z3.If(days > 0, days, 0)),
            ]
        elif path == "logistics.late_by":  # seconds, as every duration here
            expected = self.field("order.expected_delivery_at")
            delivered, now = self.field("order.delivered_at"), self.field("case.now")
            var = self.fields[path]
            late = z3.If(delivered.present, delivered.value, now.value) - expected.value
            self.facts += [
                var.present == expected.present,
                z3.Implies(expected.present, var.value == z3.If(late > 0, late, 0)),
            ]

    def fresh(self, like: Any = None) -> Term:
        """An unconstrained stand-in for what the encoding does not model exactly."""
        n = next(self._fresh)
        sort = like.sort() if like is not None else z3.RealSort()
        return Term(z3.Const(f"approx{n}", sort), z3.Bool(f"approx{n} ok"), exact=False)

    # ---- expressions --------------------------------------------------------------------

    def term(self, expr: ast.Expr) -> Term:
        try:
            return self._term(expr)
        except (z3.Z3Exception, TypeError, ValueError, KeyError, ArithmeticError):
            return self.fresh()

    def _term(self, expr: ast.Expr) -> Term:
        match expr:
            case ast.NumberLit(value=v):
                return Term(_number(v), _true())
            case ast.PercentLit(value=v):
                return Term(_number(Fraction(v) / 100), _true())
            case ast.MoneyLit(amount=a, currency=c):
                if c not in self.rates:
                    return self.fresh()
                return Term(
                    _number(Fraction(a) * Fraction(self.rates[c])), _true(), currency=self.currency_code(c)
                )
            case ast.DurationLit(seconds=s):
                return Term(z3.RealVal(s), _true())
            case ast.StringLit(value=v) | ast.EnumLit(name=v):
                return Term(z3.StringVal(v), _true())
            case ast.BoolLit(value=v):
                return Term(z3.BoolVal(v), _true())
            case ast.FieldRef(path=p):
                var = self.field(p)
                if var.value is None:
                    return self.fresh()
                return Term(var.value, var.present, currency=var.currency)
            case ast.SettingRef(name=n):
                return self.setting(n)
            case ast.Has(target=ast.FieldRef(path=p)):
                return Term(self.field(p).present, _true())
            case ast.Not(operand=o):
                inner = self.term(o)
                return Term(z3.Not(inner.value), inner.ok, inner.exact)
            case ast.Neg(operand=o):
                inner = self.term(o)
                return Term(-inner.value, inner.ok, inner.exact, inner.currency)
            case ast.And(items=items):
                return self._sequence([self.term(i) for i in items], conjunction=True)
            case ast.Or(items=items):
                return self._sequence([self.term(i) for i in items], conjunction=False)
            case ast.Compare(op=op, left=left, right=right):
                a, b = self.term(left), self.term(right)
                return Term(
                    _compare(op, a.value, b.value),
                    z3.And(a.ok, b.ok, self.converts(a, b)),
                    a.exact and b.exact,
                )
            case ast.Between(value=v, low=lo, high=hi):
                value, low, high = self.term(v), self.term(lo), self.term(hi)
                above = value.value >= low.value
                ok = z3.And(
                    value.ok,
                    low.ok,
                    self.converts(value, low),
                    z3.Implies(above, z3.And(high.ok, self.converts(value, high))),
                )
                return Term(
                    z3.And(above, value.value <= high.value), ok, value.exact and low.exact and high.exact
                )
            case ast.In():
                return self._membership(expr)
            case ast.Coalesce(value=v, default=d):
                value, default = self.term(v), self.term(d)
                if not value.exact:  # an approximated error need not be a missing value
                    return self.fresh(default.value)
                currency = None
                if value.currency is not None and default.currency is not None:
                    currency = z3.If(value.ok, value.currency, default.currency)
                elif value.currency is not None or default.currency is not None:
                    return self.fresh(default.value)
                return Term(
                    z3.If(value.ok, value.value, default.value),
                    z3.Or(value.ok, default.ok),
                    default.exact,
                    currency,
                )
            case ast.Arith(op=op, left=left, right=right):
                return self._arith(op, self.term(left), self.term(right), right)
            case ast.Call(name=name, args=args):
                return self._call(name, [self.term(a) for a in args])
        return self.fresh()

    def _sequence(self, parts: list[Term], conjunction: bool) -> Term:
        """`and`/`or` with the reference's short-circuit: later parts are read only if reached."""
        ok = _true()
        reached = _true()
        for part in parts:
            ok = z3.And(ok, z3.Implies(reached, part.ok))
            # `and` goes on while parts are true; `or` while they are false.
            reached = z3.And(reached, part.ok, part.value if conjunction else z3.Not(part.value))
        value = reached if conjunction else z3.Not(reached)
        return Term(value, ok, all(p.exact for p in parts))

    def _membership(self, expr: ast.In) -> Term:
        item = self.term(expr.item)
        collection = expr.collection
        if isinstance(collection, ast.SetLit):
            members = [self.term(m) for m in collection.items]
            try:
                found = z3.Or([item.value == m.value for m in members]) if members else z3.BoolVal(False)
            except z3.Z3Exception:
                return self.fresh(z3.BoolVal(True))
            ok = z3.And(item.ok, *[m.ok for m in members])
            exact = item.exact and all(m.exact for m in members)
            money = [m for m in members if m.currency is not None]
            if item.currency is not None and money:
                # The evaluator compares with the members one by one in set order (which is not
                # defined), converting each: exact only when all share one currency.
                codes = {str(z3.simplify(m.currency)) for m in money}
                if len(codes) != 1 or len(money) != len(members):
                    return self.fresh(z3.BoolVal(True))
                ok = z3.And(ok, self.converts(item, money[0]))
        elif isinstance(collection, ast.FieldRef) and isinstance(expr.item, ast.StringLit | ast.EnumLit):
            name = expr.item.value if isinstance(expr.item, ast.StringLit) else expr.item.name
            var = self.field(collection.path)
            found, ok, exact = self.member(collection.path, name), var.present, True
        else:
            return self.fresh(z3.BoolVal(True))
        return Term(z3.Not(found) if expr.negated else found, ok, exact)

    def _arith(self, op: str, a: Term, b: Term, right: ast.Expr) -> Term:
        ok, exact = z3.And(a.ok, b.ok), a.exact and b.exact
        if op in "+-":  # money ± money converts the right side into the left's currency
            value = a.value + b.value if op == "+" else a.value - b.value
            return Term(value, z3.And(ok, self.converts(a, b)), exact, a.currency)
        if op == "*":
            return Term(a.value * b.value, ok, exact, a.currency if a.currency is not None else b.currency)
        constant = (
            isinstance(right, ast.NumberLit | ast.PercentLit | ast.DurationLit)
            and z3.is_rational_value(z3.simplify(b.value))
            and z3.simplify(b.value).as_fraction() != 0
        )
        if op == "/" and constant:
            return Term(a.value / b.value, ok, exact, a.currency)
        return self.fresh()  # division by a value that may be zero

    def _call(self, name: str, args: list[Term]) -> Term:
        ok = z3.And(*[a.ok for a in args]) if args else _true()
        exact = all(a.exact for a in args)
        if name in ("min", "max") and args:
            best = args[0]
            for other in args[1:]:
                better = other.value < best.value if name == "min" else other.value > best.value
                ok = z3.And(ok, self.converts(other, best))
                currency = (
                    None
                    if best.currency is None or other.currency is None
                    else z3.If(better, other.currency, best.currency)
                )
                best = Term(z3.If(better, other.value, best.value), ok, exact, currency)
            return Term(best.value, ok, exact, best.currency)
        if name == "abs" and len(args) == 1:
            v = args[0].value
            return Term(z3.If(v < 0, -v, v), ok, exact, args[0].currency)
        if name == "days" and len(args) == 1:
            return Term(args[0].value / SECONDS_PER_DAY, ok, exact)
        if name == "lower" and len(args) == 1:
            return Term(self.lower(args[0].value), ok, exact)
        return self.fresh()

    # ---- settings and rulesets ----------------------------------------------------------

    def applies(self, owner: RulesetEntry) -> Term:
        if owner.index not in self._applies:
            condition = owner.ruleset.applies
            self._applies[owner.index] = Term(_true(), _true()) if condition is None else self.term(condition)
        return self._applies[owner.index]

    def _guard(self, owner: RulesetEntry, when: ast.Expr | None) -> Term:
        applies = self.applies(owner)
        if when is None:
            return applies
        condition = self.term(when)
        return Term(
            z3.And(applies.value, condition.value),
            z3.And(applies.ok, z3.Implies(applies.value, condition.ok)),
            applies.exact and condition.exact,
        )

    def setting(self, name: str) -> Term:
        if name not in self._settings:
            self._settings[name] = self._setting(name)
        return self._settings[name]

    def _setting(self, name: str) -> Term:
        sources = self.prepared.sets.get(name, ())
        if not sources:
            return self.fresh()
        values = [self.term(s.stmt.value) for s in sources]  # type: ignore[union-attr]
        guards = [self._guard(s.owner, s.stmt.when) for s in sources]
        value = z3.FreshConst(values[0].value.sort(), f"setting {name} unset")
        ok = z3.BoolVal(False)  # no `set` matched: the setting has no value
        layer = z3.IntVal(-1)
        money = [v.currency is not None for v in values]
        if any(money) and not all(money):
            return self.fresh(values[0].value)
        currency = z3.FreshConst(z3.IntSort(), f"setting {name} currency") if all(money) else None
        for source, term, guard in reversed(list(zip(sources, values, guards, strict=True))):
            value = z3.If(guard.value, term.value, value)
            ok = z3.And(guard.ok, z3.If(guard.value, term.ok, ok))
            layer = z3.If(guard.value, z3.IntVal(source.owner.layer_index), layer)
            if currency is not None:
                currency = z3.If(guard.value, term.currency, currency)
        exact = all(v.exact for v in values) and all(g.exact for g in guards)
        for limit in self.prepared.limits.get(name, ()):
            stmt = limit.stmt
            assert isinstance(stmt, ast.LimitStmt)
            considered = z3.IntVal(limit.owner.layer_index) <= layer
            guard = self._guard(limit.owner, stmt.when)
            active = z3.And(considered, guard.value)
            if stmt.op == "in":
                if not isinstance(stmt.bound, ast.SetLit) or currency is not None:
                    return self.fresh(values[0].value)  # money `in`: converts per member, in set order
                bound = self.term(stmt.bound)  # not used as a value; its members are
                members = [self.term(m).value for m in stmt.bound.items]
                inside = z3.Or([value == m for m in members]) if members else z3.BoolVal(False)
                ok = z3.And(ok, z3.Implies(considered, guard.ok), z3.Implies(active, inside))
                exact = exact and guard.exact and bound.exact
                continue
            bound = self.term(stmt.bound)
            beyond = value > bound.value if stmt.op == "<=" else value < bound.value
            converts = self.converts(Term(value, ok, currency=currency), bound)
            ok = z3.And(ok, z3.Implies(considered, guard.ok), z3.Implies(active, z3.And(bound.ok, converts)))
            clamped = z3.And(active, beyond)
            value = z3.If(clamped, bound.value, value)
            if currency is not None and bound.currency is not None:
                currency = z3.If(clamped, bound.currency, currency)
            exact = exact and guard.exact and bound.exact
        return Term(value, ok, exact, currency)

    # ---- rules --------------------------------------------------------------------------

    def status(
        self, when: ast.Expr | None, owner: RulesetEntry, actions: tuple[ast.Action, ...] = ()
    ) -> tuple[Any, Any, bool]:
        """(matched, errored, exact) of a rule or forbid, as `match_rule` decides them."""
        applies = self.applies(owner)
        errored = z3.Not(applies.ok)
        reached = z3.And(applies.ok, applies.value)
        exact = applies.exact
        for conjunct in conjuncts(when):
            term = self.term(conjunct)
            errored = z3.Or(errored, z3.And(reached, z3.Not(term.ok)))
            reached = z3.And(reached, term.ok, term.value)
            exact = exact and term.exact
        arguments = [
            self.term(a) for action in actions for a in (*action.args, *(v for _, v in action.kwargs))
        ]
        arguments_ok = z3.And(*[a.ok for a in arguments]) if arguments else _true()
        errored = z3.Or(errored, z3.And(reached, z3.Not(arguments_ok)))
        return z3.And(reached, arguments_ok), errored, exact and all(a.exact for a in arguments)

    def rule(self, entry: RuleEntry) -> tuple[Any, Any, bool]:
        key = id(entry)
        if key not in self._rules:
            self._rules[key] = self.status(entry.rule.when, entry.owner, entry.rule.actions)
        return self._rules[key]

    def forbid(self, entry: ForbidEntry) -> tuple[Any, Any, bool]:
        key = id(entry)
        if key not in self._rules:
            self._rules[key] = self.status(entry.forbid.when, entry.owner)
        return self._rules[key]

    def forbid_active(self, forbid: ForbidEntry) -> Any:
        """The forbid vetoes: it matched, or errored in a fail-closed layer."""
        matched, errored, _ = self.forbid(forbid)
        return z3.Or(matched, errored) if forbid.fail_closed else matched

    def _cached(self, kind: str, entry: RuleEntry, slot: str, build: Any) -> Any:
        key = (kind, id(entry), slot)
        if key not in self._derived_cache:
            self._derived_cache[key] = build()
        return self._derived_cache[key]

    def vetoed(self, entry: RuleEntry) -> Any:
        def build() -> Any:
            vetoes = [
                self.forbid_active(f)
                for f in self.prepared.forbids
                if f.owner.layer_index < entry.layer_index and f.actions & entry.action_names
            ]
            return z3.Or(vetoes) if vetoes else z3.BoolVal(False)

        return self._cached("vetoed", entry, "", build)

    def live(self, entry: RuleEntry) -> Any:
        return self._cached(
            "live", entry, "", lambda: z3.And(self.rule(entry)[0], z3.Not(self.vetoed(entry)))
        )

    def holds(self, entry: RuleEntry, slot: str) -> Any:
        return self._cached("holds", entry, slot, lambda: self._holds(entry, slot))

    def _holds(self, entry: RuleEntry, slot: str) -> Any:
        """The rule claims the slot: it is live and sets it, or it errored in a fail-closed layer."""
        errored = self.rule(entry)[1]
        claims = []
        if slot in entry.slots:
            claims.append(self.live(entry))
        if entry.fail_closed and (slot == "resolution" or slot in entry.slots):
            claims.append(errored)
        return z3.Or(claims) if claims else z3.BoolVal(False)

    def wins(self, entry: RuleEntry, slot: str, competitors: list[RuleEntry]) -> Any:
        """The rule wins the slot against these earlier rules (cascade order)."""
        beaten = [self.holds(other, slot) for other in competitors]
        return z3.And(self.live(entry), z3.Not(z3.Or(beaten))) if beaten else self.live(entry)

    def takes_effect(self, entry: RuleEntry, competitors: list[RuleEntry]) -> Any:
        if entry.many:
            return self.live(entry)
        wins = [
            self.wins(entry, slot, [c for c in competitors if self._contests(c, slot)])
            for slot in ONE_VALUED_SLOTS
            if slot in entry.slots
        ]
        return z3.Or(wins) if wins else z3.BoolVal(False)

    @staticmethod
    def _contests(entry: RuleEntry, slot: str) -> bool:
        return slot in entry.slots or (entry.fail_closed and slot == "resolution")


def _compare(op: str, a: Any, b: Any) -> Any:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b
