"""Compiled decisions memoised on the class of the case.

A decision depends on a case only through (1) the status of each rule and forbid (matched, not
matched, or errored and with which message), which the first of its *atoms* (the conjuncts of
its condition, after its ruleset's `applies`) that is not true decides; (2) the outcome of each
setting; (3) the arguments of actions that read the case; and (4) the case id, which it just
carries. Cases that agree on (1)-(3) form a class, and every case of a class gets the same
decision: the first case of a class is decided by the exact compiled path (`decide_compiled`)
and its decision is kept for the class.

Atoms are grouped by the fields they read (reading a setting counts as reading the fields the
setting reads; `has(x)` reads only whether `x` is there). Per group, what its atoms say is
memoised on the values of those fields as one integer: per rule and forbid, where in its
condition its first atom in the group that is not true is, and whether it is false or errors
(`_thermometer`). A case's class is a few dozen dictionary look-ups, an OR of those integers
and the numbers of the settings' outcomes, looked up in turn: a handful of integer operations
tell whether any rule's first atom that is not true errors (then its message is part of the
class, `_refined`); where none does, the rules that match and the settings' outcomes are the
class. A group is not evaluated at all for a case in which each of its rules already has an
earlier atom that is not true, so a group of timestamps or amounts that only a few
rules read costs nothing for the other cases. Groups of fields with few values (a request kind,
a market) are looked up as one tuple after the first cases (`_merge`).

Why memoising on field values is exact: case values are typed (an int field holds ints,
timestamps are UTC), so values that are equal (`==`) cannot be told apart by a true/false
condition. An error is memoised only when its message names nothing but a field (`... is
missing in this case`); any other is evaluated again for each case. Values that end up in the
decision (a setting's value, an action's argument) are compared by type and repr, so `10.0` and
`10.00` are not confused. Every memo is bounded; a group whose values hardly repeat stops being
memoised and is evaluated for each case that needs it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import count, repeat
from operator import itemgetter, methodcaller
from typing import Any, NamedTuple

from ttrules import ast
from ttrules.evaluate.cascade import conjuncts
from ttrules.evaluate.compiled import (
    ABSENT,
    CaseContext,
    CompiledStack,
    Fn,
    decide_compiled,
    evaluated,
    read_key,
    truth_of,
)
from ttrules.evaluate.decision import Decision
from ttrules.evaluate.fast_path import (
    CalledKey,
    Careful,
    DefaultedFieldKey,
    FastPath,
    FastPathPlan,
    FieldKey,
    FieldsKey,
    Key,
    Lookup,
    MoneyKey,
    NeededLookup,
    PresenceKey,
    SettingLookup,
    Unmemoised,
)
from ttrules.evaluate.interpret import EvalError, MissingValue
from ttrules.schema.fields import FieldSpec, Schema
from ttrules.values import Money

_GROUP_LIMIT = 20_000  # memoised values per group
_DECISION_LIMIT = 10_000  # decisions kept, one per class
_BITS_LIMIT = 100_000  # bits of cases kept, with the decision of their class
_PATIENCE = 4_096  # look-ups before a group's hit rate is judged
_CLASS_PATIENCE = 4_096  # cases before the memo's own hit rate is judged
_MERGE_AFTER = 1_000  # cases seen before groups with few values are merged
_FEW = 64  # values a group may have to be merged
_MERGED_LIMIT = 4_096  # value combinations of the merged groups
# Their values' product as the first cases showed: each new combination costs a look-up per
# member, so the merged look-up must pay that back within a few thousand cases.
_MERGED_PRODUCT = 256


class _Error:
    """What an atom gives when it cannot be evaluated (`message` as the exact path words it)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


@dataclass(frozen=True)
class _Atom:
    fn: Fn
    owner: int | None  # an `applies`: of this ruleset, evaluated as the exact path does
    reads_settings: bool  # else evaluated without computing the settings


@dataclass(eq=False)  # compared by identity
class _Group:
    index: int
    paths: tuple[str, ...]
    atoms: tuple[int, ...]
    key: Callable[[Mapping[str, Any]], Any]  # the group's values, from the case
    # Per rule or forbid with atoms here: its number and, in its order, their places in
    # `atoms` and positions in its condition.
    holders: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]
    bits: dict[Any, int] = field(default_factory=dict)
    outcomes: dict[Any, tuple[Any, ...]] = field(default_factory=dict)
    money: bool = False  # one money field: keyed by (amount, currency)
    # A money group's bits by currency, then amount: the fast path's look-up, without the tuple.
    by_currency: dict[str, dict[str, int]] = field(default_factory=dict)
    # Its fields are of kinds whose values repeat (no amounts, numbers, times): see `_merge`.
    repeating: bool = False
    # Whether a case needs it (see `decide`): always, or unless every bit of `decided` is set
    # (one per rule or forbid: its atom just before its first one here is not true).
    always: bool = True
    decided: int = 0
    missed: int = 0
    memoised: bool = True
    optional: bool = False  # one field, which some case has been without (see `_Tables`)


@dataclass(eq=False)  # compared by identity
class _Setting:
    names: tuple[str, ...]  # the settings that read the same fields
    paths: tuple[str, ...]  # those fields
    strict: bool  # see `read_key`
    key: Callable[[Mapping[str, Any]], Any]  # from the case
    at: int  # where its outcome's number goes in the bits of a case
    ids: dict[Any, int] = field(default_factory=dict)  # key -> that number, shifted there


@dataclass(eq=False)  # compared by identity
class _Merged:
    members: tuple[_Group, ...]
    key: Callable[[Mapping[str, Any]], Any]  # from the case, where some may be missing
    values: Callable[[Mapping[str, Any]], Any]  # the same where all are there, else KeyError
    bits: dict[Any, int] = field(default_factory=dict)  # their bits OR-ed
    # Settings that read none but their fields, looked up with them (their outcome's number
    # OR-ed in too).
    settings: tuple[_Setting, ...] = ()


_Get = Callable[[Any], "int | None"]  # a memo's `get`
_Key = Callable[[Mapping[str, Any]], Any]  # how to read a memo's key from a case


class _Tables(NamedTuple):
    """What an arrangement looks up (see `ClassMemo._arrange`), as the careful way reads it; the
    fast path is generated from the same (`fast_path.FastPathPlan`). For those a case may not
    need, the bits that tell it does not."""

    # Those every case needs: the fast path reads them strictly, and a field missing, a value
    # not memoised yet or unhashable sends the case the careful way, through these memos.
    careful: tuple[_Group | _Merged, ...]
    # Whether any of the following has anything.
    more: bool
    # The others, with the bits that tell a case does not need one (see `_more_bits`): first
    # those every case needs of one field that some case has been without (no bits tell), read
    # with a default; then those a case may not need, read strictly where they can be.
    lazy: tuple[tuple[int, _Get, _Key, _Group], ...]
    unmemoised: tuple[tuple[int, _Group], ...]
    settings: tuple[tuple[_Get, _Key, _Setting], ...]


class _Case:
    """One case on the slow paths: its context once needed."""

    def __init__(self, memo: ClassMemo, values: Mapping[str, Any]):
        self.memo, self.values = memo, values
        self._context: CaseContext | None = None
        self.evaluated: dict[int, tuple[Any, ...]] = {}  # group -> outcomes, for this case

    @property
    def context(self) -> CaseContext:
        if self._context is None:
            self._context = CaseContext(self.memo.compiled, self.values)
        return self._context


class ClassMemo:
    """`decide(values)`: the compiled decision, memoised per class of case (see above)."""

    # The generated fast path's function itself (`fast_path`): no method call in between.
    decide: Callable[[Mapping[str, Any]], Decision]

    def __init__(self, compiled: CompiledStack) -> None:
        self.compiled = compiled
        prepared = compiled.prepared
        schema = prepared.stack.schema
        self._width = len(compiled.rules) + len(compiled.forbids)
        setting_fields = dict(
            zip((name for name, _, _ in compiled.settings), compiled.setting_reads, strict=True)
        )
        atoms: list[_Atom] = []
        found: dict[Any, int] = {}  # equal conjuncts are one atom
        reads: list[tuple[str, ...]] = []
        orders: list[tuple[int, ...]] = []  # per holder, its atoms in evaluation order

        def atom(key: Any, fn: Fn, owner: int | None, expr: ast.Expr | None) -> int:
            if key not in found:
                found[key] = len(atoms)
                atoms.append(_Atom(fn, owner, bool(ast.settings_read(expr))))
                read = _reads(expr)
                for name in ast.settings_read(expr):
                    read |= set(setting_fields.get(name, ()))
                reads.append(tuple(sorted(read)))
            return found[key]

        holders = [
            (r.owner, conjuncts(e.rule.when), r.conjuncts)
            for r, e in zip(compiled.rules, prepared.rules, strict=True)
        ]
        holders += [
            (f.owner, conjuncts(e.forbid.when), f.conjuncts)
            for f, e in zip(compiled.forbids, prepared.forbids, strict=True)
        ]
        for owner, exprs, fns in holders:
            order = []
            applies = compiled.applies[owner]
            if applies is not None:
                expr = prepared.rulesets[owner].ruleset.applies
                order.append(atom(("applies", owner), applies, owner, expr))
            order += [atom(("when", expr), fn, None, expr) for expr, fn in zip(exprs, fns, strict=True)]
            orders.append(tuple(order))
        self._atoms = tuple(atoms)
        self._orders = tuple(orders)
        # The bits of a case (see `_thermometer`): per rule or forbid, `depth` bits for its
        # atoms that are false, as many for those that error, then 64 bits per setting.
        self._depth = depth = max((len(o) for o in orders), default=1) or 1
        self._errors_at = depth * self._width
        self._settings_at = 2 * self._errors_at
        self._falses = (1 << self._errors_at) - 1
        # The last bit of each: set when any of its atoms is not true.
        self._lasts = sum(1 << (h * depth + depth - 1) for h in range(self._width))

        members: dict[tuple[str, ...], list[int]] = {}
        for index, read in enumerate(reads):
            members.setdefault(read, []).append(index)
        settings = [
            (name, compiled.setting_reads[i], compiled.setting_strict[i])
            for i, (name, _, _) in enumerate(compiled.settings)
            if compiled.setting_reads[i]
        ]
        groups = []
        self._place: dict[int, tuple[int, int]] = {}  # atom -> (group, place in it)
        for paths, atom_list in members.items():
            slot = {a: k for k, a in enumerate(atom_list)}
            in_group = tuple(
                (h, tuple((slot[a], at) for at, a in enumerate(order) if a in slot))
                for h, order in enumerate(orders)
                if any(a in slot for a in order)
            )
            self._place.update((a, (len(groups), k)) for a, k in slot.items())
            money = len(paths) == 1 and _is_money(schema.get(paths[0]))
            key = _money_keyer(paths[0]) if money else _keyer(paths, schema)
            # Per rule or forbid, the bit of its atom just before its first one here.
            starts = [(h, places[0][1]) for h, places in in_group]
            repeating = all(_repeats(schema.get(p.lstrip("?"))) for p in paths)
            groups.append(
                _Group(
                    len(groups),
                    paths,
                    tuple(atom_list),
                    key,
                    in_group,
                    money=money,
                    repeating=repeating,
                    always=any(start == 0 for _, start in starts),
                    decided=sum(1 << (h * depth + start - 1) for h, start in starts if start),
                )
            )
        self._groups = tuple(groups)
        self._settings = tuple(
            _Setting(
                names,
                paths,
                strict,
                _strict_getter(paths) if strict else _keyer(paths, schema),
                self._settings_at + 64 * k,
            )
            for k, ((paths, strict), names) in enumerate(_by_reads(settings).items())
        )
        self._setting_outcomes: dict[str, int] = {}
        self._setting_numbers = count()
        self._merged: _Merged | None = None
        # Groups of `has(x)` alone: one look-up of a tuple of booleans for all of them.
        presences = tuple(g for g in groups if len(g.paths) == 1 and g.paths[0][0] == "?")
        present = tuple(g.paths[0][1:] for g in presences)
        self._presences = _Merged(presences, _contained(present), _contained(present))
        self._learned = 0  # of them, the first of their class
        self._exact_only = False
        self._merge_tried = False  # see `_classify`
        self._fast: FastPath = None  # type: ignore[assignment]  # made by the first `_arrange`
        self._by_bits: dict[int, Decision] = {}  # the bits of a case -> its class's decision
        self._arrange()
        self._argument_rules = tuple(
            i
            for i, (rule, entry) in enumerate(zip(compiled.rules, prepared.rules, strict=True))
            if rule.has_args
            and any(
                ast.fields_read(a) or ast.settings_read(a)
                for action in entry.rule.actions
                for a in (*action.args, *(v for _, v in action.kwargs))
            )
        )
        # The last bits of those rules: a case in which one is not set matched it.
        self._unmatched_argument_rules = sum(
            1 << (i * self._depth + self._depth - 1) for i in self._argument_rules
        )
        self._decisions: dict[Any, Decision] = {}
        self._rendered: dict[int, tuple[Decision, str]] = {}  # id of a class decision -> its rendering

    def _arrange(self) -> None:
        """The look-up tables of the fast path: the groups still memoised, those merged into
        one look-up (see `_merge`) as one, and the groups of `has(...)` alone as one."""
        table = self._merged  # read once: another thread may undo it meanwhile
        if table is not None and not all(g.memoised for g in table.members):
            self._merged = table = None
        merged = {*(table.members if table is not None else ()), *self._presences.members}
        alone = [g for g in self._groups if g.memoised and g not in merged]
        # Those every case needs: single fields first, then the merged look-ups, then the rest.
        careful: tuple[_Group | _Merged, ...] = (
            *(g for g in alone if g.always and _single(g) and not g.optional),
            *(t for t in (table, self._presences) if t is not None and t.members),
            *(g for g in alone if g.always and not _single(g)),
        )
        # -1: no bits can tell a case does not need it.
        lazy = (
            *((-1, g.bits.get, g.key, g) for g in alone if g.always and g.optional),
            *(
                (g.decided, g.bits.get, itemgetter(g.paths[0]) if _single(g) and not g.optional else g.key, g)
                for g in alone
                if not g.always
            ),
        )
        unmemoised = tuple((-1 if g.always else g.decided, g) for g in self._groups if not g.memoised)
        settings = tuple(
            (s.ids.get, s.key, s) for s in self._settings if table is None or s not in table.settings
        )
        tables = _Tables(careful, bool(lazy or unmemoised or settings), lazy, unmemoised, settings)
        plan = FastPathPlan(
            tuple(self._fast_lookup(t) for t in careful),
            self._by_bits,
            Careful(
                partial(self._careful_decision, tables),
                self._classify,
                self._with_case_id,
                new_case=partial(_Case, self),
                lookup=self._lookup,
                evaluate=self._evaluated_bits,
                setting_id=self._setting_id,
            ),
            needed=tuple(
                NeededLookup(needless, g.bits, self._needed_key(g), g, f"bits by {', '.join(g.paths)}")
                for needless, _, _, g in lazy
            ),
            unmemoised=tuple(
                Unmemoised(needless, g, f"{', '.join(g.paths)}, evaluated for each case (not memoised)")
                for needless, g in unmemoised
            ),
            settings=tuple(
                SettingLookup(s.ids, s.key, s, f"the outcome of {', '.join(s.names)}") for _, _, s in settings
            ),
            errors_at=self._errors_at,
            absent=ABSENT,
        )
        # One assignment each: a thread deciding meanwhile runs the old function with the old
        # tables or the new with the new, never half of each (which could leave a group out of
        # its look-ups).
        self._tables = tables
        if self._fast is None:  # type: ignore[comparison-overlap]
            self._fast = FastPath(plan)
            self.decide = self._fast.decide
        elif not self._exact_only:
            self._fast.rebuild(plan)

    def _fast_lookup(self, table: _Group | _Merged) -> Lookup:
        """How the fast path reads the key of one of the tables every case needs."""
        if table is self._presences:
            paths = tuple(g.paths[0][1:] for g in table.members)
            return Lookup(table.bits, PresenceKey(paths), f"bits by whether there are {', '.join(paths)}")
        if type(table) is _Merged:
            paths = tuple(sorted({p for g in table.members for p in g.paths}))
            return Lookup(table.bits, FieldsKey(paths), f"bits by {', '.join(paths)} (merged)")
        group: _Group = table  # type: ignore[assignment]
        label = f"bits by {', '.join(group.paths)}"
        if _single(group):
            return Lookup(group.bits, FieldKey(group.paths[0]), label)
        if group.money:
            return Lookup(group.by_currency, MoneyKey(group.paths[0]), f"{label} (by currency, then amount)")
        return Lookup(group.bits, CalledKey(group.key), label)

    @staticmethod
    def _needed_key(group: _Group) -> Key:
        """How the fast path reads the key of a table a case may not need (as `_arrange`'s
        `lazy` reads it)."""
        if _single(group):
            return DefaultedFieldKey(group.paths[0]) if group.optional else FieldKey(group.paths[0])
        return CalledKey(group.key)

    def _evaluated_bits(self, group: _Group, case: _Case) -> int:
        return self._evaluate(group, case)[0]

    def fast_path_source(self) -> str:
        """The generated fast path as Python, its tables named (what `compile --show` prints)."""
        return self._fast.source()

    def _merge(self) -> None:
        """Groups whose values are few (a request kind, a market, a flag) are looked up as one
        tuple: one look-up instead of one each. Chosen once, from what the first cases showed;
        undone if the merged look-up grows large after all."""
        # Only groups whose fields every case so far had: the merged look-up reads them
        # without a default (a case without one takes the careful way). And only fields of
        # kinds whose values repeat: a group of timestamps may have few values so far only
        # because few cases needed it, where the merged look-up needs it for all.
        few = sorted(
            (
                g
                for g in self._groups
                if g.memoised
                and g.paths
                and len(g.bits) <= _FEW
                and g.repeating
                and not any(p[0] == "?" for p in g.paths)
                and not any(k is ABSENT or (type(k) is tuple and ABSENT in k) for k in g.bits)
            ),
            key=lambda g: len(g.bits),
        )
        chosen: list[_Group] = []
        product = 1
        for group in few:
            if product * max(len(group.bits), 1) > _MERGED_PRODUCT:
                break
            product *= max(len(group.bits), 1)
            chosen.append(group)
        if len(chosen) > 1:
            paths = tuple(sorted({p for g in chosen for p in g.paths}))
            # A strict setting tells apart values the merged key does not (`10.0`, `10.00`).
            settings = tuple(s for s in self._settings if not s.strict and set(s.paths) <= set(paths))
            self._merged = _Merged(tuple(chosen), _getter(paths), itemgetter(*paths), settings=settings)
        self._arrange()

    # ---- deciding ------------------------------------------------------------------------

    def decide_rendered(
        self, values: Mapping[str, Any], render: Callable[[Decision], str]
    ) -> tuple[Decision, str]:
        """The decision, and `render` of it, which is computed once per class of case: `render`
        must not read the decision's case_id (the caller adds it)."""
        if self._exact_only:
            decision = decide_compiled(self.compiled, values)
            return decision, render(decision)
        learned = self._fast.learned(values)
        found = self._rendered.get(id(learned))
        if found is None or found[0] is not learned:
            if len(self._rendered) >= _DECISION_LIMIT:
                self._rendered.clear()
            # The decision is kept beside its rendering so that its id is never reused.
            found = self._rendered[id(learned)] = (learned, render(learned))
        return self._with_case_id(learned, values), found[1]

    @property
    def _seen(self) -> int:
        """Cases decided (counted by the fast path)."""
        return self._fast.seen()

    def _careful_decision(self, tables: _Tables, values: Mapping[str, Any]) -> Decision:
        """The class's decision for a case the fast path's look-ups missed (a field missing, a
        value not memoised yet or unhashable): through the same memos, one by one."""
        case = _Case(self, values)
        bits = self._eager_bits(tables, case)
        found: _Case | None = case
        if tables.more:
            bits, found = self._more_bits(tables, values, bits, case)
        decision = self._by_bits.get(bits)
        return decision if decision is not None else self._classify(values, bits, found)

    @staticmethod
    def _with_case_id(decision: Decision, values: Mapping[str, Any]) -> Decision:
        case_id = values.get("case.id", "")
        if case_id == decision.case_id:
            return decision
        if type(case_id) is not str:
            case_id = str(case_id)
        copy = object.__new__(Decision)
        copy.__dict__.update(decision.__dict__, case_id=case_id)
        return copy

    def _eager_bits(self, tables: _Tables, case: _Case) -> int:
        """The bits of the groups every case needs, for a case the fast path could not read."""
        bits = 0
        for table in tables.careful:
            bits |= self._lookup(table, case) if type(table) is _Group else self._lookup_merged(table, case)  # type: ignore[arg-type]
        return bits

    def _more_bits(
        self, tables: _Tables, values: Mapping[str, Any], bits: int, case: _Case | None
    ) -> tuple[int, _Case | None]:
        """The bits of the groups a case may not need (and of those it needs that some case
        has been without), and of the settings; and the case's slow-path state if it took one."""
        # A group only where needed: not when each of its rules and forbids has an atom
        # before its first one there that is not true (false, or an error: either decides
        # it), as the bits so far tell. Skipping one keeps the class exact: a rule's
        # first atom that is not true is still found in the bits (every atom up to it was
        # evaluated), and a rule with a group skipped has one.
        errors_at = self._errors_at
        not_true = bits | bits >> errors_at
        for decided, get_bits, key, group in tables.lazy:
            if not_true & decided == decided:
                continue
            try:
                found = get_bits(key(values))
            except (KeyError, TypeError):  # a field missing, an unhashable value
                found = None
            if found is None:
                case = case or _Case(self, values)
                found = self._lookup(group, case)
            bits |= found
            not_true |= found | found >> errors_at
        for decided, group in tables.unmemoised:
            if not_true & decided != decided:
                case = case or _Case(self, values)
                found = self._evaluate(group, case)[0]
                bits |= found
                not_true |= found | found >> errors_at
        for ids, key, setting in tables.settings:
            try:
                found = ids(key(values))
            except TypeError:
                found = None
            if found is None:
                case = case or _Case(self, values)
                found = self._setting_id(setting, case)
            bits |= found
        return bits, case

    def _classify(self, values: Mapping[str, Any], bits: int, case: _Case | None) -> Decision:
        """The decision of a case whose bits are not in `_by_bits`: that of its class, learned
        from this case if it is the first of it."""
        errors_at = self._errors_at
        not_true = (bits | bits >> errors_at) & self._lasts
        arguments = self._unmatched_argument_rules
        if bits >> errors_at & ~bits & self._falses or not_true & arguments != arguments:
            # A rule or forbid whose first atom that is not true errors (its message is part
            # of the class), or a rule matched whose actions' arguments read the case.
            key: Any = self._refined(case or _Case(self, values), bits)
            by_bits = False
        else:
            # Which rules and forbids have an atom that is not true, and the settings' outcomes.
            key = not_true | bits >> self._settings_at << errors_at
            by_bits = True
        if not self._merge_tried and self._seen >= _MERGE_AFTER:
            self._merge_tried = True
            self._merge()
        decision = self._decisions.get(key)
        if decision is None:
            decision = decide_compiled(self.compiled, values)
            self._learned += 1
            if self._seen >= _CLASS_PATIENCE and self._learned * 2 > self._seen:
                # Classes hardly repeat (a setting or an argument computed from an amount
                # makes each case its own): finding them costs more than it saves.
                self._exact_only = True
                self._fast.exact(partial(decide_compiled, self.compiled))
                self._decisions.clear()
                self._by_bits.clear()
                return decision
            if len(self._decisions) >= _DECISION_LIMIT:
                self._decisions.clear()
            self._decisions[key] = decision
        if by_bits:
            # Bits name a class; cases of a class differ in bits where a rule has atoms that are
            # not true after its first (they do not change its status), hence more keys.
            if len(self._by_bits) >= _BITS_LIMIT:
                self._by_bits.clear()
            self._by_bits[bits] = decision
        return decision

    def _refined(self, case: _Case, bits: int) -> Any:
        """The class key where the bits alone do not tell the decision: with the messages of
        the rules and forbids whose first atom that is not true errors, and the arguments of
        the rules that matched whose actions' arguments read the case."""
        depth, falses = self._depth, self._falses
        not_true = (bits & falses | bits >> self._errors_at) & self._lasts
        errored = (bits >> self._errors_at) & ~bits & falses
        statuses = []
        while errored:
            holder = ((errored & -errored).bit_length() - 1) // depth
            statuses.append(self._status(holder, case))
            errored &= ~(((1 << depth) - 1) << holder * depth)
        arguments = tuple(
            self._arguments(i, case.context)
            for i in self._argument_rules
            if not not_true >> (i * depth + depth - 1) & 1
        )
        return not_true, bits >> self._settings_at, tuple(statuses), arguments

    def _status(self, holder: int, case: _Case) -> tuple[int, str | None]:
        """(holder, None) when it does not match, (holder, message) when it errors: the first
        atom that is not true decides, as the exact path evaluates them in order."""
        for index in self._orders[holder]:
            group_index, slot = self._place[index]
            outcome = self._outcomes(self._groups[group_index], case)[slot]
            if outcome is True:
                continue
            return holder, outcome.message if isinstance(outcome, _Error) else None
        raise AssertionError("a rule with an error bit has an atom that is not true")

    def _setting_id(self, setting: _Setting, case: _Case) -> int:
        """A small number per outcome of the settings (their traces and errors with the statement
        that raised them, as text), shifted to the setting's place in the bits of a case."""
        key = setting.key(case.values)
        try:
            return setting.ids[key]
        except (KeyError, TypeError):  # not memoised yet, or unhashable
            pass
        _, errors, traces = case.context.settings()
        # An error is told apart by the statement that raised it too: two limits can fail
        # with one message, and the decision names the one that failed.
        outcome = repr(
            [
                (traces[name], (errors[name][0], errors[name][1].ref) if name in errors else None)
                for name in setting.names
            ]
        )
        # `next` on a count is one step, so threads never hand two outcomes the same number.
        found = self._setting_outcomes.setdefault(outcome, next(self._setting_numbers)) << setting.at
        with contextlib.suppress(TypeError):  # an unhashable value is not memoised
            if len(setting.ids) >= _GROUP_LIMIT:
                setting.ids.clear()
            setting.ids[key] = found
        return found

    def _arguments(self, rule: int, context: CaseContext) -> tuple[int, str]:
        env = context.env()
        try:
            args = [
                {name: evaluated(fn, env) for name, fn in arguments}
                for _, _, arguments in self.compiled.rules[rule].actions
            ]
        except EvalError as error:
            return rule, f"error: {error}"
        return rule, repr(args)

    # ---- classifying ---------------------------------------------------------------------

    def _lookup(self, group: _Group, case: _Case) -> int:
        """A group's bits for a case, memoising them where they may be."""
        key = group.key(case.values)
        try:
            found = group.bits.get(key)
        except TypeError:  # an unhashable value
            key, found = None, None
        if found is None:
            if key is ABSENT and not group.optional and _single(group):
                # Read with a default from now on (see `_Tables`).
                group.optional = True
                self._arrange()
            group.missed += 1
            found, results, reusable = self._evaluate(group, case)
            if key is not None and reusable and group.memoised:
                self._remember(group, key, found, results)
        return found

    def _lookup_merged(self, merged: _Merged, case: _Case) -> int:
        bits = 0
        values = case.values
        for group in merged.members:
            try:  # most members have the value memoised: a new combination of known values
                found = group.bits.get(group.key(values))
            except TypeError:
                found = None
            bits |= self._lookup(group, case) if found is None else found
        for setting in merged.settings:
            bits |= self._setting_id(setting, case)
        if merged is self._presences:
            if len(merged.bits) >= _MERGED_LIMIT:
                merged.bits.clear()
            merged.bits[merged.key(case.values)] = bits
        elif self._merged is merged:  # not undone by one of those look-ups
            with contextlib.suppress(TypeError):  # an unhashable value
                merged.bits[merged.key(case.values)] = bits
            if len(merged.bits) > _MERGED_LIMIT:
                self._merged = None  # more values than the first cases showed: one by one
                self._arrange()
        return bits

    def _outcomes(self, group: _Group, case: _Case) -> tuple[Any, ...]:
        found = case.evaluated.get(group.index)
        if found is None and group.memoised:
            with contextlib.suppress(TypeError):
                found = group.outcomes.get(group.key(case.values))
        return found if found is not None else self._evaluate(group, case)[1]

    def _evaluate(self, group: _Group, case: _Case) -> tuple[int, tuple[Any, ...], bool]:
        """(bits, outcomes, whether they may be memoised) of one group for one case: per rule
        or forbid, where its first atom here that is not true is in its condition, as false or
        as an error (see `_thermometer`; an atom of another group may come before)."""
        context = case.context
        results = []
        reusable = True
        for index in group.atoms:
            atom = self._atoms[index]
            env = context.env() if atom.reads_settings and atom.owner is None else context.settings_env
            try:
                outcome: Any = truth_of(atom.fn, env)
            except EvalError as error:
                message = str(error)
                if atom.owner is not None:
                    message = f"`applies` could not be evaluated: {message}"
                outcome = _Error(message)
                reusable = reusable and type(error) is MissingValue
            results.append(outcome)
        bits = 0
        depth = self._depth
        for holder, places in group.holders:
            for slot, at in places:
                outcome = results[slot]
                if outcome is True:
                    continue
                found = _thermometer(holder, at, depth)
                bits |= found if outcome is False else found << self._errors_at
                break
        outcomes = case.evaluated[group.index] = tuple(results)
        return bits, outcomes, reusable

    def _remember(self, group: _Group, key: Any, bits: int, results: tuple[Any, ...]) -> None:
        if group.missed >= _PATIENCE // 2 and group.missed * 2 > self._seen:
            # Its values hardly repeat (a timestamp, an amount to the cent): stop memoising.
            group.memoised = False
            group.bits.clear()
            group.by_currency.clear()
            group.outcomes.clear()
            self._arrange()
            return
        if len(group.bits) >= _GROUP_LIMIT:
            group.bits.clear()
            group.by_currency.clear()
            group.outcomes.clear()
        group.outcomes[key] = results
        group.bits[key] = bits
        if group.money and type(key) is tuple and type(key[0]) is str:
            group.by_currency.setdefault(key[1], {})[key[0]] = bits


def _thermometer(holder: int, at: int, depth: int) -> int:
    """The bits of an atom at position `at` of a rule's or forbid's condition that is not true:
    that position and every later one of the holder's `depth` bits. OR-ed over groups, the
    lowest bit set is its first atom that is not true; the holder errors when that one is in
    the errors' bits and not in the falses', which `decide` tests for all holders at once;
    and its last bit says whether it has one at all."""
    return ((1 << (depth - at)) - 1) << (holder * depth + at)


def _by_reads(
    settings: list[tuple[str, tuple[str, ...], bool]],
) -> dict[tuple[tuple[str, ...], bool], tuple[str, ...]]:
    grouped: dict[tuple[tuple[str, ...], bool], tuple[str, ...]] = {}
    for name, paths, strict in settings:
        grouped[paths, strict] = (*grouped.get((paths, strict), ()), name)
    return grouped


def _keyer(paths: tuple[str, ...], schema: Schema) -> Callable[[Mapping[str, Any]], Any]:
    """The group's key: the value itself (or whether it is there) for one field, else a tuple.
    (`methodcaller` reads it without a call into Python.)"""
    if len(paths) == 1:
        path = paths[0]
        if path[0] == "?":
            return methodcaller("__contains__", path[1:])
        return methodcaller("get", path, ABSENT)
    return _getter(paths, all(_always_present(schema, p) for p in paths))


def _money_keyer(path: str) -> Callable[[Mapping[str, Any]], Any]:
    def key(values: Mapping[str, Any]) -> Any:
        money = values.get(path, ABSENT)
        if type(money) is Money:
            # The amount as text: as exact a key, and a Decimal's first hash (each case's
            # amount is a new one) costs ~3x making and hashing its text for amounts in cents.
            return str(money.amount), money.currency
        # Absent, or a value of another type from a caller's own mapping: never equal to the
        # key of an amount.
        return money if money is ABSENT else (ABSENT, money)

    return key


def _is_money(spec: FieldSpec | None) -> bool:
    return spec is not None and spec.type.kind == "money"


def _always_present(schema: Schema, path: str) -> bool:
    spec = schema.get(path)
    return spec is not None and spec.always_present


def _repeats(spec: FieldSpec | None) -> bool:
    return spec is not None and spec.type.kind in ("bool", "enum", "set", "str")


def _strict_getter(paths: tuple[str, ...]) -> Callable[[Mapping[str, Any]], Any]:
    """A key that tells equal values of other types or forms apart (`10.0`, `10.00`)."""
    return lambda values: read_key(values, paths, strict=True)


def _reads(expr: ast.Expr | None) -> set[str]:
    """The fields an expression reads; `?path` for one it only asks `has(path)` of (its
    presence, not its value, is what the atom depends on)."""
    refs: dict[str, int] = {}
    tested: dict[str, int] = {}
    for node in ast.walk(expr) if expr is not None else ():
        if isinstance(node, ast.FieldRef):
            refs[node.path] = refs.get(node.path, 0) + 1
        elif isinstance(node, ast.Has) and isinstance(node.target, ast.FieldRef):
            tested[node.target.path] = tested.get(node.target.path, 0) + 1
    return {p if count > tested.get(p, 0) else f"?{p}" for p, count in refs.items()}


def _read(values: Mapping[str, Any], paths: tuple[str, ...]) -> tuple[Any, ...]:
    """The values of `paths` in a case (absent ones as ABSENT; `?path`: whether present)."""
    return tuple(values.get(p, ABSENT) if p[0] != "?" else p[1:] in values for p in paths)


def _getter(
    paths: tuple[str, ...],
    present_in_most: bool = True,
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """The values of some fields of a case, as a tuple (as `_read` gives them). Read at once
    where they are `present_in_most` cases (a missing one costs an exception then)."""
    if len(paths) == 1 and paths[0][0] != "?":
        path = paths[0]
        return lambda values: (values.get(path, ABSENT),)
    if len(paths) < 2 or any(p[0] == "?" for p in paths):
        return lambda values: _read(values, paths)
    if not present_in_most:
        absent = (ABSENT,) * len(paths)
        return lambda values: tuple(map(values.get, paths, absent))
    present = itemgetter(*paths)

    def values_read(values: Mapping[str, Any]) -> tuple[Any, ...]:
        try:
            return present(values)  # type: ignore[no-any-return]
        except KeyError:
            return tuple(map(values.get, paths, repeat(ABSENT)))

    return values_read


def _single(group: _Group) -> bool:
    """Looked up by the value of its one field itself."""
    return len(group.paths) == 1 and not group.money and group.paths[0][0] != "?"


def _contained(paths: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[bool, ...]]:
    return lambda values: tuple(map(values.__contains__, paths))
