"""What data managers load by hand: `uscc allow`, `inspectors import`, `tags import`."""

from __future__ import annotations

from pathlib import Path

import click

from ssj_bridge.cli.context import Context, pass_context
from ssj_bridge.i18n import _


@click.group()
def uscc() -> None:
    """Codes that fail the GB 32100 check but are legally issued."""


@uscc.command("allow")
@click.argument("code")
@click.option("--reason", required=True, help="Why the code is accepted (the issuing document).")
@click.option("--by", "accepted_by", required=True, help="Who accepts it.")
@pass_context
def uscc_allow(ctx: Context, code: str, reason: str, accepted_by: str) -> None:
    """Accept CODE: its quarantined records are read again by the next sync."""
    from ssj_bridge.model import normalise_code, uscc_problem

    normal = normalise_code(code)
    if len(normal) != 18:
        raise click.BadParameter(_("{code!r} has {count} characters, not 18").format(
            code=code, count=len(normal)))
    store = ctx.store()
    store.allow_uscc(normal, reason, accepted_by)
    problem = uscc_problem(normal)
    note = (_(" (it {problem})").format(problem=problem) if problem
            else _(" (it passes the check anyway)"))
    click.echo(_("allowed {code}{note}; accepted by {by}: {reason}").format(
        code=normal, note=note, by=accepted_by, reason=reason))


@click.group()
def inspectors() -> None:
    """The local inspector roster (CSV or XLSX, interface.md's columns)."""


@inspectors.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "imported_by", default=None,
              help="Who loads the file (default: the operating-system user).")
@pass_context
def inspectors_import(ctx: Context, file: Path, imported_by: str | None) -> None:
    """Load FILE all-or-nothing: upsert people by inspectorId, others unchanged."""
    from ssj_bridge.intake import import_roster

    result = import_roster(ctx.store(), file, imported_by)
    click.echo(_("{rows} inspectors applied from {file} (import {id}, by {by})").format(
        rows=result.rows, file=result.file_name, id=result.import_id, by=result.imported_by))


@click.group()
def tags() -> None:
    """Local designations of subjects (CSV or XLSX, interface.md's columns)."""


@tags.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "imported_by", default=None,
              help="Who loads the file (default: the operating-system user).")
@pass_context
def tags_import(ctx: Context, file: Path, imported_by: str | None) -> None:
    """Load FILE all-or-nothing: upsert designations by (uscc, tag, since)."""
    from ssj_bridge.intake import import_designations

    result = import_designations(ctx.store(), file, imported_by)
    click.echo(_("{rows} designations applied from {file} (import {id}, by {by})").format(
        rows=result.rows, file=result.file_name, id=result.import_id, by=result.imported_by))


@click.group()
def matters() -> None:
    """The 随机抽查事项清单 (CSV or XLSX, interface.md's columns); bundled defaults per policy."""


@matters.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "imported_by", default=None,
              help="Who loads the file (default: the operating-system user).")
@pass_context
def matters_import(ctx: Context, file: Path, imported_by: str | None) -> None:
    """Load FILE all-or-nothing: each matter it lists replaces the matter of its code."""
    from ssj_bridge.intake import import_matters

    result = import_matters(ctx.store(), file, imported_by)
    click.echo(_("{rows} matters applied from {file} (import {id}, by {by})").format(
        rows=result.rows, file=result.file_name, id=result.import_id, by=result.imported_by))


@click.group()
def objects() -> None:
    """Object libraries no platform supplies (CSV or XLSX, interface.md's columns)."""


@objects.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "imported_by", default=None,
              help="Who loads the file (default: the operating-system user).")
@pass_context
def objects_import(ctx: Context, file: Path, imported_by: str | None) -> None:
    """Load FILE all-or-nothing: upsert objects by (kind, objectId), others unchanged."""
    from ssj_bridge.intake import import_objects

    result = import_objects(ctx.store(), file, ctx.settings.region_code, imported_by)
    click.echo(_("{rows} objects applied from {file} (import {id}, by {by})").format(
        rows=result.rows, file=result.file_name, id=result.import_id, by=result.imported_by))
    click.echo(_("the provincial library takes permit holders only (one record per USCC, in a "
                 "supervision category): objects stay in the local library; their tasks and "
                 "results go to the platforms where they have a USCC, and stay local where not"))


@click.group()
def joint() -> None:
    """Joint cross-department plans (跨部门联合抽查; CSV or XLSX, interface.md's columns)."""


@joint.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "imported_by", default=None,
              help="Who loads the file (default: the operating-system user).")
@pass_context
def joint_import(ctx: Context, file: Path, imported_by: str | None) -> None:
    """Load FILE all-or-nothing: upsert plans by planId, others unchanged. Each plan's matter
    codes must be on the deployment's list of 抽查事项 (SSJ_POLICY's, with what was imported)."""
    from ssj_bridge.intake import import_joint_plans
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.policy.classify import resolve_policy
    from ssj_bridge.policy.matters import effective_matters

    store = ctx.store()
    settings = ctx.settings
    settings.require("policy")
    active = resolve_policy(load_plugins(), settings.policy)
    codes = {m.code for m in effective_matters(store, active.policy)}
    result = import_joint_plans(store, file, codes, imported_by)
    click.echo(_("{rows} joint plans applied from {file} (import {id}, by {by}); each "
                 "department's inspectors are the roster's people of its orgCode").format(
        rows=result.rows, file=result.file_name, id=result.import_id, by=result.imported_by))
