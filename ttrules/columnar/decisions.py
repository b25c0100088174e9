"""A prepared stack as SQL columns: settings, rule status, vetoes and the per-slot cascade.

The same procedure as `ttrules.evaluate.cascade.decide`, written as stages of a query (each
stage a `SELECT *, … FROM` the previous one, so a column is computed once and read by name):
rulesets' `applies`; each setting's chosen `set`, then one stage per `limit` clamping it; each
rule's and forbid's matched/errored; which forbid vetoes each rule; each slot's winner (a
live rule, or a fail-closed rule that errored); then the decision as signature codes.
A slot value's signature is the one the simulation report compares (`metrics.decision_signature`),
computed once per action when the stack is compiled: only literal action arguments compile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlglot.expressions as exp

from ttrules import ast
from ttrules.actions import ACTIONS, ONE_VALUED_SLOTS
from ttrules.columnar import sql
from ttrules.columnar.sql import FALSE, TRUE, Params, and_, case, col, not_, or_
from ttrules.columnar.staging import AMOUNT_SCALE, FieldColumns
from ttrules.columnar.terms import Term, Terms, Unsupported, scale_of, unify, where
from ttrules.evaluate.cascade import action_arguments
from ttrules.evaluate.decision import ActionValue
from ttrules.evaluate.interpret import Env, EvalError
from ttrules.evaluate.prepare import PreparedStack, RuleEntry, RulesetEntry
from ttrules.schema.fields import Schema
from ttrules.simulate.metrics import decision_signature
from ttrules.values import Money, Percent

Stage = dict[str, exp.Expression]
NO_MATCH, MATCHED, ERRORED = 0, 1, 2  # a rule's or forbid's status column
Signature = tuple[Any, ...]


@dataclass
class Signatures:
    """Slot values (as the report compares them) numbered, shared by both stacks."""

    codes: dict[Signature, int] = field(default_factory=dict)

    def code(self, slot: str, value: ActionValue | list[ActionValue] | None) -> int:
        return self.codes.setdefault((slot, _slot_signature(slot, value)), len(self.codes))


def _slot_signature(slot: str, value: ActionValue | list[ActionValue] | None) -> Signature:
    from ttrules.evaluate.decision import Decision

    if slot == "resolution":
        assert isinstance(value, ActionValue)
        return decision_signature(Decision("", value))[0]  # type: ignore[no-any-return]
    if slot == "fulfillment":
        steps = value if isinstance(value, list) else []
        return decision_signature(Decision("", ActionValue("review"), fulfillment=steps))[1]  # type: ignore[no-any-return]
    route = value if isinstance(value, ActionValue) else None
    return decision_signature(Decision("", ActionValue("review"), route=route))[2]  # type: ignore[no-any-return]


@dataclass
class SideColumns:
    """Names of one stack's result columns, and what their codes mean."""

    prefix: str
    rules: list[RuleEntry]
    error_labels: list[str]  # error code -> label of what errored (rules, forbids, settings)
    forbid_labels: list[str]  # index -> "label (location)" as the report shows vetoes
    rule_status: list[tuple[str, int]]  # per rule: (status column, its error code)
    forbid_status: list[tuple[str, int]]  # per forbid: (status column, its error code)
    setting_errors: list[tuple[str, list[int]]]  # (column holding code + 1 or 0, its codes)
    vetoed_by: list[str]  # per vetoable rule: the column naming the forbid that vetoed it

    def renamed(self, names: dict[str, str]) -> SideColumns:
        """The same, reading columns another stack computed alike (see query._share)."""

        def n(column: str) -> str:
            return names.get(column, column)

        return SideColumns(
            self.prefix,
            self.rules,
            self.error_labels,
            self.forbid_labels,
            [(n(c), code) for c, code in self.rule_status],
            [(n(c), code) for c, code in self.forbid_status],
            [(n(c), codes) for c, codes in self.setting_errors],
            [n(c) for c in self.vetoed_by],
        )

    @property
    def statuses(self) -> list[str]:
        """The status columns of the rules, then of the forbids, in the order they are packed."""
        return [*(c for c, _ in self.rule_status), *(c for c, _ in self.forbid_status)]

    @property
    def packed(self) -> list[tuple[str, list[str], int, int]]:
        """How the narrow per-rule columns are packed into BIGINT columns of the decided table:
        (column, the columns it packs, bits each, offset added to each value)."""
        veto_bits = max(len(self.forbid_labels) + 1, 2).bit_length()  # vetoed by: -1 … F-1
        groups = [("stp", self.statuses, 2, 0), ("vbp", self.vetoed_by, veto_bits, 1)]
        out = []
        for tag, columns, bits, offset in groups:
            per = 62 // bits
            out += [
                (f"{self.prefix}{tag}{k // per}", columns[k : k + per], bits, offset)
                for k in range(0, len(columns), per)
            ]
        return out

    @property
    def outputs(self) -> list[str]:
        return [c for c, _ in self.setting_errors]


class SideCompiler:
    """Compiles one stack (baseline "b_" or candidate "c_") into query stages."""

    def __init__(
        self,
        prefix: str,
        prepared: PreparedStack,
        field_source: Callable[[str], FieldColumns],
        schema: Schema,
        params: Params,
        signatures: Signatures,
        once: Callable[[exp.Expression, exp.Expression], exp.Expression] | None = None,
    ) -> None:
        self.prefix = prefix
        self.prepared = prepared
        self.params = params
        self.signatures = signatures
        kinds = {path: spec.type for path, spec in schema.fields.items()}
        present = frozenset(path for path, spec in schema.fields.items() if spec.always_present)
        self.terms = Terms(field_source, kinds, params, prepared.fx, self._setting, present, once)
        self.plain = Terms(field_source, kinds, params, prepared.fx, None, present, once)
        self.stages: list[Stage] = []
        self.escapes: list[exp.Expression] = []
        self._settings: dict[str, Term] = {}
        self.error_labels: list[str] = []

    def c(self, suffix: str) -> exp.Expression:
        return col(f"{self.prefix}{suffix}")

    def _error_code(self, label: str) -> int:
        """A new code for one thing that can error (labels may repeat; the report adds up)."""
        self.error_labels.append(label)
        return len(self.error_labels) - 1

    # ---- stage 1: `applies` -------------------------------------------------------------

    def _applies_stage(self) -> Stage:
        stage: Stage = {}
        for owner in self.prepared.rulesets:
            if owner.ruleset.applies is None:
                continue
            term = self.plain.term(owner.ruleset.applies)
            self._need_bool(term, owner.ruleset.applies)
            self.escapes.append(term.escape)
            stage[f"{self.prefix}a{owner.index}_ok"] = term.ok
            stage[f"{self.prefix}a{owner.index}"] = sql.nonnull(and_(term.ok, term.value))
        return stage

    def applies(self, owner: RulesetEntry) -> tuple[exp.Expression, exp.Expression]:
        """(ok, holds) of a ruleset's `applies`."""
        if owner.ruleset.applies is None:
            return TRUE, TRUE
        return self.c(f"a{owner.index}_ok"), self.c(f"a{owner.index}")

    @staticmethod
    def _need_bool(term: Term, node: ast.Node) -> None:
        if term.kind != "bool":
            raise Unsupported(f"a condition of type {term.kind}{where(node)}")

    def _guard(self, owner: RulesetEntry, when: ast.Expr | None) -> tuple[exp.Expression, exp.Expression]:
        """(ok, holds) of a `set`/`limit` guard: `applies`, then its `when`."""
        applies_ok, applies = self.applies(owner)
        if when is None:
            return applies_ok, applies
        term = self.plain.term(when)
        self._need_bool(term, when)
        self.escapes.append(term.escape)
        ok = and_(applies_ok, or_(not_(applies), term.ok))
        return ok, and_(applies, term.ok, sql.nonnull(term.value))

    # ---- settings -----------------------------------------------------------------------

    def _settings_stages(self) -> list[Stage]:
        picks: Stage = {}
        values: Stage = {}
        limit_stages: list[Stage] = []
        for k, (name, sources) in enumerate(self.prepared.sets.items()):
            terms = [self.plain.term(s.stmt.value) for s in sources]  # type: ignore[union-attr]
            kinds = {term.kind for term in terms}
            if len(kinds) > 1 and not kinds <= {"int", "number"}:
                raise Unsupported(f"setting `{name}` set to values of different types")
            kind = terms[0].kind if len(kinds) == 1 else "number"
            limits = self.prepared.limits.get(name, ())
            bounds = [self.plain.term(limit.stmt.bound) for limit in limits]  # type: ignore[union-attr]
            scale = max([term.scale for term in terms] + [b.scale for b in bounds if b.kind != "set"])
            branches = []
            self._setting_codes[k] = []
            for i, (source, term) in enumerate(zip(sources, terms, strict=True), start=1):
                guard_ok, guard = self._guard(source.owner, source.stmt.when)
                self.escapes.append(term.escape)
                code = self._error_code(source.ref.label)
                self._setting_codes[k].append(code)
                branches += [
                    (not_(guard_ok), sql.lit(-1 - code)),
                    (and_(guard, not_(term.ok)), sql.lit(-1 - code)),
                    (guard, sql.lit(i)),
                ]
            pick = f"s{k}_pick"
            picks[self.prefix + pick] = case(branches, sql.lit(0))
            chosen = [
                (exp.EQ(this=self.c(pick), expression=sql.lit(i)), term)
                for i, term in enumerate(terms, start=1)
            ]
            values[f"{self.prefix}s{k}_v0"] = case([(w, unify(term, scale)) for w, term in chosen], sql.NULL)
            money = kind == "money"
            if money:
                values[f"{self.prefix}s{k}_c0"] = case(
                    [(w, term.currency or sql.NULL) for w, term in chosen], sql.NULL
                )
            layer = case(
                [
                    (w, sql.lit(source.owner.layer_index))
                    for (w, _), source in zip(chosen, sources, strict=True)
                ],
                sql.lit(-1),
            )
            values[f"{self.prefix}s{k}_layer"] = layer
            values[f"{self.prefix}s{k}_e0"] = case(
                [(exp.LT(this=self.c(pick), expression=sql.lit(0)), exp.Neg(this=self.c(pick)))], sql.lit(0)
            )
            step = 0
            for limit, bound in zip(limits, bounds, strict=True):
                stmt = limit.stmt
                assert isinstance(stmt, ast.LimitStmt)
                while len(limit_stages) <= step:
                    limit_stages.append({})
                limit_stages[step].update(self._limit(k, step, kind, scale, limit, stmt, bound))
                step += 1
            self._settings[name] = self._setting_term(k, step, kind, scale)
        return [picks, values, *limit_stages]

    def _limit(
        self, k: int, step: int, kind: str, scale: int, limit: Any, stmt: ast.LimitStmt, bound: Term
    ) -> Stage:
        """One `limit` applied to setting k: from columns `_v{step}` to `_v{step + 1}`."""
        value = Term(
            kind,
            self.c(f"s{k}_v{step}"),
            currency=self.c(f"s{k}_c{step}") if kind == "money" else None,
            scale=scale,
        )
        err = self.c(f"s{k}_e{step}")
        considered = and_(
            exp.EQ(this=err, expression=sql.lit(0)),
            exp.GT(this=self.c(f"s{k}_pick"), expression=sql.lit(0)),
            exp.LTE(this=sql.lit(limit.owner.layer_index), expression=self.c(f"s{k}_layer")),
        )
        guard_ok, guard = self._guard(limit.owner, stmt.when)
        self.escapes.append(bound.escape)
        code = self._error_code(limit.ref.label)
        self._setting_codes[k].append(code)
        active = and_(considered, guard)
        out: Stage = {}
        if stmt.op == "in":
            if bound.kind != "set" or kind in ("money", "set") or not isinstance(bound.value, exp.Array):
                raise Unsupported(f"`limit … in` over {kind}{where(stmt)}")
            inside = sql.member(value.value, bound.value.expressions) if bound.value.expressions else FALSE
            failed = or_(not_(guard_ok), and_(guard, or_(not_(bound.ok), not_(sql.nonnull(inside)))))
            new_value, new_currency = value.value, None
        else:
            beyond, compared = self.terms._compare_values(">" if stmt.op == "<=" else "<", value, bound, stmt)
            failed = or_(not_(guard_ok), and_(guard, or_(not_(bound.ok), not_(compared))))
            clamp = and_(active, bound.ok, compared, sql.nonnull(beyond))
            new_value = case([(clamp, unify(bound, scale))], value.value)
            new_currency = (
                case([(clamp, bound.currency or sql.NULL)], value.currency) if kind == "money" else None
            )
        out[f"{self.prefix}s{k}_v{step + 1}"] = new_value
        if kind == "money":
            out[f"{self.prefix}s{k}_c{step + 1}"] = new_currency or sql.NULL
        out[f"{self.prefix}s{k}_e{step + 1}"] = case([(and_(considered, failed), sql.lit(1 + code))], err)
        return out

    def _setting_term(self, k: int, steps: int, kind: str, scale: int) -> Term:
        ok = and_(
            exp.GT(this=self.c(f"s{k}_pick"), expression=sql.lit(0)),
            exp.EQ(this=self.c(f"s{k}_e{steps}"), expression=sql.lit(0)),
        )
        currency = self.c(f"s{k}_c{steps}") if kind == "money" else None
        self._final_steps[k] = steps
        return Term(kind, self.c(f"s{k}_v{steps}"), ok, TRUE, currency, scale=scale)

    def _setting(self, name: str, node: ast.Node) -> Term:
        if name not in self._settings:
            return Term("bool", sql.NULL, FALSE, TRUE)  # never set: always missing
        return self._settings[name]

    # ---- rules and forbids --------------------------------------------------------------

    def _status(
        self, when: ast.Expr | None, owner: RulesetEntry, actions: tuple[ast.Action, ...] = ()
    ) -> exp.Expression:
        """0 no match, 1 matched, 2 errored, as `match_rule` decides: one CASE that stops at
        the first conjunct that errors or is false, as the reference does."""
        applies_ok, applies = self.applies(owner)
        branches = [(not_(applies_ok), sql.lit(ERRORED)), (not_(applies), sql.lit(NO_MATCH))]
        for conjunct in (when.items if isinstance(when, ast.And) else (when,)) if when else ():
            term = self.terms.term(conjunct)
            self._need_bool(term, conjunct)
            self.escapes.append(term.escape)
            branches += [(not_(term.ok), sql.lit(ERRORED)), (not_(term.value), sql.lit(NO_MATCH))]
        arguments = [
            self.terms.term(a) for action in actions for a in (*action.args, *(v for _, v in action.kwargs))
        ]
        self.escapes += [a.escape for a in arguments]
        branches.append((not_(and_(*[a.ok for a in arguments])), sql.lit(ERRORED)))
        return sql.cast(case(branches, sql.lit(MATCHED)), "TINYINT")  # narrow: the table keeps it

    def _rules_stage(self) -> Stage:
        stage: Stage = {}
        for r, entry in enumerate(self.prepared.rules):
            stage[f"{self.prefix}st{r}"] = self._status(entry.rule.when, entry.owner, entry.rule.actions)
        for f, forbid in enumerate(self.prepared.forbids):
            stage[f"{self.prefix}fst{f}"] = self._status(forbid.forbid.when, forbid.owner)
        stage[f"{self.prefix}esc"] = sql.nonnull(or_(*self.escapes))
        return stage

    def _is(self, column: str, status: int) -> exp.Expression:
        return exp.EQ(this=self.c(column), expression=sql.lit(status))

    def matched(self, r: int) -> exp.Expression:
        return self._is(f"st{r}", MATCHED)

    def errored(self, r: int) -> exp.Expression:
        return self._is(f"st{r}", ERRORED)

    # ---- vetoes and the cascade ---------------------------------------------------------

    def _vetoes_stage(self) -> Stage:
        stage: Stage = {}
        for r, entry in enumerate(self.prepared.rules):
            branches = []
            for f, forbid in enumerate(self.prepared.forbids):
                if forbid.owner.layer_index < entry.layer_index and entry.action_names & forbid.actions:
                    active = self._is(f"fst{f}", MATCHED)
                    if forbid.fail_closed:
                        active = exp.GT(this=self.c(f"fst{f}"), expression=sql.lit(NO_MATCH))
                    branches.append((active, sql.lit(f)))
            if branches:
                stage[f"{self.prefix}vb{r}"] = sql.cast(
                    case([(self.matched(r), case(branches, sql.lit(-1)))], sql.lit(-1)), "SMALLINT"
                )
        return stage

    def live(self, r: int) -> exp.Expression:
        vetoed = f"{self.prefix}vb{r}"
        if vetoed in self._vetoed_columns:
            return and_(self.matched(r), exp.LT(this=col(vetoed), expression=sql.lit(0)))
        return self.matched(r)

    def _winners_stage(self) -> Stage:
        """Per slot, the first rule in cascade order that claims it: r when live, R + r when
        held by a fail-closed rule that errored, -1 for none."""
        stage: Stage = {}
        count = len(self.prepared.rules)
        for slot in ONE_VALUED_SLOTS:
            branches = []
            for r, entry in enumerate(self.prepared.rules):
                if slot in entry.slots:
                    branches.append((self.live(r), sql.lit(r)))
                if entry.fail_closed and (slot == "resolution" or slot in entry.slots):
                    branches.append((self.errored(r), sql.lit(count + r)))
            stage[f"{self.prefix}w_{slot}"] = sql.cast(case(branches, sql.lit(-1)), "SMALLINT")
        return stage

    # ---- the decision -------------------------------------------------------------------

    def _constant_args(self, entry: RuleEntry, action: ast.Action) -> dict[str, Any]:
        """The arguments of a slot action, evaluated once: they must not read the case."""
        for node in (*action.args, *(v for _, v in action.kwargs)):
            if any(isinstance(n, ast.FieldRef | ast.SettingRef) for n in ast.walk(node)):
                raise Unsupported(
                    f"`{action.name}` of rule {entry.ref.label} has an argument that "
                    f"reads the case{where(action)}"
                )
        try:
            return action_arguments(action, Env({}, {}, self.prepared.fx, {}))
        except EvalError as error:
            raise Unsupported(f"`{action.name}` of rule {entry.ref.label}: {error}") from None

    def slot_value(self, entry: RuleEntry, slot: str) -> ActionValue | list[ActionValue]:
        if slot == "fulfillment":
            return [
                ActionValue(a.name, self._constant_args(entry, a), entry.ref)
                for a in entry.rule.actions
                if ACTIONS[a.name].slot == "fulfillment"
            ]
        action = entry.slots[slot]
        return ActionValue(action.name, self._constant_args(entry, action), entry.ref)

    def _decision_stage(self) -> Stage:
        stage: Stage = {}
        count = len(self.prepared.rules)
        empty = {"resolution": ActionValue(self.prepared.default), "fulfillment": [], "route": None}
        self.resolutions: dict[int, ActionValue] = {}
        for slot in ONE_VALUED_SLOTS:
            winner = self.c(f"w_{slot}")
            branches = []
            for r, entry in enumerate(self.prepared.rules):
                if slot in entry.slots:
                    value = self.slot_value(entry, slot)
                    code = self.signatures.code(slot, value)
                    if slot == "resolution":
                        assert isinstance(value, ActionValue)
                        self.resolutions[code] = value
                    branches.append((exp.EQ(this=winner, expression=sql.lit(r)), sql.lit(code)))
            held = ActionValue("review", {}, None, fail_closed=True) if slot == "resolution" else empty[slot]
            held_code = self.signatures.code(slot, held)
            default_code = self.signatures.code(slot, empty[slot])
            if slot == "resolution":
                self.resolutions[held_code] = held  # type: ignore[assignment]
                self.resolutions[default_code] = empty[slot]  # type: ignore[assignment]
            branches.append((exp.GTE(this=winner, expression=sql.lit(count)), sql.lit(held_code)))
            stage[f"{self.prefix}{slot}"] = sql.cast(case(branches, sql.lit(default_code)), "SMALLINT")
        # What the report counts per rule is read from the status columns themselves (the
        # aggregation counts them); here only whether the record had any error or veto.
        errors = [self.errored(r) for r in range(count)]
        errors += [self._is(f"fst{f}", ERRORED) for f in range(len(self.prepared.forbids))]
        errors += [
            exp.NEQ(this=self.c(f"s{k}_e{steps}"), expression=sql.lit(0))
            for k, steps in self._final_steps.items()
        ]
        stage[f"{self.prefix}errored"] = sql.nonnull(or_(*errors))
        vetoed = [exp.GTE(this=col(name), expression=sql.lit(0)) for name in sorted(self._vetoed_columns)]
        stage[f"{self.prefix}vetoed"] = sql.nonnull(or_(*vetoed))
        self._rule_codes = [self._error_code(e.ref.label) for e in self.prepared.rules]
        self._forbid_codes = [self._error_code(f.ref.label) for f in self.prepared.forbids]
        stage[f"{self.prefix}overridden"] = sql.nonnull(or_(*self._overridden()))
        return stage

    def _overridden(self) -> list[exp.Expression]:
        """A live rule lost a slot it sets to a winner (live or held) of a stronger layer."""
        count = len(self.prepared.rules)
        out = []
        first_of_layer: dict[int, int] = {}
        for r, entry in enumerate(self.prepared.rules):
            first_of_layer.setdefault(entry.layer_index, r)
        for r, entry in enumerate(self.prepared.rules):
            losses = []
            # Rules are in cascade order, layer first: the stronger ones are a prefix.
            stronger = first_of_layer[entry.layer_index]
            if stronger == 0:
                continue
            for slot in entry.slots:
                winner = self.c(f"w_{slot}")
                live_win = exp.Between(this=winner, low=sql.lit(0), high=sql.lit(stronger - 1))
                held = exp.Between(this=winner, low=sql.lit(count), high=sql.lit(count + stronger - 1))
                losses.append(or_(live_win, held))
            if losses:
                out.append(and_(self.live(r), or_(*losses)))
        return out

    # ---- all stages ---------------------------------------------------------------------

    def compile(self) -> list[Stage]:
        self._final_steps: dict[int, int] = {}
        self._setting_codes: dict[int, list[int]] = {}
        stages = [self._applies_stage(), *self._settings_stages(), self._rules_stage()]
        vetoes = self._vetoes_stage()
        self._vetoed_columns = set(vetoes)
        stages += [vetoes, self._winners_stage(), self._decision_stage()]
        return stages

    def columns(self) -> SideColumns:
        labels = [f"{f.ref.label} ({f.ref.location})" for f in self.prepared.forbids]
        return SideColumns(
            self.prefix,
            list(self.prepared.rules),
            self.error_labels,
            labels,
            [(f"{self.prefix}st{r}", code) for r, code in enumerate(self._rule_codes)],
            [(f"{self.prefix}fst{f}", code) for f, code in enumerate(self._forbid_codes)],
            [
                (f"{self.prefix}s{k}_e{steps}", self._setting_codes[k])
                for k, steps in self._final_steps.items()
            ],
            sorted(self._vetoed_columns),
        )


def refund_terms(
    resolutions: dict[int, ActionValue],
    code: exp.Expression,
    kind: exp.Expression,
    asked: FieldColumns,
    params: Params,
    refunding: frozenset[str],
) -> tuple[exp.Expression, exp.Expression]:
    """(amount, currency) of the automatic refund of a resolution code (metrics.refund_of)."""
    amounts: list[tuple[exp.Expression, Term]] = []
    currencies = []
    assert asked.currency is not None
    requested = Term("money", asked.value, scale=AMOUNT_SCALE)
    for value_code, value in resolutions.items():
        is_it = exp.EQ(this=code, expression=sql.lit(value_code))
        if value.action in ("approve", "refund_without_return"):
            amounts.append((is_it, requested))
            currencies.append((is_it, asked.currency))
        elif value.action == "partial_refund":
            amount = value.args.get("amount")
            if isinstance(amount, Money):
                amounts.append(
                    (is_it, Term("money", params.decimal(amount.amount), scale=scale_of(amount.amount)))
                )
                currencies.append((is_it, params.text(amount.currency)))
            elif isinstance(amount, Percent):
                fraction = Decimal(amount.value) / 100
                share = exp.Mul(this=asked.value, expression=params.decimal(fraction))
                amounts.append((is_it, Term("money", share, scale=AMOUNT_SCALE + scale_of(fraction))))
                currencies.append((is_it, asked.currency))
    scale = max((term.scale for _, term in amounts), default=0)
    refunds = sql.member(kind, [params.text(k) for k in sorted(refunding)])
    unified = [(is_it, unify(term, scale)) for is_it, term in amounts]
    amount = case([(and_(refunds, sql.not_null(asked.value)), case(unified, sql.NULL))], sql.NULL)
    currency = case([(and_(refunds, sql.not_null(asked.value)), case(currencies, sql.NULL))], sql.NULL)
    return amount, currency
