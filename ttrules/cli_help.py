"""`--help` in the chosen language.

Help texts stay English in `cli.py` (docstrings and `help=`), the source; they are translated
when help is shown, because the language is known only once `--lang` is parsed, after every
decorator has run. `scripts/update_catalog.py` collects them from the command tree
(`help_messages`), so the catalog and its completeness test cover them like any marked message.

Click's own words (Usage, Options, its error messages) come from `gettext.gettext`, bound in
each of click's modules at import; that function reads compiled catalogs chosen by the
environment alone, which `--lang` cannot reach. `translate_click` rebinds those names to
ttrules' lookup, so click speaks the chosen language too; a message of a click release we have
not translated stays English, never breaks.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ttrules import i18n
from ttrules.i18n import N_
from ttrules.textwidth import join_lines, width, wrap

_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils")

# The words of click a user of ttrules meets: help, usage and the errors of parsing options.
CLICK_MESSAGES = (
    N_("Usage:"),
    N_("required"),
    N_("Options"),
    N_("Commands"),
    N_("Positional arguments"),
    N_("Show the version and exit."),
    N_("%(prog)s, version %(version)s"),
    N_("default: {default}"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    N_("deprecated"),
    N_("Aborted!"),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("Missing command."),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("Did you mean {possibility}?"),
    N_("Got unexpected extra argument ({args})"),
    N_("Option {name!r} does not take a value."),
    N_("Option {name!r} requires an argument."),
    N_("Argument {name!r} takes {nargs} values."),
    N_("Could not open file {filename!r}: {message}"),
    N_("Choose from:\n\t{choices}"),
    N_("{value!r} is not {choice}."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
)


def translate_click() -> None:
    """Click's messages through ttrules' catalog (see the module's docstring)."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = i18n._  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def command_help(command: click.Command) -> str | None:
    """The text click shows for a command's help, as the catalog keys it."""
    if not command.help:
        return None
    return inspect.cleandoc(command.help).partition("\f")[0]


_HELP_OPTION = N_("Show this message and exit.")


@contextmanager
def _translated(command: click.Command, ctx: click.Context | None = None) -> Iterator[None]:
    """The command's and its options' help texts in the chosen language, for one rendering."""
    saved: list[tuple[Any, str, Any]] = [(command, "help", command.help)]
    text = command_help(command)
    if text is not None:
        command.help = i18n._(text)
    params = command.get_params(ctx) if ctx is not None else command.params
    for param in params:
        help_text = getattr(param, "help", None)
        if help_text:
            saved.append((param, "help", help_text))
            param.help = i18n._(help_text)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for owner, attribute, value in saved:
            setattr(owner, attribute, value)


def _short_help(command: click.Command, limit: int) -> str:
    """English: click's own (first sentence, cut at a word). Chinese has no spaces to cut at:
    its first sentence, cut at `limit` terminal columns."""
    if command.short_help or i18n.language() == i18n.ENGLISH:
        return click.Command.get_short_help_str(command, limit)
    lines = (command.help or "").strip().splitlines()  # translated by the caller
    first = lines[0].split("。")[0] if lines else ""
    if width(first) <= limit:
        return first
    shown = ""
    for character in first:
        if width(shown + character) > limit - 1:
            break
        shown += character
    return shown + "…"


def _paragraphs(text: str) -> list[str]:
    paragraphs, lines = [], []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            lines.append(line)
        elif lines:
            paragraphs.append(join_lines(lines))
            lines = []
    return paragraphs


class WideHelpFormatter(click.HelpFormatter):
    """Help wrapped by terminal columns, so Chinese (two columns a character, no spaces between
    words) fills the width and its lines are joined without spaces. English goes to click's
    own wrapping, unchanged."""

    def write_text(self, text: str) -> None:
        if i18n.language() == i18n.ENGLISH:
            return super().write_text(text)
        indent = " " * self.current_indent
        out = []
        for paragraph in _paragraphs(text):
            out.append("\n".join(wrap(paragraph, self.width, indent, indent)))
        self.write("\n\n".join(out) + "\n")
        return None

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        if i18n.language() == i18n.ENGLISH:
            return super().write_dl(rows, col_max, col_spacing)
        rows = list(rows)
        first_col = min(max((width(first) for first, _second in rows), default=0), col_max) + col_spacing
        margin = " " * (first_col + self.current_indent)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n" + margin)
            lines = [
                line
                for paragraph in _paragraphs(second)
                for line in wrap(paragraph, max(self.width - first_col - self.current_indent - 2, 10))
            ]
            self.write("\n".join([lines[0], *(margin + line for line in lines[1:])]) + "\n")
        return None


class TranslatedContext(click.Context):
    formatter_class = WideHelpFormatter


def _help_option(option: click.Option | None) -> click.Option | None:
    """Click makes the help option with its text translated once and caches it; the English
    text is kept instead, and translated when shown like every other option's."""
    if option is not None and not getattr(option, "_ttrules_source_help", False):
        option.help = _HELP_OPTION
        option._ttrules_source_help = True  # type: ignore[attr-defined]
    return option


class TranslatedCommand(click.Command):
    context_class = TranslatedContext

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self, ctx):
            super().format_help(ctx, formatter)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _help_option(super().get_help_option(ctx))

    def get_short_help_str(self, limit: int = 45) -> str:
        with _translated(self):
            return _short_help(self, limit)


class TranslatedGroup(click.Group):
    context_class = TranslatedContext
    command_class = TranslatedCommand
    group_class = type  # subgroups (`import`) are translated too

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _help_option(super().get_help_option(ctx))

    def main(self, *args: Any, **kwargs: Any) -> Any:  # the entry point, and CliRunner's
        translate_click()
        return super().main(*args, **kwargs)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self, ctx):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        with _translated(self):
            return _short_help(self, limit)


def help_messages(group: click.Group) -> list[tuple[str, list[tuple[str, int]]]]:
    """(text, where) of every help text of the command tree, for the catalog."""
    found: list[tuple[str, list[tuple[str, int]]]] = []

    def where(command: click.Command) -> list[tuple[str, int]]:
        if command.callback is None:
            return []
        lines = inspect.getsourcelines(command.callback)[1]
        return [("ttrules/cli.py", lines)]

    def visit(command: click.Command) -> None:
        text = command_help(command)
        if text:
            found.append((text, where(command)))
        for param in command.params:
            help_text = getattr(param, "help", None)
            if help_text:
                found.append((help_text, where(command)))
        if isinstance(command, click.Group):
            for name in sorted(command.commands):
                visit(command.commands[name])

    visit(group)
    return found
