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
memoised on the values of those fields as one integer: the bits of the rules and forbids whose
first atom in the group that is not true is false, then the same bits per position in their
conditions, then per position for errors. A case's class is a dozen dictionary look-ups and an
OR of those integers; where errors are among them, the position bits tell which come first
(`_first`) and only those need their messages. A group is not evaluated at all for a case in
which each of its rules already has an earlier atom that is not true (`_needed`), so a group
of timestamps or amounts that only a few rules read costs nothing for the other cases. Groups
of fields with few values (a request kind, a market) are looked up as one tuple after the first
cases (`_merge`).

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
from itertools import count, repeat
from operator import itemgetter
from typing import Any, NamedTuple

from ttrules import ast
from ttrules.evaluate.compiled import (
    _ABSENT,
    CaseContext,
    CompiledStack,
    Fn,
    _conjuncts,
    _safe,
    _truth,
    decide_compiled,
    read_key,
)
from ttrules.evaluate.decision import Decision
from ttrules.evaluate.interpret import EvalError, MissingValue
from ttrules.schema.fields import FieldSpec
from ttrules.values import Money

_GROUP_LIMIT = 20_000  # memoised values per group
_DECISION_LIMIT = 10_000  # decisions kept, one per class
_PATIENCE = 4_096  # look-ups before a group's hit rate is judged
_CLASS_PATIENCE = 4_096  # cases before the memo's own hit rate is judged
_MERGE_AFTER = 1_000  # cases seen before groups with few values are merged
_FEW = 64  # values a group may have to be merged
_MERGED_LIMIT = 4_096  # value combinations of the merged groups


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
    key: Callable[[tuple[Any, ...]], Any]  # the group's values, from all values read
    # Per rule or forbid with atoms here: its number and, in its order, their places in
    # `atoms` and positions in its condition.
    holders: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]
    # The position of the first atom here, per rule or forbid (as masks of them per position).
    starts: tuple[tuple[int, int], ...]
    bits: dict[Any, int] = field(default_factory=dict)
    outcomes: dict[Any, tuple[Any, ...]] = field(default_factory=dict)
    money: bool = False  # one money field: keyed by (amount, currency)
    # The bits that tell whether a case needs it (see `_needed`), and what they told so far.
    before: int = 0
    needed: dict[int, bool] = field(default_factory=dict)
    missed: int = 0
    memoised: bool = True


@dataclass(eq=False)  # compared by identity
class _Merged:
    members: tuple[_Group, ...]
    key: Callable[[tuple[Any, ...]], Any]  # from all values read
    values: Callable[[Mapping[str, Any]], Any]  # the same, from the case
    bits: dict[Any, int] = field(default_factory=dict)  # their bits OR-ed


class _Tables(NamedTuple):
    """What the fast path looks up, per kind of key (see `ClassMemo._arrange`)."""

    singles: tuple[tuple[dict[Any, int], str, _Group], ...]
    presences: tuple[tuple[dict[Any, int], str, _Group], ...]
    moneys: tuple[tuple[dict[Any, int], str, _Group], ...]
    tuples: tuple[tuple[dict[Any, int], Callable[[Mapping[str, Any]], Any], Any], ...]
    unmemoised: tuple[_Group, ...]


@dataclass(eq=False)  # compared by identity
class _Setting:
    names: tuple[str, ...]  # the settings that read the same fields
    key: Callable[[Mapping[str, Any]], Any]  # from the case
    ids: dict[Any, int] = field(default_factory=dict)


class _Case:
    """One case on the slow paths: its values read, and its context once needed."""

    def __init__(self, memo: ClassMemo, values: Mapping[str, Any]):
        self.memo, self.values = memo, values
        self._raw: tuple[Any, ...] | None = None
        self._context: CaseContext | None = None
        self.evaluated: dict[int, tuple[Any, ...]] = {}  # group -> outcomes, for this case

    @property
    def raw(self) -> tuple[Any, ...]:
        """Every value the memo reads, in the order of its paths."""
        if self._raw is None:
            self._raw = _read(self.values, self.memo._paths)
        return self._raw

    @property
    def context(self) -> CaseContext:
        if self._context is None:
            self._context = CaseContext(self.memo.compiled, self.values)
        return self._context


class ClassMemo:
    """`decide(values)`: the compiled decision, memoised per class of case (see above)."""

    def __init__(self, compiled: CompiledStack) -> None:
        self.compiled = compiled
        prepared = compiled.prepared
        schema = prepared.stack.schema
        self._width = len(compiled.rules) + len(compiled.forbids)
        setting_fields = dict(zip((name for name, _, _ in compiled.settings),
                                  compiled.setting_reads, strict=True))
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

        holders = [(r.owner, _conjuncts(e.rule.when), r.conjuncts)
                   for r, e in zip(compiled.rules, prepared.rules, strict=True)]
        holders += [(f.owner, _conjuncts(e.forbid.when), f.conjuncts)
                    for f, e in zip(compiled.forbids, prepared.forbids, strict=True)]
        for owner, exprs, fns in holders:
            order = []
            applies = compiled.applies[owner]
            if applies is not None:
                expr = prepared.rulesets[owner].ruleset.applies
                order.append(atom(("applies", owner), applies, owner, expr))
            order += [atom(("when", expr), fn, None, expr)
                      for expr, fn in zip(exprs, fns, strict=True)]
            orders.append(tuple(order))
        self._atoms = tuple(atoms)
        self._orders = tuple(orders)
        # A group's bits: the rules and forbids whose first atom here that is not true is
        # false; then, per position in a condition, the same at that position; then the same
        # for errors. Without errors, the first part is the class (see `decide`).
        self._depth = max((len(o) for o in orders), default=1) or 1
        self._all = (1 << self._width) - 1
        self._errors_from = (1 + self._depth) * self._width

        members: dict[tuple[str, ...], list[int]] = {}
        for index, read in enumerate(reads):
            members.setdefault(read, []).append(index)
        settings = [(name, compiled.setting_reads[i], compiled.setting_strict[i])
                    for i, (name, _, _) in enumerate(compiled.settings) if compiled.setting_reads[i]]
        self._paths = tuple(sorted({p for paths in (*members, *(r for _, r, _ in settings))
                                    for p in paths}))
        position = self._position = {p: i for i, p in enumerate(self._paths)}
        groups = []
        self._place: dict[int, tuple[int, int]] = {}  # atom -> (group, place in it)
        for paths, atom_list in members.items():
            slot = {a: k for k, a in enumerate(atom_list)}
            in_group = tuple((h, tuple((slot[a], at) for at, a in enumerate(order) if a in slot))
                             for h, order in enumerate(orders) if any(a in slot for a in order))
            first_at: dict[int, int] = {}
            for h, places in in_group:
                first_at[places[0][1]] = first_at.get(places[0][1], 0) | 1 << h
            self._place.update((a, (len(groups), k)) for a, k in slot.items())
            money = len(paths) == 1 and _is_money(schema.get(paths[0]))
            key = _money_keyer(position[paths[0]]) if money else _keyer([position[p] for p in paths])
            before = 0  # its rules' and forbids' bits at the positions before their first here
            for start, mask in first_at.items():
                for at in range(1, start + 1):
                    before |= mask << at * self._width | mask << (self._depth + at) * self._width
            groups.append(_Group(len(groups), paths, tuple(atom_list), key, in_group,
                                 tuple(sorted(first_at.items())), money=money, before=before))
        self._groups = tuple(groups)
        self._settings = tuple(
            _Setting(names, _strict_getter(paths) if strict else _getter(paths))
            for (paths, strict), names in _by_reads(settings).items())
        self._setting_outcomes: dict[str, int] = {}
        self._setting_numbers = count()
        self._merged: _Merged | None = None
        self._seen = 0  # cases decided
        self._learned = 0  # of them, the first of their class
        self._exact_only = False
        self._arrange()
        self._argument_rules = tuple(
            i for i, (rule, entry) in enumerate(zip(compiled.rules, prepared.rules, strict=True))
            if rule.has_args and any(ast.fields_read(a) or ast.settings_read(a)
                                     for action in entry.rule.actions
                                     for a in (*action.args, *(v for _, v in action.kwargs))))
        simple = not self._settings and not self._argument_rules
        self._plain_below = 1 << self._errors_from if simple else 0
        self._decisions: dict[Any, Decision] = {}
        self._firsts: dict[int, tuple[int, int]] = {}  # bits -> what `_first` made of them

    def _arrange(self) -> None:
        """The look-up tables of the fast path: the groups still memoised, those merged into
        one look-up (see `_merge`) as one."""
        memoised = [g for g in self._groups if g.memoised]
        table = self._merged  # read once: another thread may undo it meanwhile
        if table is not None and not all(g.memoised for g in table.members):
            self._merged = table = None
        unmemoised = tuple(g for g in self._groups if not g.memoised)
        merged = table.members if table is not None else ()
        alone = [g for g in memoised if g not in merged]
        # Groups of one field are looked up by their value, the others by a tuple of theirs.
        # (A plain loop: `map` pipelines cost more than they save over a dozen look-ups.)
        singles = tuple((g.bits, g.paths[0], g) for g in alone
                        if len(g.paths) == 1 and not g.money and g.paths[0][0] != "?")
        presences = tuple((g.bits, g.paths[0][1:], g) for g in alone
                          if len(g.paths) == 1 and g.paths[0][0] == "?")
        moneys = tuple((g.bits, g.paths[0], g) for g in alone if g.money)
        tuple_pairs: list[tuple[dict[Any, int], Callable[[Mapping[str, Any]], Any], Any]] = [
            (g.bits, _getter(g.paths), g) for g in alone if len(g.paths) != 1]
        if table is not None:
            tuple_pairs.append((table.bits, table.values, table))
        # One assignment: a thread deciding meanwhile sees the old tables or the new, never
        # half of each (which could leave a group out of its look-ups).
        self._tables = _Tables(singles, presences, moneys, tuple(tuple_pairs), unmemoised)

    def _merge(self) -> None:
        """Groups whose values are few (a request kind, a market, a flag) are looked up as one
        tuple: one look-up instead of one each. Chosen once, from what the first cases showed;
        undone if the merged look-up grows large after all."""
        # Only groups whose fields every case so far had: the merged look-up reads them
        # without a default (a case without one takes the careful way).
        few = sorted((g for g in self._groups if g.memoised and g.paths and len(g.bits) <= _FEW
                      and not any(p[0] == "?" for p in g.paths)
                      and not any(k is _ABSENT or (type(k) is tuple and _ABSENT in k)
                                  for k in g.bits)), key=lambda g: len(g.bits))
        chosen: list[_Group] = []
        product = 1
        for group in few:
            if product * max(len(group.bits), 1) > _MERGED_LIMIT:
                break
            product *= max(len(group.bits), 1)
            chosen.append(group)
        if len(chosen) > 1:
            paths = tuple(sorted({p for g in chosen for p in g.paths}))
            positions = [self._position[p] for p in paths]
            self._merged = _Merged(tuple(chosen), itemgetter(*positions), itemgetter(*paths))
        self._arrange()

    # ---- deciding ------------------------------------------------------------------------

    def decide(self, values: Mapping[str, Any]) -> Decision:
        if self._exact_only:
            return decide_compiled(self.compiled, values)
        self._seen += 1
        if self._seen == _MERGE_AFTER:
            self._merge()
        get = values.get
        bits = 0
        case = None
        pending: list[_Group] | None = None
        # A value not memoised yet raises KeyError (an unhashable one TypeError): that group
        # waits until the others are in, and is evaluated only if still needed.
        tables = self._tables
        for memo, path, group in tables.singles:
            try:
                bits |= memo[get(path, _ABSENT)]
            except (KeyError, TypeError):
                pending = [*pending, group] if pending else [group]
        for memo, path, group in tables.presences:
            try:
                bits |= memo[path in values]
            except KeyError:
                pending = [*pending, group] if pending else [group]
        for memo, path, group in tables.moneys:
            # By amount and currency: a tuple hashes without calling into Python.
            money = get(path, _ABSENT)
            try:
                bits |= memo[(money.amount, money.currency) if money is not _ABSENT else _ABSENT]
            except (KeyError, TypeError, AttributeError):  # AttributeError: not money at all
                pending = [*pending, group] if pending else [group]
        for memo, key, table in tables.tuples:
            try:
                bits |= memo[key(values)]
            except (KeyError, TypeError):
                if isinstance(table, _Group):
                    pending = [*pending, table] if pending else [table]
                else:  # the merged fields: each of them looked up
                    case = case or _Case(self, values)
                    bits |= self._lookup_merged(table, case)
        for group in pending or ():
            if self._needed(group, bits):
                case = case or _Case(self, values)
                bits |= self._lookup(group, case)
        for group in tables.unmemoised:
            if self._needed(group, bits):
                case = case or _Case(self, values)
                bits |= self._evaluate(group, case)[0]
        if bits < self._plain_below:
            # No errors, no settings or arguments to refine by: which rules and forbids have
            # an atom that is false is the class (the others match).
            key: Any = bits & self._all
        else:
            key = self._refined(case or _Case(self, values), bits)
        decision = self._decisions.get(key)
        if decision is None:
            decision = decide_compiled(self.compiled, values)
            self._learned += 1
            if self._seen >= _CLASS_PATIENCE and self._learned * 2 > self._seen:
                # Classes hardly repeat (a setting or an argument computed from an amount
                # makes each case its own): finding them costs more than it saves.
                self._exact_only = True
                self._decisions.clear()
            else:
                if len(self._decisions) >= _DECISION_LIMIT:
                    self._decisions.clear()
                self._decisions[key] = decision
        case_id = get("case.id", "")
        if case_id == decision.case_id:
            return decision
        if type(case_id) is not str:
            case_id = str(case_id)
        copy = object.__new__(Decision)
        copy.__dict__.update(decision.__dict__, case_id=case_id)
        return copy

    def _needed(self, group: _Group, bits: int) -> bool:
        """Whether a group matters to this case: not when each of its rules and forbids has an
        atom before its first one here that is not true (false, or an error: either decides
        it). Skipping it keeps the class key exact: a rule's first atom that is not true is
        still found in the bits (every atom up to it was evaluated), and a rule with a group
        skipped has one."""
        before = bits & group.before
        needed = group.needed.get(before)
        if needed is None:
            width, depth = self._width, self._depth
            needed = False
            for start, mask in group.starts:
                decided = 0
                for at in range(1, start + 1):
                    decided |= bits >> at * width | bits >> (depth + at) * width
                if mask & ~decided:
                    needed = True
                    break
            if len(group.needed) >= _GROUP_LIMIT:
                group.needed.clear()
            group.needed[before] = needed
        return needed

    def _first(self, bits: int) -> tuple[int, int]:
        """(those whose first atom that is not true errors, those with one that is not true)."""
        width, depth, full = self._width, self._depth, self._all
        seen = errored = 0
        for at in range(1, depth + 1):
            false = bits >> at * width & full
            error = bits >> (depth + at) * width & full
            errored |= error & ~seen
            seen |= false | error
        return errored, seen

    def _refined(self, case: _Case, bits: int) -> Any:
        """The class key where bits alone do not determine the decision."""
        if bits >> self._errors_from:
            firsts = self._firsts.get(bits)
            if firsts is None:
                if len(self._firsts) >= _DECISION_LIMIT:
                    self._firsts.clear()
                firsts = self._firsts[bits] = self._first(bits)
            errored, seen = firsts
        else:
            errored, seen = 0, bits & self._all
        bits = seen  # with the errors apart, which rules have an atom that is not true
        statuses = tuple(self._status(holder, case) for holder in _bits(errored))
        settings = tuple(self._setting_id(setting, case) for setting in self._settings)
        arguments = tuple(self._arguments(i, case.context) for i in self._argument_rules
                          if not seen >> i & 1)
        return bits, statuses, settings, arguments

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
        that raised them, as text)."""
        key = setting.key(case.values)
        try:
            return setting.ids[key]
        except (KeyError, TypeError):  # not memoised yet, or unhashable
            pass
        _, errors, traces = case.context.settings()
        # An error is told apart by the statement that raised it too: two limits can fail
        # with one message, and the decision names the one that failed.
        outcome = repr([(traces[name], (errors[name][0], errors[name][1].ref)
                         if name in errors else None) for name in setting.names])
        # `next` on a count is one step, so threads never hand two outcomes the same number.
        found = self._setting_outcomes.setdefault(outcome, next(self._setting_numbers))
        with contextlib.suppress(TypeError):  # an unhashable value is not memoised
            if len(setting.ids) >= _GROUP_LIMIT:
                setting.ids.clear()
            setting.ids[key] = found
        return found

    def _arguments(self, rule: int, context: CaseContext) -> tuple[int, str]:
        env = context.env()
        try:
            args = [{name: _safe(fn, env) for name, fn in arguments}
                    for _, _, arguments in self.compiled.rules[rule].actions]
        except EvalError as error:
            return rule, f"error: {error}"
        return rule, repr(args)

    # ---- classifying ---------------------------------------------------------------------

    def _lookup(self, group: _Group, case: _Case) -> int:
        """A group's bits for a case, memoising them where they may be."""
        key = group.key(case.raw)
        try:
            found = group.bits.get(key)
        except TypeError:  # an unhashable value
            key, found = None, None
        if found is None:
            group.missed += 1
            found, results, reusable = self._evaluate(group, case)
            if key is not None and reusable and group.memoised:
                self._remember(group, key, found, results)
        return found

    def _lookup_merged(self, merged: _Merged, case: _Case) -> int:
        bits = 0
        for group in merged.members:
            bits |= self._lookup(group, case)
        if self._merged is merged:  # not undone by one of those look-ups
            with contextlib.suppress(TypeError):  # an unhashable value
                merged.bits[merged.key(case.raw)] = bits
            if len(merged.bits) > _MERGED_LIMIT:
                self._merged = None  # more values than the first cases showed: one by one
                self._arrange()
        return bits

    def _outcomes(self, group: _Group, case: _Case) -> tuple[Any, ...]:
        found = case.evaluated.get(group.index)
        if found is None and group.memoised:
            with contextlib.suppress(TypeError):
                found = group.outcomes.get(group.key(case.raw))
        return found if found is not None else self._evaluate(group, case)[1]

    def _evaluate(self, group: _Group, case: _Case) -> tuple[int, tuple[Any, ...], bool]:
        """(bits, outcomes, whether they may be memoised) of one group for one case. A rule
        whose first atom here that is not true is false gets a bit of false at that atom's
        position in its condition, one that errors a bit of error there (an atom of another
        group may come before; `_first` sorts that out)."""
        context = case.context
        results = []
        reusable = True
        for index in group.atoms:
            atom = self._atoms[index]
            env = context.env() if atom.reads_settings and atom.owner is None \
                else context.settings_env
            try:
                outcome: Any = _truth(atom.fn, env)
            except EvalError as error:
                message = str(error)
                if atom.owner is not None:
                    message = f"`applies` could not be evaluated: {message}"
                outcome = _Error(message)
                reusable = reusable and type(error) is MissingValue
            results.append(outcome)
        bits = 0
        width, errors_at = self._width, self._errors_from
        for holder, places in group.holders:
            for slot, at in places:
                outcome = results[slot]
                if outcome is True:
                    continue
                if outcome is False:
                    bits |= 1 << holder | 1 << ((1 + at) * width + holder)
                else:
                    bits |= 1 << (errors_at + at * width + holder)
                break
        outcomes = case.evaluated[group.index] = tuple(results)
        return bits, outcomes, reusable

    def _remember(self, group: _Group, key: Any, bits: int, results: tuple[Any, ...]) -> None:
        if group.missed >= _PATIENCE // 2 and group.missed * 2 > self._seen:
            # Its values hardly repeat (a timestamp, an amount to the cent): stop memoising.
            group.memoised = False
            group.bits.clear()
            group.outcomes.clear()
            self._arrange()
            return
        if len(group.bits) >= _GROUP_LIMIT:
            group.bits.clear()
            group.outcomes.clear()
        group.outcomes[key] = results
        group.bits[key] = bits


def _by_reads(settings: list[tuple[str, tuple[str, ...], bool]],
              ) -> dict[tuple[tuple[str, ...], bool], tuple[str, ...]]:
    grouped: dict[tuple[tuple[str, ...], bool], tuple[str, ...]] = {}
    for name, paths, strict in settings:
        grouped[paths, strict] = (*grouped.get((paths, strict), ()), name)
    return grouped


def _keyer(positions: list[int]) -> Callable[[tuple[Any, ...]], Any]:
    """The group's key from all values read: the value itself for one field, else a tuple."""
    return itemgetter(*positions) if positions else _no_fields


def _money_keyer(position: int) -> Callable[[tuple[Any, ...]], Any]:
    def key(raw: tuple[Any, ...]) -> Any:
        money = raw[position]
        if type(money) is Money:
            return money.amount, money.currency
        # Absent, or a value of another type from a caller's own mapping: never equal to the
        # key of an amount.
        return money if money is _ABSENT else (_ABSENT, money)
    return key


def _is_money(spec: FieldSpec | None) -> bool:
    return spec is not None and spec.type.kind == "money"


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
    """The values of `paths` in a case (absent ones as _ABSENT; `?path`: whether present)."""
    return tuple(values.get(p, _ABSENT) if p[0] != "?" else p[1:] in values for p in paths)


def _getter(paths: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """The values of some fields of a case, as a tuple (as `_read` gives them)."""
    if len(paths) == 1 and paths[0][0] != "?":
        path = paths[0]
        return lambda values: (values.get(path, _ABSENT),)
    if len(paths) < 2 or any(p[0] == "?" for p in paths):
        return lambda values: _read(values, paths)
    present = itemgetter(*paths)

    def values_read(values: Mapping[str, Any]) -> tuple[Any, ...]:
        try:
            return present(values)  # type: ignore[no-any-return]
        except KeyError:
            return tuple(map(values.get, paths, repeat(_ABSENT)))
    return values_read


def _no_fields(raw: tuple[Any, ...]) -> tuple[()]:
    return ()


def _bits(mask: int) -> list[int]:
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found
