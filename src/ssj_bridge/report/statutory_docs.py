"""`report ledger|statistics|annual --period …`: the documents the locality's text asks for, as
printable HTML and XLSX, each recorded as produced (the deadline calendar then shows it done).

- **ledger** (南山 五（二）2 "季度任务台账"): every check of the quarter's tasks — task, matter,
  category, how it was drawn (定向, joint departments), subject, inspectors, mode, inspection
  day, result in the publicity wording, publication (or withheld) — with the quarter's totals;
- **statistics** (威海 第二十八条 "监管情况统计表"): per matter, district and category — subjects
  in the library, required, drawn, inspected, problems found, cases opened, published,
  withheld — with the region's totals;
- **annual** (威海 第二十八条 工作报告, 南山 五（一）2 全年工作总结; and the joint reports, 南山
  四（四）, 阳城 八（五）): the year's library and roster, each quarter's quotas against what was
  done, publication, problems found, joint plans, how each statutory date was kept, and a
  section left for the next year's approach (南山 "提出下一年度工作思路").

A document's title, clause, due date and recipient come from the policy's `StatutoryDate` of
that duty; a policy that sets none still gets the document, under a plain title. Names of
subjects and inspectors of a task not yet started stay masked, as everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy import Table as StoreTable

from ssj_bridge.draw.masking import names_visible, shown_person, shown_subject
from ssj_bridge.features.deadlines import DeadlineRules
from ssj_bridge.features.statutory import (
    deployment_calendar,
    quarter_tasks_done,
    record_document,
)
from ssj_bridge.intake.joint import share_text
from ssj_bridge.model import (
    PublicationStatus,
    ResultCode,
    beijing_now,
    iso_beijing,
    region_within,
)
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.classify import ActivePolicy
from ssj_bridge.policy.plan import category_name
from ssj_bridge.policy.rules import statutory_dates
from ssj_bridge.policy.statutory import DOCUMENTS, Duty, StatutoryDate
from ssj_bridge.report.compliance import ComplianceReport, compliance_report
from ssj_bridge.report.document import Column, Document, Section, Table, Written, write_document
from ssj_bridge.store import Store
from ssj_bridge.store.schema import (
    assignments,
    inspectors,
    publications,
    results,
    subjects,
    tasks,
    withholdings,
)

# Titles and headings (one place, to translate).
T = {
    "ledger": "季度任务台账", "statistics": "“双随机、一公开”监管情况统计表",
    "annual": "“双随机、一公开”年度工作报告", "joint": "跨部门联合抽查工作情况",
    "no": "序号", "task": "任务编号", "task_name": "任务名称", "matter": "抽查事项",
    "category": "类别", "mode_draw": "抽取方式", "departments": "联合部门", "uscc": "检查对象",
    "name": "对象名称", "inspectors": "检查人员", "mode": "检查方式", "inspected": "检查日期",
    "result": "检查结果", "publication": "公示情况", "region": "区县", "population": "对象数",
    "required": "应抽查", "drawn": "已抽取", "done": "已检查", "problems": "发现问题",
    "cases": "立案", "published": "已公示", "withheld": "不予公开", "rate": "抽查比例",
    "quarter": "季度", "status": "状态", "results": "检查结果数", "pub_rate": "公示率",
    "on_time": "按期公示", "plan": "计划", "partners": "配合部门", "share": "比例",
    "deadline": "时限", "checks": "家次", "joint_checks": "联合家次", "title": "事项",
    "period": "期间", "due": "截止", "done_on": "完成", "detail": "情况",
    "pending": "待公示", "not_yet": "未检查",
}


@dataclass(frozen=True)
class Produced:
    """A statutory document written: which, for which period, to which files."""

    kind: str
    key: str
    title: str
    period: str
    written: Written
    declared: StatutoryDate | None

    def as_json(self) -> dict[str, Any]:
        """camelCase."""
        return {"kind": self.kind, "document": self.key, "title": self.title,
                "period": self.period, "files": [str(p) for p in self.written.paths],
                "sha256": self.written.digest,
                "clause": self.declared.clause if self.declared else None,
                "to": self.declared.to if self.declared else None}


@dataclass(frozen=True)
class Context:
    """What every document reads: the store, the policy, the region and authority, today."""

    store: Store
    active: ActivePolicy
    rules: DeadlineRules
    today: date
    region: str | None
    authority: str | None
    own_org: str | None


def declared_documents(active: ActivePolicy, kind: str) -> list[StatutoryDate]:
    """The policy's documents of `kind` (`ledger`, `statistics`, `annual`)."""
    return [d for d in statutory_dates(active.policy) if d.duty in DOCUMENTS[kind]]


def produce(ctx: Context, kind: str, period: str, *, document: str | None = None,
            html: Path | None = None, xlsx: Path | None = None,
            directory: Path = Path(".")) -> list[Produced]:
    """Write the documents of `kind` for `period` (one, when `document` names its key) and
    record them; without paths, `<key>-<period>.html` and `.xlsx` in `directory`."""
    declared = declared_documents(ctx.active, kind)
    if document is not None:
        declared = [d for d in declared if d.key == document]
        if not declared:
            from ssj_bridge.errors import InputRefused

            known = ", ".join(d.key for d in declared_documents(ctx.active, kind)) or "none"
            raise InputRefused(f"--document {document}: not a {kind} document of policy "
                               f"{ctx.active.name} ({known})")
    targets: list[StatutoryDate | None] = list(declared) or [None]
    made = []
    for item in targets:
        doc = _build(ctx, kind, period, item)
        key = item.key if item else kind
        several = len(targets) > 1
        out_html = _path(html, key, several) if html else (
            None if xlsx else directory / f"{key}-{period}.html")
        out_xlsx = _path(xlsx, key, several) if xlsx else (
            None if html else directory / f"{key}-{period}.xlsx")
        written = write_document(doc, html=out_html, xlsx=out_xlsx)
        now = beijing_now()
        with ctx.store.engine.begin() as conn:
            record_document(conn, kind=kind, document=key, period=period,
                            policy=ctx.active.name, region=ctx.region or "",
                            produced_on=now.date(), produced_at=iso_beijing(now),
                            files=[str(p) for p in written.paths], content_hash=written.digest)
        made.append(Produced(kind, key, doc.title, period, written, item))
    return made


def _path(given: Path, key: str, several: bool) -> Path:
    return given.with_name(f"{given.stem}-{key}{given.suffix}") if several else given


def _build(ctx: Context, kind: str, period: str, item: StatutoryDate | None) -> Document:
    if kind == "ledger":
        return ledger_document(ctx, Quarter.parse(period), item)
    if kind == "statistics":
        return statistics_document(ctx, Quarter.parse(period), item)
    year = int(period)
    if item is not None and item.duty is Duty.JOINT_REPORT:
        return joint_document(ctx, year, item)
    return annual_document(ctx, year, item)


def _meta(ctx: Context, period: str, item: StatutoryDate | None,
          tasks_done: date | None = None) -> tuple[str, ...]:
    lines = [f"{ctx.authority or ''} {ctx.active.policy.locality} · {period} · policy "
             f"{ctx.active.name}" + (f" · region {ctx.region}" if ctx.region else "")]
    if item is not None:
        due = item.due.due(period, ctx.rules.calendar, tasks_done)
        when = due.due.isoformat() if due else item.due.describe()
        lines.append(f"{item.clause}：{item.quote}" if item.quote else item.clause)
        lines.append(f"due {when}" + (f" → {item.to}" if item.to else ""))
    lines.append(f"produced {iso_beijing(beijing_now())[:16]}")
    return tuple(lines)


# -- the ledger -------------------------------------------------------------------------------


def ledger_rows(conn: Connection, quarter: Quarter, region: str | None) -> list[dict[str, Any]]:
    """Every check of the quarter's tasks (of the region), in task order."""
    held = {(r.task_id, r.uscc) for r in conn.execute(select(withholdings.c.task_id,
                                                             withholdings.c.uscc))}
    found = list(conn.execute(
        select(tasks.c.task_id, tasks.c.name.label("task_name"), tasks.c.matter_code,
               tasks.c.category, tasks.c.draw_mode, tasks.c.departments, tasks.c.status,
               tasks.c.region_code, assignments.c.uscc, assignments.c.inspector_ids,
               assignments.c.mode, results.c.inspected_on, results.c.result_code,
               publications.c.status.label("publication"), publications.c.published_on,
               subjects.c.name)
        .select_from(tasks.join(assignments, assignments.c.task_id == tasks.c.task_id)
                     .outerjoin(results, (results.c.task_id == assignments.c.task_id)
                                & (results.c.uscc == assignments.c.uscc))
                     .outerjoin(publications, (publications.c.task_id == assignments.c.task_id)
                                & (publications.c.uscc == assignments.c.uscc))
                     .outerjoin(subjects, subjects.c.uscc == assignments.c.uscc))
        .where(tasks.c.period == quarter.label)
        .order_by(tasks.c.task_id, assignments.c.uscc)))
    people = {r.inspector_id: r.name for r in conn.execute(
        select(inspectors.c.inspector_id, inspectors.c.name))}
    rows = []
    for number, row in enumerate((r for r in found if region is None
                                  or region_within(r.region_code, region)), start=1):
        visible = names_visible(row.status, False)
        ids = [i for i in row.inspector_ids.split(";") if i]
        if row.publication == PublicationStatus.PUBLISHED.value:
            publication = f"{T['published']} {row.published_on.isoformat()}"
        elif (row.task_id, row.uscc) in held:
            publication = T["withheld"]
        else:
            publication = T["pending"] if row.result_code else ""
        rows.append({
            "no": number, "task": row.task_id, "taskName": row.task_name,
            "matter": row.matter_code,
            "category": category_name(_category(row.category)) if row.category else "",
            "drawMode": row.draw_mode, "departments": "、".join(
                d for d in (row.departments or "").split(";") if d),
            "uscc": row.uscc, "name": shown_subject(row.name, visible),
            "inspectors": "、".join(f"{shown_person(people.get(i), visible)}({i})" for i in ids),
            "mode": row.mode, "inspected": row.inspected_on,
            "result": ResultCode(row.result_code).wording if row.result_code else T["not_yet"],
            "resultCode": row.result_code, "publication": publication})
    return rows


def _category(value: str) -> Any:
    from ssj_bridge.model import Category

    return Category(value) if value in {c.value for c in Category} else value


def ledger_document(ctx: Context, quarter: Quarter, item: StatutoryDate | None) -> Document:
    """The quarter's task ledger (module docstring)."""
    with ctx.store.engine.connect() as conn:
        rows = ledger_rows(conn, quarter, ctx.region)
        done = quarter_tasks_done(conn, quarter, ctx.own_org)
    codes = Counter(r["resultCode"] for r in rows if r["resultCode"])
    summary = (f"{quarter.label} 共 {len({r['task'] for r in rows})} 个抽查任务、{len(rows)} 家次；"
               f"已检查 {sum(codes.values())} 家次，未发现问题 {codes['01']}，责令整改 "
               f"{codes['02']}，立案调查 {codes['03']}；已公示 "
               f"{sum(1 for r in rows if r['publication'].startswith(T['published']))}，"
               f"不予公开 {sum(1 for r in rows if r['publication'] == T['withheld'])}。"
               + (f" 任务全部结束：{done.isoformat()}。" if done else ""))
    columns = (Column("no", T["no"], 5, True), Column("task", T["task"], 20),
               Column("taskName", T["task_name"], 30), Column("matter", T["matter"], 7),
               Column("category", T["category"], 10), Column("drawMode", T["mode_draw"], 7),
               Column("departments", T["departments"], 16), Column("uscc", T["uscc"], 20),
               Column("name", T["name"], 24), Column("inspectors", T["inspectors"], 24),
               Column("mode", T["mode"], 7), Column("inspected", T["inspected"], 11),
               Column("result", T["result"], 16), Column("publication", T["publication"], 14))
    table = Table(T["ledger"], columns, tuple(rows), T["ledger"])
    title = item.title if item else T["ledger"]
    return Document(f"{quarter.label} {title}", _meta(ctx, quarter.label, item, done),
                    (Section("一、任务概况", (summary,)), Section("二、任务台账", (), (table,))),
                    landscape=True)


# -- statistics -------------------------------------------------------------------------------


def _problems(conn: Connection, quarter: Quarter) -> Counter[tuple[str, str, str, str]]:
    """(matter, region, category, resultCode) → results inspected in the quarter."""
    return _per_task_and(conn, quarter, results, results.c.result_code)


def _published(conn: Connection, quarter: Quarter) -> Counter[tuple[str, str, str, str]]:
    """(matter, region, category, publication status) → results inspected in the quarter."""
    return _per_task_and(conn, quarter, publications, publications.c.status)


def _per_task_and(conn: Connection, quarter: Quarter, table: StoreTable,
                  column: ColumnElement[str]) -> Counter[tuple[str, str, str, str]]:
    # Rows of `table` inspected in the quarter, by their task's matter, region, category.
    found: Counter[tuple[str, str, str, str]] = Counter()
    for matter, region, category, value in conn.execute(
            select(tasks.c.matter_code, tasks.c.region_code, tasks.c.category, column)
            .select_from(table.join(tasks, tasks.c.task_id == table.c.task_id))
            .where(table.c.inspected_on >= quarter.start, table.c.inspected_on <= quarter.end)):
        found[(matter, region, category or "", value)] += 1
    return found


def statistics_rows(report: ComplianceReport, problems: Counter[tuple[str, str, str, str]],
                    published: Counter[tuple[str, str, str, str]],
                    region: str | None) -> list[dict[str, Any]]:
    """One row per matter, district line and category (module docstring)."""
    rows = []
    for matter in report.matters:
        for line in matter.regions or (matter.whole,):
            where = line.region or region or ""
            for category in line.categories:
                def count(source: Counter[tuple[str, str, str, str]], *values: str,
                          key: str = category.key, code: str = matter.code,
                          place: str = where) -> int:
                    return sum(n for (m, r, c, v), n in source.items()
                               if m == code and c == key and v in values
                               and (not place or region_within(r, place)))

                quarter_rules = [o for o in category.obligations if o.per == "quarter"]
                chosen = quarter_rules or list(category.obligations)
                required = chosen[0] if chosen else None
                rows.append({
                    "matter": matter.code, "region": line.region or "",
                    "category": category.name, "population": category.population,
                    "required": required.required if required else None,
                    "drawn": category.drawn, "done": category.inspected,
                    "problems": count(problems, "02", "03"), "cases": count(problems, "03"),
                    "published": count(published, PublicationStatus.PUBLISHED.value),
                    "withheld": count(published, PublicationStatus.WITHHELD.value),
                    "rate": (f"{category.inspected / category.population:.1%}"
                             if category.population else "")})
    return rows


def statistics_document(ctx: Context, quarter: Quarter, item: StatutoryDate | None) -> Document:
    """The quarter's statistics table (module docstring)."""
    report = compliance_report(ctx.store, ctx.active, quarter, ctx.rules, today=ctx.today,
                               region=ctx.region, authority=ctx.authority, own_org=ctx.own_org)
    with ctx.store.engine.connect() as conn:
        rows = statistics_rows(report, _problems(conn, quarter), _published(conn, quarter),
                               ctx.region)
        done = quarter_tasks_done(conn, quarter, ctx.own_org)
    numeric = ("population", "required", "drawn", "done", "problems", "cases", "published",
               "withheld")
    total = {k: sum(r[k] or 0 for r in rows) for k in numeric}
    rows.append({"matter": "合计", **total})
    columns = (Column("matter", T["matter"], 7), Column("region", T["region"], 8),
               Column("category", T["category"], 12),
               *(Column(k, T[k], 8, True) for k in numeric), Column("rate", T["rate"], 9))
    pub = report.publication
    summary = (f"{quarter.label} 检查 {total['done']} 家次，发现问题 {total['problems']} 家，立案 "
               f"{total['cases']} 家；检查结果 {pub.results} 条，已公示 {pub.published} 条"
               + (f"，不予公开 {pub.withheld} 条" if pub.withheld else "") + "。")
    title = item.title if item else T["statistics"]
    return Document(f"{quarter.label} {title}", _meta(ctx, quarter.label, item, done),
                    (Section("一、总体情况", (summary,)),
                     Section("二、分类统计", (), (Table(title, columns, tuple(rows), "统计表"),))),
                    landscape=True)


# -- the year's reports -----------------------------------------------------------------------


def _quarters_begun(year: int, today: date) -> list[Quarter]:
    return [q for q in (Quarter(year, n) for n in range(1, 5)) if q.start <= today]


def _year_reports(ctx: Context, year: int) -> list[ComplianceReport]:
    return [compliance_report(ctx.store, ctx.active, q, ctx.rules, today=ctx.today,
                              region=ctx.region, authority=ctx.authority, own_org=ctx.own_org)
            for q in _quarters_begun(year, ctx.today)]


def _year_codes(conn: Connection, year: int) -> Counter[str]:
    return Counter(r.result_code for r in conn.execute(select(results.c.result_code).where(
        results.c.inspected_on >= date(year, 1, 1), results.c.inspected_on <= date(year, 12, 31))))


def annual_document(ctx: Context, year: int, item: StatutoryDate | None) -> Document:
    """The year's work report (module docstring)."""
    reports = _year_reports(ctx, year)
    with ctx.store.engine.connect() as conn:
        codes = _year_codes(conn, year)
    last = reports[-1] if reports else None
    library = [f"{c.name} {c.population} 家" for c in (last.categories if last else ())]
    overview = [f"截至{last.period if last else year}，检查对象名录库：{'，'.join(library) or '—'}；"
                f"在编在岗执法人员 {last.inspectors if last else 0} 名。"]
    quota_rows = [{"quarter": r.period, "matter": o.matter or "", "region": o.region or "",
                   "category": category_name(_category(o.category_key or "")),
                   "required": o.required, "done": o.done, "status": o.status,
                   "clause": o.clause} for r in reports for o in r.obligations]
    pub_rows = [{"quarter": r.period, "results": r.publication.results,
                 "published": r.publication.published, "withheld": r.publication.withheld,
                 "on_time": r.publication.on_time,
                 "pub_rate": f"{r.publication.rate:.1%}" if r.publication.rate is not None
                 else ""} for r in reports]
    results_total = sum(r.publication.results for r in reports)
    published_total = sum(r.publication.published for r in reports)
    withheld_total = sum(r.publication.withheld for r in reports)
    owed = results_total - withheld_total
    publication = [f"全年检查结果 {results_total} 条，已公示 {published_total} 条"
                   + (f"，依法不予公开 {withheld_total} 条" if withheld_total else "")
                   + (f"，公示率 {published_total / owed:.1%}" if owed else "") + "。"]
    problems = [f"全年检查 {sum(codes.values())} 家次：" + "，".join(
        f"{ResultCode(c).wording} {n}" for c, n in sorted(codes.items())) + "。"
                if codes else "全年尚无检查结果。"]
    joint_rows = _joint_rows(ctx, year)
    calendar = deployment_calendar(ctx.store, ctx.active.policy, ctx.rules.calendar, ctx.today,
                                   region=ctx.region, own_org=ctx.own_org,
                                   first=Quarter(year, 1), last=Quarter(year, 4))
    date_rows = [{"title": i.declared.title, "period": i.period,
                  "due": i.due.due if i.due else None, "status": i.status,
                  "done_on": i.done_on, "detail": i.detail}
                 for i in calendar if i.period.startswith(str(year))]
    title = item.title if item else T["annual"]
    sections = (
        Section("一、基本情况", tuple(overview)),
        Section("二、抽查任务完成情况", (), (Table("各季度抽查比例落实情况", (
            Column("quarter", T["quarter"], 8), Column("matter", T["matter"], 7),
            Column("region", T["region"], 8), Column("category", T["category"], 12),
            Column("required", T["required"], 8, True), Column("done", T["done"], 8, True),
            Column("status", T["status"], 7), Column("clause", "条款", 12)),
            tuple(quota_rows), "抽查完成"),)),
        Section("三、检查结果公示", tuple(publication), (Table("各季度公示情况", (
            Column("quarter", T["quarter"], 8), Column("results", T["results"], 9, True),
            Column("published", T["published"], 8, True),
            Column("withheld", T["withheld"], 8, True),
            Column("on_time", T["on_time"], 8, True), Column("pub_rate", T["pub_rate"], 8)),
            tuple(pub_rows), "公示"),)),
        Section("四、发现问题及查处", tuple(problems)),
        Section("五、跨部门联合抽查", (), (_joint_table(joint_rows),)),
        Section("六、时间节点落实", (), (_dates_table(date_rows),)),
        Section("七、下一年度工作思路", ("（由填报单位填写）",)),
    )
    return Document(f"{year}年度{title}", _meta(ctx, str(year), item), sections)


def joint_document(ctx: Context, year: int, item: StatutoryDate) -> Document:
    """The year's joint cross-department report (南山 四（四）, 阳城 八（五）)."""
    joint_rows = _joint_rows(ctx, year)
    with ctx.store.engine.connect() as conn:
        task_rows = [{"task": r.task_id, "plan": r.joint_plan, "matter": r.matter_code,
                      "period": r.period, "departments": "、".join(
                          d for d in (r.departments or "").split(";") if d),
                      "status": r.status}
                     for r in conn.execute(select(tasks).where(
                         tasks.c.joint_plan.is_not(None),
                         tasks.c.period.in_([Quarter(year, n).label for n in range(1, 5)]))
                         .order_by(tasks.c.task_id))]
    checks = sum(r["checks"] for r in joint_rows)
    joint_checks = sum(r["joint_checks"] for r in joint_rows)
    summary = (f"{year}年联合抽查计划 {len(joint_rows)} 项，联合抽查任务 {len(task_rows)} 个，"
               f"联合检查 {joint_checks} 家次（相关事项共 {checks} 家次）。")
    tasks_table = Table("联合抽查任务", (
        Column("task", T["task"], 20), Column("plan", T["plan"], 12),
        Column("matter", T["matter"], 7), Column("period", T["period"], 8),
        Column("departments", T["departments"], 40), Column("status", T["status"], 8)),
        tuple(task_rows), "联合任务")
    return Document(f"{year}年{item.title}", _meta(ctx, str(year), item),
                    (Section("一、工作情况", (summary,), (_joint_table(joint_rows),)),
                     Section("二、抽查数据信息", (), (tasks_table,))))


def _joint_rows(ctx: Context, year: int) -> list[dict[str, Any]]:
    from ssj_bridge.policy.joint import joint_figures
    from ssj_bridge.policy.matters import effective_matters, matter_of_task

    matters = effective_matters(ctx.store, ctx.active.policy)
    figures = joint_figures(ctx.store, ctx.active.policy, ctx.today,
                            lambda code: matter_of_task(matters, code),
                            (date(year, 1, 1), date(year, 12, 31)))
    return [{"plan": f.plan.plan_id, "name": f.plan.name, "lead": f.plan.lead_org,
             "partners": "、".join(f.plan.partner_orgs), "share": share_text(f.plan.share),
             "deadline": f.deadline, "checks": f.checks, "joint_checks": f.joint_checks,
             "required": f.required, "status": f.status} for f in figures]


def _joint_table(rows: Sequence[dict[str, Any]]) -> Table:
    return Table("联合抽查计划完成情况", (
        Column("plan", T["plan"], 12), Column("name", T["name"], 24),
        Column("lead", "牵头部门", 20), Column("partners", T["partners"], 24),
        Column("share", T["share"], 7), Column("deadline", T["deadline"], 11),
        Column("checks", T["checks"], 7, True), Column("joint_checks", T["joint_checks"], 8, True),
        Column("required", T["required"], 7, True), Column("status", T["status"], 7)),
        tuple(rows), "联合抽查")


def _dates_table(rows: Sequence[dict[str, Any]]) -> Table:
    return Table("法定时间节点", (
        Column("title", T["title"], 30), Column("period", T["period"], 8),
        Column("due", T["due"], 11), Column("status", T["status"], 9),
        Column("done_on", T["done_on"], 11), Column("detail", T["detail"], 40)),
        tuple(rows), "时间节点")
