"""`export`: the store's canonical records. Reads only: never migrates."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ssj_bridge.cli.context import Context, pass_context
from ssj_bridge.i18n import _


@click.command()
@click.argument("what", type=click.Choice(["subjects", "inspectors", "tasks", "results", "draws",
                                           "quarantine", "matters", "objects", "joint"]))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx"]), default="jsonl",
              show_default=True,
              help="jsonl: the documented records; csv, xlsx: a table to read in a spreadsheet.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file to write (required for xlsx; else standard output).")
@pass_context
def export(ctx: Context, what: str, fmt: str, out: Path | None) -> None:
    """The store's canonical records: one per line, or a table with Chinese headers (matters
    and objects: in their files' columns; matters: the policy's bundled list with what was
    imported over it)."""
    from ssj_bridge.plugins.registry import default_registry
    from ssj_bridge.report.export import write_rows

    if fmt == "xlsx" and out is None:
        raise click.BadParameter(_("xlsx needs a file"), param_hint="--out")
    if fmt == "jsonl" and out is not None:
        raise click.BadParameter(_("jsonl goes to standard output"), param_hint="--out")
    store = ctx.store(migrate=False)
    if what == "matters" and ctx.settings.policy:
        from ssj_bridge.model.matters import matter_rows
        from ssj_bridge.plugins.host import load_plugins
        from ssj_bridge.policy.classify import resolve_policy
        from ssj_bridge.policy.matters import effective_matters

        active = resolve_policy(load_plugins(), ctx.settings.policy)
        rows = iter(matter_rows(effective_matters(store, active.policy)))
    else:
        rows = default_registry().rows(what, store)
    if out is None:
        write_rows(rows, sys.stdout, fmt, what)
        return
    from ssj_bridge.report.output import report_file

    with report_file(out):  # a path that cannot be written: exit 78 naming it
        count = write_rows(rows, out, fmt, what)
    click.echo(_("{count} rows written to {path}").format(count=count, path=out))
