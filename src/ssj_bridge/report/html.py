"""The compliance report as a document a bureau files: one self-contained HTML file.

A summary first (cards and the sentences that say what is short, overdue or open), then the
quota table, publication and reconciliation, each with a chart that says what it shows, and
the signature and seal block. On screen the tables sort and filter; on a phone they become
one card per row; on paper (A4, `paper.html.j2`) they wrap instead of being cut. Jinja2 with
autoescape on: every value from the store is escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ssj_bridge.report.charts import breaks_chart, publication_chart, quota_chart
from ssj_bridge.report.compliance import MET, OPEN, SHORT, ComplianceReport, percent_text
from ssj_bridge.report.paper import Letterhead, _, render_document, write_document
from ssj_bridge.report.words import (
    category_text,
    kind_text,
    obligation_scope,
    obligation_text,
    per_text,
    platform_text,
    publication_text,
    status_text,
)

TEMPLATE = "compliance.html.j2"


def tone(ratio: float | None) -> str:
    """A summary card's colour for a ratio: good from 95%, bad below 80%."""
    if ratio is None:
        return ""
    if ratio >= 0.95:
        return "good"
    return "warn" if ratio >= 0.8 else "bad"


def findings(report: ComplianceReport) -> list[str]:
    """The summary's sentences: what is short, what runs behind, what is overdue, what is open."""
    lines = []
    obligations = report.obligations
    for o in obligations:
        if o.status == SHORT:
            lines.append(_("{category}：{period}（{clause}）应抽查 {required} 家，已完成 {done} 家，"
                           "差 {gap} 家；该期间已于 {end} 结束。").format(
                category=obligation_text(o), period=o.period, clause=o.clause,
                required=o.required, done=o.done, gap=o.required - o.done,
                end=o.end.isoformat()))
    for o in obligations:
        if o.status == OPEN:
            lines.append(_("{category}：{period}（{clause}）应抽查 {required} 家，目前已完成 "
                           "{done} 家，尚需 {gap} 家，截止 {end}。").format(
                category=obligation_text(o), period=o.period, clause=o.clause,
                required=o.required, done=o.done, gap=o.required - o.done,
                end=o.end.isoformat()))
    if obligations and all(o.status == MET for o in obligations):
        lines.append(_("包含 {period} 的各期间抽查义务均已完成。").format(period=report.period))
    pub = report.publication
    if pub.results:
        lines.append(_("{period} 的 {results} 条检查结果中已公示 {published} 条（{rate}），其中按时 "
                       "{on_time} 条。").format(period=report.period, results=pub.results,
                                               published=pub.published,
                                               rate=percent_text(pub.rate), on_time=pub.on_time))
    else:
        lines.append(_("尚无 {period} 的检查结果记录。").format(period=report.period))
    if report.overdue:
        worst = max(report.overdue, key=lambda i: i.working_days)
        lines.append(_("{n} 条结果逾期未公示，最长逾期 {days} 个工作日（任务 {task}）。").format(
            n=len(report.overdue), days=worst.working_days, task=worst.task_id))
    if report.breaks.open:
        oldest = max(b.runs_open for b in report.breaks.items) if report.breaks.items else 0
        lines.append(_("数据核对有 {n} 条差异未解决，最久的已持续 {runs} 次核对。").format(
            n=report.breaks.open, runs=oldest))
    elif report.breaks.runs:
        lines.append(_("最近一次核对时本地库与各平台数据一致。"))
    return lines


def render_html(report: ComplianceReport, letterhead: Letterhead | None = None) -> str:
    """The report as one HTML document."""
    letterhead = letterhead or Letterhead(
        unit=report.authority or _("（未设置单位名称 SSJ_ORG_NAME）"), title=_("双随机抽查工作合规报告"),
        period=report.period, region=report.region, generated_at=report.generated_at)
    context: dict[str, Any] = {
        "r": report, "pub": report.publication, "counts": report.obligation_counts(),
        "total_obligations": len(report.obligations), "findings": findings(report),
        "charts": {"quotas": quota_chart(report.obligations),
                   "publication": publication_chart(report.publication),
                   "breaks": breaks_chart(report.breaks)},
        "tone": tone,
    }
    return render_document(TEMPLATE, letterhead, context, filters={
        "pct": percent_text, "category": category_text, "scope": obligation_scope, "per": per_text,
        "status": status_text, "kind": kind_text, "platform": platform_text,
        "publication": publication_text})


def write_html(report: ComplianceReport, path: Path, letterhead: Letterhead | None = None) -> Path:
    """Write the report to `path` (whole or not at all)."""
    return write_document(render_html(report, letterhead), path)
