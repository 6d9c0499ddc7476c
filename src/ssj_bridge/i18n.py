"""The language people read: Chinese (zh-CN) by default, English with `SSJ_LANGUAGE=en`.

Every human-facing string is written in English in the code and marked for translation:

    from ssj_bridge.i18n import _, ngettext, pgettext

    click.echo(_("{count} inspectors applied from {file}").format(count=n, file=name))
    ngettext("{n} task drawn", "{n} tasks drawn", n).format(n=n)
    pgettext("status", "open")      # the same English word may need another Chinese one

A string that must exist before the language is known (a module-level constant) is marked
with `N_()` and translated where it is shown: `_(CONSTANT)`. JSON field names, codes, log
event names and file formats are never translated (interface.md).

The catalogue is `locale/zh_CN/LC_MESSAGES/ssj_bridge.po` in this package. It is read at run
time, not compiled at build time: an editable install (`make demo`, `make test` on a fresh
machine) maps the package onto the source tree, where no build step runs, so a compiled
`.mo` would be missing or stale. Babel compiles the `.po` in memory on first use and the result
is cached per content of the `.po` (in `$XDG_CACHE_HOME/ssj-bridge`, else
`~/.cache/ssj-bridge`), so a command pays for Babel once per catalogue change, not per run.
English is the code's own text (no catalogue).

The language comes from `SSJ_LANGUAGE` (`zh`, `zh-CN`, `en`, `en-US`…; anything else reads as
zh), read when a string is translated, or from `use_language()` (tests, the settings file).
"""

from __future__ import annotations

import gettext
import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from jinja2 import Environment

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
DEFAULT: Language = "zh"
DOMAIN = "ssj_bridge"
LOCALE_DIR = Path(__file__).parent / "locale"
CATALOGUES = {"zh": LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.po"}

_chosen: list[Language] = []


def normalise(value: str | None) -> Language:
    """`SSJ_LANGUAGE`'s value as a language: `en…` is English, anything else Chinese."""
    text = (value or "").strip().lower().replace("_", "-")
    return "en" if text == "en" or text.startswith("en-") else DEFAULT


def is_known(value: str) -> bool:
    """True for the values `SSJ_LANGUAGE` documents (`zh`, `en`, with a region or not)."""
    text = value.strip().lower().replace("_", "-")
    return text.split("-")[0] in LANGUAGES


def language() -> Language:
    """The language in force: `use_language()`'s, else `SSJ_LANGUAGE`'s, else zh."""
    if _chosen:
        return _chosen[-1]
    return normalise(os.environ.get("SSJ_LANGUAGE"))


@contextmanager
def use_language(chosen: str) -> Iterator[Language]:
    """Within the block, translate into `chosen` whatever the environment says."""
    _chosen.append(normalise(chosen))
    try:
        yield _chosen[-1]
    finally:
        _chosen.pop()


def set_language(chosen: str | None) -> None:
    """From now on translate into `chosen` (None: back to `SSJ_LANGUAGE`)."""
    _chosen.clear()
    if chosen is not None:
        _chosen.append(normalise(chosen))


def translations(lang: str | None = None) -> gettext.NullTranslations:
    """The gettext translations of `lang` (default: the language in force)."""
    return _load(normalise(lang) if lang is not None else language())


def _(message: str) -> str:
    """`message` in the language in force."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for `n`, in the language in force."""
    return translations().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the language in force, where `context` tells two uses of a word apart."""
    return translations().pgettext(context, message)


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now: `_(message)` where shown."""
    return message


@cache
def _load(lang: Language) -> gettext.NullTranslations:
    po = CATALOGUES.get(lang)
    if po is None:
        return gettext.NullTranslations()
    data = po.read_bytes()
    cached = _cache_dir() / f"{DOMAIN}-{lang}-{hashlib.sha256(data).hexdigest()[:16]}.mo"
    try:
        return gettext.GNUTranslations(io.BytesIO(cached.read_bytes()))
    except OSError:
        pass
    compiled = compile_po(data)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(compiled)
        partial.replace(cached)
    except OSError:  # a read-only home: compile again next time, translate all the same
        pass
    return gettext.GNUTranslations(io.BytesIO(compiled))


def compile_po(data: bytes) -> bytes:
    """A `.po` file's bytes compiled to `.mo` bytes (Babel), fuzzy entries left out."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(data), domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory (a bare cron environment)
            base = os.path.join(os.sep, "tmp", f"ssj-bridge-{os.getuid()}")
    return Path(base) / "ssj-bridge"


def jinja_environment_i18n(env: Environment) -> None:
    """Give a Jinja2 environment `{% trans %}`, `_()` and `ngettext()` in the language in force.

    The environment must have been created with `extensions=["jinja2.ext.i18n"]`; call this
    before each render so a template follows the language of the moment.
    """
    # Added to the environment by jinja2.ext.i18n.
    env.install_gettext_callables(_, ngettext, newstyle=True,  # type: ignore[attr-defined]
                                  pgettext=pgettext)
