"""一单两库: the deployment's 随机抽查事项清单 — the policy's bundled list overlaid by an import.

The bundled list comes from the locality's text (`RuleBook.matter_list`); a data manager's
`matters import` replaces a matter of the same code, or adds one. The values (`MatterSpec`,
`MatterRule`) are in `ssj_bridge.model.matters`.

Public functions (what the plan, the draw and the reports build on):
- `effective_matters(store, policy)`: the deployment's list, bundled then imported, M01 first;
- `find_matter(matters, code)`: one matter, or InputRefused naming the codes there are;
- `routine_matter(matters)`: the matter that follows the policy's obligations (M01);
- `matter_of_task(matters, code)`: the matter a task's results count toward.
A draw commit takes one matter, its strata (`ssj_bridge.draw.strata`) and a scope
(`ssj_bridge.draw.strata.DrawScope`: room for a joint plan or a directed scope) — neither
needs the matter model to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ssj_bridge.errors import InputRefused
from ssj_bridge.intake.matters import imported_matters
from ssj_bridge.model.matters import (
    ALL,
    CITY,
    POLLUTION_SOURCES,
    MatterRule,
    MatterSpec,
)
from ssj_bridge.model.periods import Per

if TYPE_CHECKING:
    from ssj_bridge.policy.rules import Policy
    from ssj_bridge.store import Store


# -- the deployment's list --------------------------------------------------------------------


def bundled_matters(policy: Policy) -> tuple[MatterSpec, ...]:
    """The policy's own list: `matter_list` where the plugin gives one, else its matters with
    M01 following the policy and the others without a quota, each drawn for the deployment's
    region as a whole (level `city`: no district strata, as before matters were data)."""
    given: Sequence[MatterSpec] = getattr(policy, "matter_list", ())
    if given:
        return tuple(given)
    found = []
    for matter in policy.matters:
        if matter.optional:  # drawn with --count from the policy's categories
            rules = tuple(MatterRule(c.value, Per.QUARTER, basis=matter.clause)
                          for c in policy.categories)
        else:
            rules = (MatterRule(ALL, Per.QUARTER, follows_policy=True, basis=matter.clause),)
        found.append(MatterSpec(matter.code, matter.name, POLLUTION_SOURCES, CITY, rules))
    return tuple(found)


def effective_matters(store: Store | None, policy: Policy) -> tuple[MatterSpec, ...]:
    """The deployment's list: the policy's bundled matters, each replaced by an imported matter
    of the same code, then the imported matters the policy does not have; M01 first."""
    imported = {m.code: m for m in imported_matters(store)} if store is not None else {}
    listed = [imported.pop(m.code, m) for m in bundled_matters(policy)]
    listed += imported.values()
    return tuple(sorted(listed, key=lambda m: (not m.follows_policy, m.code)))


def find_matter(matters: Sequence[MatterSpec], code: str) -> MatterSpec:
    """The matter of that code; InputRefused listing the codes of the list otherwise."""
    for matter in matters:
        if matter.code == code:
            return matter
    codes = ", ".join(m.code for m in matters) or "none"
    raise InputRefused(f"matter {code!r} is not in the list of 抽查事项 ({codes})")


def routine_matter(matters: Sequence[MatterSpec]) -> MatterSpec | None:
    """The matter whose draws serve the policy's obligations (M01), if the list has one."""
    return next((m for m in matters if m.follows_policy), None)


def matter_of_task(matters: Sequence[MatterSpec], code: str | None) -> str | None:
    """The matter a task's results count toward: its own when it is on the list, else the
    routine matter (a higher level's routine task carries the higher level's code)."""
    codes = {m.code for m in matters}
    if code in codes:
        return code
    routine = routine_matter(matters)
    return routine.code if routine else None
