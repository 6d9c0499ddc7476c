"""The annual plan (`plan --year`) as a document: printable HTML (A4) and XLSX."""

from __future__ import annotations

from ssj_bridge.features.annual import AnnualPlan, expected_rows
from ssj_bridge.intake.joint import share_text
from ssj_bridge.report.document import Column, Document, Section, Table, rows_of

# Headings (one place, to translate).
H = {
    "overview": "一、基本情况", "matters": "二、抽查事项、对象、比例与各季度抽查数量",
    "dates": "三、时间节点", "joint": "四、跨部门联合抽查", "rules": "五、结果录入与公示",
    "notes": "六、差异化监管（不改变数量）",
    "matter": "事项", "matter_name": "事项名称", "kind": "检查对象", "region": "区县",
    "category": "类别", "population": "对象数", "rules_col": "比例与依据", "year": "全年",
    "departments": "检查部门", "modes": "检查方式", "table": "各事项各季度预计抽查家次",
    "due": "截止日期", "title": "事项", "period": "期间", "clause": "条款", "to": "报送",
    "rule": "计算方法", "dates_table": "法定时间节点", "joint_table": "联合抽查计划",
    "plan": "计划编号", "name": "名称", "lead": "牵头部门", "partners": "配合部门",
    "matters_col": "事项", "share": "比例", "deadline": "完成时限", "expected": "预计家次",
    "joint_checks": "其中联合", "progress": "月度进度目标", "by": "截止", "quarter": "季度",
    "earliest": "（最早）",
}


def plan_document(plan: AnnualPlan) -> Document:
    """The annual plan as a document."""
    meta = [f"{plan.authority or ''} {plan.locality} · policy {plan.policy}"
            + (f" · region {plan.region}" if plan.region else ""),
            f"basis: {plan.basis_text}; {plan.inspectors} certified inspectors; "
            f"made {plan.made_on.isoformat()}",
            f"filing: {plan.filing_text()}"]
    if plan.filing_due and plan.filing_due.due:
        meta.append(f"due {plan.filing_due.due.isoformat()} ({plan.filing_due.clause})"
                    + (f" → {plan.filing_due.to}" if plan.filing_due.to else ""))
    overview = [f"{plan.year}年预计抽查 {plan.total} 家次："
                + "，".join(f"{q[-2:]} {plan.expected(q)}" for q in plan.quarters) + "。"]
    for matter in plan.matters:
        overview.append(f"{matter.code} {matter.name}（{matter.object_kind}）：全年 {matter.total} "
                        f"家次；检查部门 {'、'.join(matter.departments) or '—'}"
                        + (f"；联合抽查 {'、'.join(matter.joint_plans)}" if matter.joint_plans
                           else "") + "。")
    columns = (Column("matter", H["matter"], 7), Column("matterName", H["matter_name"], 20),
               Column("objectKind", H["kind"], 12), Column("region", H["region"], 8),
               Column("categoryName", H["category"], 10),
               Column("population", H["population"], 8, True),
               Column("rules", H["rules_col"], 30),
               *(Column(q, q[-2:], 6, True) for q in plan.quarters),
               Column("year", H["year"], 7, True), Column("departments", H["departments"], 20),
               Column("modes", H["modes"], 8))
    matters = Table(H["table"], columns, rows_of(expected_rows(plan)), "年度计划")
    dates = Table(H["dates_table"], (
        Column("due", H["due"], 12), Column("title", H["title"], 36),
        Column("period", H["period"], 8), Column("clause", H["clause"], 10),
        Column("to", H["to"], 18), Column("rule", H["rule"], 36)),
        rows_of([{"due": (d.due.isoformat() + (H["earliest"] if d.earliest else ""))
                  if d.due else "", "title": d.title, "period": d.period, "clause": d.clause,
                  "to": d.to, "rule": d.rule + (f"；{d.reading}" if d.reading else "")}
                 for d in plan.dates]), "时间节点")
    progress = Table(H["progress"], (
        Column("quarter", H["quarter"], 8), Column("by", H["by"], 12),
        Column("share", H["share"], 8), Column("expected", H["expected"], 8, True)),
        rows_of([{"quarter": q, "by": by, "share": share, "expected": n}
                 for q, rows in plan.progress.items() for by, share, n in rows]), "月度进度")
    joint = Table(H["joint_table"], (
        Column("plan", H["plan"], 12), Column("name", H["name"], 24),
        Column("lead", H["lead"], 20), Column("partners", H["partners"], 24),
        Column("matters", H["matters_col"], 10), Column("period", H["period"], 16),
        Column("share", H["share"], 7), Column("deadline", H["deadline"], 12),
        Column("expected", H["expected"], 8, True),
        Column("joint", H["joint_checks"], 8, True)),
        rows_of([{"plan": j.plan.plan_id, "name": j.plan.name, "lead": j.plan.lead_org,
                  "partners": "、".join(j.plan.partner_orgs),
                  "matters": "、".join(j.plan.matter_codes), "period": j.plan.period.text,
                  "share": share_text(j.plan.share), "deadline": j.deadline,
                  "expected": j.expected_checks, "joint": j.required_joint}
                 for j in plan.joint]), "联合抽查")
    sections = [Section(H["overview"], tuple(overview)), Section(H["matters"], (), (matters,)),
                Section(H["dates"], (), (dates, progress) if plan.progress else (dates,)),
                Section(H["joint"], (), (joint,)), Section(H["rules"], plan.rules)]
    if plan.notes:
        sections.append(Section(H["notes"], tuple(f"{t}（{c}）" for t, c in plan.notes)))
    return Document(plan.title, tuple(meta), tuple(sections), landscape=True,
                    footer="ssj-bridge · " + plan.basis_text)
