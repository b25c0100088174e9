"""The registry of diagnostic codes and their user documentation.

Each entry is the documentation of its code: `docs/diagnostics.md` is generated from this
table (`python -m ttrules.docgen`) and a test fails when a code lacks a section or the page is
stale. Codes are stable: never reuse a retired number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeDoc:
    code: str
    name: str
    summary: str
    why: str
    example: str
    fix: str


_DOCS = [
    # ---- TTR0xx: reading and parsing files -------------------------------------------------
    CodeDoc(
        "TTR001",
        "invalid-encoding",
        "The file is not valid UTF-8.",
        "Rule files are text in UTF-8 so that names in any language (Chinese rule names are "
        "normal) mean the same on every machine. A file in another encoding would be misread.",
        'A rule file saved as GBK or Latin-1: `rule "\\xd0\\xa1\\xb6\\xee"`',
        "Re-save the file as UTF-8 (most editors: *Save with encoding → UTF-8*).",
    ),
    CodeDoc(
        "TTR002",
        "syntax-error",
        "The parser met a token it did not expect here.",
        "The rule cannot be understood, so none of the file can be checked or evaluated.",
        'rule "small-cancel"\n  when order.total < 50 USD\n  then approve,',
        "Read the `expected` list in the message; usually a missing operand, a stray comma "
        "or a keyword in the wrong place.",
    ),
    CodeDoc(
        "TTR003",
        "invalid-character",
        "A character that cannot start any token.",
        "Only the characters of the language may appear outside strings and comments.",
        "when order.total > 50 USD ; approve",
        'Remove the character, or put text inside a "string" or after `#`.',
    ),
    CodeDoc(
        "TTR004",
        "invalid-string",
        "A string literal is unterminated or has a bad escape.",
        'Strings end on the same line with `"` and allow JSON escapes only '
        '(`\\"`, `\\\\`, `\\n`, `\\t`, `\\uXXXX`).',
        'because "buyer remorse window',
        "Close the string, or escape the character.",
    ),
    CodeDoc(
        "TTR005",
        "missing-header",
        "A ruleset lacks its `ruleset` name or its `layer`.",
        "The layer decides where the rules stand in the platform-override cascade; without it "
        "the evaluator cannot know whether a rule is platform policy or merchant practice.",
        'rule "a"\n  then approve',
        'Start the file with `ruleset "name"` and `layer merchant` (or the layer it belongs to).',
    ),
    CodeDoc(
        "TTR006",
        "duplicate-clause",
        "A rule or statement repeats a clause such as `when`.",
        "Two `when` clauses would be ambiguous (both? either?); ttrules refuses to guess.",
        'rule "a"\n  when request.kind == CANCEL\n  when order.total < 50 USD\n  then approve',
        "Join the conditions with `and` in one `when`.",
    ),
    CodeDoc(
        "TTR007",
        "missing-then",
        "A rule has no `then` actions.",
        "A rule that decides nothing is almost always a mistake in an edit.",
        'rule "a"\n  when request.kind == CANCEL',
        "Add `then ACTION`, or delete the rule.",
    ),
    CodeDoc(
        "TTR008",
        "too-deep",
        "An expression is nested too deeply.",
        "Rules are read from untrusted files; a bound on nesting keeps checking and evaluation "
        "fast and safe. No real policy needs more than a few levels.",
        "when ((((((((((... 10,000 levels ...))))))))))",
        "Flatten the expression: use `and`/`or` chains and `in {...}` sets instead of nesting.",
    ),
    CodeDoc(
        "TTR009",
        "file-too-large",
        "The file is larger than ttrules reads.",
        "Rule files are hand-written and small; a multi-megabyte file is generated or hostile, "
        "and refusing it early keeps `check` fast and bounded.",
        "A 5 MB single-line file named `rules.ttr`.",
        "Split the rules into several files in the ruleset directory.",
    ),
    CodeDoc(
        "TTR010",
        "invalid-yaml",
        "The YAML document is malformed.",
        "YAML that does not parse cannot be turned into rules.",
        "rules:\n  - name: a\n   when: x",
        "Fix the indentation or quoting the message points at. Quote expressions that contain "
        "`:` followed by a space or start with `{`.",
    ),
    CodeDoc(
        "TTR011",
        "yaml-alias",
        "YAML anchors, aliases, tags or merge keys are used.",
        "Aliases allow a tiny document to expand into billions of nodes (the *billion laughs* "
        "attack) and make rules hard to read; rule files and `ttrules.yaml` do not need them.",
        "base: &b {priority: 10}\nrules:\n  - <<: *b",
        "Write the values out in full.",
    ),
    CodeDoc(
        "TTR012",
        "yaml-shape",
        "A YAML value has the wrong shape (a list where a mapping "
        "is expected, a number where a string is expected, a missing key, …).",
        "The YAML form maps one to one onto the DSL; a value of the wrong shape has no meaning.",
        "rules:\n  name: a      # should be a list of rules",
        "Follow the shapes in the language reference (YAML form).",
    ),
    CodeDoc(
        "TTR013",
        "yaml-unknown-key",
        "A YAML mapping has a key ttrules does not know.",
        "A misspelt key (`priorty:`) would otherwise be ignored silently and change behaviour.",
        "rules:\n  - name: a\n    priorty: 10",
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
        "set return_window = 99999999999999999999d",
        "Write the value you mean (`7d`, `50 USD`, `30%`, `priority 100`); no real window, amount "
        "or priority comes near these limits.",
    ),
    CodeDoc(
        "TTR015",
        "unreadable-file",
        "A file could not be read, or has an extension ttrules does not know.",
        "Rule files end in `.ttr`, `.yaml` or `.yml`; other files in a ruleset directory are "
        "skipped, but a file named directly must be a rule file.",
        "ttrules check rules.txt",
        "Rename the file or name the right path.",
    ),
    CodeDoc(
        "TTR016",
        "duplicate-definition",
        "A statement is repeated where only one is "
        "allowed (two `ruleset` lines, two `layer` lines, two `applies`).",
        "The second would silently replace the first.",
        'ruleset "a"\nruleset "b"',
        "Keep one.",
    ),
    # ---- TTR1xx: schema, names and types ---------------------------------------------------
    CodeDoc(
        "TTR101",
        "unknown-field",
        "A field path is not in the case schema.",
        "A misspelt field would never have a value; the rule would silently never match.",
        "when order.totl > 50 USD",
        "Use the suggested field, see `ttrules schema`, or declare an extension field under "
        "`fields:` in `ttrules.yaml`.",
    ),
    CodeDoc(
        "TTR102",
        "type-mismatch",
        "The two sides of a comparison or operator have types that cannot be compared or combined.",
        "Comparing money with a plain number (`order.total > 50`) hides the currency; "
        "a duration with money is meaningless. Such rules are wrong, not just untidy.",
        "when order.total > 50",
        "Give the literal its unit: `order.total > 50 USD`, `case.now - order.paid_at > 2h`.",
    ),
    CodeDoc(
        "TTR103",
        "unknown-enum-value",
        "A bare UPPERCASE value is not a member of the field's enumeration.",
        "`order.status == DELIVERD` would never be true; the typo must be caught before it ships.",
        "when order.status == DELIVERD",
        "Use the suggested value; `ttrules schema` lists every enumeration.",
    ),
    CodeDoc(
        "TTR104",
        "unit-error",
        "Arithmetic whose units do not work out.",
        "Money plus a number, a timestamp plus a timestamp or money times money have no "
        "meaning; ttrules checks units the way a physicist would.",
        "when order.total + 5 > 50 USD",
        "Give every amount its unit (`5 USD`), subtract timestamps to get durations, "
        "multiply money only by numbers or percentages.",
    ),
    CodeDoc(
        "TTR105",
        "unguarded-optional",
        "An optional field is used without `has(...)` or `??`.",
        "Optional fields (e.g. `order.paid_at`, `request.return_shipping_fee`) are often "
        "missing in real data. Using one unguarded would make the rule error at run time.",
        "when case.now - order.paid_at <= 1h",
        "Guard it: `has(order.paid_at) and case.now - order.paid_at <= 1h`, or give a "
        "default: `(order.paid_at ?? case.now)`.",
    ),
    CodeDoc(
        "TTR106",
        "unknown-setting",
        "A setting is read but never `set` by any layer.",
        "The rule would error on every case.",
        "when order.total < auto_refund_limt",
        "Use the suggested setting name, or add `set NAME = VALUE` to a ruleset.",
    ),
    CodeDoc(
        "TTR107",
        "bad-function-call",
        "An unknown function, or a function called with the wrong number or types of arguments.",
        "Functions are a small fixed registry (`min`, `max`, `abs`, `lower`, `days`); there is no user code.",
        'when lowercase(order.category) == "shoes"',
        "Use the suggested function with the arguments the reference lists.",
    ),
    CodeDoc(
        "TTR108",
        "unknown-action",
        "An action after `then` (or in `forbid`) is not known.",
        "An unknown action cannot be carried out.",
        "then aprove",
        "Use the suggested action; the language reference lists them by slot.",
    ),
    CodeDoc(
        "TTR109",
        "bad-action-arguments",
        "An action is given the wrong arguments.",
        "`route` needs a queue name, `partial_refund` an amount or a percentage; an action "
        "with missing or mistyped arguments cannot be carried out.",
        'then partial_refund("half")',
        "Give the arguments the reference lists, e.g. `partial_refund(30%)`.",
    ),
    CodeDoc(
        "TTR110",
        "duplicate-rule-name",
        "Two rules in one stack have the same name.",
        "Explanations, tests and simulation reports name rules; two rules with one name make them ambiguous.",
        'rule "small-cancel" ...\nrule "small-cancel" ...',
        "Rename one of them.",
    ),
    CodeDoc(
        "TTR111",
        "unknown-layer",
        "A ruleset names a layer that the stack does not have.",
        "The layer decides precedence; an unknown layer has no place in the cascade.",
        "layer merchnt",
        "Use one of the layers of `ttrules.yaml` (`layers:`; default `platform`, `merchant`).",
    ),
    CodeDoc(
        "TTR112",
        "currency-without-fx",
        "Money in a currency for which `ttrules.yaml` has no FX rate, mixed with money in another currency.",
        "Comparing 50 USD with an amount in MYR needs a rate; without one the rule errors at "
        "run time for every such case.",
        "when order.total < 50 USD and order.total > 100 MYR",
        "Add the rate under `fx:` in `ttrules.yaml`, or write the amounts in one currency.",
    ),
    CodeDoc(
        "TTR113",
        "not-boolean",
        "A condition (`when`, `applies`, a `set`/`limit` guard) is not true/false.",
        "`when order.total` has no truth value.",
        "when order.total",
        "Compare it: `when order.total > 0 USD`.",
    ),
    CodeDoc(
        "TTR114",
        "setting-type-conflict",
        "A setting is given values of different types.",
        "A setting read by rules must have one type, or the rules reading it cannot be checked.",
        'set limit = 30 USD\nset limit = 7d when order.category == "apparel"',
        "Use one type for every `set` and `limit` of a setting.",
    ),
    CodeDoc(
        "TTR115",
        "setting-reads-setting",
        "A setting's value or guard, or a ruleset's `applies`, reads a setting.",
        "Settings are computed per case before rules run; letting them depend on each other "
        "would allow cycles and order-dependent results.",
        "set b = a * 2",
        "Compute from case fields, or repeat the value.",
    ),
    CodeDoc(
        "TTR116",
        "bad-limit",
        "A `limit` has an operator that does not fit the setting's type.",
        "`<=` and `>=` need an ordered type (number, money, duration); `in` needs a set.",
        "limit return_window <= 50 USD",
        "Give a bound of the setting's type.",
    ),
    CodeDoc(
        "TTR117",
        "conflicting-actions",
        "One rule sets the same one-valued slot twice.",
        "`then approve, reject` cannot be carried out: a decision has one resolution.",
        'then approve, reject("no")',
        "Split it into two rules with different conditions.",
    ),
    CodeDoc(
        "TTR118",
        "bad-has",
        "`has(...)` is applied to something that is not a field.",
        "`has` asks whether the case carries a value for a field path.",
        "when has(order.total > 5 USD)",
        "Pass a field path: `has(order.paid_at)`.",
    ),
    CodeDoc(
        "TTR119",
        "invalid-config",
        "`ttrules.yaml` is invalid.",
        "The stack, default resolution, currency, FX table, costs and schema extensions all come from it.",
        "stack: rulesets/\ndefault: aprove",
        "Fix the key the message names; see the configuration section of the CLI reference.",
    ),
    CodeDoc(
        "TTR120",
        "duplicate-ruleset-name",
        "Two files declare the same ruleset name.",
        "Rulesets are named in explanations and reports; two with one name are ambiguous.",
        'ruleset "shop"   # in a.ttr and in b.ttr',
        "Rename one.",
    ),
    CodeDoc(
        "TTR121",
        "unknown-type",
        "An extension field in `ttrules.yaml` has a type ttrules does not know.",
        "Extension fields are typed like the built-in ones so rules that use them are checked.",
        "fields: {buyer.vip_level: integer}",
        "Use one of `int`, `number`, `money`, `duration`, `timestamp`, `str`, `bool`, "
        "`set[str]`, with `?` for optional (e.g. `int?`).",
    ),
    CodeDoc(
        "TTR123",
        "lock-mismatch",
        "`ttrules check --locked`: a rule file differs from `ttrules.lock`, or there is no lock.",
        "A team that requires every rule change to be simulated and confirmed needs CI to "
        "notice a change that skipped that step.",
        "git commit -am 'raise the limit'   # without `ttrules confirm`",
        "Run `ttrules simulate --save plan.json`, read the report, then "
        "`ttrules confirm plan.json`, and commit `ttrules.lock` with the change.",
    ),
    CodeDoc(
        "TTR122",
        "empty-stack",
        "No rule file was found in the stack.",
        "An empty stack decides every case with the default resolution; that is rarely what was meant.",
        "stack: [rulesets/merchnt/]",
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
        "ttrules check --history exports/orders.csv\n"
        "warning[TTR124]: `order.category` is missing in 100.0 % of 2,000 records: "
        "4 rules and 3 settings read it",
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
        '# rulesets/merchant/fast-refunds.ttr\nruleset "fast-refunds"\nlayer platform',
        "Declare the merchant layer, or move the file into the platform directory (a change the "
        "repository's owners review). `layer_paths: {platform: [rulesets/platform/]}` says "
        "where each layer may be.",
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
        'rule "cancel-remorse"            # merchant\n  when request.kind == CANCEL\n'
        "   and order.status == AWAITING_SHIPMENT and has(order.paid_at)\n"
        '   and case.now - order.paid_at <= 30m\n  then reject("too late")\n'
        "# the platform's remorse window approves every such case, and forbids the reject",
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
        'rule "small-cancel"              # merchant\n  when request.kind == CANCEL and '
        "order.total < 30 USD\n  then approve\n"
        "# platform/no-buyer-cancel-after-handover rejects when the order awaits collection",
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
        'set return_window = 15d when order.category == "jewelry"   # merchant\n'
        'limit return_window <= 7d when order.category == "jewelry" # platform',
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
        "set return_window = 15d                                    # merchant\n"
        'limit return_window <= 7d when order.category == "jewelry" # platform',
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
        'forbid refund_without_return\n  when order.category == "luxury"\n'
        "# no merchant rule refunds without return",
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
        'rule "refund-small"  priority 10  when order.total < 20 USD  then approve\n'
        'rule "refund-cheap"  priority 5   when order.total < 10 USD  then approve, route("x")\n'
        "# (shadowed only if it sets no slot the other leaves open)",
        "Raise its priority, narrow the rules above it, or delete it. The notes name them.",
    ),
    CodeDoc(
        "TTR302",
        "ambiguous-overlap",
        "Two rules of one layer with the same priority can match the same case and set one slot differently.",
        "Then only their order in the files decides, and moving a file or a rule changes "
        "decisions. The witness case, confirmed by the evaluator, shows a case both match.",
        'rule "approve-small"  when order.total < 30 USD  then approve\n'
        'rule "review-risky"   when buyer.credit_score < 60  then review',
        "Give the rule that should win a higher priority, or make the conditions exclusive.",
    ),
    CodeDoc(
        "TTR303",
        "unreachable-condition",
        "A rule's condition can never be true.",
        "The rule is dead; usually a contradiction such as `order.total < 10 USD and "
        "order.total > 20 USD` or a ruleset `applies` that excludes the rule's own condition. "
        "Proven by the solver.",
        "when order.total < 10 USD and order.total > 20 USD",
        "Fix the bounds or values; `ttrules explain` on a case you expect to match shows the "
        "first condition that fails.",
    ),
    CodeDoc(
        "TTR304",
        "uniform-money-threshold",
        "A rule that refunds automatically below one money threshold, the same for every category.",
        "A single threshold invites abuse just under it (orders of 98 USD under a 100 USD "
        "limit) and fits no category well: 30 USD is a lot for socks and little for a phone.",
        'rule "auto-refund"  when order.total < 100 USD  then approve',
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
        'rule "refund-if-not-collected"\n  when ...\n  then approve',
        'Add `because "..."` with the policy\'s reason.',
    ),
    CodeDoc(
        "TTR306",
        "unused-setting",
        "A setting that is `set` but never read by a rule.",
        "Usually a renamed setting or a rule that was deleted; the value misleads readers.",
        "set restock_grace = 3d   # no rule reads restock_grace",
        "Use it in a rule, or delete its `set` statements.",
    ),
    CodeDoc(
        "TTR307",
        "suppression-without-reason",
        "An inline suppression (`# ttrules: ignore[CODE]`) that does not say why.",
        "A suppression hides a finding from everyone who reviews the rules later; the reason "
        "is what lets them judge it. Without one the suppression silences nothing.",
        '# ttrules: ignore[TTR202]\nrule "small-cancel"',
        "Add the reason: `# ttrules: ignore[TTR202] because the platform's remorse window is meant to win`.",
    ),
    # ---- TTR4xx: rule tests (`ttrules test`) ----------------------------------------------
    CodeDoc(
        "TTR401",
        "rule-test-failed",
        "A rule test's case did not get the decision the test expects.",
        "Rule tests are the seller's statement of what the rules must do; a failing one means "
        "a rule change (or a platform update) changed a decision that someone relied on.",
        "tests:\n  - name: small cancellation is approved\n    case: {order.total: 20 USD, "
        "request: {kind: CANCEL, reason: CHANGED_MIND}}\n    expect: {resolution: approve}\n"
        "# the decision was `review`: no rule matched",
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
        'expect:\n  resolution: aprove\n  route: tag("x")',
        "Write the case with the fields `ttrules schema` lists, and expectations as actions "
        'are written in rules (`reject("reason")`, `route("queue", sla: 30m)`).',
    ),
    CodeDoc(
        "TTR403",
        "unknown-rule-in-test",
        "A test expects a rule or layer the stack does not have.",
        "A renamed or deleted rule would otherwise make the test fail with a confusing "
        "mismatch; naming the unknown rule says what really happened.",
        "expect:\n  rule: merchant/small-cancel   # the rule is `small-cancel-non-quality`",
        "Use the rule's name as `ttrules explain` prints it (`layer/name`, or the name alone).",
    ),
    CodeDoc(
        "TTR404",
        "coverage-below-minimum",
        "`ttrules test --coverage-min N`: fewer than N % "
        "of the stack's rules and forbids took effect in some test.",
        "A rule no test decides can break without anyone noticing; a minimum keeps new rules "
        "from arriving untested.",
        "ttrules test --coverage-min 80   # 12 of 20 rules took effect: 60 %",
        "Add tests whose cases the listed rules decide (the run prints the rules that never "
        "matched and those that matched but never took effect).",
    ),
]

CODES: dict[str, CodeDoc] = {doc.code: doc for doc in _DOCS}
