"""Builds stores with known populations for the policy tests, and checks clauses against texts.

`World` inserts subjects, designations, credit evaluations, inspectors and results straight
into the store's tables; `plan_for` classifies a quarter under a policy and makes its plan;
`assert_cited_in_source` checks that every clause a policy cites exists in its source text
and that the words it quotes stand under that clause.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ssj_bridge.model import Category
from ssj_bridge.model.identifiers import uscc_check_character
from ssj_bridge.model.periods import Quarter
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.policy.classify import ActivePolicy, Classification, classify_period, stored_classifications
from ssj_bridge.policy.plan import Plan, make_plan
from ssj_bridge.policy.rules import RuleBook
from ssj_bridge.store import Store
from ssj_bridge.store.schema import (
    assignments,
    credit_records,
    designations,
    inspectors,
    objects,
    publications,
    results,
    subjects,
    tasks,
)

NOW = "2025-05-15T08:00:00+08:00"
OWN_ORG = "11371000MB0000000E"
HIGHER_ORG = "11370000MB0000000X"


def make_uscc(region: str, number: int) -> str:
    """A valid USCC of a subject registered in `region`."""
    body = f"91{region}{number:09d}"
    return body + uscc_check_character(body)


@dataclass
class World:
    """A store being filled with subjects of one region (or of several, by argument)."""

    store: Store
    region: str
    counter: int = 0
    tasks_made: int = 0
    names: dict[str, str] = field(default_factory=dict)

    def subject(self, klass: str | None = "登记管理", *, key: bool = False, industry: str = "C2614",
                active: bool = True, region: str | None = None, name: str = "") -> str:
        """A subject with its strictest permit class (None: no valid permit)."""
        self.counter += 1
        place = region or self.region
        uscc = make_uscc(place, self.counter)
        self.names[uscc] = name or f"subject {self.counter}"
        with self.store.engine.begin() as conn:
            conn.execute(subjects.insert().values(
                uscc=uscc, name=self.names[uscc], region_code=place, industry_code=industry,
                management_class=klass, key_discharge_unit=key, active=active, permit_count=1,
                updated_at=NOW))
        return uscc

    def subjects(self, count: int, klass: str | None = "登记管理", **kwargs: Any) -> list[str]:
        """`count` alike subjects."""
        return [self.subject(klass, **kwargs) for _ in range(count)]

    def tag(self, uscc: str, tag: str, value: str | None = None, since: date | None = None,
            until: date | None = None, source: str = "测试文件") -> None:
        """A designation row (interface.md's columns)."""
        with self.store.engine.begin() as conn:
            conn.execute(designations.insert().values(
                uscc=uscc, tag=tag, since_key=since.isoformat() if since else "", value=value,
                since=since, until=until, source=source))

    def credit(self, uscc: str, tier: str, level: str, *, scheme: str = "cn-words",
               year: int = 2024, published: date = date(2025, 3, 1),
               valid_until: date | None = None) -> None:
        """An environmental credit evaluation in force from `published`."""
        with self.store.engine.begin() as conn:
            conn.execute(credit_records.insert().values(
                kind="evaluation", record_key=f"{uscc}/{year}/{published}", uscc=uscc, year=year,
                level=level, scheme=scheme, tier=tier, published_on=published,
                valid_until=valid_until, in_force=True))

    def risk(self, uscc: str, risk_class: str, published: date = date(2025, 3, 1)) -> None:
        """A 企业信用风险分类 (LOW … VERY_HIGH) in force from `published`."""
        with self.store.engine.begin() as conn:
            conn.execute(credit_records.insert().values(
                kind="risk", record_key=f"{uscc}/risk/{published}", uscc=uscc,
                risk_class=risk_class, published_on=published, in_force=True))

    def inspectors(self, certified: int, *, auxiliary: int = 0, uncertified: int = 0,
                   retired: int = 0, region: str | None = None,
                   staff_status: str | None = None, expertise: str = "大气;水") -> list[str]:
        """Roster rows: only `certified` of them count as inspectors for the ratios (and only
        when 在编在岗, `staff_status` unset or so); returns their ids."""
        rows = []
        kinds = ([("c", True, False, True)] * certified + [("a", True, True, True)] * auxiliary
                 + [("u", False, False, True)] * uncertified + [("r", True, False, False)] * retired)
        for kind, cert, aux, live in kinds:
            self.counter += 1
            rows.append({"inspector_id": f"I{kind}{self.counter}", "name": f"检查员{self.counter}",
                         "cert_no": f"C{self.counter}" if cert else None, "org_code": OWN_ORG,
                         "region_code": region or self.region, "expertise": expertise,
                         "auxiliary": aux, "active": live, "conflicts": "", "updated_at": NOW,
                         "staff_status": staff_status})
        if rows:
            with self.store.engine.begin() as conn:
                conn.execute(inspectors.insert(), rows)
        return [row["inspector_id"] for row in rows]

    def result(self, uscc: str, inspected_on: date, code: str = "01", *,
               drawn_by: str = OWN_ORG, matter: str = "M01", category: str | None = None,
               published: bool = False, region: str | None = None) -> str:
        """A completed task of one subject (of `matter`, drawn in `category`) with its recorded
        result, published when asked; returns the task's id."""
        task_id = self._task(Quarter.of(inspected_on), drawn_by, "已完成", matter=matter,
                             category=category, region=region)
        with self.store.engine.begin() as conn:
            conn.execute(assignments.insert().values(task_id=task_id, uscc=uscc, inspector_ids="I1;I2",
                                                     mode="现场", status="已检查"))
            conn.execute(results.insert().values(
                task_id=task_id, uscc=uscc, version=1, result_code=code, inspected_on=inspected_on,
                inspector_ids="I1;I2", findings="", origin="local", recorded_at=NOW))
            if published:
                conn.execute(publications.insert().values(
                    task_id=task_id, uscc=uscc, inspected_on=inspected_on, result_code=code,
                    status="published", due_provisional=False, published_on=inspected_on,
                    updated_at=NOW))
        return task_id

    def object(self, kind: str, object_id: str, *, region: str | None = None,
               uscc: str | None = None, subkind: str = "", since: date | None = None,
               until: date | None = None) -> str:
        """An object of the local library; returns its key (its USCC, else its objectId)."""
        with self.store.engine.begin() as conn:
            conn.execute(objects.insert().values(
                kind=kind, object_id=object_id, name=f"{kind} {object_id}",
                region_code=region or self.region, uscc=uscc, subkind=subkind, since=since,
                until=until, source="测试文件", updated_at=NOW))
        return uscc or object_id

    def objects(self, kind: str, count: int, *, subkind: str = "", region: str | None = None,
                with_uscc: bool = False) -> list[str]:
        """`count` alike objects (USCCs of their own when asked); returns their keys."""
        keys = []
        for _ in range(count):
            self.counter += 1
            place = region or self.region
            keys.append(self.object(kind, f"OBJ-{self.counter:04d}", region=place,
                                    uscc=make_uscc(place, 500_000 + self.counter)
                                    if with_uscc else None, subkind=subkind))
        return keys

    def assigned(self, uscc: str, quarter: Quarter, *, matter: str = "M01") -> None:
        """An open task of `quarter` in which the subject is assigned but not yet inspected."""
        task_id = self._task(quarter, OWN_ORG, "检查中", matter=matter)
        with self.store.engine.begin() as conn:
            conn.execute(assignments.insert().values(task_id=task_id, uscc=uscc, inspector_ids="I1;I2",
                                                     mode="现场", status="待检查"))

    def _task(self, quarter: Quarter, drawn_by: str, status: str, *, matter: str = "M01",
              category: str | None = None, region: str | None = None) -> str:
        self.tasks_made += 1
        task_id = f"T{self.tasks_made:04d}"
        with self.store.engine.begin() as conn:
            conn.execute(tasks.insert().values(
                task_id=task_id, name="抽查任务", region_code=region or self.region,
                matter_code=matter, drawn_by=drawn_by, draw_mode="不定向", period=quarter.label,
                category=category, status=status, origin="local"))
        return task_id


def active_policy(name: str, **options: Any) -> ActivePolicy:
    """The installed policy `name` (through the entry points), built with `options`."""
    spec = load_plugins().policy(name)
    policy = spec.factory(**options) if options else spec.factory()  # type: ignore[call-arg]
    return ActivePolicy(name, spec, policy)


def plan_for(store: Store, name: str, quarter: Quarter, region: str, day: date,
             **options: Any) -> tuple[Plan, dict[str, Classification]]:
    """Classify `quarter` on the facts of `day`, then make its plan; both returned."""
    active = active_policy(name, **options)
    classify_period(store, active, quarter, region=region, day=day)
    return make_plan(store, active, quarter, region=region), stored_classifications(store, quarter)


def numbers(plan: Plan) -> dict[str, Any]:
    """`{CATEGORY: (population, [(per, required, done, clause), ...])}` for compact assertions."""
    return {c.category.value: (c.population, [(o.obligation.per.value, o.required, o.done,
                                               o.obligation.clause) for o in c.obligations])
            for c in plan.categories}


def primary(found: dict[str, Classification], uscc: str) -> Category | None:
    """The subject's primary category."""
    return found[uscc].category


# -- clauses against the source texts ----------------------------------------------------------

_NUMERAL = "一二三四五六七八九十"
_ARTICLE = re.compile(rf"^(第[{_NUMERAL}百]+条)(\([{_NUMERAL}]+\))?$")
_SECTION = re.compile(rf"^([{_NUMERAL}]+)(\([{_NUMERAL}]+\))?(\d+)?(?:([一二三]是)|\(([^)]+)\))?$")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def clause_region(source: str, clause: str) -> str:
    """The part of the normalised text from the clause's last marker to the end of its top section."""
    text = _norm(source)
    wanted = _squash(_norm(clause))
    article = _ARTICLE.match(wanted)
    if article:
        start = text.find(article.group(1))
        assert start >= 0, f"{clause}: {article.group(1)} is not in the text"
        following = re.compile(rf"第[{_NUMERAL}百]+条").search(text, start + len(article.group(1)))
        end = following.start() if following else len(text)
        markers = [article.group(2)] if article.group(2) else []
    else:
        section = _SECTION.match(wanted)
        assert section, f"{clause}: not a clause form the checker knows"
        top = re.compile(rf"(?m)^\s*{section.group(1)}、").search(text)
        assert top, f"{clause}: heading {section.group(1)}、 is not in the text"
        start = top.end()
        following = re.compile(rf"(?m)^\s*[{_NUMERAL}]+、").search(text, start)
        end = following.start() if following else len(text)
        markers = []
        if section.group(2):
            markers.append(section.group(2))
        if section.group(3):
            markers.append(f"{section.group(3)}、|{section.group(3)}.")
        if section.group(4) or section.group(5):
            markers.append(section.group(4) or section.group(5))
    position = start
    for marker in markers:
        if marker[0].isdigit():  # a numbered item opens a line ("2.5 倍" is no item 2)
            item = re.compile(rf"(?m)^[ \t-]*({marker[0]})[、.]").search(text, position, end)
            found = [item.start(1) if item else -1]
        else:
            found = [text.find(m, position, end) for m in marker.split("|")]
        hits = [f for f in found if f >= 0]
        assert hits, f"{clause}: {marker} is not under {clause} in the text"
        position = min(hits) + 1
        sibling = _sibling(marker)
        if sibling is not None:
            following = sibling.search(text, position, end)
            end = following.start() if following else end
    return text[position:end]


def _sibling(marker: str) -> re.Pattern[str] | None:
    """Where the part a marker opens ends: at the next marker of the same kind."""
    if marker.startswith("("):
        return re.compile(rf"(?m)^\s*\([{_NUMERAL}]+\)")
    if marker[0].isdigit():
        return re.compile(r"(?m)^\s*\d+[、.]")
    if marker.endswith("是") and len(marker) == 2:
        return re.compile(rf"[{_NUMERAL}]是")
    return None  # a paragraph's lead words: the part runs to the end of the section


def assert_cited_in_source(policy: RuleBook, source: str) -> int:
    """Every clause the policy cites is in `source`, with its quoted words under it; returns
    how many citations were checked."""
    items: list[Any] = [*policy.rules, *policy.exclusions, *policy.modes, *policy.obligation_list,
                        *policy.deadlines, *policy.notes, *policy.draw_exclusions, *policy.matters]
    items += [x for x in (policy.check_limit, policy.group_size, policy.conflict, policy.expertise,
                          policy.replacement) if x is not None]
    items += [*policy.weights, *policy.statutory_dates]
    checked = 0
    for item in items:
        if getattr(item, "document", ""):
            continue  # cites another document (e.g. the default publication deadline)
        region = clause_region(source, item.clause)
        quote = getattr(item, "quote", "")
        if quote:
            assert _squash(_norm(quote)) in _squash(region), (
                f"{item.clause}: {quote!r} is not in the text under that clause")
        checked += 1
    return checked
