"""`sync`: one cycle, for cron."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson

from ssj_bridge.cli.context import Context, pass_context, report_failures
from ssj_bridge.errors import exit_code_of


@click.command()
@click.option("--only", default=None, help="Comma-separated platforms: permit,credit,province,publicity.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@pass_context
def sync(ctx: Context, only: str | None, as_json: bool) -> None:
    """One cycle, for cron: read every configured platform and store what changed."""
    from ssj_bridge.cli.progress import batch_progress
    from ssj_bridge.model import beijing_now
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.sync import run_sync, run_times

    started = beijing_now()
    roles = [r.strip() for r in only.split(",") if r.strip()] if only else None
    try:
        settings = ctx.settings
        host = load_plugins()
        report_failures(host)
        store = ctx.store()
        with batch_progress(enabled=sys.stderr.isatty() and not as_json) as progress:
            report = run_sync(settings, store, host, only=roles, progress=progress)
    except Exception as exc:
        failed = {"exit": exit_code_of(exc), "platforms": {}, **run_times(started, beijing_now())}
        if as_json:  # scripts read stdout: the shape holds even when no platform was reached
            click.echo(orjson.dumps(failed).decode())
        if ctx.loaded is not None:  # settings that cannot be read name no one to alert
            _alert(ctx.loaded, failed["exit"], {**failed, "error": f"{type(exc).__name__}: {exc}"})
        raise
    from ssj_bridge.log import redact_text

    _alert(settings, int(report.exit), report.as_json())
    # What a platform said is in there, and a gateway may have echoed our secrets into it.
    if as_json:
        click.echo(redact_text(orjson.dumps(report.as_json()).decode()))
    else:
        click.echo(redact_text(report.summary_line()))
    raise SystemExit(int(report.exit))


def _alert(settings: Any, code: int, summary: dict[str, Any]) -> None:
    from ssj_bridge.operations.alerts import notify_run

    notify_run(settings.alerts, code, summary, region=settings.region_code)
