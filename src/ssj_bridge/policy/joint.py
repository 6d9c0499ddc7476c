"""Where each joint cross-department plan stands: its share of checks made jointly, against its
target and its deadline (南山 四（四） "全年跨部门联合抽查任务数不低于双随机任务总数的 15%，10 月底前
完成所有跨部门联合抽查任务"; 阳城 附件2 "抽查比例 20%…3月-10月").

- checks: the checks (家次, one drawn subject of a task) of the plan's matters in tasks whose
  quarter falls in the plan's period, whoever drew them; joint checks: those of tasks drawn
  under the plan (`draw commit --joint`);
- required: ceil(share × checks), at least 1 once the period has any check;
- deadline: the plan's last day, or the policy's date for joint tasks of that year (南山 10月31日)
  when it comes first;
- `met` once enough checks are joint and every joint task is complete; `short` once the
  deadline has passed without; `open` before.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from ssj_bridge.intake.joint import JointPlan, share_text, stored_joint_plans
from ssj_bridge.model import TaskStatus
from ssj_bridge.model.calendar import WorkingCalendar
from ssj_bridge.policy.rules import Policy, statutory_dates
from ssj_bridge.policy.statutory import Duty
from ssj_bridge.store import Store
from ssj_bridge.store.schema import assignments, joint_plans, tasks

MET, SHORT, OPEN = "met", "short", "open"


@dataclass(frozen=True)
class JointFigures:
    """One joint plan in its period: checks, joint checks and tasks, target, deadline, status."""

    plan: JointPlan
    deadline: date
    deadline_clause: str
    checks: int
    joint_checks: int
    joint_tasks: int
    joint_tasks_complete: int
    required: int
    status: str

    def as_json(self) -> dict[str, Any]:
        """The plan and where it stands."""
        return {**self.plan.as_json(), "deadline": self.deadline.isoformat(),
                "deadlineRule": self.deadline_clause or None, "checks": self.checks,
                "jointChecks": self.joint_checks, "required": self.required,
                "jointTasks": self.joint_tasks, "jointTasksComplete": self.joint_tasks_complete,
                "status": self.status}

    def line(self) -> str:
        """One line for a terminal."""
        from ssj_bridge.i18n import _
        from ssj_bridge.model import words

        plan = self.plan
        return (_("joint {plan} {name} ({lead} with {partners}; {matters}; {period}): "
                  "{joint} of {checks} checks joint, target {share} = {required}; joint tasks "
                  "{complete}/{tasks} complete; by {deadline}").format(
            plan=plan.plan_id, name=plan.name, lead=plan.lead_org,
            partners=", ".join(plan.partner_orgs), matters=", ".join(plan.matter_codes),
            period=plan.period.text, joint=self.joint_checks, checks=self.checks,
            share=share_text(plan.share), required=self.required,
            complete=self.joint_tasks_complete, tasks=self.joint_tasks,
            deadline=self.deadline.isoformat())
                + (f" ({self.deadline_clause})" if self.deadline_clause else "")
                + f" — {words.status(self.status)}")


def plan_deadline(plan: JointPlan, policy: Policy | None,
                  calendar: WorkingCalendar | None = None) -> tuple[date, str]:
    """The plan's last day, or the policy's joint-tasks date of its year when that is earlier."""
    found = (plan.period.end, "")
    calendar = calendar or WorkingCalendar.load(None)
    for item in statutory_dates(policy):
        if item.duty is not Duty.JOINT_TASKS:
            continue
        due = item.due.due(str(plan.period.end.year), calendar)
        if due is not None and due.due < found[0]:
            found = (due.due, item.clause)
    return found


def joint_figures(store: Store, policy: Policy | None, today: date,
                  counts_toward: Callable[[str | None], str | None],
                  overlapping: tuple[date, date] | None = None) -> list[JointFigures]:
    """Every stored joint plan (whose period overlaps `overlapping`, when given)."""
    from sqlalchemy import inspect

    if not inspect(store.engine).has_table(joint_plans.name):
        return []
    with store.engine.connect() as conn:
        plans = [p for p in stored_joint_plans(conn)
                 if overlapping is None or p.period.overlaps(*overlapping)]
        if not plans:
            return []
        rows = list(conn.execute(
            select(tasks.c.task_id, tasks.c.matter_code, tasks.c.period, tasks.c.status,
                   tasks.c.joint_plan, func.count(assignments.c.uscc).label("checks"))
            .select_from(tasks.outerjoin(assignments, assignments.c.task_id == tasks.c.task_id))
            .group_by(tasks.c.task_id, tasks.c.matter_code, tasks.c.period, tasks.c.status,
                      tasks.c.joint_plan)))
    return [_figures(plan, rows, policy, today, counts_toward) for plan in plans]


def _figures(plan: JointPlan, rows: Sequence[Any], policy: Policy | None, today: date,
             counts_toward: Callable[[str | None], str | None]) -> JointFigures:
    quarters = {q.label for q in plan.period.quarters()}
    mine = [r for r in rows if r.period in quarters
            and counts_toward(r.matter_code) in plan.matter_codes]
    joint = [r for r in mine if r.joint_plan == plan.plan_id]
    checks = sum(int(r.checks) for r in mine)
    joint_checks = sum(int(r.checks) for r in joint)
    required = max(1, math.ceil(plan.share * checks)) if checks else 0
    complete = sum(1 for r in joint if r.status == TaskStatus.COMPLETED.value)
    deadline, clause = plan_deadline(plan, policy)
    if joint_checks >= required and complete == len(joint) and checks:
        status = MET
    else:
        status = SHORT if deadline < today else OPEN
    return JointFigures(plan, deadline, clause, checks, joint_checks, len(joint), complete,
                        required, status)
