"""`results correct`: a new version of a recorded result."""

from __future__ import annotations

import click

from ssj_bridge.cli.context import Context, pass_context


@click.group()
def results() -> None:
    """Recorded inspection results (changed only by an approved correction)."""


@results.command("correct")
@click.argument("result_id")
@click.argument("changes", nargs=-1, metavar="FIELD=VALUE...")
@click.option("--approved-by", "approved_by", required=True, help="Who approved the correction.")
@click.option("--reason", required=True, help="Why the recorded result is corrected.")
@pass_context
def results_correct(ctx: Context, result_id: str, changes: tuple[str, ...], approved_by: str,
                    reason: str) -> None:
    """Record a new version of RESULT_ID and queue it for the provincial platform.

    FIELD is one of resultCode, inspectedOn, inspectorIds (`;`-separated), findings,
    rectificationDue, caseNo; an empty VALUE clears a field that may be empty.
    """
    from ssj_bridge.features.results import CorrectionRefused, correct_result, parse_changes

    try:
        correction = correct_result(ctx.store(), result_id, parse_changes(changes),
                                    approved_by=approved_by, reason=reason)
    except CorrectionRefused as exc:
        raise click.UsageError(str(exc)) from None
    fields = ", ".join(f"{name}={value!r}" for name, value in correction.changes.items())
    click.echo(f"result {correction.result_id} ({correction.task_id} {correction.uscc}) is now "
               f"version {correction.version}: {fields}; queued for the provincial platform")
