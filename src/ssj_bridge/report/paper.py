"""What every document a bureau files shares: the letterhead, the A4 page, the words.

A document is one self-contained HTML file (styles inline, a Content-Security-Policy that
forbids every fetch) that reads on a 1400 px screen and on a 390 px phone and prints on A4
with the unit, the title and the period at the head of every page and "page x of y" at its
foot (CSS paged media: `@page` margin boxes). `ssj_bridge.report.pdf` prints the same file
to PDF with headless Chromium, so what the browser tests see is what is filed.

Words are marked for translation (`{% trans %}`, `_()`) and written in Chinese, the language
the documents are filed in; `_` and `ngettext` go through ssj_bridge.i18n, so the project's
one catalogue decides (a Chinese text without an entry there stays as written).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.report.output import report_file

QUARTER_WORDS = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
_QUARTER = re.compile(r"(\d{4})Q([1-4])")


def _(message: str) -> str:
    """A document's words in the language in force: the project's one catalogue
    (ssj_bridge.i18n) decides."""
    from ssj_bridge import i18n

    return i18n._(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Singular or plural, through the project's one catalogue (ssj_bridge.i18n)."""
    from ssj_bridge import i18n

    return i18n.ngettext(singular, plural, n)


def install_translations(env: Environment) -> None:
    """Give `env` `{% trans %}`, `_()` and `ngettext()` (jinja2.ext.i18n, new style)."""
    # install_gettext_callables is added by the jinja2.ext.i18n extension.
    env.install_gettext_callables(_, ngettext, newstyle=True)  # type: ignore[attr-defined]


def period_words(label: str) -> str:
    """`2026Q4` → `2026年第四季度`; `2026H1` or a year pass through unchanged."""
    found = _QUARTER.fullmatch(label)
    if found is None:
        return label
    return f"{found.group(1)}年{QUARTER_WORDS[int(found.group(2))]}"


def css_string(value: object) -> Markup:
    """A value as a CSS string literal (for `@page` margin boxes): quotes, backslashes,
    angle brackets and line breaks escaped as CSS escapes, so a unit's name can neither end
    the string nor the stylesheet. Safe as it is inside `<style>` (no HTML escaping there)."""
    text = str(value)
    escaped = "".join(ch if ch.isprintable() and ch not in '"\\<>&' else f"\\{ord(ch):x} "
                      for ch in text)
    return Markup(f'"{escaped}"')  # noqa: S704 - escaped above for CSS


def page_counter(template: str) -> Markup:
    """`第 {page} 页，共 {pages} 页` as a CSS `content` value with the page counters."""
    parts = re.split(r"(\{page\}|\{pages\})", template)
    tokens = []
    for part in parts:
        if part == "{page}":
            tokens.append("counter(page)")
        elif part == "{pages}":
            tokens.append("counter(pages)")
        elif part:
            tokens.append(css_string(part))
    return Markup(" ".join(tokens))  # noqa: S704 - css_string tokens and counters


@dataclass(frozen=True)
class Letterhead:
    """Who files the document and for when: at the head of every printed page."""

    unit: str  # the filing authority (SSJ_ORG_NAME)
    title: str
    period: str  # YYYYQn
    region: str | None = None
    org_code: str | None = None
    generated_at: str = ""

    @property
    def period_text(self) -> str:
        """The period in words (`2026年第四季度`)."""
        return period_words(self.period)

    @classmethod
    def of(cls, settings: Any, title: str, period: str) -> Letterhead:
        """The deployment's letterhead (SSJ_ORG_NAME, SSJ_REGION_CODE, SSJ_ORG_CODE)."""
        return cls(unit=settings.org_name or _("（未设置单位名称 SSJ_ORG_NAME）"), title=title,
                   period=period, region=settings.region_code, org_code=settings.org_code,
                   generated_at=iso_beijing(beijing_now()))


def environment(filters: Mapping[str, Callable[..., Any]] | None = None) -> Environment:
    """The documents' Jinja2 environment: autoescape on, strict, with the i18n extension."""
    # The templates' names end in .j2, which select_autoescape would not match: on for all.
    env = Environment(loader=PackageLoader("ssj_bridge.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"])
    install_translations(env)
    env.filters["css_string"] = css_string
    env.filters["period_words"] = period_words
    env.globals["page_counter"] = page_counter
    env.filters.update(filters or {})
    return env


def render_document(template: str, letterhead: Letterhead, context: Mapping[str, Any],
                    filters: Mapping[str, Callable[..., Any]] | None = None) -> str:
    """One document as HTML text."""
    return environment(filters).get_template(template).render({"doc": letterhead, **context})


def write_document(text: str, path: Path) -> Path:
    """Write `text` to `path`, whole or not at all (a reader never sees half a file); a path
    that cannot be written is a ConfigurationError naming it."""
    path = path.expanduser()
    with report_file(path):  # a path that cannot be written: exit 78, naming the file
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(temporary, 0o644)  # mkstemp makes it private; a document is read by others
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return path.resolve()
