"""The other departments of a joint draw (跨部门联合抽查): each draws its own inspectors.

A joint draw commits its subjects once, as any draw; its inspectors are drawn per department
(益阳 四（四） "生态环境部门和其他参与部门各自从本部门检查人员名录库中随机抽取检查人员，保证每个
事项不少于1人"). The drawing bureau's own inspectors are the draw's inspector candidates of
draw.md; every other department of the plan is a `Department`: its candidates (the roster's
people whose `orgCode` is that department) fixed at the commit with their own hash, at least one
of them in each group, matched from the stream of the draw's label followed by `/<orgCode>`
(so `<label>/<orgCode>/inspectors`), with the same seed. A task's assignment lists the bureau's
group, then each department's members in the plan's order. A replacement in a department's
group is a redraw of that department's stream (`<label>/<orgCode>/inspectors/redraw/<seq>`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ssj_bridge.draw.matching import (
    Group,
    MatchingInputs,
    Redraw,
    apply_redraws,
    group_problems,
    match_inspectors,
    matching_stream,
)
from ssj_bridge.model import Inspector

LEAD, PARTNER = "lead", "partner"
PARTNER_GROUP = 1  # each other department: at least one of its people in every group


@dataclass(frozen=True)
class Department:
    """One other department of a joint draw: its matching inputs, and groups once drawn."""

    org_code: str
    role: str
    matching: MatchingInputs
    groups: tuple[Group, ...] | None = None
    redraws: tuple[Redraw, ...] = ()

    def label(self, draw_label: str) -> str:
        """The label its stream reads: the draw's, followed by `/<orgCode>`."""
        return f"{draw_label}/{self.org_code}"

    @property
    def inspector_candidates_hash(self) -> str:
        """SHA-256 of its candidates' IDs, sorted, as draw.md hashes inspector candidates."""
        return self.matching.inspector_candidates_hash

    def as_json(self) -> dict[str, Any]:
        """The recorded form (`draws.departments`)."""
        return {"orgCode": self.org_code, "role": self.role,
                "inspectorCandidatesHash": self.inspector_candidates_hash,
                "matching": self.matching.as_json(),
                "groups": None if self.groups is None else [g.as_json() for g in self.groups],
                "redraws": [r.as_json() for r in self.redraws]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Department:
        """Read the recorded form back."""
        groups = data.get("groups")
        return cls(str(data["orgCode"]), str(data.get("role", PARTNER)),
                   MatchingInputs.from_json(data["matching"]),
                   None if groups is None else tuple(Group.from_json(g) for g in groups),
                   tuple(Redraw.from_json(r) for r in data.get("redraws", ())))

    def exported(self) -> dict[str, Any]:
        """What `export draws` shows of it."""
        return {"orgCode": self.org_code, "role": self.role,
                "inspectorCandidates": self.matching.inspector_ids,
                "inspectorCandidatesHash": self.inspector_candidates_hash,
                "matching": self.matching.as_json(),
                "groups": None if self.groups is None else [
                    {"uscc": g.uscc, "inspectorIds": list(g.inspector_ids)} for g in self.groups],
                "redraws": [r.as_json() for r in self.redraws]}


@dataclass
class DepartmentRosters:
    """Who may be drawn for each department of a joint plan (the bureau's own apart)."""

    own_role: str
    others: list[tuple[str, str, list[Inspector]]] = field(default_factory=list)


def department_rosters(roster: Sequence[Inspector], departments: Sequence[str],
                       own_org: str) -> DepartmentRosters:
    """Each department's active people other than the bureau's own (roster `orgCode`)."""
    own_role = LEAD if departments and departments[0] == own_org else PARTNER
    found = DepartmentRosters(own_role)
    for index, org in enumerate(departments):
        if org == own_org:
            continue
        people = [p for p in roster if (p.org_code or "").upper() == org and p.active]
        found.others.append((org, LEAD if index == 0 else PARTNER, people))
    return found


def match_departments(seed: bytes, draw_label: str, selected: Sequence[str],
                      departments: Sequence[Department]) -> list[Department]:
    """Each department's groups for the drawn subjects (module docstring)."""
    made = []
    for department in departments:
        label = department.label(draw_label)
        groups = match_inspectors(matching_stream(seed, label,
                                                  department.inspector_candidates_hash),
                                  selected, department.matching)
        made.append(replace(department, groups=tuple(groups)))
    return made


def joint_inspectors(own: Sequence[Group], departments: Sequence[Department]
                     ) -> dict[str, tuple[str, ...]]:
    """Each subject's inspectors in the task: the bureau's group, then each department's."""
    found = {g.uscc: tuple(g.inspector_ids) for g in own}
    for department in departments:
        for group in department.groups or ():
            found[group.uscc] = (*found.get(group.uscc, ()), *group.inspector_ids)
    return found


def verify_departments(seed: bytes, draw_label: str, selected: Sequence[str],
                       departments: Sequence[Department]) -> tuple[list[Department], list[str]]:
    """Re-derive each department's groups (its recorded redraws replayed) and say what differs
    from the record or breaks a rule."""
    derived: list[Department] = []
    problems: list[str] = []
    for department in departments:
        label = department.label(draw_label)
        try:
            base = match_inspectors(matching_stream(seed, label,
                                                    department.inspector_candidates_hash),
                                    selected, department.matching)
        except ValueError as exc:
            problems.append(f"department {department.org_code}: matching cannot be re-derived: "
                            f"{exc}")
            continue
        groups, replayed = apply_redraws(seed, label, base, department.matching,
                                         department.redraws)
        problems += [f"department {department.org_code}: {p}" for p in replayed]
        if [g.as_json() for g in groups] != [g.as_json() for g in department.groups or ()]:
            problems.append(f"department {department.org_code}: groups re-derived "
                            f"{_text(groups)}, stored {_text(department.groups or ())}")
        for group in groups:
            declined = [r.replaced for r in department.redraws if r.uscc == group.uscc]
            problems += [f"department {department.org_code}: {p}"
                         for p in group_problems(group, department.matching, declined)]
        derived.append(replace(department, groups=tuple(groups)))
    return derived, problems


def _text(groups: Sequence[Group]) -> str:
    return "; ".join(f"{g.uscc}: {','.join(g.inspector_ids)}" for g in groups)
