"""The registry of diagnostic codes and their user documentation.

Each entry is the documentation of its code: `docs/diagnostics.md` is generated from this
table (`python -m ttrules.docgen`) and a test fails when a code lacks a section or the page is
stale. Codes are stable: never reuse a retired number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def N_(message: str) -> str:
    """Marks a text of the docs for the catalog (`i18n.N_`; this layer sits below i18n)."""
    return message


# The workspace an example runs in unless it brings its own ttrules.yaml.
EXAMPLE_CONFIG = "stack: [rules/]\ndefault: review\ncurrency: USD\nfx: {MYR: 0.22}\n"


@dataclass(frozen=True)
class Example:
    """A workspace on which the code fires: the docs show it and a test runs it, and the
    command must report this code and no other (but those in `also`)."""

    text: str  # the file the code is about
    path: str = "rules/example.ttr"
    files: tuple[tuple[str, str], ...] = ()  # the rest of the workspace (ttrules.yaml: EXAMPLE_CONFIG)
    command: tuple[str, ...] = ("check",)
    note: str = ""  # what the files do not show
    encoding: str = "utf-8"  # of `text`
    also: tuple[str, ...] = ()

    @property
    def workspace(self) -> dict[str, bytes]:
        files = {"ttrules.yaml": EXAMPLE_CONFIG.encode(), **{p: t.encode() for p, t in self.files}}
        files[self.path] = self.text.encode(self.encoding)
        return files

    def files_shown(self, limit: int = 2_000) -> list[tuple[str, str]]:
        """(path, text) as the docs print them, the file the code is about first; a generated
        file too long to read is cut."""
        shown = [(self.path, self.text), *((p, t) for p, t in self.files if p != self.path)]
        return [
            (p, t if len(t) <= limit else f"{t[:120]}… ({len(t):,} characters in all)\n") for p, t in shown
        ]

    def markdown(
        self,
        code: str,
        reports: str = "{command} reports {code}{others}.",
        others: str = " (and {codes})",
        translate: Callable[[str], str] = lambda text: text,
    ) -> str:
        """The example as the docs show it; the words around it in the language of `reports`,
        `others` and `translate` (the docs generator passes the catalog's)."""
        out = []
        for path, text in self.files_shown():
            note = f" ({translate(self.note)})" if path == self.path and self.note else ""
            out += [f"`{path}`{note}:", "", "```", text.rstrip("\n"), "```", ""]
        also = others.format(codes=", ".join(self.also)) if self.also else ""
        out.append(reports.format(command=f"`ttrules {' '.join(self.command)}`", code=code, others=also))
        return "\n".join(out)


@dataclass(frozen=True)
class CodeDoc:
    code: str
    name: str
    summary: str
    why: str
    example: Example
    fix: str


_MERCHANT = 'ruleset "example"\nlayer merchant\n\n'
_PLATFORM = 'ruleset "platform-example"\nlayer platform\n\n'
_YAML_HEADER = "ruleset: example\nlayer: merchant\n"
_TWO_LAYERS = "stack: [rules/platform/, rules/merchant/]\ndefault: review\ncurrency: USD\nfx: {MYR: 0.22}\n"
_PLATFORM_CANCEL = (
    'rule "cancel-unpaid"\n  when request.kind == CANCEL and order.status in {AWAITING_SHIPMENT, ON_HOLD}\n'
    '  then approve\n  because "an order not yet shipped may be cancelled"\n'
)
_SMALL_CANCEL = (
    _MERCHANT
    + 'rule "small-cancel-non-quality"\n  when request.kind == CANCEL and request.reason == CHANGED_MIND\n'
    '   and order.category == "home" and order.total < 30 USD\n  then approve\n  because "x"\n\n'
    'rule "big-review"\n  when order.category == "home" and order.total > 500 USD\n  then review\n'
    '  because "x"\n'
)


# A rule test of a small cancellation, its `expect:` left to each example.
_SMALL_CANCEL_TEST = (
    "tests:\n"
    "  - name: small cancellation is approved\n"
    "    case: {order: {total: 20 USD, category: home}, request: {kind: CANCEL, reason: CHANGED_MIND}}\n"
)


def _rule(name: str, when: str, then: str, because: str = "x") -> str:
    return f'rule "{name}"\n  when {when}\n  then {then}\n  because "{because}"\n'


def _layered(merchant: str, platform: str, **more: Any) -> Example:
    """A merchant file under a platform policy."""
    return Example(
        _MERCHANT + merchant,
        path="rules/merchant/example.ttr",
        files=(("ttrules.yaml", _TWO_LAYERS), ("rules/platform/policy.ttr", _PLATFORM + platform)),
        **more,
    )


def _rule_test(text: str, *options: str) -> Example:
    return Example(
        text,
        path="tests/small.yaml",
        files=(("rules/example.ttr", _SMALL_CANCEL),),
        command=("test", *options),
    )


_DOCS = [
    # ---- TTR0xx: reading and parsing files -------------------------------------------------
    CodeDoc(
        "TTR001",
        "invalid-encoding",
        N_("The file is not valid UTF-8."),
        N_(
            "Rule files are text in UTF-8 so that names in any language (Chinese rule names are "
            "normal) mean the same on every machine. A file in another encoding would be misread."
        ),
        Example(
            text=_MERCHANT
            + (
                'rule "小额取消"\n'
                "  when request.kind == CANCEL and order.total < 30 USD\n"
                "  then approve\n"
                '  because "小额取消"\n'
            ),
            encoding="gbk",
            note=N_("saved as GBK instead of UTF-8"),
        ),
        N_("Re-save the file as UTF-8 (most editors: *Save with encoding → UTF-8*)."),
    ),
    CodeDoc(
        "TTR002",
        "syntax-error",
        N_("The parser met a token it did not expect here."),
        N_("The rule cannot be understood, so none of the file can be checked or evaluated."),
        Example(text=_MERCHANT + 'rule "small-cancel"\n  when order.total < 50 USD\n  then approve,\n'),
        N_(
            "Read the `expected` list in the message; usually a missing operand, a stray comma "
            "or a keyword in the wrong place."
        ),
    ),
    CodeDoc(
        "TTR003",
        "invalid-character",
        N_("A character that cannot start any token."),
        N_("Only the characters of the language may appear outside strings and comments."),
        Example(text=_MERCHANT + 'rule "small-cancel"\n  when order.total > 50 USD ; approve\n'),
        N_('Remove the character, or put text inside a "string" or after `#`.'),
    ),
    CodeDoc(
        "TTR004",
        "invalid-string",
        N_("A string literal is unterminated or has a bad escape."),
        N_(
            'Strings end on the same line with `"` and allow JSON escapes only '
            '(`\\"`, `\\\\`, `\\n`, `\\t`, `\\uXXXX`).'
        ),
        Example(
            text=_MERCHANT
            + (
                'rule "small-cancel"\n'
                "  when order.total < 50 USD\n"
                "  then approve\n"
                '  because "buyer remorse window\n'
            )
        ),
        N_("Close the string, or escape the character."),
    ),
    CodeDoc(
        "TTR005",
        "missing-header",
        N_("A ruleset lacks its `ruleset` name or its `layer`."),
        N_(
            "The layer decides where the rules stand in the platform-override cascade; without it "
            "the evaluator cannot know whether a rule is platform policy or merchant practice."
        ),
        Example(
            text=(
                'rule "small-cancel"\n  when order.total < 50 USD\n  then approve\n  because "small orders"\n'
            )
        ),
        N_('Start the file with `ruleset "name"` and `layer merchant` (or the layer it belongs to).'),
    ),
    CodeDoc(
        "TTR006",
        "duplicate-clause",
        N_("A rule or statement repeats a clause such as `when`."),
        N_("Two `when` clauses would be ambiguous (both? either?); ttrules refuses to guess."),
        Example(
            text=_MERCHANT
            + (
                'rule "small-cancel"\n'
                "  when request.kind == CANCEL\n"
                "  when order.total < 50 USD\n"
                "  then approve\n"
                '  because "small orders"\n'
            )
        ),
        N_("Join the conditions with `and` in one `when`."),
    ),
    CodeDoc(
        "TTR007",
        "missing-then",
        N_("A rule has no `then` actions."),
        N_("A rule that decides nothing is almost always a mistake in an edit."),
        Example(
            text=_MERCHANT + 'rule "small-cancel"\n  when request.kind == CANCEL\n  because "small orders"\n'
        ),
        N_("Add `then ACTION`, or delete the rule."),
    ),
    CodeDoc(
        "TTR008",
        "too-deep",
        N_("An expression is nested too deeply."),
        N_(
            "Rules are read from untrusted files; a bound on nesting keeps checking and evaluation "
            "fast and safe. No real policy needs more than a few levels."
        ),
        Example(
            text=_MERCHANT
            + 'rule "deep"\n  when '
            + "not " * 100
            + 'order.total > 5 USD\n  then review\n  because "x"\n',
            note=N_("`not` 100 times"),
        ),
        N_("Flatten the expression: use `and`/`or` chains and `in {...}` sets instead of nesting."),
    ),
    CodeDoc(
        "TTR009",
        "file-too-large",
        N_("The file is larger than ttrules reads."),
        N_(
            "Rule files are hand-written and small; a multi-megabyte file is generated or hostile, "
            "and refusing it early keeps `check` fast and bounded."
        ),
        Example(text=_MERCHANT + "# " + "x" * (1024 * 1024) + "\n", note=N_("a comment of 1 MiB")),
        N_("Split the rules into several files in the ruleset directory."),
    ),
    CodeDoc(
        "TTR010",
        "invalid-yaml",
        N_("The YAML document is malformed."),
        N_("YAML that does not parse cannot be turned into rules."),
        Example(
            path="rules/example.yaml",
            text=_YAML_HEADER
            + "rules:\n  - name: small-cancel\n   when: order.total < 50 USD\n    then: approve\n",
        ),
        N_(
            "Fix the indentation or quoting the message points at. Quote expressions that contain "
            "`:` followed by a space or start with `{`."
        ),
    ),
    CodeDoc(
        "TTR011",
        "yaml-alias",
        N_("YAML anchors, aliases, tags or merge keys are used."),
        N_(
            "Aliases allow a tiny document to expand into billions of nodes (the *billion laughs* "
            "attack) and make rules hard to read; rule files and `ttrules.yaml` do not need them."
        ),
        Example(
            path="rules/example.yaml",
            text=_YAML_HEADER
            + (
                "rules:\n"
                "  - &small {name: small-cancel, when: order.total < 50 USD, then: approve, because:"
                " small}\n"
                "  - *small\n"
            ),
        ),
        N_("Write the values out in full."),
    ),
    CodeDoc(
        "TTR012",
        "yaml-shape",
        N_(
            "A YAML value has the wrong shape (a list where a mapping "
            "is expected, a number where a string is expected, a missing key, …)."
        ),
        N_("The YAML form maps one to one onto the DSL; a value of the wrong shape has no meaning."),
        Example(
            path="rules/example.yaml",
            text=_YAML_HEADER + "rules:\n  name: small-cancel      # should be a list of rules\n",
        ),
        N_("Follow the shapes in the language reference (YAML form)."),
    ),
    CodeDoc(
        "TTR013",
        "yaml-unknown-key",
        N_("A YAML mapping has a key ttrules does not know."),
        N_("A misspelt key (`priorty:`) would otherwise be ignored silently and change behaviour."),
        Example(
            path="rules/example.yaml",
            text=_YAML_HEADER
            + (
                "rules:\n"
                "  - name: small-cancel\n"
                "    priorty: 10\n"
                "    when: order.total < 50 USD\n"
                "    then: approve\n"
                "    because: small orders\n"
            ),
        ),
        N_("Use the key suggested in `help:`; see the YAML form in the language reference."),
    ),
    CodeDoc(
        "TTR014",
        "invalid-literal",
        N_(
            "A literal is out of range: more than 30 digits, a duration longer than 999999999d, or a "
            "priority beyond ±1,000,000,000."
        ),
        N_(
            "Numbers, money, durations and percentages must be exact values ttrules can represent and "
            "compute with in bounded time; a hostile rule file must not make a check or a simulation "
            "crash or run for ever."
        ),
        Example(text=_MERCHANT + "set return_window = 99999999999999999999d\n"),
        N_(
            "Write the value you mean (`7d`, `50 USD`, `30%`, `priority 100`); no real window, amount "
            "or priority comes near these limits."
        ),
    ),
    CodeDoc(
        "TTR015",
        "unreadable-file",
        N_("A file could not be read, or has an extension ttrules does not know."),
        N_(
            "Rule files end in `.ttr`, `.yaml` or `.yml`; other files in a ruleset directory are "
            "skipped, but a file named directly must be a rule file."
        ),
        Example(
            path="rules/notes.txt",
            text="approve cancellations under 30 USD\n",
            command=("check", "rules/notes.txt"),
        ),
        N_("Rename the file or name the right path."),
    ),
    CodeDoc(
        "TTR016",
        "duplicate-definition",
        N_(
            "A statement is repeated where only one is "
            "allowed (two `ruleset` lines, two `layer` lines, two `applies`)."
        ),
        N_("The second would silently replace the first."),
        Example(text='ruleset "small-cancellations"\nruleset "cancellations"\nlayer merchant\n'),
        N_("Keep one."),
    ),
    CodeDoc(
        "TTR017",
        "invalid-table",
        N_("A decision table (`.csv` or `.xlsx`) has a cell or column ttrules cannot read."),
        N_(
            "Each column of a table is a field with an operator, or one of `name`, `priority`, "
            "`then`, `because`; a header that is neither, a row longer than the header or a quoted "
            "cell never closed would leave rows whose meaning is a guess."
        ),
        Example(
            path="rules/example.csv",
            text=(
                "ruleset,small-cancellations\nlayer,merchant\n\n"
                "name,request.kind,order.total below,then,because\n"
                "small,CANCEL,30 USD,approve,small orders\n"
            ),
        ),
        N_(
            "Name the column after a field and an operator (`order.total <`, `request.reason in`), "
            "or one of `name`, `priority`, `then`, `because`; see docs/tables.md."
        ),
    ),
    # ---- TTR1xx: schema, names and types ---------------------------------------------------
    CodeDoc(
        "TTR101",
        "unknown-field",
        N_("A field path is not in the case schema."),
        N_("A misspelt field would never have a value; the rule would silently never match."),
        Example(text=_MERCHANT + _rule("big-orders", "order.totl > 50 USD", "review")),
        N_(
            "Use the suggested field, see `ttrules schema`, or declare an extension field under "
            "`fields:` in `ttrules.yaml`."
        ),
    ),
    CodeDoc(
        "TTR102",
        "type-mismatch",
        N_("The two sides of a comparison or operator have types that cannot be compared or combined."),
        N_(
            "Comparing money with a plain number (`order.total > 50`) hides the currency; "
            "a duration with money is meaningless. Such rules are wrong, not just untidy."
        ),
        Example(text=_MERCHANT + _rule("big-orders", "order.total > 50", "review")),
        N_("Give the literal its unit: `order.total > 50 USD`, `case.now - order.paid_at > 2h`."),
    ),
    CodeDoc(
        "TTR103",
        "unknown-enum-value",
        N_("A bare UPPERCASE value is not a member of the field's enumeration."),
        N_("`order.status == DELIVERD` would never be true; the typo must be caught before it ships."),
        Example(text=_MERCHANT + _rule("delivered", "order.status == DELIVERD", "review")),
        N_("Use the suggested value; `ttrules schema` lists every enumeration."),
    ),
    CodeDoc(
        "TTR104",
        "unit-error",
        N_("Arithmetic whose units do not work out."),
        N_(
            "Money plus a number, a timestamp plus a timestamp or money times money have no "
            "meaning; ttrules checks units the way a physicist would."
        ),
        Example(text=_MERCHANT + _rule("big-orders", "order.total + 5 > 50 USD", "review")),
        N_(
            "Give every amount its unit (`5 USD`), subtract timestamps to get durations, "
            "multiply money only by numbers or percentages."
        ),
    ),
    CodeDoc(
        "TTR105",
        "unguarded-optional",
        N_("An optional field is used without `has(...)` or `??`."),
        N_(
            "Optional fields (e.g. `order.paid_at`, `request.return_shipping_fee`) are often "
            "missing in real data. Using one unguarded would make the rule error at run time."
        ),
        Example(
            text=_MERCHANT
            + _rule("just-paid", "request.kind == CANCEL and case.now - order.paid_at <= 1h", "approve")
        ),
        N_(
            "Guard it: `has(order.paid_at) and case.now - order.paid_at <= 1h`, or give a "
            "default: `(order.paid_at ?? case.now)`."
        ),
    ),
    CodeDoc(
        "TTR106",
        "unknown-setting",
        N_("A setting is read but never `set` by any layer."),
        N_("The rule would error on every case."),
        Example(
            text=_MERCHANT
            + "set auto_refund_limit = 20 USD\n\n"
            + _rule("small", "order.total < auto_refund_limt", "approve")
        ),
        N_("Use the suggested setting name, or add `set NAME = VALUE` to a ruleset."),
    ),
    CodeDoc(
        "TTR107",
        "bad-function-call",
        N_("An unknown function, or a function called with the wrong number or types of arguments."),
        N_(
            "Functions are a small fixed registry (`min`, `max`, `abs`, `lower`, `days`); there is "
            "no user code."
        ),
        Example(text=_MERCHANT + _rule("shoes", 'lowercase(order.category) == "shoes"', "review")),
        N_("Use the suggested function with the arguments the reference lists."),
    ),
    CodeDoc(
        "TTR108",
        "unknown-action",
        N_("An action after `then` (or in `forbid`) is not known."),
        N_("An unknown action cannot be carried out."),
        Example(text=_MERCHANT + _rule("small", "order.total < 20 USD", "aprove")),
        N_("Use the suggested action; the language reference lists them by slot."),
    ),
    CodeDoc(
        "TTR109",
        "bad-action-arguments",
        N_("An action is given the wrong arguments."),
        N_(
            "`route` needs a queue name, `partial_refund` an amount or a percentage; an action "
            "with missing or mistyped arguments cannot be carried out."
        ),
        Example(text=_MERCHANT + _rule("half", "order.total < 20 USD", 'partial_refund("half")')),
        N_("Give the arguments the reference lists, e.g. `partial_refund(30%)`."),
    ),
    CodeDoc(
        "TTR110",
        "duplicate-rule-name",
        N_("Two rules in one stack have the same name."),
        N_(
            "Explanations, tests and simulation reports name rules; two rules with one name make "
            "them ambiguous."
        ),
        Example(
            text=_MERCHANT
            + _rule("small-cancel", "order.total < 20 USD", "approve")
            + "\n"
            + _rule("small-cancel", "order.total < 30 USD", "review")
        ),
        N_("Rename one of them."),
    ),
    CodeDoc(
        "TTR111",
        "unknown-layer",
        N_("A ruleset names a layer that the stack does not have."),
        N_("The layer decides precedence; an unknown layer has no place in the cascade."),
        Example(
            text='ruleset "example"\nlayer merchnt\n\n' + _rule("small", "order.total < 20 USD", "approve")
        ),
        N_("Use one of the layers of `ttrules.yaml` (`layers:`; default `platform`, `merchant`)."),
    ),
    CodeDoc(
        "TTR112",
        "currency-without-fx",
        N_(
            "Money in a currency for which `ttrules.yaml` has no FX rate, mixed with money in "
            "another currency."
        ),
        N_(
            "Comparing 50 USD with an amount in MYR needs a rate; without one the rule errors at "
            "run time for every such case."
        ),
        Example(
            text=_MERCHANT + _rule("mid", "order.total > 50 USD and order.total < 500 THB", "review"),
            note=N_("ttrules.yaml has no rate for THB"),
        ),
        N_("Add the rate under `fx:` in `ttrules.yaml`, or write the amounts in one currency."),
    ),
    CodeDoc(
        "TTR113",
        "not-boolean",
        N_("A condition (`when`, `applies`, a `set`/`limit` guard) is not true/false."),
        N_("`when order.total` has no truth value."),
        Example(text=_MERCHANT + _rule("total", "order.total", "review")),
        N_("Compare it: `when order.total > 0 USD`."),
    ),
    CodeDoc(
        "TTR114",
        "setting-type-conflict",
        N_("A setting is given values of different types."),
        N_("A setting read by rules must have one type, or the rules reading it cannot be checked."),
        Example(
            text=_MERCHANT
            + 'set limit = 30 USD\nset limit = 7d when order.category == "apparel"\n\n'
            + _rule("small", "order.total < limit", "approve")
        ),
        N_("Use one type for every `set` and `limit` of a setting."),
    ),
    CodeDoc(
        "TTR115",
        "setting-reads-setting",
        N_("A setting's value or guard, or a ruleset's `applies`, reads a setting."),
        N_(
            "Settings are computed per case before rules run; letting them depend on each other "
            "would allow cycles and order-dependent results."
        ),
        Example(
            text=_MERCHANT
            + "set base_limit = 10 USD\nset limit = base_limit * 2\n\n"
            + _rule("small", "order.total < limit", "approve")
        ),
        N_("Compute from case fields, or repeat the value."),
    ),
    CodeDoc(
        "TTR116",
        "bad-limit",
        N_("A `limit` has an operator that does not fit the setting's type."),
        N_("`<=` and `>=` need an ordered type (number, money, duration); `in` needs a set."),
        Example(
            text=_PLATFORM + "limit return_window <= 50 USD\n",
            path="rules/platform/window.ttr",
            files=(
                ("ttrules.yaml", _TWO_LAYERS),
                (
                    "rules/merchant/window.ttr",
                    _MERCHANT
                    + "set return_window = 15d\n\n"
                    + _rule("returns", "case.now - order.created_at <= return_window", "approve"),
                ),
            ),
        ),
        N_("Give a bound of the setting's type."),
    ),
    CodeDoc(
        "TTR117",
        "conflicting-actions",
        N_("One rule sets the same one-valued slot twice."),
        N_("`then approve, reject` cannot be carried out: a decision has one resolution."),
        Example(text=_MERCHANT + _rule("both", "order.total < 20 USD", 'approve, reject("no")')),
        N_("Split it into two rules with different conditions."),
    ),
    CodeDoc(
        "TTR118",
        "bad-has",
        N_("`has(...)` is applied to something that is not a field."),
        N_("`has` asks whether the case carries a value for a field path."),
        Example(text=_MERCHANT + _rule("has-total", "has(order.total > 5 USD)", "review")),
        N_("Pass a field path: `has(order.paid_at)`."),
    ),
    CodeDoc(
        "TTR119",
        "invalid-config",
        N_("`ttrules.yaml` is invalid."),
        N_(
            "The stack, default resolution, currency, FX table, costs and schema extensions all come from it."
        ),
        Example(
            path="ttrules.yaml",
            text="stack: [rules/]\ndefault: aprove\ncurrency: USD\n",
            files=(("rules/example.ttr", _MERCHANT + _rule("small", "order.total < 20 USD", "approve")),),
        ),
        N_("Fix the key the message names; see the configuration section of the CLI reference."),
    ),
    CodeDoc(
        "TTR120",
        "duplicate-ruleset-name",
        N_("Two files declare the same ruleset name."),
        N_("Rulesets are named in explanations and reports; two with one name are ambiguous."),
        Example(
            path="rules/a.ttr",
            text='ruleset "shop"\nlayer merchant\n\n' + _rule("small", "order.total < 20 USD", "approve"),
            files=(
                (
                    "rules/b.ttr",
                    'ruleset "shop"\nlayer merchant\n\n' + _rule("big", "order.total > 200 USD", "review"),
                ),
            ),
        ),
        N_("Rename one."),
    ),
    CodeDoc(
        "TTR121",
        "unknown-type",
        N_("An extension field in `ttrules.yaml` has a type ttrules does not know."),
        N_("Extension fields are typed like the built-in ones so rules that use them are checked."),
        Example(
            path="ttrules.yaml",
            text="stack: [rules/]\ncurrency: USD\nfields:\n  buyer.vip_level: integer\n",
            files=(("rules/example.ttr", _MERCHANT + _rule("small", "order.total < 20 USD", "approve")),),
        ),
        N_(
            "Use one of `int`, `number`, `money`, `duration`, `timestamp`, `str`, `bool`, "
            "`set[str]`, with `?` for optional (e.g. `int?`)."
        ),
    ),
    CodeDoc(
        "TTR123",
        "lock-mismatch",
        N_("`ttrules check --locked`: a rule file differs from `ttrules.lock`, or there is no lock."),
        N_(
            "A team that requires every rule change to be simulated and confirmed needs CI to "
            "notice a change that skipped that step."
        ),
        Example(
            text=_MERCHANT + _rule("small", 'order.category == "home" and order.total < 20 USD', "approve"),
            command=("check", "--locked"),
            note=N_("never confirmed: there is no ttrules.lock"),
        ),
        N_(
            "Run `ttrules simulate --save plan.json`, read the report, then "
            "`ttrules confirm plan.json`, and commit `ttrules.lock` with the change."
        ),
    ),
    CodeDoc(
        "TTR122",
        "empty-stack",
        N_("No rule file was found in the stack."),
        N_("An empty stack decides every case with the default resolution; that is rarely what was meant."),
        Example(
            path="ttrules.yaml",
            text="stack: [rules/]\ncurrency: USD\n",
            files=(("rules/README.md", "rules go here\n"),),
        ),
        N_("Point `stack:` (or the command-line paths) at the rule files."),
    ),
    CodeDoc(
        "TTR124",
        "history-lacks-field",
        N_(
            "`check --history` or `simulate`: a field the rules read is missing in most records of "
            "the history."
        ),
        N_(
            "A rule reading a field a record lacks errors on that record (or `has()` is false), "
            "so against this history the rule is out of the simulation: its figures say nothing "
            "about what it would do. Real exports often lack fields the rules were written for "
            "(a TikTok order has no product category)."
        ),
        Example(
            text=_MERCHANT + _rule("apparel", 'order.category == "apparel"', "review"),
            command=("check", "--history", "exports/orders.csv"),
            files=(
                (
                    "exports/orders.csv",
                    "case.id,order.status,order.created_at,order.total,request.kind,request.created_at\n"
                    + "".join(
                        f"c{i},DELIVERED,2026-05-01T09:00:00Z,20 USD,REFUND,2026-05-03T09:00:00Z\n"
                        for i in range(3)
                    ),
                ),
            ),
        ),
        N_(
            "Fill the field: map a column onto it in `history.columns`, or for a TikTok import "
            "give the option the import report names (`--products` for `order.category`)."
        ),
    ),
    CodeDoc(
        "TTR125",
        "layer-not-allowed-here",
        N_(
            "A ruleset declares a layer its file may not hold: the strongest layer (or one "
            "listed in `layer_paths:`) belongs to the files the configuration names for it."
        ),
        N_(
            "The platform wins. If any rule file could say `layer platform`, a merchant rule "
            "could outrank the platform policy, or switch fail-closed off for itself, by one word. "
            "Which files hold the strongest layer is fixed by `ttrules.yaml` (by default its first "
            "`stack:` entry), so a pull request that moves rules into it shows as a change there."
        ),
        Example(
            path="rules/merchant/fast-refunds.ttr",
            text='ruleset "fast-refunds"\nlayer platform\n\n'
            + _rule("fast", "order.total < 20 USD", "approve"),
            files=(
                ("ttrules.yaml", _TWO_LAYERS),
                ("rules/platform/policy.ttr", _PLATFORM + _rule("p", "order.total > 1000 USD", "review")),
            ),
        ),
        N_(
            "Declare the merchant layer, or move the file into the platform directory (a change the "
            "repository's owners review). `layer_paths: {platform: [rulesets/platform/]}` says "
            "where each layer may be."
        ),
    ),
    CodeDoc(
        "TTR126",
        "unknown-reason-code",
        N_(
            "A `request.reason_code` is compared with a code that is not in the shipped table of "
            "TikTok Shop reason codes."
        ),
        N_(
            "Reason codes are long, easy to misspell and never validated by the platform on your "
            "side: a rule on a misspelt code silently never matches. The code may be new (the "
            "platform adds codes), so this is a warning; `ttrules schema` and docs/case-schema.md "
            "list the codes ttrules knows."
        ),
        Example(
            _MERCHANT
            + _rule(
                "no-longer-needed",
                'request.kind == CANCEL and order.category == "home" '
                'and request.reason_code == "ecom_order_to_ship_canceled_reason_no_longer_neded"',
                "approve",
            )
        ),
        N_(
            "Use the code `help:` suggests, or `request.reason` (the category, e.g. `CHANGED_MIND`), "
            "which every code maps to."
        ),
    ),
    CodeDoc(
        "TTR127",
        "unknown-list",
        N_(
            'A `list("NAME")` that cannot be read: the list is not declared under `lists:`, its '
            "file cannot be read, a value does not fit the field, or `list` is used other than on "
            "the right of `in`."
        ),
        N_(
            "A list stands for its values; a rule on a list that is missing or misread would decide "
            "on values nobody wrote, so the stack is refused until the list reads."
        ),
        Example(
            text=_MERCHANT + _rule("blacklisted", 'buyer.id in list("blacklst")', "review"),
            files=(
                ("ttrules.yaml", EXAMPLE_CONFIG + "lists:\n  blacklist: lists/blacklist.txt\n"),
                ("lists/blacklist.txt", "buyer-7\nbuyer-9\n"),
            ),
        ),
        N_(
            "Use the name declared in `lists:` of `ttrules.yaml` (or declare the list there: "
            "`blacklist: lists/blacklist.txt`, one value a line), and compare it with `in`."
        ),
    ),
    # ---- TTR2xx: layering (the analysis stage) ---------------------------------------------
    CodeDoc(
        "TTR201",
        "always-overridden",
        N_(
            "A rule of a weaker layer that a stronger layer overrides "
            "or vetoes for every case it matches: it can never take effect."
        ),
        N_(
            "The platform wins. A merchant rule whose every match is taken by a platform rule is "
            "dead code that looks alive: the seller believes it decides cases, and every report "
            "says otherwise. The claim is proven by the solver for all cases, not sampled."
        ),
        _layered(
            (
                'rule "no-cancel"\n'
                "  when request.kind == CANCEL and order.status == AWAITING_SHIPMENT\n"
                '  then reject("too late")\n'
                '  because "we ship fast"\n'
            ),
            _PLATFORM_CANCEL,
        ),
        N_(
            "Delete the rule, or narrow it to the cases the stronger layer leaves open. The notes "
            "name the stronger rules and forbids and their conditions."
        ),
    ),
    CodeDoc(
        "TTR202",
        "partly-overridden",
        N_(
            "A rule of a weaker layer that a stronger layer "
            "overrides or vetoes for part of the cases it matches."
        ),
        N_(
            "The rule still works, but not where the stronger layer decides; the region (the "
            "stronger rule and its condition) is where sellers are surprised. A witness case, "
            "confirmed by the evaluator, shows one such case."
        ),
        _layered(
            (
                'rule "no-cancel"\n'
                "  when request.kind == CANCEL\n"
                '  then reject("too late")\n'
                '  because "we ship fast"\n'
            ),
            _PLATFORM_CANCEL,
        ),
        N_(
            "Nothing, if the override is intended (say so in `because`); otherwise narrow the rule "
            "so it does not compete with the stronger layer. Silence it per rule with "
            "`# ttrules: ignore[TTR202] because ...`."
        ),
    ),
    CodeDoc(
        "TTR203",
        "setting-always-clamped",
        N_(
            "A `set` of a weaker layer whose value a stronger "
            "layer's `limit` clamps for every case in which it is chosen."
        ),
        N_("The written value never applies; anyone reading the rules is misled about what the setting is."),
        _layered(
            'set return_window = 15d when order.category == "jewelry"\nset return_window = 30d\n\n'
            + _rule(
                "returns",
                "request.kind == RETURN_AND_REFUND and case.now - request.created_at < return_window",
                "review",
            ),
            'limit return_window <= 7d when order.category == "jewelry"\n',
        ),
        N_("Write a value within the limit."),
    ),
    CodeDoc(
        "TTR204",
        "setting-sometimes-clamped",
        N_(
            "A `set` of a weaker layer whose value a "
            "stronger layer's `limit` clamps in part of the cases in which it is chosen."
        ),
        N_(
            "The value the merchant wrote is not the value used there; the note names the limit "
            "and its condition (the region), and a witness case confirmed by the evaluator shows "
            "one such case."
        ),
        _layered(
            "set return_window = 15d\n\n"
            + _rule(
                "returns",
                "request.kind == RETURN_AND_REFUND and case.now - request.created_at < return_window",
                "review",
            ),
            'limit return_window <= 7d when order.category == "jewelry"\n',
        ),
        N_(
            "Nothing, if the platform's bound is meant to win there; to make the rules say what "
            "happens, add a conditional `set` for that region (`set return_window = 7d when "
            'order.category == "jewelry"`) before the general one.'
        ),
    ),
    CodeDoc(
        "TTR205",
        "idle-forbid",
        N_(
            "A `forbid` that vetoes nothing: no rule of a weaker layer "
            "that takes the forbidden action can match a case the forbid matches."
        ),
        N_(
            "A guard that guards nothing may be intended (a safety net for future rules), but it "
            "often means the forbid names the wrong action or its condition is too narrow."
        ),
        _layered(
            _rule(
                "keep-it", 'order.category == "apparel" and request.kind == REFUND', "refund_without_return"
            ),
            (
                "forbid refund_without_return\n"
                '  when order.category == "luxury"\n'
                '  because "luxury goods come back"\n'
            ),
        ),
        N_("Check the action name and the condition; keep it deliberately as a safety net, or delete it."),
    ),
    # ---- TTR3xx: lints (the analysis stage) -------------------------------------------------
    CodeDoc(
        "TTR301",
        "shadowed-rule",
        N_(
            "A rule that higher-priority rules of its own layer beat on "
            "every slot it sets, for every case it matches."
        ),
        N_(
            "It never decides anything; usually its priority is wrong or a broader rule was added "
            "above it. Proven by the solver, not sampled."
        ),
        Example(
            text=_MERCHANT
            + (
                'rule "review-mid"\n'
                "  priority 10\n"
                '  when order.total < 100 USD and order.category == "home"\n'
                "  then review\n"
                '  because "x"\n'
                "\n"
                'rule "approve-small"\n'
                '  when order.total < 50 USD and order.category == "home"\n'
                "  then approve\n"
                '  because "x"\n'
            )
        ),
        N_("Raise its priority, narrow the rules above it, or delete it. The notes name them."),
    ),
    CodeDoc(
        "TTR302",
        "ambiguous-overlap",
        N_(
            "Two rules of one layer with the same priority can match the same case and set one slot "
            "differently."
        ),
        N_(
            "Then only their order in the files decides, and moving a file or a rule changes "
            "decisions. The witness case, confirmed by the evaluator, shows a case both match."
        ),
        Example(
            text=_MERCHANT
            + _rule("approve-small", 'order.total < 30 USD and order.category == "home"', "approve")
            + "\n"
            + _rule("review-risky", "buyer.credit_score < 60", "review")
        ),
        N_("Give the rule that should win a higher priority, or make the conditions exclusive."),
    ),
    CodeDoc(
        "TTR308",
        "table-overlap",
        N_("Two rows of one decision table can match the same case and decide a slot differently."),
        N_(
            "A table's hit policy is first: rows are tried by priority and from the top, so the upper "
            "row decides the cases both match and the lower one never does. That is often the "
            "point (a specific row above a general one), so this is information, with a witness case "
            "the evaluator confirms; but a lower row meant for some of those cases is silently dead "
            "there."
        ),
        Example(
            path="rules/example.csv",
            text=(
                "ruleset,returns\nlayer,merchant\n\n"
                "name,request.kind,order.category,then,because\n"
                "jewelry,RETURN_AND_REFUND,jewelry,review,jewelry is checked by a person\n"
                "returns,RETURN_AND_REFUND,,approve,returns are accepted\n"
            ),
        ),
        N_(
            "Nothing, if the upper row is meant to win; otherwise narrow it, or give the lower row a "
            "higher `priority`."
        ),
    ),
    CodeDoc(
        "TTR309",
        "table-gap",
        N_("Some cases within a decision table's subject match no row of it."),
        N_(
            "The subject is what every row tests (`request.kind == CANCEL` in every row of a "
            "cancellation table). A case of that subject that no row matches is decided by another "
            "ruleset or by the stack's default, which is often not what the table's author meant. "
            "The witness case, confirmed by the evaluator, is one such case."
        ),
        Example(
            path="rules/example.csv",
            text=(
                "ruleset,cancellations\nlayer,merchant\n\n"
                "name,request.kind,buyer.credit_score >=,buyer.credit_score <,then,because\n"
                "trusted,CANCEL,80,,approve,good buyers cancel freely\n"
                "risky,CANCEL,,40,review,a person checks risky buyers\n"
            ),
        ),
        N_(
            "Add the rows the gap needs (here: credit from 40 to 80, and buyers without a score), or "
            "a last row with empty condition cells that decides every case the rows above leave."
        ),
    ),
    CodeDoc(
        "TTR303",
        "unreachable-condition",
        N_("A rule's condition can never be true."),
        N_(
            "The rule is dead; usually a contradiction such as `order.total < 10 USD and "
            "order.total > 20 USD` or a ruleset `applies` that excludes the rule's own condition. "
            "Proven by the solver."
        ),
        Example(
            text=_MERCHANT
            + _rule(
                "never",
                'order.total < 10 USD and order.total > 20 USD and order.category == "home"',
                "approve",
            )
        ),
        N_(
            "Fix the bounds or values; `ttrules explain` on a case you expect to match shows the "
            "first condition that fails."
        ),
    ),
    CodeDoc(
        "TTR304",
        "uniform-money-threshold",
        N_("A rule that refunds automatically below one money threshold, the same for every category."),
        N_(
            "A single threshold invites abuse just under it (orders of 98 USD under a 100 USD "
            "limit) and fits no category well: 30 USD is a lot for socks and little for a phone."
        ),
        Example(text=_MERCHANT + _rule("auto-refund", "order.total < 100 USD", "approve")),
        N_(
            "Set the threshold per category with a setting (`set limit = 15 USD when "
            'order.category == "jewelry"`, a default after it), or restrict the rule to a '
            "category."
        ),
    ),
    CodeDoc(
        "TTR305",
        "missing-because",
        N_("A rule of the strongest layer (normally `platform`) without `because`."),
        N_(
            "Platform rules override the seller's; explanations and simulation reports quote "
            "`because` to say why. Without it the seller sees an override and no reason."
        ),
        _layered(
            _rule(
                "big",
                'request.kind == REFUND and order.total > 1000 USD and order.category == "home"',
                "review",
            ),
            (
                'rule "not-collected"\n'
                "  when request.kind == CANCEL and order.status == AWAITING_COLLECTION\n"
                "  then approve\n"
            ),
        ),
        N_('Add `because "..."` with the policy\'s reason.'),
    ),
    CodeDoc(
        "TTR306",
        "unused-setting",
        N_("A setting that is `set` but never read by a rule."),
        N_("Usually a renamed setting or a rule that was deleted; the value misleads readers."),
        Example(
            text=_MERCHANT + "set restock_grace = 3d\n\n" + _rule("big", "order.total > 1000 USD", "review")
        ),
        N_("Use it in a rule, or delete its `set` statements."),
    ),
    CodeDoc(
        "TTR310",
        "hard-coded-window",
        N_(
            "A rule measures a window (the time since a field) against a literal, where other rules "
            "measure the same window with a setting that a stronger layer limits."
        ),
        N_(
            "A `limit` clamps a setting, not the literals written in rules: the platform's 7-day "
            "jewelry limit on `return_window` binds the rules that read `return_window` and lets a "
            "rule with its own `> 15d` approve a jewelry return on day 10."
        ),
        _layered(
            "set return_window = 15d\n\n"
            + _rule(
                "late-returns",
                "request.kind == RETURN_AND_REFUND and has(order.delivered_at)\n"
                "   and case.now - order.delivered_at > return_window",
                'reject("too late")',
            ).replace("  when", "  priority 10\n  when", 1)
            + "\n"
            + _rule(
                "goodwill-returns",
                "request.kind == RETURN_AND_REFUND and has(order.delivered_at)\n"
                "   and case.now - order.delivered_at <= 20d",
                "approve",
            ),
            'limit return_window <= 7d when order.category == "jewelry"\n',
            also=("TTR204",),
        ),
        N_(
            "Compare with the setting (`case.now - order.delivered_at <= return_window`) so the "
            "limit binds the rule too; or, if the window is meant to differ, give it a setting of its "
            "own that the stronger layer can limit."
        ),
    ),
    CodeDoc(
        "TTR307",
        "suppression-without-reason",
        N_("An inline suppression (`# ttrules: ignore[CODE]`) that does not say why."),
        N_(
            "A suppression hides a finding from everyone who reviews the rules later; the reason "
            "is what lets them judge it. Without one the suppression silences nothing."
        ),
        _layered(
            (
                "# ttrules: ignore[TTR202]\n"
                'rule "no-cancel"\n'
                "  when request.kind == CANCEL\n"
                '  then reject("too late")\n'
                '  because "we ship fast"\n'
            ),
            _PLATFORM_CANCEL,
            also=("TTR202",),
            note=N_("a suppression without a reason suppresses nothing: TTR202 is still reported"),
        ),
        N_(
            "Add the reason: `# ttrules: ignore[TTR202] because the platform's remorse window is "
            "meant to win`."
        ),
    ),
    # ---- TTR4xx: rule tests (`ttrules test`) ----------------------------------------------
    CodeDoc(
        "TTR401",
        "rule-test-failed",
        N_("A rule test's case did not get the decision the test expects."),
        N_(
            "Rule tests are the seller's statement of what the rules must do; a failing one means "
            "a rule change (or a platform update) changed a decision that someone relied on."
        ),
        _rule_test(
            "tests:\n"
            "  - name: small cancellation is approved\n"
            "    case: {order: {total: 20 USD, category: apparel}, request: {kind: CANCEL, reason:"
            " CHANGED_MIND}}\n"
            "    expect: {resolution: approve}\n"
        ),
        N_(
            "Read the explanation printed under the failure: it names the rule that won and, for "
            "the rule you expected, the first condition that was false. Fix the rule, or update the "
            "test if the new decision is the one you want."
        ),
    ),
    CodeDoc(
        "TTR402",
        "invalid-rule-test",
        N_(
            "A rule test cannot run: its case is not a valid case, "
            "it expects nothing, or an expectation is malformed (an unknown action, an action of "
            "the wrong slot, a value that is not a literal)."
        ),
        N_("A test that cannot run proves nothing; counting it as passed would hide a hole in the suite."),
        _rule_test(_SMALL_CANCEL_TEST + "    expect:\n      resolution: aprove\n"),
        N_(
            "Write the case with the fields `ttrules schema` lists, and expectations as actions "
            'are written in rules (`reject("reason")`, `route("queue", sla: 30m)`).'
        ),
    ),
    CodeDoc(
        "TTR403",
        "unknown-rule-in-test",
        N_("A test expects a rule or layer the stack does not have."),
        N_(
            "A renamed or deleted rule would otherwise make the test fail with a confusing "
            "mismatch; naming the unknown rule says what really happened."
        ),
        _rule_test(
            _SMALL_CANCEL_TEST + "    expect:\n      resolution: approve\n      rule: merchant/small-cancel\n"
        ),
        N_("Use the rule's name as `ttrules explain` prints it (`layer/name`, or the name alone)."),
    ),
    CodeDoc(
        "TTR404",
        "coverage-below-minimum",
        N_(
            "`ttrules test --coverage-min N`: fewer than N % "
            "of the stack's rules and forbids took effect in some test."
        ),
        N_(
            "A rule no test decides can break without anyone noticing; a minimum keeps new rules "
            "from arriving untested."
        ),
        _rule_test(
            (
                "tests:\n"
                "  - name: small cancellation is approved\n"
                "    case: {order: {total: 20 USD, category: home}, request: {kind: CANCEL, reason:"
                " CHANGED_MIND}}\n"
                "    expect: {resolution: approve}\n"
            ),
            "--coverage-min",
            "80",
        ),
        N_(
            "Add tests whose cases the listed rules decide (the run prints the rules that never "
            "matched and those that matched but never took effect)."
        ),
    ),
]

CODES: dict[str, CodeDoc] = {doc.code: doc for doc in _DOCS}
