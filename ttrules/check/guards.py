"""Which optional fields a condition proves present, when it is true and when it is false.

`has(order.paid_at) and case.now - order.paid_at <= 1h` is safe because the right operand is
only evaluated when the left is true; `not has(x) or x > 1` likewise. The evaluator
short-circuits left to right, so these facts are sound.
"""

from __future__ import annotations

from ttrules import ast


def present_if_true(expr: ast.Expr) -> frozenset[str]:
    match expr:
        case ast.Has(target=ast.FieldRef(path=path)):
            return frozenset({path})
        case ast.And(items=items):
            return frozenset().union(*(present_if_true(i) for i in items))
        case ast.Or(items=items):
            return frozenset.intersection(*(present_if_true(i) for i in items))
        case ast.Not(operand=operand):
            return present_if_false(operand)
    return frozenset()


def present_if_false(expr: ast.Expr) -> frozenset[str]:
    match expr:
        case ast.Or(items=items):
            return frozenset().union(*(present_if_false(i) for i in items))
        case ast.And(items=items):
            return frozenset.intersection(*(present_if_false(i) for i in items))
        case ast.Not(operand=operand):
            return present_if_true(operand)
    return frozenset()
