"""The fuzz suite: mutated rule files, YAML, configuration, cases, batch bodies and history rows.

Every input ttrules reads from a pull request, an export or an ERP is untrusted. Each target
here takes one mutated input and checks the promises of docs/security.md:

- nothing escapes but the project's own diagnostics and located errors (no Python exception);
- for a rule file `check` accepts, parse(fmt(x)) == x, and its YAML form is the same AST;
- each input is handled within a time bound (a hang detector, not a benchmark).

Run locally for as long as you like: `python -m tests.fuzz --minutes 10 [--target dsl]`. A
failure is shrunk by hypothesis to a minimal input and saved under tests/fuzz/crashes/, which
tests/test_fuzz.py replays on every run, together with a bounded, derandomised pass of every
target (the same inputs each run, so CI is reproducible).
"""
