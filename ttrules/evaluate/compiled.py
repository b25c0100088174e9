"""Compiled decisions: a checked stack turned once into Python closures.

No source is generated and nothing is `eval`-ed: each expression becomes a tree of closures,
specialised where the checked types allow (a field against a literal, a field in a set of
literals, boolean structure) and otherwise calling the reference interpreter's own helpers, so
values, errors and messages are the same. The cascade is the reference's, restated over flat
per-rule tables; rules are skipped through an index on their first condition only where the
reference would also find them not matching. Decisions come without traces; when a trace is
wanted, use the reference (`cascade.decide`). Equality with the reference is tested with
hypothesis-generated stacks and cases (tests/test_compiled.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ttrules import ast
from ttrules.actions import ACTIONS, ONE_VALUED_SLOTS
from ttrules.evaluate import interpret as ref
from ttrules.evaluate.cascade import clamp, conjuncts
from ttrules.evaluate.decision import ActionValue, Clamp, Decision, RuleError, RuleRef, SettingTrace
from ttrules.evaluate.interpret import Env, EvalError, MissingSetting, MissingValue
from ttrules.evaluate.prepare import PreparedStack
from ttrules.values import Money, Percent, render_value

Fn = Callable[[Env], Any]
_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_PYTHON_ERRORS = (ArithmeticError, TypeError, ValueError, KeyError, AttributeError, RecursionError)
# Statuses, as small ints on the hot path.
MATCHED, NO_MATCH, ERRORED, NOT_APPLICABLE = range(4)


def _literal(expr: ast.Expr) -> tuple[bool, Any]:
    """(True, value) for an expression whose value is fixed (a literal or a set of them)."""
    match expr:
        case ast.StringLit(value=v) | ast.EnumLit(name=v) | ast.BoolLit(value=v):
            return True, v
        case ast.NumberLit(value=v):
            return True, int(v) if v == v.to_integral_value() and v.as_tuple().exponent == 0 else v
        case ast.MoneyLit(amount=a, currency=c):
            return True, Money(a, c)
        case ast.SetLit(items=items):
            values = [_literal(i) for i in items]
            if all(ok for ok, _ in values):
                return True, frozenset(v for _, v in values)
    return False, None


def compile_expr(expr: ast.Expr) -> Fn:
    fixed, value = _literal(expr)
    if fixed:
        return lambda env: value
    match expr:
        case ast.FieldRef(path=path):
            message = f"`{path}` is missing in this case"

            def field(env: Env) -> Any:
                try:
                    return env.values[path]
                except KeyError:
                    raise MissingValue(message) from None

            return field
        case ast.Has(target=ast.FieldRef(path=path)):
            return lambda env: path in env.values
        case ast.Compare(op=op, left=left, right=right):
            return _compare(op, left, right)
        case ast.In(item=item, collection=coll, negated=negated):
            return _membership(item, coll, negated)
        case ast.And(items=items):
            parts = [compile_expr(i) for i in items]

            def all_of(env: Env) -> bool:
                for part in parts:
                    value = part(env)
                    if value is False:
                        return False
                    if value is not True:
                        ref.truth(value)
                return True

            return all_of
        case ast.Or(items=items):
            parts = [compile_expr(i) for i in items]

            def any_of(env: Env) -> bool:
                for part in parts:
                    value = part(env)
                    if value is True:
                        return True
                    if value is not False:
                        ref.truth(value)
                return False

            return any_of
        case ast.Not(operand=operand):
            inner = compile_expr(operand)
            return lambda env: not ref.truth(inner(env))
        case ast.SettingRef(name=name):

            def setting(env: Env) -> Any:
                if name in env.setting_errors:
                    raise MissingSetting(
                        f"setting `{name}` could not be computed: {env.setting_errors[name]}"
                    )
                try:
                    return env.settings[name]
                except KeyError:
                    raise MissingSetting(f"setting `{name}` has no value for this case") from None

            return setting
        case ast.Coalesce(value=v, default=d):
            value_fn, default_fn = compile_expr(v), compile_expr(d)

            def coalesce(env: Env) -> Any:
                try:
                    return value_fn(env)
                except MissingValue:
                    return default_fn(env)

            return coalesce
        case ast.Arith(op=op, left=left, right=right):
            lf, rf = compile_expr(left), compile_expr(right)
            return lambda env: ref.arith(op, lf(env), rf(env), env)
        case ast.Between(value=v, low=lo, high=hi):
            vf, lof, hif = compile_expr(v), compile_expr(lo), compile_expr(hi)

            def between(env: Env) -> bool:
                value = vf(env)
                return ref.compare(">=", value, lof(env), env) and ref.compare("<=", value, hif(env), env)

            return between
        case ast.Neg(operand=operand):
            inner = compile_expr(operand)
            return lambda env: ref.negate(inner(env))
        case ast.Call(name=name, args=args):
            fns = [compile_expr(a) for a in args]
            return lambda env: ref.call_function(name, [f(env) for f in fns], env)
        case ast.SetLit(items=items):
            fns = [compile_expr(i) for i in items]
            return lambda env: frozenset(f(env) for f in fns)
        case ast.PercentLit(value=v):
            percent = Percent(v)
            return lambda env: percent
        case ast.DurationLit():
            duration = ref.evaluate(expr, Env({}, {}, {}, {}))
            return lambda env: duration
    return lambda env: ref.evaluate(expr, env)


def _compare(op: str, left: ast.Expr, right: ast.Expr) -> Fn:
    lf = compile_expr(left)
    fixed, literal = _literal(right)
    python_op = _OPS[op]
    if fixed and isinstance(literal, str):

        def with_text(env: Env) -> bool:
            value = lf(env)
            if type(value) is str:
                return bool(python_op(value, literal))
            return ref.compare(op, value, literal, env)

        return with_text
    if fixed and type(literal) in (int, Decimal):

        def with_number(env: Env) -> bool:
            value = lf(env)
            if type(value) in (int, Decimal):
                return bool(python_op(value, literal))
            return ref.compare(op, value, literal, env)

        return with_number
    if fixed and isinstance(literal, Money):
        # The literal in each currency it is compared in, converted as `ref.compare` does,
        # for the FX table it was converted with (one per stack: in practice never another).
        converted: dict[str, Decimal] = {}
        rates: list[Mapping[str, Decimal] | None] = [None]

        def with_money(env: Env) -> bool:
            value = lf(env)
            if type(value) is Money:
                currency = value.currency
                if currency == literal.currency:
                    return bool(python_op(value.amount, literal.amount))
                if rates[0] is not env.fx:
                    converted.clear()
                    rates[0] = env.fx
                bound = converted.get(currency)
                if bound is None and currency in env.fx and literal.currency in env.fx:
                    bound = converted[currency] = ref.convert(literal, currency, env.fx).amount
                if bound is not None:
                    return bool(python_op(value.amount, bound))
            return ref.compare(op, value, literal, env)

        return with_money
    rf = compile_expr(right)
    return lambda env: ref.compare(op, lf(env), rf(env), env)


def _membership(item: ast.Expr, collection: ast.Expr, negated: bool) -> Fn:
    item_fn = compile_expr(item)
    fixed, members = _literal(collection)
    if fixed and all(type(m) is str for m in members):

        def in_texts(env: Env) -> bool:
            value = item_fn(env)
            if type(value) is str:
                return (value in members) != negated
            found = ref.member(value, members, env)
            return not found if negated else found

        return in_texts
    coll_fn = compile_expr(collection)

    def member(env: Env) -> bool:
        found = ref.member(item_fn(env), coll_fn(env), env)
        return not found if negated else found

    return member


def evaluated(fn: Fn, env: Env) -> Any:
    try:
        return fn(env)
    except EvalError:
        raise
    except _PYTHON_ERRORS as error:
        raise EvalError(f"evaluation failed: {error}") from None


def truth_of(fn: Fn, env: Env) -> bool:
    value = evaluated(fn, env)
    if value is True or value is False:
        return value
    return ref.truth(value)


# ---- the stack --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    ref: RuleRef
    owner: int  # ruleset index
    layer: int
    priority: int
    conjuncts: tuple[Fn, ...]
    index: tuple[str, frozenset[str]] | None  # first conjunct: field must be one of these
    actions: tuple[tuple[str, str, tuple[tuple[str, Fn], ...]], ...]  # (name, slot, args)
    slots: tuple[str, ...]  # one-valued slots, in ONE_VALUED_SLOTS order
    names: frozenset[str]
    fail_closed: bool
    has_args: bool  # some action takes arguments (else they need not be evaluated)
    has_many: bool  # some action adds a tag or a notification


@dataclass(frozen=True)
class _Forbid:
    ref: RuleRef
    owner: int
    layer: int
    conjuncts: tuple[Fn, ...]
    names: frozenset[str]
    fail_closed: bool


def _index_of(conjunct: ast.Expr) -> tuple[str, frozenset[str]] | None:
    """`field == "X"` or `field in {"X", "Y"}` (enums and strings): which values can match."""
    match conjunct:
        case ast.Compare(op="==", left=ast.FieldRef(path=path), right=right):
            fixed, value = _literal(right)
            if fixed and isinstance(value, str):
                return path, frozenset({value})
        case ast.In(item=ast.FieldRef(path=path), collection=coll, negated=False):
            fixed, values = _literal(coll)
            if fixed and all(type(v) is str for v in values):
                return path, frozenset(values)
    return None


@dataclass(frozen=True)
class CompiledStack:
    prepared: PreparedStack
    applies: tuple[Fn | None, ...]
    rules: tuple[_Rule, ...]
    forbids: tuple[_Forbid, ...]
    settings: tuple[tuple[str, tuple[Any, ...], tuple[Any, ...]], ...]
    # The fields each setting's outcome depends on (its sets, limits and their rulesets'
    # `applies`; settings cannot read settings): the outcome is memoised on their values.
    setting_reads: tuple[tuple[str, ...], ...] = ()
    # Per setting: its value or a bound reads the case, so its memo key must be strict.
    setting_strict: tuple[bool, ...] = ()
    # Rules that can match, by the value of the field most rules index on (see `_dispatch`).
    dispatch: tuple[str, dict[str, tuple[int, ...]], tuple[int, ...]] | None = None
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def decide(self, values: Mapping[str, Any]) -> Decision:
        return decide_compiled(self, values)


def compile_stack(prepared: PreparedStack) -> CompiledStack:
    applies = tuple(
        compile_expr(e.ruleset.applies) if e.ruleset.applies is not None else None for e in prepared.rulesets
    )
    owner_of = {id(e.ruleset): e.index for e in prepared.rulesets}
    rules = []
    for entry in prepared.rules:
        parts = conjuncts(entry.rule.when)
        actions = []
        for action in entry.rule.actions:
            spec = ACTIONS[action.name]
            pairs = zip(spec.positional, action.args, strict=False)
            args = tuple((p.name, compile_expr(a)) for p, a in pairs)
            args += tuple((name, compile_expr(v)) for name, v in action.kwargs)
            actions.append((action.name, spec.slot, args))
        rules.append(
            _Rule(
                entry.ref,
                owner_of[id(entry.owner.ruleset)],
                entry.layer_index,
                entry.rule.priority,
                tuple(compile_expr(c) for c in parts),
                _index_of(parts[0]) if parts else None,
                tuple(actions),
                tuple(s for s in ONE_VALUED_SLOTS if s in entry.slots),
                entry.action_names,
                entry.fail_closed,
                any(args for _, _, args in actions),
                any(slot not in ONE_VALUED_SLOTS for _, slot, _ in actions),
            )
        )
    forbids = tuple(
        _Forbid(
            f.ref,
            owner_of[id(f.owner.ruleset)],
            f.owner.layer_index,
            tuple(compile_expr(c) for c in conjuncts(f.forbid.when)),
            f.actions,
            f.fail_closed,
        )
        for f in prepared.forbids
    )
    settings = []
    for name, sources in prepared.sets.items():
        sets = tuple(
            (
                s,
                owner_of[id(s.owner.ruleset)],
                s.owner.layer_index,
                compile_expr(s.stmt.when) if s.stmt.when is not None else None,
                compile_expr(s.stmt.value),
            )
            for s in sources
        )  # type: ignore[union-attr]
        limits = tuple(
            (
                s,
                owner_of[id(s.owner.ruleset)],
                s.owner.layer_index,
                compile_expr(s.stmt.when) if s.stmt.when is not None else None,
                compile_expr(s.stmt.bound),
            )
            for s in prepared.limits.get(name, ())
        )  # type: ignore[union-attr]
        settings.append((name, sets, limits))
    reads = tuple(_setting_reads(prepared, name) for name, _, _ in settings)
    strict = tuple(_setting_keeps_read_values(prepared, name) for name, _, _ in settings)
    return CompiledStack(
        prepared, applies, tuple(rules), forbids, tuple(settings), reads, strict, _dispatch(rules)
    )


def _setting_reads(prepared: PreparedStack, name: str) -> tuple[str, ...]:
    read: set[str] = set()
    for source in (*prepared.sets.get(name, ()), *prepared.limits.get(name, ())):
        stmt = source.stmt
        read |= ast.fields_read(stmt.when) | ast.fields_read(source.owner.ruleset.applies)
        read |= ast.fields_read(stmt.value if isinstance(stmt, ast.SetStmt) else stmt.bound)
    return tuple(sorted(read))


def _setting_keeps_read_values(prepared: PreparedStack, name: str) -> bool:
    sources = (*prepared.sets.get(name, ()), *prepared.limits.get(name, ()))
    return any(
        ast.fields_read(s.stmt.value if isinstance(s.stmt, ast.SetStmt) else s.stmt.bound) for s in sources
    )


def _dispatch(rules: list[_Rule]) -> tuple[str, dict[str, tuple[int, ...]], tuple[int, ...]] | None:
    """For the field most rules index their first conjunct on: per value, the positions of the
    rules that can match (those indexed on it with that value, and all the others)."""
    paths = [r.index[0] for r in rules if r.index is not None]
    if not paths:
        return None
    path = max(set(paths), key=paths.count)
    others = tuple(i for i, r in enumerate(rules) if r.index is None or r.index[0] != path)
    table: dict[str, tuple[int, ...]] = {}
    for value in {v for r in rules if r.index is not None and r.index[0] == path for v in r.index[1]}:
        table[value] = tuple(
            i for i, r in enumerate(rules) if r.index is None or r.index[0] != path or value in r.index[1]
        )
    return path, table, others


class CaseContext:
    """What one case's decision computes before matching, shared by the exact path and the
    class memo: each ruleset's `applies` (lazily) and the settings."""

    def __init__(self, compiled: CompiledStack, values: Mapping[str, Any]) -> None:
        self.compiled = compiled
        self.values = values
        self.settings_env = Env(values, {}, compiled.prepared.fx, {})
        # True/False, an error message, or None (not computed yet); rulesets without
        # `applies` start as True.
        self.applies_cache: list[bool | str | None] = [
            None if fn is not None else True for fn in compiled.applies
        ]
        self._settings: tuple[dict[str, Any], dict[str, tuple[str, Any]], dict[str, SettingTrace]] | None = (
            None
        )
        self._env: Env | None = None

    def applies(self, owner: int) -> bool | str:
        cached = self.applies_cache[owner]
        if cached is None:
            try:
                cached = truth_of(self.compiled.applies[owner], self.settings_env)  # type: ignore[arg-type]
            except EvalError as error:
                cached = f"`applies` could not be evaluated: {error}"
            self.applies_cache[owner] = cached
        return cached

    def guard(self, owner: int, when: Fn | None, env: Env) -> bool:
        state = self.applies(owner)
        if isinstance(state, str):
            raise EvalError(state)
        if not state:
            return False
        return when is None or truth_of(when, env)

    def settings(self) -> tuple[dict[str, Any], dict[str, tuple[str, Any]], dict[str, SettingTrace]]:
        """(values, errors as (message, source), traces) of every setting, exactly as
        compute_settings gives them, memoised on the values of the fields each one reads."""
        if self._settings is not None:
            return self._settings
        compiled, values = self.compiled, self.values
        setting_values: dict[str, Any] = {}
        setting_errors: dict[str, tuple[str, Any]] = {}
        traces: dict[str, SettingTrace] = {}
        memo = compiled.memo
        for position, (name, sets, limits) in enumerate(compiled.settings):
            key = (
                position,
                read_key(values, compiled.setting_reads[position], compiled.setting_strict[position]),
            )
            try:
                outcome = memo.get(key)
            except TypeError:  # an unhashable value: compute without the memo
                key, outcome = None, None
            if outcome is None:
                outcome = _setting(name, sets, limits, self.guard, self.settings_env)
                if key is not None:
                    if len(memo) > _MEMO_LIMIT:
                        memo.clear()
                    memo[key] = outcome
            value, error, trace = outcome
            traces[name] = trace
            if error is not None:
                setting_errors[name] = error
            elif value is not ABSENT:
                setting_values[name] = value
        self._settings = setting_values, setting_errors, traces
        return self._settings

    def env(self) -> Env:
        """The environment conditions and action arguments are evaluated in."""
        if self._env is None:
            setting_values, setting_errors, _ = self.settings()
            self._env = Env(
                self.values,
                setting_values,
                self.compiled.prepared.fx,
                {k: m for k, (m, _) in setting_errors.items()},
            )
        return self._env


def read_key(values: Mapping[str, Any], paths: tuple[str, ...], strict: bool) -> tuple[Any, ...]:
    """The values of `paths` in a case, as a memo key. Equal values give equal conditions, but
    not always equal values (`10.0` and `10.00` are equal, and print differently): where a
    value read is kept in the decision, the key is `strict` and tells them apart."""
    if strict:
        return tuple((type(v), repr(v)) for v in (values.get(p, ABSENT) for p in paths))
    return tuple(values.get(p, ABSENT) for p in paths)


def decide_compiled(compiled: CompiledStack, values: Mapping[str, Any]) -> Decision:
    """The reference decision (without its trace), computed over the compiled tables."""
    prepared = compiled.prepared
    context = CaseContext(compiled, values)
    applies, applies_cache = context.applies, context.applies_cache
    _, setting_errors, traces = context.settings()
    env = context.env()

    # Matching.
    rules = compiled.rules
    status = [NO_MATCH] * len(rules)
    errors_of: dict[int, str] = {}
    args_of: dict[int, list[dict[str, Any]]] = {}
    touched: list[int] = []  # rules that matched or errored, in cascade order
    for i in _candidates(compiled, values, applies):
        rule = rules[i]
        state = applies_cache[rule.owner]
        if state is None:
            state = applies(rule.owner)
        if state is not True:
            if state is False:
                status[i] = NOT_APPLICABLE
            else:
                status[i], errors_of[i] = ERRORED, state  # type: ignore[assignment]
                touched.append(i)
            continue
        index = rule.index
        if index is not None:
            value = values.get(index[0], ABSENT)
            if type(value) is str and value not in index[1]:
                continue  # the first conjunct is false: the reference stops there too
        try:
            try:
                for conjunct in rule.conjuncts:
                    holds = conjunct(env)
                    if holds is not True and (holds is False or not ref.truth(holds)):
                        break
                else:
                    status[i] = MATCHED
                    args_of[i] = (
                        [{name: evaluated(fn, env) for name, fn in args} for _, _, args in rule.actions]
                        if rule.has_args
                        else _NO_ARGS[len(rule.actions)]
                    )
            except _PYTHON_ERRORS as error:
                raise EvalError(f"evaluation failed: {error}") from None
        except EvalError as error:
            message = str(error)
            if status[i] == MATCHED:  # the conditions held; an argument failed
                message = f"an action's argument: {message}"
            status[i], errors_of[i] = ERRORED, message
        if status[i] != NO_MATCH:
            touched.append(i)

    forbid_status: list[int] = []
    forbid_errors: dict[int, str] = {}
    for j, forbid in enumerate(compiled.forbids):
        state = applies(forbid.owner)
        if isinstance(state, str):
            forbid_status.append(ERRORED)
            forbid_errors[j] = state
            continue
        if not state:
            forbid_status.append(NOT_APPLICABLE)
            continue
        try:
            holds = all(truth_of(c, env) for c in forbid.conjuncts)
            forbid_status.append(MATCHED if holds else NO_MATCH)
        except EvalError as error:
            forbid_status.append(ERRORED)
            forbid_errors[j] = str(error)

    vetoed: dict[int, _Forbid] = {}
    for j, forbid in enumerate(compiled.forbids):
        if forbid_status[j] == MATCHED or (forbid_status[j] == ERRORED and forbid.fail_closed):
            for i in touched:
                rule = rules[i]
                if (
                    rule.layer > forbid.layer
                    and i not in vetoed
                    and status[i] == MATCHED
                    and rule.names & forbid.names
                ):
                    vetoed[i] = forbid

    winners: dict[str, int] = {}
    slot_values: dict[str, Any] = {}
    held: dict[str, RuleRef] = {}
    for i in touched:  # cascade order: the first rule to claim a slot wins it
        if len(winners) == len(ONE_VALUED_SLOTS):
            break
        rule = rules[i]
        if status[i] == MATCHED:
            if i in vetoed:
                continue
            for slot in rule.slots:
                if slot in winners:
                    continue
                winners[slot] = i
                actions = rule.actions
                if slot == "fulfillment":
                    slot_values[slot] = [
                        ActionValue(name, args_of[i][k], rule.ref)
                        for k, (name, s, _) in enumerate(actions)
                        if s == slot
                    ]
                else:
                    k = next(k for k, (_, s, _) in enumerate(actions) if s == slot)
                    slot_values[slot] = ActionValue(actions[k][0], args_of[i][k], rule.ref)
        elif rule.fail_closed:  # errored in a fail-closed layer
            for slot in ("resolution", *rule.slots):
                if slot in winners:
                    continue
                winners[slot] = i
                if slot == "resolution":
                    slot_values[slot] = ActionValue("review", {}, rule.ref, fail_closed=True)
                else:
                    slot_values[slot] = None
                    held[slot] = rule.ref

    tags: list[ActionValue] = []
    notify: list[ActionValue] = []
    for i in touched:
        rule = rules[i]
        if status[i] == MATCHED and i not in vetoed and rule.has_many:
            for k, (name, slot, _) in enumerate(rule.actions):
                if slot in ONE_VALUED_SLOTS:
                    continue
                value = ActionValue(name, args_of[i][k], rule.ref)
                bucket = tags if slot == "tags" else notify
                if all((v.action, v.args) != (value.action, value.args) for v in bucket):
                    bucket.append(value)

    errors = [
        RuleError(rules[i].ref, errors_of[i], rules[i].fail_closed) for i in touched if status[i] == ERRORED
    ]
    errors += [
        RuleError(f.ref, forbid_errors[j], f.fail_closed)
        for j, f in enumerate(compiled.forbids)
        if forbid_status[j] == ERRORED
    ]
    errors += [RuleError(source.ref, message, False) for message, source in setting_errors.values()]
    overridden = [
        rules[i].ref
        for i in touched
        if status[i] == MATCHED
        and i not in vetoed
        and any(slot in winners and rules[winners[slot]].layer < rules[i].layer for slot in rules[i].slots)
    ]
    return Decision(
        case_id=str(values.get("case.id", "")),
        resolution=slot_values.get("resolution") or ActionValue(prepared.default),
        fulfillment=slot_values.get("fulfillment") or [],
        route=slot_values.get("route"),
        tags=tags,
        notify=notify,
        settings=traces,
        errors=errors,
        held=held,
        matched=[rules[i].ref for i in touched if status[i] == MATCHED],
        vetoed=[(rules[i].ref, vetoed[i].ref) for i in touched if i in vetoed],
        overridden=overridden,
    )


def _candidates(
    compiled: CompiledStack, values: Mapping[str, Any], applies: Callable[[int], bool | str]
) -> Iterable[int]:
    """Positions of the rules to visit, in cascade order. The rules left out are those whose
    first conjunct (`field == "X"` / `field in {...}`) is false for this case: the loop would
    find them not matching at once. When a ruleset's `applies` errors, every rule of it is
    errored whatever its conditions, so then all rules are visited."""
    everything = range(len(compiled.rules))
    if compiled.dispatch is None:
        return everything
    path, table, others = compiled.dispatch
    value = values.get(path, ABSENT)
    if type(value) is not str:
        return everything
    if any(isinstance(applies(owner), str) for owner, fn in enumerate(compiled.applies) if fn is not None):
        return everything
    return table.get(value, others)


def _setting(
    name: str,
    sets: tuple[Any, ...],
    limits: tuple[Any, ...],
    guard: Callable[[int, Fn | None, Env], bool],
    settings_env: Env,
) -> tuple[Any, tuple[str, Any] | None, SettingTrace]:
    """(value or ABSENT, (error, source) or None, trace) of one setting for one case."""
    chosen = None
    current = sets[0][0]
    try:
        for source, owner, _, when, value_fn in sets:
            current = source
            if guard(owner, when, settings_env):
                value = evaluated(value_fn, settings_env)
                chosen = source
                chosen_layer = source.owner.layer_index
                break
    except EvalError as error:
        return ABSENT, (str(error), current), SettingTrace(name, None, None, error=str(error))
    if chosen is None:
        return ABSENT, None, SettingTrace(name, None, None)
    clamps = []
    current = chosen
    try:
        for source, owner, layer, when, bound_fn in limits:
            current = source
            if layer > chosen_layer or not guard(owner, when, settings_env):
                continue
            bound = evaluated(bound_fn, settings_env)
            new = clamp(source.stmt.op, value, bound, settings_env)
            if new is not value:
                clamps.append(Clamp(source.ref, f"{source.stmt.op} {render_value(bound)}", value, new))
                value = new
    except EvalError as error:
        return ABSENT, (str(error), current), SettingTrace(name, None, chosen.ref, tuple(clamps), str(error))
    return value, None, SettingTrace(name, value, chosen.ref, tuple(clamps))


ABSENT = object()  # a field not in the case: a memo key of its own, never equal to a value
_MEMO_LIMIT = 100_000  # setting outcomes kept per compiled stack
# Shared argument lists for rules whose actions take no arguments (never mutated).
_NO_ARGS = [[{} for _ in range(n)] for n in range(64)]
