"""`export`: the store's canonical records, one per line. Reads only: never migrates."""

from __future__ import annotations

import sys

import click

from ssj_bridge.cli.context import Context, pass_context


@click.command()
@click.argument("what", type=click.Choice(["subjects", "inspectors", "tasks", "results", "draws",
                                           "quarantine", "matters", "objects", "joint"]))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@pass_context
def export(ctx: Context, what: str, fmt: str) -> None:
    """The store's canonical records, one per line (matters and objects: in their files'
    columns; matters: the policy's bundled list with what was imported over it)."""
    from ssj_bridge.plugins.registry import default_registry
    from ssj_bridge.report.export import write_rows

    store = ctx.store(migrate=False)
    if what == "matters" and ctx.settings.policy:
        from ssj_bridge.model.matters import matter_rows
        from ssj_bridge.plugins.host import load_plugins
        from ssj_bridge.policy.classify import resolve_policy
        from ssj_bridge.policy.matters import effective_matters

        active = resolve_policy(load_plugins(), ctx.settings.policy)
        write_rows(iter(matter_rows(effective_matters(store, active.policy))), sys.stdout, fmt)
        return
    write_rows(default_registry().rows(what, store), sys.stdout, fmt)
