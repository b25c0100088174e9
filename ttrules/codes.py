"""The registry of diagnostic codes and their user documentation.

Each entry is the documentation of its code: `docs/diagnostics.md` is generated from this
table (`python -m ttrules.docgen`) and a test fails when a code lacks a section or the page is
stale. Codes are stable: never reuse a retired number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

    def markdown(self, code: str) -> str:
        out = []
        for path, text in self.files_shown():
            note = f" ({self.note})" if path == self.path and self.note else ""
            out += [f"`{path}`{note}:", "", "```", text.rstrip("\n"), "```", ""]
        others = f" (and {', '.join(self.also)})" if self.also else ""
        out.append(f"`ttrules {' '.join(self.command)}` reports {code}{others}.")
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
        "The file is not valid UTF-8.",
        "Rule files are text in UTF-8 so that names in any language (Chinese rule names are "
        "normal) mean the same on every machine. A file in another encoding would be misread.",
        Example(
            text=_MERCHANT
            + (
                'rule "小额取消"\n'
                "  when request.kind == CANCEL and order.total < 30 USD\n"
                "  then approve\n"
                '  because "小额取消"\n'
            ),
            encoding="gbk",
            note="saved as GBK instead of UTF-8",
        ),
        "Re-save the file as UTF-8 (most editors: *Save with encoding → UTF-8*).",
    ),
    CodeDoc(
        "TTR002",
        "syntax-error",
        "The parser met a token it did not expect here.",
        "The rule cannot be understood, so none of the file can be checked or evaluated.",
        Example(text=_MERCHANT + 'rule "small-cancel"\n  when order.total < 50 USD\n  then approve,\n'),
        "Read the `expected` list in the message; usually a missing operand, a stray comma "
        "or a keyword in the wrong place.",
    ),
    CodeDoc(
        "TTR003",
        "invalid-character",
        "A character that cannot start any token.",
        "Only the characters of the language may appear outside strings and comments.",
        Example(text=_MERCHANT + 'rule "small-cancel"\n  when order.total > 50 USD ; approve\n'),
        'Remove the character, or put text inside a "string" or after `#`.',
    ),
    CodeDoc(
        "TTR004",
        "invalid-string",
        "A string literal is unterminated or has a bad escape.",
        'Strings end on the same line with `"` and allow JSON escapes only '
        '(`\\"`, `\\\\`, `\\n`, `\\t`, `\\uXXXX`).',
        Example(
            text=_MERCHANT
            + (
                'rule "small-cancel"\n'
                "  when order.total < 50 USD\n"
                "  then approve\n"
                '  because "buyer remorse window\n'
            )
        ),
        "Close the string, or escape the character.",
    ),
    CodeDoc(
        "TTR005",
        "missing-header",
        "A ruleset lacks its `ruleset` name or its `layer`.",
        "The layer decides where the rules stand in the platform-override cascade; without it "
        "the evaluator cannot know whether a rule is platform policy or merchant practice.",
        Example(
            text=(
                'rule "small-cancel"\n  when order.total < 50 USD\n  then approve\n  because "small orders"\n'
            )
        ),
        'Start the file with `ruleset "name"` and `layer merchant` (or the layer it belongs to).',
    ),
    CodeDoc(
        "TTR006",
        "duplicate-clause",
        "A rule or statement repeats a clause such as `when`.",
        "Two `when` clauses would be ambiguous (both? either?); ttrules refuses to guess.",
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
        "Join the conditions with `and` in one `when`.",
    ),
    CodeDoc(
        "TTR007",
        "missing-then",
        "A rule has no `then` actions.",
        "A rule that decides nothing is almost always a mistake in an edit.",
        Example(
            text=_MERCHANT + 'rule "small-cancel"\n  when request.kind == CANCEL\n  because "small orders"\n'
        ),
        "Add `then ACTION`, or delete the rule.",
    ),
    CodeDoc(
        "TTR008",
        "too-deep",
        "An expression is nested too deeply.",
        "Rules are read from untrusted files; a bound on nesting keeps checking and evaluation "
        "fast and safe. No real policy needs more than a few levels.",
        Example(
            text=_MERCHANT
            + 'rule "deep"\n  when '
            + "not " * 100
            + 'order.total > 5 USD\n  then review\n  because "x"\n',
            note="`not` 100 times",
        ),
        "Flatten the expression: use `and`/`or` chains and `in {...}` sets instead of nesting.",
    ),
    CodeDoc(
        "TTR009",
        "file-too-large",
        "The file is larger than ttrules reads.",
        "Rule files are hand-written and small; a multi-megabyte file is generated or hostile, "
        "and refusing it early keeps `check` fast and bounded.",
        Example(text=_MERCHANT + "# " + "x" * (1024 * 1024) + "\n", note="a comment of 1 MiB"),
        "Split the rules into several files in the ruleset directory.",
    ),
    CodeDoc(
        "TTR010",
        "invalid-yaml",
        "The YAML document is malformed.",
        "YAML that does not parse cannot be turned into rules.",
        Example(
            path="rules/example.yaml",
            text=_YAML_HEADER
            + "rules:\n  - name: small-cancel\n   when: order.total < 50 USD\n    then: approve\n",
        ),
        "Fix the indentation or quoting the message points at. Quote expressions that contain "
        "`:` followed by a space or start with `{`.",
    ),
    CodeDoc(
        "TTR011",
        "yaml-alias",
        "YAML anchors, aliases, tags or merge keys are used.",
        "Aliases allow a tiny document to expand into billions of nodes (the *billion laughs* "
        "attack) and make rules hard to read; rule files and `ttrules.yaml` do not need them.",
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
        "Write the values out in full.",
    ),
    CodeDoc(
        "TTR012",
        "yaml-shape",
        "A YAML value has the wrong shape (a list where a mapping "
        "is expected, a number where a string is expected, a missing key, …).",
        "The YAML form maps one to one onto the DSL; a value of the wrong shape has no meaning.",
        Example(
            path="rules/example.yaml",
            text=_YAML_HEADER + "rules:\n  name: small-cancel      # should be a list of rules\n",
        ),
        "Follow the shapes in the language reference (YAML form).",
    ),
    CodeDoc(
        "TTR013",
        "yaml-unknown-key",
        "A YAML mapping has a key ttrules does not know.",
        "A misspelt key (`priorty:`) would otherwise be ignored silently and change behaviour.",
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
        "Use the key suggested in `help:`; see the YAML form in the language reference.",
    ),
    CodeDoc(
        "TTR014",
        "invalid-literal",
        "A literal is out of range: more than 30 digits, a duration longer than 999999999d, or a "
        "priority beyond ±1,000,000,000.",
        "Numbers, money, durations and percentages must be exact values ttrules can represent and "
        "compute with in bounded time; a hostile rule file must not make a check or a simulation "
        "crash or run for ever.",
        Example(text=_MERCHANT + "set return_window = 99999999999999999999d\n"),
        "Write the value you mean (`7d`, `50 USD`, `30%`, `priority 100`); no real window, amount "
        "or priority comes near these limits.",
    ),
    CodeDoc(
        "TTR015",
        "unreadable-file",
        "A file could not be read, or has an extension ttrules does not know.",
        "Rule files end in `.ttr`, `.yaml` or `.yml`; other files in a ruleset directory are "
        "skipped, but a file named directly must be a rule file.",
        Example(
            path="rules/notes.txt",
            text="approve cancellations under 30 USD\n",
            command=("check", "rules/notes.txt"),
        ),
        "Rename the file or name the right path.",
    ),
    CodeDoc(
        "TTR016",
        "duplicate-definition",
        "A statement is repeated where only one is "
        "allowed (two `ruleset` lines, two `layer` lines, two `applies`).",
        "The second would silently replace the first.",
        Example(text='ruleset "small-cancellations"\nruleset "cancellations"\nlayer merchant\n'),
        "Keep one.",
    ),
    # ---- TTR1xx: schema, names and types ---------------------------------------------------
    CodeDoc(
        "TTR101",
        "unknown-field",
        "A field path is not in the case schema.",
        "A misspelt field would never have a value; the rule would silently never match.",
        Example(text=_MERCHANT + _rule("big-orders", "order.totl > 50 USD", "review")),
        "Use the suggested field, see `ttrules schema`, or declare an extension field under "
        "`fields:` in `ttrules.yaml`.",
    ),
    CodeDoc(
        "TTR102",
        "type-mismatch",
        "The two sides of a comparison or operator have types that cannot be compared or combined.",
        "Comparing money with a plain number (`order.total > 50`) hides the currency; "
        "a duration with money is meaningless. Such rules are wrong, not just untidy.",
        Example(text=_MERCHANT + _rule("big-orders", "order.total > 50", "review")),
        "Give the literal its unit: `order.total > 50 USD`, `case.now - order.paid_at > 2h`.",
    ),
    CodeDoc(
        "TTR103",
        "unknown-enum-value",
        "A bare UPPERCASE value is not a member of the field's enumeration.",
        "`order.status == DELIVERD` would never be true; the typo must be caught before it ships.",
        Example(text=_MERCHANT + _rule("delivered", "order.status == DELIVERD", "review")),
        "Use the suggested value; `ttrules schema` lists every enumeration.",
    ),
    CodeDoc(
        "TTR104",
        "unit-error",
        "Arithmetic whose units do not work out.",
        "Money plus a number, a timestamp plus a timestamp or money times money have no "
        "meaning; ttrules checks units the way a physicist would.",
        Example(text=_MERCHANT + _rule("big-orders", "order.total + 5 > 50 USD", "review")),
        "Give every amount its unit (`5 USD`), subtract timestamps to get durations, "
        "multiply money only by numbers or percentages.",
    ),
    CodeDoc(
        "TTR105",
        "unguarded-optional",
        "An optional field is used without `has(...)` or `??`.",
        "Optional fields (e.g. `order.paid_at`, `request.return_shipping_fee`) are often "
        "missing in real data. Using one unguarded would make the rule error at run time.",
        Example(
            text=_MERCHANT
            + _rule("just-paid", "request.kind == CANCEL and case.now - order.paid_at <= 1h", "approve")
        ),
        "Guard it: `has(order.paid_at) and case.now - order.paid_at <= 1h`, or give a "
        "default: `(order.paid_at ?? case.now)`.",
    ),
    CodeDoc(
        "TTR106",
        "unknown-setting",
        "A setting is read but never `set` by any layer.",
        "The rule would error on every case.",
        Example(
            text=_MERCHANT
            + "set auto_refund_limit = 20 USD\n\n"
            + _rule("small", "order.total < auto_refund_limt", "approve")
        ),
        "Use the suggested setting name, or add `set NAME = VALUE` to a ruleset.",
    ),
    CodeDoc(
        "TTR107",
        "bad-function-call",
        "An unknown function, or a function called with the wrong number or types of arguments.",
        "Functions are a small fixed registry (`min`, `max`, `abs`, `lower`, `days`); there is no user code.",
        Example(text=_MERCHANT + _rule("shoes", 'lowercase(order.category) == "shoes"', "review")),
        "Use the suggested function with the arguments the reference lists.",
    ),
    CodeDoc(
        "TTR108",
        "unknown-action",
        "An action after `then` (or in `forbid`) is not known.",
        "An unknown action cannot be carried out.",
        Example(text=_MERCHANT + _rule("small", "order.total < 20 USD", "aprove")),
        "Use the suggested action; the language reference lists them by slot.",
    ),
    CodeDoc(
        "TTR109",
        "bad-action-arguments",
        "An action is given the wrong arguments.",
        "`route` needs a queue name, `partial_refund` an amount or a percentage; an action "
        "with missing or mistyped arguments cannot be carried out.",
        Example(text=_MERCHANT + _rule("half", "order.total < 20 USD", 'partial_refund("half")')),
        "Give the arguments the reference lists, e.g. `partial_refund(30%)`.",
    ),
    CodeDoc(
        "TTR110",
        "duplicate-rule-name",
        "Two rules in one stack have the same name.",
        "Explanations, tests and simulation reports name rules; two rules with one name make them ambiguous.",
        Example(
            text=_MERCHANT
            + _rule("small-cancel", "order.total < 20 USD", "approve")
            + "\n"
            + _rule("small-cancel", "order.total < 30 USD", "review")
        ),
        "Rename one of them.",
    ),
    CodeDoc(
        "TTR111",
        "unknown-layer",
        "A ruleset names a layer that the stack does not have.",
        "The layer decides precedence; an unknown layer has no place in the cascade.",
        Example(
            text='ruleset "example"\nlayer merchnt\n\n' + _rule("small", "order.total < 20 USD", "approve")
        ),
        "Use one of the layers of `ttrules.yaml` (`layers:`; default `platform`, `merchant`).",
    ),
    CodeDoc(
        "TTR112",
        "currency-without-fx",
        "Money in a currency for which `ttrules.yaml` has no FX rate, mixed with money in another currency.",
        "Comparing 50 USD with an amount in MYR needs a rate; without one the rule errors at "
        "run time for every such case.",
        Example(
            text=_MERCHANT + _rule("mid", "order.total > 50 USD and order.total < 500 THB", "review"),
            note="ttrules.yaml has no rate for THB",
        ),
        "Add the rate under `fx:` in `ttrules.yaml`, or write the amounts in one currency.",
    ),
    CodeDoc(
        "TTR113",
        "not-boolean",
        "A condition (`when`, `applies`, a `set`/`limit` guard) is not true/false.",
        "`when order.total` has no truth value.",
        Example(text=_MERCHANT + _rule("total", "order.total", "review")),
        "Compare it: `when order.total > 0 USD`.",
    ),
    CodeDoc(
        "TTR114",
        "setting-type-conflict",
        "A setting is given values of different types.",
        "A setting read by rules must have one type, or the rules reading it cannot be checked.",
        Example(
            text=_MERCHANT
            + 'set limit = 30 USD\nset limit = 7d when order.category == "apparel"\n\n'
            + _rule("small", "order.total < limit", "approve")
        ),
        "Use one type for every `set` and `limit` of a setting.",
    ),
    CodeDoc(
        "TTR115",
        "setting-reads-setting",
        "A setting's value or guard, or a ruleset's `applies`, reads a setting.",
        "Settings are computed per case before rules run; letting them depend on each other "
        "would allow cycles and order-dependent results.",
        Example(
            text=_MERCHANT
            + "set base_limit = 10 USD\nset limit = base_limit * 2\n\n"
            + _rule("small", "order.total < limit", "approve")
        ),
        "Compute from case fields, or repeat the value.",
    ),
    CodeDoc(
        "TTR116",
        "bad-limit",
        "A `limit` has an operator that does not fit the setting's type.",
        "`<=` and `>=` need an ordered type (number, money, duration); `in` needs a set.",
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
        "Give a bound of the setting's type.",
    ),
    CodeDoc(
        "TTR117",
        "conflicting-actions",
        "One rule sets the same one-valued slot twice.",
        "`then approve, reject` cannot be carried out: a decision has one resolution.",
        Example(text=_MERCHANT + _rule("both", "order.total < 20 USD", 'approve, reject("no")')),
        "Split it into two rules with different conditions.",
    ),
    CodeDoc(
        "TTR118",
        "bad-has",
        "`has(...)` is applied to something that is not a field.",
        "`has` asks whether the case carries a value for a field path.",
        Example(text=_MERCHANT + _rule("has-total", "has(order.total > 5 USD)", "review")),
        "Pass a field path: `has(order.paid_at)`.",
    ),
    CodeDoc(
        "TTR119",
        "invalid-config",
        "`ttrules.yaml` is invalid.",
        "The stack, default resolution, currency, FX table, costs and schema extensions all come from it.",
        Example(
            path="ttrules.yaml",
            text="stack: [rules/]\ndefault: aprove\ncurrency: USD\n",
            files=(("rules/example.ttr", _MERCHANT + _rule("small", "order.total < 20 USD", "approve")),),
        ),
        "Fix the key the message names; see the configuration section of the CLI reference.",
    ),
    CodeDoc(
        "TTR120",
        "duplicate-ruleset-name",
        "Two files declare the same ruleset name.",
        "Rulesets are named in explanations and reports; two with one name are ambiguous.",
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
        "Rename one.",
    ),
    CodeDoc(
        "TTR121",
        "unknown-type",
        "An extension field in `ttrules.yaml` has a type ttrules does not know.",
        "Extension fields are typed like the built-in ones so rules that use them are checked.",
        Example(
            path="ttrules.yaml",
            text="stack: [rules/]\ncurrency: USD\nfields:\n  buyer.vip_level: integer\n",
            files=(("rules/example.ttr", _MERCHANT + _rule("small", "order.total < 20 USD", "approve")),),
        ),
        "Use one of `int`, `number`, `money`, `duration`, `timestamp`, `str`, `bool`, "
        "`set[str]`, with `?` for optional (e.g. `int?`).",
    ),
    CodeDoc(
        "TTR123",
        "lock-mismatch",
        "`ttrules check --locked`: a rule file differs from `ttrules.lock`, or there is no lock.",
        "A team that requires every rule change to be simulated and confirmed needs CI to "
        "notice a change that skipped that step.",
        Example(
            text=_MERCHANT + _rule("small", 'order.category == "home" and order.total < 20 USD', "approve"),
            command=("check", "--locked"),
            note="never confirmed: there is no ttrules.lock",
        ),
        "Run `ttrules simulate --save plan.json`, read the report, then "
        "`ttrules confirm plan.json`, and commit `ttrules.lock` with the change.",
    ),
    CodeDoc(
        "TTR122",
        "empty-stack",
        "No rule file was found in the stack.",
        "An empty stack decides every case with the default resolution; that is rarely what was meant.",
        Example(
            path="ttrules.yaml",
            text="stack: [rules/]\ncurrency: USD\n",
            files=(("rules/README.md", "rules go here\n"),),
        ),
        "Point `stack:` (or the command-line paths) at the rule files.",
    ),
    CodeDoc(
        "TTR124",
        "history-lacks-field",
        "`check --history` or `simulate`: a field the rules read is missing in most records of the history.",
        "A rule reading a field a record lacks errors on that record (or `has()` is false), "
        "so against this history the rule is out of the simulation: its figures say nothing "
        "about what it would do. Real exports often lack fields the rules were written for "
        "(a TikTok order has no product category).",
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
        "Fill the field: map a column onto it in `history.columns`, or for a TikTok import "
        "give the option the import report names (`--products` for `order.category`).",
    ),
    CodeDoc(
        "TTR125",
        "layer-not-allowed-here",
        "A ruleset declares a layer its file may not hold: the strongest layer (or one "
        "listed in `layer_paths:`) belongs to the files the configuration names for it.",
        "The platform wins. If any rule file could say `layer platform`, a merchant rule "
        "could outrank the platform policy, or switch fail-closed off for itself, by one word. "
        "Which files hold the strongest layer is fixed by `ttrules.yaml` (by default its first "
        "`stack:` entry), so a pull request that moves rules into it shows as a change there.",
        Example(
            path="rules/merchant/fast-refunds.ttr",
            text='ruleset "fast-refunds"\nlayer platform\n\n'
            + _rule("fast", "order.total < 20 USD", "approve"),
            files=(
                ("ttrules.yaml", _TWO_LAYERS),
                ("rules/platform/policy.ttr", _PLATFORM + _rule("p", "order.total > 1000 USD", "review")),
            ),
        ),
        "Declare the merchant layer, or move the file into the platform directory (a change the "
        "repository's owners review). `layer_paths: {platform: [rulesets/platform/]}` says "
        "where each layer may be.",
    ),
    CodeDoc(
        "TTR126",
        "unknown-reason-code",
        "A `request.reason_code` is compared with a code that is not in the shipped table of "
        "TikTok Shop reason codes.",
        "Reason codes are long, easy to misspell and never validated by the platform on your "
        "side: a rule on a misspelt code silently never matches. The code may be new (the "
        "platform adds codes), so this is a warning; `ttrules schema` and docs/case-schema.md "
        "list the codes ttrules knows.",
        Example(
            _MERCHANT
            + _rule(
                "no-longer-needed",
                'request.kind == CANCEL and order.category == "home" '
                'and request.reason_code == "ecom_order_to_ship_canceled_reason_no_longer_neded"',
                "approve",
            )
        ),
        "Use the code `help:` suggests, or `request.reason` (the category, e.g. `CHANGED_MIND`), "
        "which every code maps to.",
    ),
    # ---- TTR2xx: layering (the analysis stage) ---------------------------------------------
    CodeDoc(
        "TTR201",
        "always-overridden",
        "A rule of a weaker layer that a stronger layer overrides "
        "or vetoes for every case it matches: it can never take effect.",
        "The platform wins. A merchant rule whose every match is taken by a platform rule is "
        "dead code that looks alive: the seller believes it decides cases, and every report "
        "says otherwise. The claim is proven by the solver for all cases, not sampled.",
        _layered(
            (
                'rule "no-cancel"\n'
                "  when request.kind == CANCEL and order.status == AWAITING_SHIPMENT\n"
                '  then reject("too late")\n'
                '  because "we ship fast"\n'
            ),
            _PLATFORM_CANCEL,
        ),
        "Delete the rule, or narrow it to the cases the stronger layer leaves open. The notes "
        "name the stronger rules and forbids and their conditions.",
    ),
    CodeDoc(
        "TTR202",
        "partly-overridden",
        "A rule of a weaker layer that a stronger layer "
        "overrides or vetoes for part of the cases it matches.",
        "The rule still works, but not where the stronger layer decides; the region (the "
        "stronger rule and its condition) is where sellers are surprised. A witness case, "
        "confirmed by the evaluator, shows one such case.",
        _layered(
            (
                'rule "no-cancel"\n'
                "  when request.kind == CANCEL\n"
                '  then reject("too late")\n'
                '  because "we ship fast"\n'
            ),
            _PLATFORM_CANCEL,
        ),
        "Nothing, if the override is intended (say so in `because`); otherwise narrow the rule "
        "so it does not compete with the stronger layer. Silence it per rule with "
        "`# ttrules: ignore[TTR202] because ...`.",
    ),
    CodeDoc(
        "TTR203",
        "setting-always-clamped",
        "A `set` of a weaker layer whose value a stronger "
        "layer's `limit` clamps for every case in which it is chosen.",
        "The written value never applies; anyone reading the rules is misled about what the setting is.",
        _layered(
            'set return_window = 15d when order.category == "jewelry"\nset return_window = 30d\n\n'
            + _rule(
                "returns",
                "request.kind == RETURN_AND_REFUND and case.now - request.created_at < return_window",
                "review",
            ),
            'limit return_window <= 7d when order.category == "jewelry"\n',
        ),
        "Write a value within the limit.",
    ),
    CodeDoc(
        "TTR204",
        "setting-sometimes-clamped",
        "A `set` of a weaker layer whose value a "
        "stronger layer's `limit` clamps in part of the cases in which it is chosen.",
        "The value the merchant wrote is not the value used there; the note names the limit "
        "and its condition (the region), and a witness case confirmed by the evaluator shows "
        "one such case.",
        _layered(
            "set return_window = 15d\n\n"
            + _rule(
                "returns",
                "request.kind == RETURN_AND_REFUND and case.now - request.created_at < return_window",
                "review",
            ),
            'limit return_window <= 7d when order.category == "jewelry"\n',
        ),
        "Nothing, if the platform's bound is meant to win there; to make the rules say what "
        "happens, add a conditional `set` for that region (`set return_window = 7d when "
        'order.category == "jewelry"`) before the general one.',
    ),
    CodeDoc(
        "TTR205",
        "idle-forbid",
        "A `forbid` that vetoes nothing: no rule of a weaker layer "
        "that takes the forbidden action can match a case the forbid matches.",
        "A guard that guards nothing may be intended (a safety net for future rules), but it "
        "often means the forbid names the wrong action or its condition is too narrow.",
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
        "Check the action name and the condition; keep it deliberately as a safety net, or delete it.",
    ),
    # ---- TTR3xx: lints (the analysis stage) -------------------------------------------------
    CodeDoc(
        "TTR301",
        "shadowed-rule",
        "A rule that higher-priority rules of its own layer beat on "
        "every slot it sets, for every case it matches.",
        "It never decides anything; usually its priority is wrong or a broader rule was added "
        "above it. Proven by the solver, not sampled.",
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
        "Raise its priority, narrow the rules above it, or delete it. The notes name them.",
    ),
    CodeDoc(
        "TTR302",
        "ambiguous-overlap",
        "Two rules of one layer with the same priority can match the same case and set one slot differently.",
        "Then only their order in the files decides, and moving a file or a rule changes "
        "decisions. The witness case, confirmed by the evaluator, shows a case both match.",
        Example(
            text=_MERCHANT
            + _rule("approve-small", 'order.total < 30 USD and order.category == "home"', "approve")
            + "\n"
            + _rule("review-risky", "buyer.credit_score < 60", "review")
        ),
        "Give the rule that should win a higher priority, or make the conditions exclusive.",
    ),
    CodeDoc(
        "TTR303",
        "unreachable-condition",
        "A rule's condition can never be true.",
        "The rule is dead; usually a contradiction such as `order.total < 10 USD and "
        "order.total > 20 USD` or a ruleset `applies` that excludes the rule's own condition. "
        "Proven by the solver.",
        Example(
            text=_MERCHANT
            + _rule(
                "never",
                'order.total < 10 USD and order.total > 20 USD and order.category == "home"',
                "approve",
            )
        ),
        "Fix the bounds or values; `ttrules explain` on a case you expect to match shows the "
        "first condition that fails.",
    ),
    CodeDoc(
        "TTR304",
        "uniform-money-threshold",
        "A rule that refunds automatically below one money threshold, the same for every category.",
        "A single threshold invites abuse just under it (orders of 98 USD under a 100 USD "
        "limit) and fits no category well: 30 USD is a lot for socks and little for a phone.",
        Example(text=_MERCHANT + _rule("auto-refund", "order.total < 100 USD", "approve")),
        "Set the threshold per category with a setting (`set limit = 15 USD when "
        'order.category == "jewelry"`, a default after it), or restrict the rule to a '
        "category.",
    ),
    CodeDoc(
        "TTR305",
        "missing-because",
        "A rule of the strongest layer (normally `platform`) without `because`.",
        "Platform rules override the seller's; explanations and simulation reports quote "
        "`because` to say why. Without it the seller sees an override and no reason.",
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
        'Add `because "..."` with the policy\'s reason.',
    ),
    CodeDoc(
        "TTR306",
        "unused-setting",
        "A setting that is `set` but never read by a rule.",
        "Usually a renamed setting or a rule that was deleted; the value misleads readers.",
        Example(
            text=_MERCHANT + "set restock_grace = 3d\n\n" + _rule("big", "order.total > 1000 USD", "review")
        ),
        "Use it in a rule, or delete its `set` statements.",
    ),
    CodeDoc(
        "TTR307",
        "suppression-without-reason",
        "An inline suppression (`# ttrules: ignore[CODE]`) that does not say why.",
        "A suppression hides a finding from everyone who reviews the rules later; the reason "
        "is what lets them judge it. Without one the suppression silences nothing.",
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
            note="a suppression without a reason suppresses nothing: TTR202 is still reported",
        ),
        "Add the reason: `# ttrules: ignore[TTR202] because the platform's remorse window is meant to win`.",
    ),
    # ---- TTR4xx: rule tests (`ttrules test`) ----------------------------------------------
    CodeDoc(
        "TTR401",
        "rule-test-failed",
        "A rule test's case did not get the decision the test expects.",
        "Rule tests are the seller's statement of what the rules must do; a failing one means "
        "a rule change (or a platform update) changed a decision that someone relied on.",
        _rule_test(
            "tests:\n"
            "  - name: small cancellation is approved\n"
            "    case: {order: {total: 20 USD, category: apparel}, request: {kind: CANCEL, reason:"
            " CHANGED_MIND}}\n"
            "    expect: {resolution: approve}\n"
        ),
        "Read the explanation printed under the failure: it names the rule that won and, for "
        "the rule you expected, the first condition that was false. Fix the rule, or update the "
        "test if the new decision is the one you want.",
    ),
    CodeDoc(
        "TTR402",
        "invalid-rule-test",
        "A rule test cannot run: its case is not a valid case, "
        "it expects nothing, or an expectation is malformed (an unknown action, an action of "
        "the wrong slot, a value that is not a literal).",
        "A test that cannot run proves nothing; counting it as passed would hide a hole in the suite.",
        _rule_test(_SMALL_CANCEL_TEST + "    expect:\n      resolution: aprove\n"),
        "Write the case with the fields `ttrules schema` lists, and expectations as actions "
        'are written in rules (`reject("reason")`, `route("queue", sla: 30m)`).',
    ),
    CodeDoc(
        "TTR403",
        "unknown-rule-in-test",
        "A test expects a rule or layer the stack does not have.",
        "A renamed or deleted rule would otherwise make the test fail with a confusing "
        "mismatch; naming the unknown rule says what really happened.",
        _rule_test(
            _SMALL_CANCEL_TEST + "    expect:\n      resolution: approve\n      rule: merchant/small-cancel\n"
        ),
        "Use the rule's name as `ttrules explain` prints it (`layer/name`, or the name alone).",
    ),
    CodeDoc(
        "TTR404",
        "coverage-below-minimum",
        "`ttrules test --coverage-min N`: fewer than N % "
        "of the stack's rules and forbids took effect in some test.",
        "A rule no test decides can break without anyone noticing; a minimum keeps new rules "
        "from arriving untested.",
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
        "Add tests whose cases the listed rules decide (the run prints the rules that never "
        "matched and those that matched but never took effect).",
    ),
]

CODES: dict[str, CodeDoc] = {doc.code: doc for doc in _DOCS}
