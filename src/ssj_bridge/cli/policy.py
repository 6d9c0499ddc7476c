"""`plan` (a quarter's, or the annual plan and its filing) and `explain` (why a subject is in
its categories)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from ssj_bridge.cli.context import Context, parse_quarter, pass_context, report_failures
from ssj_bridge.i18n import _, pgettext


@click.group(invoke_without_command=True)
@click.option("--period", default=None, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--year", type=int, default=None,
              help="The annual plan of YYYY: per matter and quarter, with its dates.")
@click.option("--matter", default=None, help="Only this matter of the list (e.g. M07).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (interface.md's shape).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --year: also write the annual plan as printable HTML (A4).")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --year: also write the annual plan as an XLSX workbook.")
@click.pass_context
def plan(click_ctx: click.Context, period: str | None, year: int | None, matter: str | None,
         as_json: bool, html_path: Path | None, xlsx_path: Path | None) -> None:
    """Per matter (and per district where districts keep their own obligations): categories,
    populations and required draws of the quarter under SSJ_POLICY (--period), or the annual
    plan per matter and quarter with its deadlines (--year); `plan file` records its filing."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.find_object(Context)
    assert ctx is not None
    if (period is None) == (year is None):
        raise click.UsageError(_("give --period YYYYQn (the quarter's plan) or --year YYYY "
                                 "(the annual plan)"))
    if year is not None:
        _annual_plan(ctx, year, as_json, html_path, xlsx_path)
        return
    if html_path or xlsx_path:
        raise click.UsageError(_("--html and --xlsx go with --year"))
    assert period is not None
    _quarter_plan(ctx, period, matter, as_json)


def _quarter_plan(ctx: Context, period: str, matter: str | None, as_json: bool) -> None:
    from rich.console import Console

    from ssj_bridge.model import beijing_today
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.policy.classify import resolve_policy
    from ssj_bridge.policy.closing import close_period
    from ssj_bridge.policy.plan import make_plan, print_plan

    quarter = parse_quarter(period)
    settings = ctx.settings
    host = load_plugins()
    report_failures(host)
    active = resolve_policy(host, settings.policy)
    store = ctx.store()
    close_period(store, active, quarter, settings.region_code)  # once the quarter has ended
    result = make_plan(store, active, quarter, region=settings.region_code, matter=matter,
                       own_org=settings.org_code).with_joint(store, active.policy, beijing_today())
    if as_json:
        click.echo(orjson.dumps(result.as_json()).decode())
    else:
        print_plan(result, Console())


def _annual(ctx: Context, year: int) -> tuple[Any, Any]:
    """The annual plan of `year` and the settings."""
    from ssj_bridge.features.annual import annual_plan
    from ssj_bridge.features.deadlines import DeadlineRules
    from ssj_bridge.model import beijing_today
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.policy.classify import resolve_policy

    settings = ctx.settings
    host = load_plugins()
    report_failures(host)
    active = resolve_policy(host, settings.policy)
    store = ctx.store()
    found = annual_plan(store, active, year, DeadlineRules.from_settings(settings, host),
                        today=beijing_today(), region=settings.region_code,
                        authority=settings.org_name, own_org=settings.org_code)
    return found, settings


def _annual_plan(ctx: Context, year: int, as_json: bool, html_path: Path | None,
                 xlsx_path: Path | None) -> None:
    from ssj_bridge.features.annual import plan_lines
    from ssj_bridge.report.annual_plan import plan_document
    from ssj_bridge.report.document import write_document

    found, _settings = _annual(ctx, year)
    written = (write_document(plan_document(found), html=html_path, xlsx=xlsx_path)
               if html_path or xlsx_path else None)
    if as_json:
        click.echo(orjson.dumps(found.as_json()).decode())
    else:
        for line in plan_lines(found):
            click.echo(line)
    for path in written.paths if written else ():
        click.echo(_("annual plan: {path}").format(path=path), err=as_json)
    warning = filing_warning(found)
    if warning:
        click.echo(_("warning: {text}").format(text=warning), err=True)


def filing_warning(found: Any, within_days: int = 15) -> str:
    """A sentence when the plan is not filed and its filing date is near (15 days) or past."""
    from ssj_bridge.model import beijing_today

    due = found.filing_due
    if due is None or due.due is None or found.filings:
        return ""
    left = (due.due - beijing_today()).days
    if left < 0:
        return (_("{title}: not filed, its filing date {due} ({clause}) passed {days} days ago")
                .format(title=found.title, due=due.due, clause=due.clause, days=-left)
                + (_("; file it with {to}").format(to=due.to) if due.to else "")
                + _(" and record it with `plan file`"))
    if left <= within_days:
        return (_("{title}: not filed, due {due} ({clause}) in {days} days").format(
            title=found.title, due=due.due, clause=due.clause, days=left)
            + (_(" to {to}").format(to=due.to) if due.to else ""))
    return ""


@plan.command("file")
@click.option("--year", type=int, required=True, help="The plan's year.")
@click.option("--to", "filed_to", required=True, help="Whom it was filed with (报送/备案单位).")
@click.option("--by", "filed_by", required=True, help="Who filed it.")
@click.option("--on", "filed_on", default=None, metavar="YYYY-MM-DD",
              help="The day it was filed (default: today, Beijing).")
@pass_context
def plan_file(ctx: Context, year: int, filed_to: str, filed_by: str,
              filed_on: str | None) -> None:
    """Record that the annual plan of YEAR was filed: when, with whom, by whom, and the plan as
    filed (its SHA-256 is printed)."""
    from datetime import date

    from ssj_bridge.features.annual import file_plan
    from ssj_bridge.model import beijing_today

    try:
        day = date.fromisoformat(filed_on) if filed_on else beijing_today()
    except ValueError:
        raise click.BadParameter(_("{day!r} is not a date YYYY-MM-DD").format(day=filed_on),
                                 param_hint="--on") from None
    found, settings = _annual(ctx, year)
    result = file_plan(ctx.store(), found, to=filed_to, by=filed_by, filed_on=day,
                       region=settings.region_code or "")
    click.echo(result.text(year))


@click.command()
@click.argument("code", metavar="USCC")
@click.option("--period", default=None,
              help="The quarter, YYYYQn (default: the current one, else the latest classified).")
@click.option("--json", "as_json", is_flag=True, help="Print the classification as JSON.")
@pass_context
def explain(ctx: Context, code: str, period: str | None, as_json: bool) -> None:
    """Why the subject is in its categories: each rule, its clause and the facts behind it."""
    from ssj_bridge.errors import InputRefused
    from ssj_bridge.model import beijing_today, normalise_code, words
    from ssj_bridge.model.periods import Quarter
    from ssj_bridge.policy.classify import classification_of, iter_reasons, subject_row

    uscc_code = normalise_code(code)
    asked = parse_quarter(period) if period else None
    store = ctx.store(migrate=False)
    subject = subject_row(store, uscc_code)
    if subject is None:
        raise InputRefused(_("{uscc}: no subject with this USCC in the store").format(uscc=uscc_code))
    found = classification_of(store, uscc_code, asked or Quarter.of(beijing_today()))
    if found is None and asked is None:
        found = classification_of(store, uscc_code)
    if found is None:
        when = words.period(asked.label) if asked else _("any period")
        raise InputRefused(_("{uscc}: not classified for {when} (classification runs after each "
                             "sync when SSJ_POLICY is set; `ssj-bridge plan --period YYYYQn` "
                             "classifies a quarter)").format(uscc=uscc_code, when=when))
    if as_json:
        click.echo(orjson.dumps({**found.as_json(), "name": subject["name"],
                                 "regionCode": subject["region_code"]}).decode())
        return
    libraries = (words.listing(words.category(c.value) for c in found.categories)
                 or words.category(None))
    click.echo(_("{uscc} {name} (region {region})").format(
        uscc=found.uscc, name=subject["name"], region=subject["region_code"]))
    click.echo(_("period {period} · policy {policy} · classified {at}").format(
        period=words.period(found.period), policy=found.policy, at=found.classified_at))
    click.echo(_("category: {category} · libraries: {libraries}").format(
        category=words.category(found.category.value if found.category else None),
        libraries=libraries)
        + (_(" · inspected {mode}").format(mode=found.inspection_mode.value)
           if found.inspection_mode else ""))
    heading = None
    for status, reason in iter_reasons(found):
        if status != heading:
            click.echo(_("rules that apply:") if status == "applies"
                       else _("rules that also hold but are outranked:"))
            heading = status
        category = (words.category(reason.category.value) if reason.category
                    else pgettext("category", "left out"))
        click.echo(f"  {category}  {reason.rule} — {reason.clause or _('common rule')}")
        facts = ", ".join(f"{k}={v}" for k, v in reason.facts.items() if v is not None)
        if facts:
            click.echo("      " + _("facts: {facts}").format(facts=facts))
        if reason.quote:
            click.echo("      " + _("text: {quote}").format(quote=reason.quote))
