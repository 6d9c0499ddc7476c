"""`status` (the last runs and what is open) and `check` (can a run work?)."""

from __future__ import annotations

import click
import orjson

from ssj_bridge.cli.context import Context, pass_context
from ssj_bridge.i18n import _


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--runs", "limit", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many of the last runs to list.")
@pass_context
def status(ctx: Context, as_json: bool, limit: int) -> None:
    """The last runs (exit codes, durations) and what is open: records set aside, writes
    waiting, reconciliation breaks, overdue publications. Reads the store only."""
    from ssj_bridge.features.deadlines import DeadlineRules
    from ssj_bridge.model import beijing_today
    from ssj_bridge.operations.check import sqlite_file
    from ssj_bridge.operations.status import Status, read_status, status_lines
    from ssj_bridge.plugins.host import load_plugins

    settings = ctx.settings
    missing = sqlite_file(settings.database_url)
    if missing is not None and not missing.exists():
        # Nothing has run yet; opening the store would create an empty file.
        found = Status.empty(beijing_today())
        click.echo(_("no store at {path} yet: the first `ssj-bridge sync` creates it").format(
            path=missing), err=as_json)
    else:
        rules = DeadlineRules.from_settings(settings, load_plugins() if settings.policy else None)
        store = ctx.store(migrate=False)
        try:
            found = read_status(store, rules, beijing_today(), limit=limit)
        finally:
            store.dispose()
    if as_json:
        click.echo(orjson.dumps(found.as_json()).decode())
        return
    for line in status_lines(found):
        click.echo(line)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds one call to a platform may take.")
@pass_context
def check(ctx: Context, as_json: bool, timeout: float) -> None:
    """Settings, credentials, each configured platform's answer and the store, without
    syncing: exit 0 when a sync can run, else the code it would end with (78, 75)."""
    from ssj_bridge.operations.check import check_lines, run_checks
    from ssj_bridge.plugins.host import load_plugins

    report = run_checks(ctx.settings, load_plugins(), timeout=timeout,
                        deadline=max(timeout * 3, timeout))
    if as_json:
        click.echo(orjson.dumps(report.as_json()).decode())
    else:
        for line in check_lines(report):
            click.echo(line)
    raise SystemExit(int(report.exit))
