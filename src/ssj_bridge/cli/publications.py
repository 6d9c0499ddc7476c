"""`publications retry`: refused publications queued again."""

from __future__ import annotations

import click

from ssj_bridge.cli.context import Context, pass_context


@click.group()
def publications() -> None:
    """Publications of results on the enterprise credit publicity system."""


@publications.command("retry")
@click.argument("keys", nargs=-1)
@click.option("--code", "error_code", default=None,
              help="Only publications refused with this code (e.g. E102).")
@pass_context
def publications_retry(ctx: Context, keys: tuple[str, ...], error_code: str | None) -> None:
    """Queue refused publications again (KEY: taskId/uscc/inspectedOn; none: every refused one)."""
    from ssj_bridge.features.publications import retry
    from ssj_bridge.store import SYNC_LOCK

    store = ctx.store()
    # Queued again for the exchange: not while a sync (or a repair) is sending.
    with store.lock(SYNC_LOCK), store.engine.begin() as conn:
        queued = retry(conn, keys, error_code)
    click.echo(f"{len(queued)} publications queued again; the next sync sends them in a new batch")
    for key in queued:
        click.echo(f"  {key}")
