"""Reconciliation in words: one line per platform, counts named in the language in force."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from ssj_bridge.i18n import N_, _, pgettext
from ssj_bridge.model import words

KINDS = {"matched": N_("matched"), "missing_on_platform": N_("missing on the platform"),
         "missing_in_store": N_("missing in the store"), "field_mismatch": N_("fields differ"),
         "stale": N_("stale"), "duplicate_key": N_("key listed twice")}
ENTITIES = {"permit": N_("permits"), "subject": N_("subjects"), "inspector": N_("inspectors"),
            "task": N_("tasks"), "result": N_("results"), "publication": N_("publications"),
            "credit-evaluation": N_("credit evaluations"), "credit-risk": N_("credit risk classes")}


def kind(code: str) -> str:
    """A kind of break in words (`missing_in_store` → 库中缺失)."""
    return _(KINDS[code]) if code in KINDS else code


def entity(code: str) -> str:
    """A reconciled entity in words (`permit` → 许可证)."""
    return _(ENTITIES[code]) if code in ENTITIES else code


def breaks_of(summary: Mapping[str, Any]) -> Counter[str]:
    """One platform's open breaks by kind (matched left out)."""
    counts: Counter[str] = Counter()
    for value in summary.values():
        if isinstance(value, dict):
            counts.update({k: n for k, n in value.items() if k != "matched" and n})
    return counts


def summary_lines(summary: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """`reconcile`'s report, one line per platform: in step, or how many breaks of what."""
    lines = []
    for role, status in summary.items():
        if status["status"] == "failed":
            lines.append(_("{platform}: not checked ({error})").format(
                platform=words.role(role), error=status["error"]))
            continue
        details = []
        for name, counts in status.items():
            if not isinstance(counts, dict):
                continue
            found = ", ".join(f"{kind(k)} {n}" for k, n in counts.items() if n and k != "matched")
            matched = counts.get("matched", 0)
            details.append(_("{entity}: {matched} matched{breaks}").format(
                entity=entity(name), matched=matched, breaks=f", {found}" if found else ""))
        total = sum(breaks_of(status).values())
        verdict = (_("{count} breaks open").format(count=total) if total
                   else pgettext("reconcile", "in step"))
        lines.append(_("{platform}: {verdict}").format(platform=words.role(role), verdict=verdict)
                     + (" (" + "; ".join(details) + ")" if details else ""))
    return lines
