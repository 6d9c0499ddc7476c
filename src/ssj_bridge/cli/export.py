"""`export`: the store's canonical records, one per line. Reads only: never migrates."""

from __future__ import annotations

import sys

import click

from ssj_bridge.cli.context import Context, pass_context


@click.command()
@click.argument("what", type=click.Choice(["subjects", "inspectors", "tasks", "results", "draws",
                                           "quarantine"]))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@pass_context
def export(ctx: Context, what: str, fmt: str) -> None:
    """The store's canonical records, one per line."""
    from ssj_bridge.plugins.registry import default_registry
    from ssj_bridge.report.export import write_rows

    write_rows(default_registry().rows(what, ctx.store(migrate=False)), sys.stdout, fmt)
