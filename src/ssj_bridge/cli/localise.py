"""Help and click's own words in the language in force (ssj_bridge.i18n).

Commands and options are written with English help (docstrings, `help=`), which are the
catalogue's message ids. They are built once, when a command's module is imported, but the
language may change between two invocations in one process (tests, the settings file), so the
English text is kept aside and the translation put in place each time a command is fetched.

Click words its own messages ("Usage:", "Missing option", "[default: …]") through the
standard `gettext` functions it imported; `use_catalogue()` points those names at this
project's catalogue, which carries their Chinese.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import click

from ssj_bridge.i18n import _, ngettext

_ORIGINAL = "_ssj_english"
# click's modules that word messages through `gettext` / `ngettext` (click 8.x).
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types",
                  "_termui_impl", "shell_completion")


def english(item: Any, attribute: str) -> str | None:
    """The English text of `attribute` (help, short_help, epilog) as written in the code."""
    kept: dict[str, str | None] = item.__dict__.setdefault(_ORIGINAL, {})
    if attribute not in kept:
        value = getattr(item, attribute, None)
        kept[attribute] = inspect.cleandoc(value) if isinstance(value, str) else value
    return kept[attribute]


def localise(command: click.Command) -> click.Command:
    """Put the translations of `command`'s help (and its options' and subcommands') in place."""
    for item in _walk(command):
        for attribute in ("help", "short_help", "epilog"):
            text = english(item, attribute)
            if text:
                setattr(item, attribute, _(text))
        if isinstance(item, click.Command):
            # click builds `--help` once per command, worded in the language of that moment.
            item._help_option = None
    return command


def _walk(command: click.Command) -> Iterator[Any]:
    yield command
    for param in command.params:
        if isinstance(param, click.Option):
            yield param
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _walk(sub)


def help_texts(command: click.Command) -> Iterator[str]:
    """Every English help text of `command` and below it (the catalogue's message ids)."""
    for item in _walk(command):
        for attribute in ("help", "short_help", "epilog"):
            text = english(item, attribute)
            if text:
                yield text


def use_catalogue() -> None:
    """Make click word its own messages through the project's catalogue."""
    import importlib

    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a click without that module
            continue
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
