"""Every backend handles every expression form.

The semantics are written once (the reference interpreter) and followed by the compiled path,
the SQL compiler, the SMT encoding, the type checker and the formatter. Each of them turns an
expression into its own thing with one `match` over the node classes of `ttrules.ast.Expr`; a
form one of them forgets is a drift the differential tests only catch if they happen to
generate it. This test reads each dispatcher's source and fails when a node class of the
expression union is not named by one of its `case` patterns (a catch-all does not count: it is
how a forgotten form goes unnoticed).
"""

from __future__ import annotations

import ast as python_ast
import inspect
import typing
from collections.abc import Callable

import pytest

from ttrules import ast
from ttrules.analyze.encode import Encoder
from ttrules.check.typecheck import TypeChecker
from ttrules.columnar.terms import Terms
from ttrules.evaluate import compiled, interpret
from ttrules.syntax import format as formatter

EXPRESSION_FORMS = frozenset(cls.__name__ for cls in typing.get_args(ast.Expr))

# backend -> the functions whose `match` statements together dispatch on the expression forms
DISPATCHERS: dict[str, tuple[Callable[..., object], ...]] = {
    "reference interpreter": (interpret.evaluate,),
    "compiled path": (compiled._literal, compiled.compile_expr),
    "SQL compiler": (Terms.term,),
    "SMT encoding": (Encoder._term, Encoder._membership),
    "type checker": (TypeChecker.infer,),
    "formatter": (formatter._format,),
}


def _forms_named(function: Callable[..., object]) -> set[str]:
    tree = python_ast.parse(inspect.cleandoc("\n" + inspect.getsource(function)))
    named: set[str] = set()
    for node in python_ast.walk(tree):
        if isinstance(node, python_ast.MatchClass):
            cls = node.cls
            named.add(cls.attr if isinstance(cls, python_ast.Attribute) else getattr(cls, "id", ""))
        elif isinstance(node, python_ast.Call) and getattr(node.func, "id", "") == "isinstance":
            # `isinstance(x, ast.SetLit)`: the membership encoder reads a set collection this way
            for arg in python_ast.walk(node.args[1]):
                if isinstance(arg, python_ast.Attribute) and arg.attr in EXPRESSION_FORMS:
                    named.add(arg.attr)
    return named & EXPRESSION_FORMS


def test_the_expression_union_is_every_expression_class() -> None:
    """A node class added to ast.py but left out of `Expr` would escape the test below."""
    leaves = {
        name
        for name, cls in vars(ast).items()
        if isinstance(cls, type) and issubclass(cls, ast.Node) and cls is not ast.Node
    }
    statements = {"Action", "SetStmt", "LimitStmt", "Rule", "Forbid", "Ruleset"}
    assert leaves - statements == EXPRESSION_FORMS


@pytest.mark.parametrize("backend", sorted(DISPATCHERS))
def test_every_backend_handles_every_expression_form(backend: str) -> None:
    named = set().union(*(_forms_named(f) for f in DISPATCHERS[backend]))
    missing = sorted(EXPRESSION_FORMS - named)
    assert not missing, f"the {backend} does not handle {', '.join(missing)}"
