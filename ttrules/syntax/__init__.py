"""The syntax stage: DSL and YAML text to the AST, and the AST back to text.

This package is the only place that imports lark or yaml.
"""

from ttrules.syntax.load import find_rule_files, load_ruleset_file, parse_ruleset_text

__all__ = ["find_rule_files", "load_ruleset_file", "parse_ruleset_text"]
