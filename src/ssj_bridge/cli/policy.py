"""`plan` and `explain`: the quarter's plan and why a subject is in its categories."""

from __future__ import annotations

import click
import orjson

from ssj_bridge.cli.context import Context, parse_quarter, pass_context, report_failures


@click.command()
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--matter", default=None, help="Only this matter of the list (e.g. M07).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (interface.md's shape).")
@pass_context
def plan(ctx: Context, period: str, matter: str | None, as_json: bool) -> None:
    """Per matter (and per district where districts keep their own obligations): categories,
    populations and required draws of the quarter under SSJ_POLICY."""
    from rich.console import Console

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
    result = make_plan(store, active, quarter, region=settings.region_code, matter=matter)
    if as_json:
        click.echo(orjson.dumps(result.as_json()).decode())
    else:
        print_plan(result, Console())


@click.command()
@click.argument("code", metavar="USCC")
@click.option("--period", default=None,
              help="The quarter, YYYYQn (default: the current one, else the latest classified).")
@click.option("--json", "as_json", is_flag=True, help="Print the classification as JSON.")
@pass_context
def explain(ctx: Context, code: str, period: str | None, as_json: bool) -> None:
    """Why the subject is in its categories: each rule, its clause and the facts behind it."""
    from ssj_bridge.errors import InputRefused
    from ssj_bridge.model import beijing_today, normalise_code
    from ssj_bridge.model.periods import Quarter
    from ssj_bridge.policy.classify import classification_of, iter_reasons, subject_row

    uscc_code = normalise_code(code)
    asked = parse_quarter(period) if period else None
    store = ctx.store(migrate=False)
    subject = subject_row(store, uscc_code)
    if subject is None:
        raise InputRefused(f"{uscc_code}: no subject with this USCC in the store")
    found = classification_of(store, uscc_code, asked or Quarter.of(beijing_today()))
    if found is None and asked is None:
        found = classification_of(store, uscc_code)
    if found is None:
        when = asked.label if asked else "any period"
        raise InputRefused(f"{uscc_code}: not classified for {when} (classification runs after each "
                           f"sync when SSJ_POLICY is set; `ssj-bridge plan --period YYYYQn` "
                           f"classifies a quarter)")
    if as_json:
        click.echo(orjson.dumps({**found.as_json(), "name": subject["name"],
                                 "regionCode": subject["region_code"]}).decode())
        return
    libraries = ", ".join(c.value for c in found.categories) or "none"
    click.echo(f"{found.uscc} {subject['name']} (region {subject['region_code']})")
    click.echo(f"period {found.period} · policy {found.policy} · classified {found.classified_at}")
    click.echo(f"category: {found.category.value if found.category else 'none'} · "
               f"libraries: {libraries}"
               + (f" · inspected {found.inspection_mode.value}" if found.inspection_mode else ""))
    heading = None
    for status, reason in iter_reasons(found):
        if status != heading:
            click.echo("rules that apply:" if status == "applies"
                       else "rules that also hold but are outranked:")
            heading = status
        category = reason.category.value if reason.category else "left out"
        click.echo(f"  {category:<10} {reason.rule} — {reason.clause or 'common rule'}")
        facts = ", ".join(f"{k}={v}" for k, v in reason.facts.items() if v is not None)
        if facts:
            click.echo(f"             facts: {facts}")
        if reason.quote:
            click.echo(f"             text: {reason.quote}")
