"""`report deadlines|compliance|breaks`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import orjson

from ssj_bridge.cli.context import Context, parse_quarter, pass_context, report_failures
from ssj_bridge.i18n import _


@click.group()
def report() -> None:
    """Reports on the store: deadlines, the quarter's compliance, breaks, and the statutory
    documents (ledger, statistics, annual)."""


@report.command("deadlines")
@click.option("--within", default=5, show_default=True, type=click.IntRange(min=0),
              help="List what falls due within this many working days.")
@click.option("--all", "list_on_time", is_flag=True,
              help="Also list the publications published on time.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def report_deadlines(ctx: Context, within: int, list_on_time: bool, as_json: bool) -> None:
    """Publications overdue, due within N working days, and published late, per period; results
    entered late; and every statutory date of SSJ_POLICY (annual plan, draws, ledgers,
    statistics, reports, joint tasks) with where it stands."""
    from ssj_bridge.features.deadlines import DeadlineRules, render_text
    from ssj_bridge.features.deadlines import report_deadlines as build
    from ssj_bridge.features.statutory import deployment_calendar
    from ssj_bridge.model import beijing_today
    from ssj_bridge.plugins.host import load_plugins

    settings = ctx.settings
    host = load_plugins() if settings.policy else None
    rules = DeadlineRules.from_settings(settings, host)
    store = ctx.store()
    today = beijing_today()
    result = build(store, rules, today, within, list_on_time=list_on_time)
    statutory = []
    if host is not None and settings.policy in host.policies:
        from ssj_bridge.policy.classify import resolve_policy

        active = resolve_policy(host, settings.policy)
        statutory = deployment_calendar(store, active.policy, rules.calendar, today,
                                        within=within, region=settings.region_code,
                                        own_org=settings.org_code)
    if as_json:
        click.echo(orjson.dumps({**result.as_json(),
                                 "statutory": [i.as_json() for i in statutory]}).decode())
        return
    for line in render_text(result):
        click.echo(line)
    if statutory:
        click.echo("")
        click.echo(_("statutory dates — policy {policy} (* provisional)").format(
            policy=settings.policy))
        for item in statutory:
            click.echo(f"  {item.line()}")


@report.command("compliance")
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report as one self-contained HTML file (A4 when printed).")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report as PDF (printed by Chromium; SSJ_CHROMIUM).")
@pass_context
def report_compliance(ctx: Context, period: str, as_json: bool, html_path: Path | None,
                      pdf_path: Path | None) -> None:
    """Quotas (required, drawn, inspected), publication rate and timeliness, overdue, breaks."""
    from ssj_bridge.features.deadlines import DeadlineRules
    from ssj_bridge.model import beijing_today
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.policy.classify import resolve_policy
    from ssj_bridge.policy.closing import close_period
    from ssj_bridge.report.compliance import compliance_report, render_text
    from ssj_bridge.report.html import render_html
    from ssj_bridge.report.paper import Letterhead, _

    quarter = parse_quarter(period)
    settings = ctx.settings
    host = load_plugins()
    report_failures(host)
    active = resolve_policy(host, settings.policy)
    store = ctx.store()
    close_period(store, active, quarter, settings.region_code)  # once the quarter has ended
    result = compliance_report(store, active, quarter,
                               DeadlineRules.from_settings(settings, host), today=beijing_today(),
                               region=settings.region_code, authority=settings.org_name,
                               own_org=settings.org_code)
    letterhead = Letterhead.of(settings, _("双随机抽查工作合规报告"), quarter.label)
    written = write_documents(ctx, lambda: render_html(result, letterhead), html_path, pdf_path)
    if as_json:
        click.echo(orjson.dumps(result.as_json()).decode())
    else:
        for line in render_text(result):
            click.echo(line)
    for path in written:
        click.echo(_("report: {path}").format(path=path), err=as_json)


def write_documents(ctx: Context, render: Callable[[], str], html_path: Path | None,
                    pdf_path: Path | None) -> list[Path]:
    """Write a document as `--html` and/or `--pdf` asked (nothing when neither is given)."""
    if html_path is None and pdf_path is None:
        return []
    from ssj_bridge.report.pdf import write_outputs

    return write_outputs(render(), html=html_path, pdf=pdf_path, chromium=ctx.settings.chromium)


def document_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--html PATH` and `--pdf PATH` of a command that writes a document."""
    func = click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, help="Write the document as PDF (printed by Chromium; "
                        "SSJ_CHROMIUM).")(func)
    return click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, help="Write the document as one self-contained HTML "
                        "file (A4 when printed).")(func)


@report.command("publications")
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@document_options
@pass_context
def report_publications(ctx: Context, period: str, as_json: bool, html_path: Path | None,
                        pdf_path: Path | None) -> None:
    """The results publication list: every result inspected in the quarter, its result in
    the publicity system's words and where its publication stands."""
    from ssj_bridge.report.paper import Letterhead
    from ssj_bridge.report.publication_list import publication_list, render_publications

    quarter = parse_quarter(period)
    listing = publication_list(ctx.store(migrate=False), quarter)
    letterhead = Letterhead.of(ctx.settings, _("双随机抽查结果公示名单"), quarter.label)
    written = write_documents(ctx, lambda: render_publications(listing, letterhead), html_path,
                              pdf_path)
    if as_json:
        click.echo(orjson.dumps(listing.as_json()).decode())
    else:
        counts = listing.counts()
        click.echo(_("{period}: {count} results; published {published}, pending {pending}, "
                     "refused {refused}, not queued {not_queued}").format(
            period=quarter.label, count=len(listing.rows), published=counts["published"],
            pending=counts["pending"], refused=counts["rejected"],
            not_queued=counts["not-queued"]))
    for path in written:
        click.echo(_("document: {path}").format(path=path), err=as_json)


@report.command("breaks")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv",
              show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file to write (required for xlsx; csv goes to stdout without it).")
@click.option("--all", "include_resolved", is_flag=True, help="Resolved breaks too.")
@pass_context
def report_breaks(ctx: Context, fmt: str, out: Path | None, include_resolved: bool) -> None:
    """The reconciliation breaks (open ones, or all) as CSV or XLSX."""
    from ssj_bridge.report.breaks_export import export_breaks

    if fmt == "xlsx" and out is None:
        raise click.BadParameter(_("xlsx needs a file"), param_hint="--out")
    count = export_breaks(ctx.store(migrate=False), fmt, out if out is not None else sys.stdout,
                          include_resolved=include_resolved)
    if out is not None:
        click.echo(_("{count} breaks written to {path}").format(count=count, path=out))


def _document_command(kind: str, period_help: str) -> click.Command:
    """`report ledger|statistics|annual`: the statutory documents of SSJ_POLICY."""

    @click.option("--period", required=True, help=period_help)
    @click.option("--document", "document", default=None, metavar="KEY",
                  help="Only this document of the policy (when it sets several of a kind).")
    @click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="Write the printable HTML (A4) here.")
    @click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="Write the XLSX workbook here.")
    @click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
    @pass_context
    def command(ctx: Context, period: str, document: str | None, html_path: Path | None,
                xlsx_path: Path | None, as_json: bool) -> None:
        from ssj_bridge.features.deadlines import DeadlineRules
        from ssj_bridge.model import beijing_today
        from ssj_bridge.plugins.host import load_plugins
        from ssj_bridge.policy.classify import resolve_policy
        from ssj_bridge.report import statutory_docs

        if kind == "annual":
            if not (len(period) == 4 and period.isdigit()):
                raise click.BadParameter(_("{period!r} is not a year YYYY").format(period=period),
                                        param_hint="--period")
        else:
            period = parse_quarter(period).label
        settings = ctx.settings
        host = load_plugins()
        report_failures(host)
        active = resolve_policy(host, settings.policy)
        store = ctx.store()
        made = statutory_docs.produce(
            statutory_docs.Context(store, active, DeadlineRules.from_settings(settings, host),
                                   beijing_today(), settings.region_code, settings.org_name,
                                   settings.org_code),
            kind, period, document=document, html=html_path, xlsx=xlsx_path)
        if as_json:
            click.echo(orjson.dumps([m.as_json() for m in made]).decode())
            return
        for item in made:
            basis = f" ({item.declared.clause})" if item.declared else ""
            click.echo(_("{title} {period}{basis}:").format(title=item.title, period=item.period,
                                                            basis=basis))
            for path in item.written.paths:
                click.echo(f"  {path}")

    command.__doc__ = {  # translated with the other help texts (cli.localise)
        "ledger": "The quarter's task ledger (季度任务台账): every check with its result and "
                  "publication, as printable HTML and XLSX.",
        "statistics": "The quarter's statistics table (监管情况统计表) per matter, district and "
                      "category, as printable HTML and XLSX.",
        "annual": "The year's report(s) the policy asks for (工作报告/总结, joint reports), as "
                  "printable HTML and XLSX.",
    }[kind]
    return report.command(kind)(command)


_document_command("ledger", "The quarter, YYYYQn.")
_document_command("statistics", "The quarter, YYYYQn.")
_document_command("annual", "The year, YYYY.")
