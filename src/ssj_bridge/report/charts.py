"""The documents' charts as rows of bars, drawn in HTML by the templates.

Bars in HTML rather than a fixed-size drawing: they reflow to a 390 px phone, print on A4 as
they show, and need neither script nor library. Each chart states in one sentence what it
shows (`summary`), and a chart is left out where it would say nothing: no obligation, no
result, no break. Colours are CSS classes of the page's stylesheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from ssj_bridge.report.compliance import (
    MET,
    SHORT,
    BreakFigures,
    ObligationFigures,
    PublicationFigures,
    percent_text,
)
from ssj_bridge.report.paper import _
from ssj_bridge.report.words import kind_text, obligation_text, per_text


@dataclass(frozen=True)
class BarPart:
    """One coloured part of a bar: its share of the track (0…1) and its tooltip."""

    css: str
    share: float
    title: str


@dataclass(frozen=True)
class BarRow:
    """One bar: its label, parts, the figure beside it, and where 100% is (or None)."""

    label: str
    parts: tuple[BarPart, ...]
    value: str
    marker: float | None = None


@dataclass(frozen=True)
class BarChart:
    """A chart: its title, the sentence that says what it shows, its bars and legend."""

    id: str
    title: str
    summary: str
    rows: tuple[BarRow, ...]
    legend: tuple[tuple[str, str], ...] = field(default=())


def quota_chart(obligations: Sequence[ObligationFigures]) -> BarChart | None:
    """Done ÷ required for each obligation, with the 100% mark; the summary names what is
    short or open and by how many."""
    if not obligations:
        return None
    cap = max(1.0, min(1.5, max((o.achievement or 0.0) for o in obligations)))
    rows = []
    for o in obligations:
        share = o.achievement if o.achievement is not None else 1.0
        css = {MET: "met", SHORT: "short"}.get(o.status, "open")
        value = (f"{o.done} / {o.required} · {percent_text(o.achievement)}" if o.required
                 else _("无需抽查"))
        rows.append(BarRow(f"{obligation_text(o)} · {per_text(o.per)} {o.period}",
                           (BarPart(css, min(share, cap) / cap,
                                    f"{o.done} / {o.required}"),), value, 1.0 / cap))
    behind = [o for o in obligations if o.status != MET]
    if not behind:
        summary = _("全部 {n} 项抽查义务均已完成。").format(n=len(obligations))
    else:
        gaps = "；".join(_("{category} {period} 还差 {gap} 家").format(
            category=obligation_text(o), period=o.period, gap=o.required - o.done)
            for o in behind)
        summary = _("{n} 项义务中 {met} 项已完成：{gaps}。").format(
            n=len(obligations), met=len(obligations) - len(behind), gaps=gaps)
    return BarChart("chart-quotas", _("抽查比例完成情况"), summary, tuple(rows),
                    (("met", _("已完成")), ("open", _("进行中（期间未结束）")),
                     ("short", _("未完成（期间已结束）"))))


def publication_chart(pub: PublicationFigures) -> BarChart | None:
    """Where the quarter's results stand: published on time, late, waiting, refused, not
    queued, as one bar; the summary adds how many working days publication took."""
    if not pub.results:
        return None
    parts = [(pub.on_time, "met", _("按时公示")), (pub.late, "short", _("逾期后公示")),
             (pub.pending, "open", _("待公示")), (pub.rejected, "other", _("平台退回")),
             (pub.not_queued, "accent", _("未进入公示队列"))]
    bar = tuple(BarPart(css, n / pub.results, f"{text} {n}") for n, css, text in parts if n)
    summary = _("{results} 条检查结果中已公示 {published} 条（{rate}），其中按时 {on_time} 条。"
                ).format(results=pub.results, published=pub.published,
                         rate=percent_text(pub.rate), on_time=pub.on_time)
    if pub.days_to_publication:
        summary += _("自任务完成至公示用时：中位数 {median} 个工作日，最长 {longest} 个工作日"
                     "（期限 {deadline} 个工作日）。").format(
            median=f"{median(pub.days_to_publication):g}",
            longest=max(pub.days_to_publication), deadline=pub.deadline_days)
    return BarChart("chart-publication", _("检查结果公示情况"), summary,
                    (BarRow(_("检查结果 {n} 条").format(n=pub.results), bar,
                            f"{pub.published} / {pub.results}"),),
                    tuple((css, f"{text} {n}") for n, css, text in parts))


def breaks_chart(figures: BreakFigures) -> BarChart | None:
    """Breaks open now by kind; the summary gives the last runs' totals, oldest first."""
    if not figures.runs and not figures.open:
        return None
    kinds = [(kind, n) for kind, n in figures.open_by_kind.items() if n]
    peak = max((n for _kind, n in kinds), default=1)
    rows = tuple(BarRow(kind_text(kind), (BarPart("short", n / peak, f"{kind} {n}"),), str(n))
                 for kind, n in kinds)
    if figures.open:
        summary = _("当前未解决的数据差异 {n} 条。").format(n=figures.open)
    else:
        summary = _("最近一次核对时本地库与各平台数据一致。")
    if len(figures.runs) >= 2:
        summary += _("最近 {k} 次核对发现的差异数（由远及近）：{trend}。").format(
            k=len(figures.runs), trend=" → ".join(str(r.total) for r in figures.runs))
    failed = [r for r in figures.runs[-1:] if r.failed]
    if failed:
        summary += _("最近一次核对未能读取：{platforms}。").format(
            platforms="、".join(failed[0].failed))
    return BarChart("chart-breaks", _("数据核对差异"), summary, rows)
