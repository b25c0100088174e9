"""The check stage: types against the case schema, names, settings, actions, the stack."""

from ttrules.check.stack_checks import check_stack

__all__ = ["check_stack"]
