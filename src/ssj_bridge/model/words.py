"""The words people read for the codes the project keeps: platform roles, statuses, periods.

Codes stay as interface.md writes them in JSON and in the store (`KEY`, `open`, `2026Q4`);
these functions give the text a terminal, a report or a spreadsheet shows in the language in
force (ssj_bridge.i18n).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ssj_bridge.i18n import N_, _, pgettext

ROLES = {"permit": N_("permit platform"), "credit": N_("credit system"),
         "province": N_("provincial platform"), "publicity": N_("publicity system")}
CATEGORIES = {"KEY": N_("key supervision"), "SIMPLIFIED": N_("simplified supervision"),
              "GENERAL": N_("general supervision"), "SPECIAL": N_("special supervision")}
STREAMS = {"permits": N_("permits"), "permits-retry": N_("permits read again"),
           "evaluations": N_("credit evaluations"), "risk-classes": N_("credit risk classes"),
           "tasks": N_("tasks"), "results": N_("results"), "receipts": N_("receipts")}
PERS = {"quarter": N_("quarterly"), "half-year": N_("half-yearly"), "year": N_("yearly")}

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_HALF = re.compile(r"^(\d{4})H([12])$")
_YEAR = re.compile(r"^(\d{4})$")


def role(name: str) -> str:
    """A platform role's name (`permit` → 排污许可平台); an unknown role as it is."""
    return _(ROLES[name]) if name in ROLES else name


def stream(name: str) -> str:
    """A platform's listing in words (`permits` → 排污许可证); an adapter's own as it is."""
    return _(STREAMS[name]) if name in STREAMS else name


def category(code: str | None) -> str:
    """A category code's name (`KEY` → 重点监管, `ALL` → 全部); None → 无; an object sub-kind
    (`报告书`) as it is."""
    if code is None:
        return pgettext("category", "none")
    if code == "ALL":
        return pgettext("category", "all")
    return _(CATEGORIES[code]) if code in CATEGORIES else code


def per(code: str) -> str:
    """How often an obligation repeats (`quarter` → 按季度)."""
    return _(PERS[code]) if code in PERS else code


def status(code: str) -> str:
    """An obligation's status: open → 进行中, met → 已达标, short → 未达标."""
    words = {"open": pgettext("status", "open"), "met": pgettext("status", "met"),
             "short": pgettext("status", "short"), "done": pgettext("status", "done"),
             "late": pgettext("status", "late"), "overdue": pgettext("status", "overdue"),
             "due-soon": pgettext("status", "due soon"),
             "waiting": pgettext("status", "waiting")}
    return words.get(code, code)


def publication(code: str) -> str:
    """A publication's status: pending → 待公示, published → 已公示, rejected → 被拒绝."""
    found = {"pending": pgettext("publication", "pending"),
             "published": pgettext("publication", "published"),
             "rejected": pgettext("publication", "rejected")}
    return found.get(code, code)


def listing(items: Iterable[str]) -> str:
    """Items in a sentence: `a、b、c` in Chinese, `a, b, c` in English."""
    return pgettext("list separator", ", ").join(items)


def clauses(items: Iterable[str]) -> str:
    """Parts of a sentence that have commas of their own: `a；b` in Chinese, `a; b` in English."""
    return pgettext("clause separator", "; ").join(items)


def yes_no(value: bool) -> str:
    """是/否; `true`/`false` in English, as the roster file writes them (interface.md)."""
    return pgettext("boolean", "true") if value else pgettext("boolean", "false")


def period(label: str) -> str:
    """A period as people write it: 2026Q4 → 2026年第四季度, 2026H1 → 2026年上半年, 2026 → 2026年."""
    # In English the period stays as interface.md writes it (`2026Q4`, `2026H1`, `2026`).
    if match := _QUARTER.match(label):
        year, number = match.groups()
        words = (_("{year}Q1"), _("{year}Q2"), _("{year}Q3"), _("{year}Q4"))
        return words[int(number) - 1].format(year=year)
    if match := _HALF.match(label):
        year, number = match.groups()
        return (_("{year}H1") if number == "1" else _("{year}H2")).format(year=year)
    if match := _YEAR.match(label):
        return pgettext("period", "{year}").format(year=match.group(1))
    return label
