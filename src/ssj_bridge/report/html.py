"""The compliance report as one self-contained HTML file a data manager can mail on.

A summary first, then sortable and filterable tables and inline SVG charts; styles and the few
lines of script are inline and a Content-Security-Policy forbids every fetch, so the file opens
the same with no network. Jinja2 with autoescape on: every value from the store (names, keys,
the platform's error messages) is escaped.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from ssj_bridge.report.charts import breaks_chart, days_chart, quota_chart
from ssj_bridge.report.compliance import MET, OPEN, SHORT, ComplianceReport, percent_text
from ssj_bridge.report.output import report_file

TEMPLATE = "compliance.html.j2"


def _environment() -> Environment:
    # The template's name ends in .j2, which select_autoescape would not match: on for all.
    env = Environment(loader=PackageLoader("ssj_bridge.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.filters["pct"] = percent_text
    env.globals["tone"] = tone
    return env


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
            lines.append(f"{o.label}: {o.done} of {o.required} required in {o.period} "
                         f"({o.clause}) — short by {o.required - o.done}; the period ended "
                         f"{o.end.isoformat()}.")
    for o in obligations:
        if o.status == OPEN:
            lines.append(f"{o.label}: {o.done} of {o.required} required in {o.period} "
                         f"so far ({o.clause}); {o.required - o.done} to go by "
                         f"{o.end.isoformat()}.")
    if obligations and all(o.status == MET for o in obligations):
        lines.append(f"Every obligation whose period contains {report.period} is met.")
    pub = report.publication
    if pub.results:
        lines.append(f"{pub.published} of {pub.results} results of {report.period} are published "
                     f"({percent_text(pub.rate)}), {pub.on_time} of them on time.")
    else:
        lines.append(f"No result of {report.period} is recorded yet.")
    if report.overdue:
        worst = max(report.overdue, key=lambda i: i.working_days)
        many = len(report.overdue)
        lines.append(f"{many} publication{' is' if many == 1 else 's are'} overdue, the latest by "
                     f"{worst.working_days} working days (task {worst.task_id}).")
    if report.breaks.open:
        oldest = max(b.runs_open for b in report.breaks.items) if report.breaks.items else 0
        many = report.breaks.open
        lines.append(f"{many} reconciliation break{' is' if many == 1 else 's are'} open; the "
                     f"oldest has been open for {oldest} run{'' if oldest == 1 else 's'}.")
    elif report.breaks.runs:
        lines.append("The last reconciliation found the store and the platforms in step.")
    return lines


def render_html(report: ComplianceReport) -> str:
    """The report as one HTML document."""
    runs = report.breaks.runs
    trend = runs[-1].total - runs[-2].total if len(runs) >= 2 else None
    context: dict[str, Any] = {
        "r": report, "pub": report.publication, "counts": report.obligation_counts(),
        "total_obligations": len(report.obligations), "trend": trend,
        "findings": findings(report),
        "charts": {"quotas": quota_chart(report.obligations),
                   "breaks": breaks_chart(runs),
                   "days": days_chart(report.publication.days_to_publication,
                                      report.publication.deadline_days)},
    }
    return _environment().get_template(TEMPLATE).render(context)


def write_html(report: ComplianceReport, path: Path) -> Path:
    """Write the report to `path` (whole or not at all: a reader never sees half a file)."""
    path = path.expanduser()
    text = render_html(report)
    with report_file(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(temporary, 0o644)  # mkstemp makes it private; a report is read by others
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return path.resolve()
