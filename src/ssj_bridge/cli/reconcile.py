"""`reconcile`: differences between the store and the platforms."""

from __future__ import annotations

import click
import orjson

from ssj_bridge.cli.context import Context, pass_context, report_failures


@click.command()
@click.option("--platform", default=None, help="Only this platform (permit, credit, province, publicity).")
@click.option("--repair", is_flag=True, help="Re-send what the project owns.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def reconcile(ctx: Context, platform: str | None, repair: bool, as_json: bool) -> None:
    """Differences between the store and the platforms (exit 3 when there are breaks)."""
    from ssj_bridge.log import redact_text
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.reconcile.run import reconcile as run_reconcile

    host = load_plugins()
    report_failures(host)
    report = run_reconcile(ctx.settings, ctx.store(), host, platform=platform, repair=repair)
    if as_json:
        click.echo(redact_text(orjson.dumps(report.as_json(), default=str).decode()))
    else:
        for name, summary in report.summary.items():
            counts = {k: v for k, v in summary.items() if isinstance(v, dict)}
            line = ", ".join(f"{entity}: " + " ".join(f"{kind}={n}" for kind, n in c.items() if n)
                             for entity, c in counts.items())
            click.echo(f"{name}: {summary['status']}"
                       + (f" ({summary['error']})" if summary["error"] else "") + f" {line}")
        for item in report.fix_at_source[:50]:
            click.echo(f"  fix at source: {item['entity']} {item['key']} {item['kind']}: "
                       f"{item['hint']}")
        if report.repaired:
            click.echo(f"repaired: {len(report.repaired)} re-sent")
    raise SystemExit(int(report.exit))
