"""Matching inspectors to the drawn subjects, re-derivable from the draw's recorded inputs.

The procedure is published in ``contracts/draw/README.md`` ("Inspector matching"); this module
is its reference implementation. It reads the same kind of random stream as the subject draw
(label followed by ``/inspectors``, the inspector candidates' hash in place of candidatesHash),
so the seed that chose the subjects also chose their inspectors, and nobody else's input did.

Constraints every group meets: at least ``group_size`` members besides auxiliary staff (who
join on top, never in place of one); an on-site group has a certified member (certNo, not
auxiliary); every field of expertise the matter needs is held by a member; nobody is matched to
a subject they declared a conflict with (回避). Workload: each
seat goes to one of the least-loaded inspectors who can fill it, chosen with the stream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from ssj_bridge.draw.sampler import RandomStream, candidates_hash
from ssj_bridge.i18n import N_, _
from ssj_bridge.model import InspectionMode

ON_SITE = InspectionMode.ON_SITE.value
CERTIFIED_RULE = N_("a certified member (certNo, not auxiliary)")
INSPECTORS_SUFFIX = "/inspectors"


Fits = Callable[["InspectorProfile"], bool]


class MatchingInfeasible(ValueError):
    """No inspector can fill a seat a subject's group needs; names the subject and the rule."""

    def __init__(self, uscc: str, rule: str) -> None:
        super().__init__(_("subject {uscc}: no eligible inspector left for {rule}").format(
            uscc=uscc, rule=rule))
        self.uscc = uscc
        self.rule = rule


@dataclass(frozen=True)
class InspectorProfile:
    """What matching reads of one inspector candidate, as fixed when the draw was committed.

    ``conflicts`` holds only the USCCs among the draw's candidates (the rest cannot matter);
    ``load`` is the number of assignments the inspector held in open tasks at the commit.
    """

    inspector_id: str
    certified: bool
    expertise: frozenset[str] = frozenset()
    conflicts: frozenset[str] = frozenset()
    load: int = 0
    # 辅助检查人员: joins a group on top of its least size, never in place of a member of it
    # (威海 第十九条, 第二十一条). Draws recorded before the flag existed read it as false.
    auxiliary: bool = False

    def as_json(self) -> dict[str, Any]:
        """The recorded form (lists sorted, so the same profile always reads the same)."""
        recorded = {"inspectorId": self.inspector_id, "certified": self.certified,
                    "expertise": sorted(self.expertise), "conflicts": sorted(self.conflicts),
                    "load": self.load}
        return {**recorded, "auxiliary": True} if self.auxiliary else recorded

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InspectorProfile:
        """Read the recorded form back."""
        return cls(str(data["inspectorId"]), bool(data["certified"]),
                   frozenset(data.get("expertise", ())), frozenset(data.get("conflicts", ())),
                   int(data.get("load", 0)), bool(data.get("auxiliary", False)))


@dataclass(frozen=True)
class MatchingInputs:
    """Everything matching reads besides the stream and the selected subjects.

    ``inspectors`` are the inspector candidates in ascending ID order; ``expertise`` the fields
    the matter needs, in the order seats for them are filled; ``modes`` the inspection mode of
    subjects that are not inspected on site (现场 for every other subject).
    """

    inspectors: tuple[InspectorProfile, ...]
    group_size: int = 2
    expertise: tuple[str, ...] = ()
    modes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [p.inspector_id for p in self.inspectors]
        if ids != sorted(set(ids)):
            raise ValueError("matching inputs: inspectors must be unique and in ascending ID order")
        if self.group_size < 1:
            raise ValueError(f"matching inputs: group size {self.group_size} is below 1")

    @property
    def inspector_ids(self) -> list[str]:
        """The inspector candidates (sorted IDs): what inspectorCandidatesHash is taken over."""
        return [p.inspector_id for p in self.inspectors]

    @property
    def inspector_candidates_hash(self) -> str:
        """SHA-256 of the sorted IDs joined by newlines, exactly as candidatesHash."""
        return candidates_hash(self.inspector_ids)

    def mode_of(self, uscc: str) -> str:
        """The subject's inspection mode."""
        return self.modes.get(uscc, ON_SITE)

    def profile(self, inspector_id: str) -> InspectorProfile:
        """One candidate's profile; KeyError for someone who is not a candidate."""
        return self._by_id[inspector_id]

    @cached_property
    def candidate_ids(self) -> frozenset[str]:
        """The inspector candidates' IDs, as a set."""
        return frozenset(p.inspector_id for p in self.inspectors)

    @cached_property
    def _by_id(self) -> dict[str, InspectorProfile]:
        return {p.inspector_id: p for p in self.inspectors}

    def as_json(self) -> dict[str, Any]:
        """The recorded form, stored with the draw at its commit."""
        return {"inspectors": [p.as_json() for p in self.inspectors],
                "groupSize": self.group_size, "expertise": list(self.expertise),
                "modes": dict(sorted(self.modes.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MatchingInputs:
        """Read the recorded form back."""
        return cls(tuple(InspectorProfile.from_json(p) for p in data["inspectors"]),
                   int(data["groupSize"]), tuple(data.get("expertise", ())),
                   dict(data.get("modes", {})))


@dataclass(frozen=True)
class Group:
    """The inspectors matched to one subject, in the order their seats were filled."""

    uscc: str
    inspector_ids: tuple[str, ...]
    mode: str = ON_SITE

    def as_json(self) -> dict[str, Any]:
        """`{"uscc", "inspectorIds", "mode"}`."""
        return {"uscc": self.uscc, "inspectorIds": list(self.inspector_ids), "mode": self.mode}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Group:
        """Read the recorded form back."""
        return cls(str(data["uscc"]), tuple(data["inspectorIds"]), str(data.get("mode", ON_SITE)))


@dataclass(frozen=True)
class Redraw:
    """One recorded replacement after the draw: ``replaced`` left ``uscc``'s group.

    ``unavailable`` are candidates that could not take the seat when it was redrawn (retired,
    or with a conflict declared after the commit); ``seq`` numbers the draw's redraws from 1.
    ``approved_by`` is who approved the replacement, where one was asked for (威海 第二十一条
    "经本单位分管负责同志同意"); it does not enter the stream, so it changes no seat.
    """

    seq: int
    uscc: str
    replaced: str
    replacement: str
    reason: str
    unavailable: tuple[str, ...] = ()
    at: str = ""
    approved_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The recorded form, one entry of the draw's `redraws` list."""
        recorded = {"seq": self.seq, "uscc": self.uscc, "replaced": self.replaced,
                    "replacement": self.replacement, "reason": self.reason,
                    "unavailable": list(self.unavailable), "at": self.at}
        return {**recorded, "approvedBy": self.approved_by} if self.approved_by else recorded

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Redraw:
        """Read the recorded form back."""
        return cls(int(data["seq"]), str(data["uscc"]), str(data["replaced"]),
                   str(data["replacement"]), str(data.get("reason", "")),
                   tuple(data.get("unavailable", ())), str(data.get("at", "")),
                   data.get("approvedBy") or None)


def matching_stream(seed: bytes, label: str, inspector_candidates_hash: str) -> RandomStream:
    """The stream that matches a draw's groups: its label followed by ``/inspectors``."""
    return RandomStream(seed, label + INSPECTORS_SUFFIX, inspector_candidates_hash)


def redraw_stream(seed: bytes, label: str, inspector_candidates_hash: str, seq: int) -> RandomStream:
    """The stream of the draw's ``seq``-th redraw: label + ``/inspectors/redraw/<seq>``."""
    return RandomStream(seed, f"{label}{INSPECTORS_SUFFIX}/redraw/{seq}", inspector_candidates_hash)


def match_inspectors(stream: RandomStream, subjects: Sequence[str],
                     inputs: MatchingInputs) -> list[Group]:
    """Match a group to each subject, in drawing order (contracts/draw/README.md).

    Raises MatchingInfeasible when a seat cannot be filled.
    """
    load = Counter({p.inspector_id: p.load for p in inputs.inspectors})
    # Who declared a conflict with whom, turned around: most subjects have nobody to leave out.
    conflicted: dict[str, set[str]] = {}
    for person in inputs.inspectors:
        for uscc in person.conflicts:
            conflicted.setdefault(uscc, set()).add(person.inspector_id)
    groups: list[Group] = []
    for uscc in subjects:
        mode = inputs.mode_of(uscc)
        blocked = conflicted.get(uscc)
        eligible = (inputs.inspectors if not blocked else
                    [p for p in inputs.inspectors if p.inspector_id not in blocked])
        members: list[InspectorProfile] = []
        seated: set[str] = set()
        for rule, wanted in _seats(inputs, mode, members):
            chosen = _least_loaded(stream, [p for p in eligible
                                            if p.inspector_id not in seated and wanted(p)],
                                   load, uscc, rule)
            members.append(chosen)
            seated.add(chosen.inspector_id)
            load[chosen.inspector_id] += 1
        groups.append(Group(uscc, tuple(p.inspector_id for p in members), mode))
    return groups


def _seats(inputs: MatchingInputs, mode: str,
           members: list[InspectorProfile]) -> Iterator[tuple[str, Fits]]:
    """The seats of one group in filling order, each with the rule it serves and who fits it.

    A seat is skipped when the members chosen so far already meet its rule, so a certified
    member who holds the needed field fills both needs.
    """
    if mode == ON_SITE:
        yield _(CERTIFIED_RULE), lambda p: p.certified
    for needed in inputs.expertise:
        if not any(needed in m.expertise for m in members):
            yield _expertise_rule(needed), _holds(needed)
    while sum(not m.auxiliary for m in members) < inputs.group_size:
        yield _group_rule(inputs.group_size), _not_auxiliary


def _expertise_rule(needed: str) -> str:
    return _("expertise {field}").format(field=needed)


def _group_rule(size: int) -> str:
    return _("a group of {size} besides auxiliary staff").format(size=size)


def _not_auxiliary(profile: InspectorProfile) -> bool:
    return not profile.auxiliary


def _holds(expertise: str) -> Fits:
    return lambda p: expertise in p.expertise


def _least_loaded(stream: RandomStream, pool: Sequence[InspectorProfile], load: Counter[str],
                  uscc: str, rule: str) -> InspectorProfile:
    if not pool:
        raise MatchingInfeasible(uscc, rule)
    # One pass: the least load, and who carries it, in the pool's (ID) order.
    lowest = load[pool[0].inspector_id]
    tied: list[InspectorProfile] = []
    for person in pool:
        carried = load[person.inspector_id]
        if carried < lowest:
            lowest, tied = carried, [person]
        elif carried == lowest:
            tied.append(person)
    return tied[stream.uniform(len(tied))]


def redraw_inspector(stream: RandomStream, groups: Sequence[Group], uscc: str, replaced: str,
                     inputs: MatchingInputs, unavailable: Iterable[str] = (),
                     declined: Iterable[str] = ()) -> tuple[list[Group], str]:
    """Replace ``replaced`` in ``uscc``'s group with one inspector; return the new groups and who.

    The replacement is a candidate outside the group, not ``replaced``, not ``unavailable``,
    not anyone in ``declined`` (earlier redraws' replaced inspectors of the same subject), with
    no recorded conflict with the subject, who restores every rule the group lost; among them
    the least loaded (recorded load plus seats in the draw's groups) is chosen with the stream.
    """
    index = next((i for i, g in enumerate(groups) if g.uscc == uscc), None)
    if index is None:
        raise ValueError(f"subject {uscc} is not in this draw")
    group = groups[index]
    if replaced not in group.inspector_ids:
        raise ValueError(f"inspector {replaced} is not in the group of subject {uscc}")
    rest = [inputs.profile(i) for i in group.inspector_ids if i != replaced]
    needs: list[tuple[str, Fits]] = []
    if group.mode == ON_SITE and not any(p.certified for p in rest):
        needs.append((_(CERTIFIED_RULE), lambda p: p.certified))
    for needed in inputs.expertise:
        if not any(needed in p.expertise for p in rest):
            needs.append((_expertise_rule(needed), _holds(needed)))
    if sum(not p.auxiliary for p in rest) < inputs.group_size:
        needs.append((_group_rule(inputs.group_size), _not_auxiliary))
    excluded = {replaced, *group.inspector_ids, *unavailable, *declined}
    pool = [p for p in inputs.inspectors if p.inspector_id not in excluded
            and uscc not in p.conflicts and all(fits(p) for _, fits in needs)]
    load = Counter({p.inspector_id: p.load for p in inputs.inspectors})
    for g in groups:
        load.update(i for i in g.inspector_ids if not (g.uscc == uscc and i == replaced))
    rule = _(" and ").join(r for r, _fits in needs) or _("the vacated seat")
    chosen = _least_loaded(stream, pool, load, uscc, rule).inspector_id
    new_ids = tuple(chosen if i == replaced else i for i in group.inspector_ids)
    updated = list(groups)
    updated[index] = replace(group, inspector_ids=new_ids)
    return updated, chosen


def apply_redraws(seed: bytes, label: str, groups: Sequence[Group], inputs: MatchingInputs,
                  redraws: Sequence[Redraw]) -> tuple[list[Group], list[str]]:
    """Replay recorded redraws in order; return the groups and what disagrees with the record."""
    current = list(groups)
    problems: list[str] = []
    for entry in sorted(redraws, key=lambda r: r.seq):
        declined = [r.replaced for r in redraws if r.uscc == entry.uscc and r.seq < entry.seq]
        stream = redraw_stream(seed, label, inputs.inspector_candidates_hash, entry.seq)
        try:
            current, chosen = redraw_inspector(stream, current, entry.uscc, entry.replaced,
                                               inputs, entry.unavailable, declined)
        except ValueError as exc:
            problems.append(f"redraw {entry.seq}: {exc}")
            continue
        if chosen != entry.replacement:
            problems.append(f"redraw {entry.seq} of subject {entry.uscc}: recorded replacement "
                            f"{entry.replacement}, re-derived {chosen}")
    return current, problems


def group_problems(group: Group, inputs: MatchingInputs,
                   declined: Iterable[str] = ()) -> list[str]:
    """Every rule a group breaks (empty when it is sound); ``declined`` are recorded 回避."""
    problems: list[str] = []
    known = {p.inspector_id for p in inputs.inspectors}
    strangers = [i for i in group.inspector_ids if i not in known]
    if strangers:
        return [_("subject {uscc}: {inspectors} not among the inspector candidates").format(
            uscc=group.uscc, inspectors=", ".join(strangers))]
    members = [inputs.profile(i) for i in group.inspector_ids]
    if len(set(group.inspector_ids)) != len(group.inspector_ids):
        problems.append(_("subject {uscc}: an inspector is listed twice").format(uscc=group.uscc))
    if sum(not p.auxiliary for p in members) < inputs.group_size:
        problems.append(_("subject {uscc}: {count} inspectors besides auxiliary staff, the "
                          "group size is {size}").format(
            uscc=group.uscc, count=sum(not p.auxiliary for p in members), size=inputs.group_size))
    if group.mode == ON_SITE and not any(p.certified for p in members):
        problems.append(_("subject {uscc}: no certified member in an on-site group").format(
            uscc=group.uscc))
    for needed in inputs.expertise:
        if not any(needed in p.expertise for p in members):
            problems.append(_("subject {uscc}: nobody with expertise {field}").format(
                uscc=group.uscc, field=needed))
    declined_set = set(declined)
    for p in members:
        if group.uscc in p.conflicts or p.inspector_id in declined_set:
            problems.append(_("subject {uscc}: inspector {inspector} declared a conflict").format(
                uscc=group.uscc, inspector=p.inspector_id))
    return problems


def shortfall(inputs: MatchingInputs, on_site: bool = True) -> str | None:
    """Why the inspector candidates cannot form even one group, or None when they can."""
    staff = sum(not p.auxiliary for p in inputs.inspectors)
    if staff < inputs.group_size:
        return _("{staff} active inspectors, a group needs {size} (auxiliary staff join on "
                 "top, never in place of one)").format(staff=staff, size=inputs.group_size)
    if on_site and not any(p.certified for p in inputs.inspectors):
        return _("no active certified inspector (certNo, not auxiliary) for on-site groups")
    for needed in inputs.expertise:
        if not any(needed in p.expertise for p in inputs.inspectors):
            return _("no active inspector with the matter's expertise {field}").format(
                field=needed)
    return None
