"""Joint cross-department plans (跨部门联合抽查): the file `joint import` loads and the plans as
the store holds them.

`planId,name,leadOrg,partnerOrgs,matterCodes,period,share` (interface.md, "Additions"), one row
per plan; `partnerOrgs` and `matterCodes` separated by `;`. All-or-nothing like the other
imports: a bad cell, a planId listed twice, a partner that is also the lead or listed twice, a
matter code not on the deployment's list refuses the file with the row numbers, and nothing of
it is applied. Importing upserts by planId; plans not in the file are unchanged.

- `period`: `YYYY`, `YYYYQn`, or a span of months `YYYY-MM..YYYY-MM` (阳城 附件2 "3月-10月":
  `2024-03..2024-10`), both ends included;
- `share`: the least share of the checks (家次) of the plan's matters in its period made jointly
  (南山 四（四） "全年跨部门联合抽查任务数不低于双随机任务总数的 15%"; 阳城 附件2 "抽查比例 20%").

The roster's `orgCode` names each person's department: a joint draw draws each department's
inspectors from its own people (益阳 四（四） "各自从本部门检查人员名录库中随机抽取检查人员").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, delete, select

from ssj_bridge.intake import fields
from ssj_bridge.intake.files import Problems, Sheet
from ssj_bridge.model.matters import parse_ratio
from ssj_bridge.model.periods import Quarter
from ssj_bridge.store.schema import joint_plans

JOINT_COLUMNS = ("planId", "name", "leadOrg", "partnerOrgs", "matterCodes", "period", "share")
_PLAN_ID = re.compile(r"^[^\s;/]{1,64}$")
_ORG = re.compile(r"^[0-9A-Za-z]{1,32}$")
_YEAR = re.compile(r"^(\d{4})$")
_MONTHS = re.compile(r"^(\d{4})-(\d{1,2})\s*\.\.\s*(\d{4})-(\d{1,2})$")

# What this module says (one place, to translate).
TEXT = {
    "plan_id": "is required: 1–64 characters without spaces, ';' or '/'",
    "twice": "plan {plan} is listed again (first in row {row})",
    "name": "is required",
    "org": "not an org code (1–32 letters or digits, the department's 统一社会信用代码)",
    "partners": "at least one partner department is required",
    "partner_lead": "{org} is the lead department too",
    "partner_twice": "{org} is listed twice",
    "matters": "at least one matter code is required",
    "matter": "{code} is not on the deployment's list of 抽查事项 ({codes})",
    "period": "not a period: YYYY, YYYYQn or a span of months YYYY-MM..YYYY-MM",
    "share": "a share above 0% and at most 100% is required (e.g. 15%)",
}


@dataclass(frozen=True)
class JointPeriod:
    """The days a joint plan runs: as written, and its first and last day."""

    text: str
    start: date
    end: date

    def overlaps(self, start: date, end: date) -> bool:
        """Shares a day with start..end."""
        return self.start <= end and start <= self.end

    def quarters(self) -> list[Quarter]:
        """The quarters it touches, in order."""
        found, quarter = [], Quarter.of(self.start)
        while quarter.start <= self.end:
            found.append(quarter)
            quarter = quarter.next()
        return found


@dataclass(frozen=True)
class JointPlan:
    """A joint cross-department plan: its departments (lead first), matters, period, share."""

    plan_id: str
    name: str
    lead_org: str
    partner_orgs: tuple[str, ...]
    matter_codes: tuple[str, ...]
    period: JointPeriod
    share: Fraction

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department, the lead first."""
        return (self.lead_org, *self.partner_orgs)

    def as_row(self) -> dict[str, Any]:
        """The file's columns (`export joint`)."""
        return {"planId": self.plan_id, "name": self.name, "leadOrg": self.lead_org,
                "partnerOrgs": ";".join(self.partner_orgs),
                "matterCodes": ";".join(self.matter_codes), "period": self.period.text,
                "share": share_text(self.share)}

    def as_json(self) -> dict[str, Any]:
        """camelCase, lists as lists, the period's days and the share as a number."""
        return {"planId": self.plan_id, "name": self.name, "leadOrg": self.lead_org,
                "partnerOrgs": list(self.partner_orgs), "matterCodes": list(self.matter_codes),
                "period": self.period.text, "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(), "share": float(self.share)}


def share_text(share: Fraction) -> str:
    """`15%`."""
    return f"{float(share * 100):.4f}".rstrip("0").rstrip(".") + "%"


def parse_period(text: str) -> JointPeriod:
    """`2024`, `2024Q2` or `2024-03..2024-10`; ValueError otherwise."""
    value = text.strip()
    year = _YEAR.match(value)
    if year:
        number = int(year.group(1))
        return JointPeriod(value, date(number, 1, 1), date(number, 12, 31))
    try:
        quarter = Quarter.parse(value)
    except ValueError:
        quarter = None
    if quarter is not None:
        return JointPeriod(quarter.label, quarter.start, quarter.end)
    months = _MONTHS.match(value)
    if months:
        first_year, first_month, last_year, last_month = (int(g) for g in months.groups())
        try:
            start = date(first_year, first_month, 1)
            end = date(last_year, last_month, calendar.monthrange(last_year, last_month)[1])
        except ValueError:
            raise ValueError(TEXT["period"]) from None
        if end >= start:
            return JointPeriod(f"{first_year}-{first_month:02d}..{last_year}-{last_month:02d}",
                               start, end)
    raise ValueError(TEXT["period"])


def parse_joint_plans(sheet: Sheet, matter_codes: Collection[str]) -> list[JointPlan]:
    """Every plan of the file, or FileRefused listing every bad cell (module docstring)."""
    problems = Problems(sheet.file_name)
    seen: dict[str, int] = {}
    found: list[JointPlan] = []
    for row in sheet.rows:
        cells = row.cells
        before = len(problems.items)
        plan_id = fields.text(cells["planId"])
        if not _PLAN_ID.match(plan_id):
            problems.add(row.number, "planId", cells["planId"], TEXT["plan_id"])
        elif plan_id in seen:
            problems.add(row.number, "planId", plan_id,
                         TEXT["twice"].format(plan=plan_id, row=seen[plan_id]))
        else:
            seen[plan_id] = row.number
        name = fields.text(cells["name"])
        if not name:
            problems.add(row.number, "name", cells["name"], TEXT["name"])
        lead = fields.text(cells["leadOrg"]).upper()
        if not _ORG.match(lead):
            problems.add(row.number, "leadOrg", cells["leadOrg"], TEXT["org"])
        partners = [p.upper() for p in fields.split_list(cells["partnerOrgs"])]
        if not partners:
            problems.add(row.number, "partnerOrgs", cells["partnerOrgs"], TEXT["partners"])
        for index, org in enumerate(partners):
            if not _ORG.match(org):
                problems.add(row.number, "partnerOrgs", org, TEXT["org"])
            elif org == lead:
                problems.add(row.number, "partnerOrgs", org, TEXT["partner_lead"].format(org=org))
            elif org in partners[:index]:
                problems.add(row.number, "partnerOrgs", org, TEXT["partner_twice"].format(org=org))
        codes = fields.split_list(cells["matterCodes"])
        if not codes:
            problems.add(row.number, "matterCodes", cells["matterCodes"], TEXT["matters"])
        for code in codes:
            if code not in matter_codes:
                problems.add(row.number, "matterCodes", code, TEXT["matter"].format(
                    code=code, codes=", ".join(sorted(matter_codes)) or "none"))
        period = fields.checked(problems, row, "period", parse_period)
        share = fields.checked(problems, row, "share", _share)
        if len(problems.items) == before and period is not None and share is not None:
            found.append(JointPlan(plan_id, name, lead, tuple(partners),
                                   tuple(dict.fromkeys(codes)), period, share))
    problems.raise_if_any()
    return found


def _share(cell: str) -> Fraction:
    ratio, follows = parse_ratio(cell)
    if ratio is None or follows or ratio <= 0:
        raise ValueError(TEXT["share"])
    return ratio


def write_joint_plans(conn: Connection, plans: Sequence[JointPlan], import_id: int,
                      now: str) -> None:
    """Upsert the plans by planId."""
    if not plans:
        return
    conn.execute(delete(joint_plans).where(joint_plans.c.plan_id.in_([p.plan_id for p in plans])))
    conn.execute(joint_plans.insert(), [
        {"plan_id": p.plan_id, "name": p.name, "lead_org": p.lead_org,
         "partner_orgs": ";".join(p.partner_orgs), "matter_codes": ";".join(p.matter_codes),
         "period": p.period.text, "share": share_text(p.share), "import_id": import_id,
         "updated_at": now} for p in plans])


def stored_joint_plans(conn: Connection) -> list[JointPlan]:
    """Every stored plan, by planId."""
    return [_from_row(row) for row in conn.execute(select(joint_plans)
                                                   .order_by(joint_plans.c.plan_id))]


def _from_row(row: Any) -> JointPlan:
    ratio, _ = parse_ratio(row.share)
    return JointPlan(row.plan_id, row.name, row.lead_org,
                     tuple(o for o in row.partner_orgs.split(";") if o),
                     tuple(c for c in row.matter_codes.split(";") if c),
                     parse_period(row.period), ratio or Fraction(0))


def other_departments(plans: Iterable[JointPlan], own_org: str | None) -> frozenset[str]:
    """The departments of the plans that are not the drawing bureau: their people on the roster
    are drawn only in joint draws, for their own department, and never count as the bureau's
    inspectors. Without the bureau's code, the partners that never lead a plan."""
    plans = list(plans)
    if own_org:
        return frozenset(o for p in plans for o in p.departments if o != own_org.upper())
    leads = {p.lead_org for p in plans}
    return frozenset(o for p in plans for o in p.partner_orgs if o not in leads)
