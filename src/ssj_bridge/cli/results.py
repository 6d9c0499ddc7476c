"""`results correct`: a new version of a recorded result; `results withhold`: kept out of
publication."""

from __future__ import annotations

import click

from ssj_bridge.cli.context import Context, pass_context
from ssj_bridge.i18n import _, ngettext


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
    click.echo(_("result {id} ({task} {uscc}) is now version {version}: {fields}; queued for the "
                 "provincial platform").format(id=correction.result_id, task=correction.task_id,
                                              uscc=correction.uscc, version=correction.version,
                                              fields=fields))


@results.command("withhold")
@click.argument("result_id")
@click.option("--reason", required=True,
              help="Why it is not published (e.g. 涉及国家秘密、国家安全、公共安全).")
@click.option("--approved-by", "approved_by", required=True, help="Who decided it.")
@pass_context
def results_withhold(ctx: Context, result_id: str, reason: str, approved_by: str) -> None:
    """Keep RESULT_ID (or TASK_ID/USCC for a result without one) out of publication, with the
    reason and approver recorded; what is still queued for the publicity platform is taken back."""
    from ssj_bridge.features.withholding import withhold_result
    from ssj_bridge.intake import current_user
    from ssj_bridge.policy.rules import withholding_clause

    clause = ""
    if ctx.settings.policy:
        from ssj_bridge.plugins.host import load_plugins
        from ssj_bridge.policy.classify import resolve_policy

        clause = withholding_clause(resolve_policy(load_plugins(), ctx.settings.policy).policy)
    held = withhold_result(ctx.store(), result_id, reason=reason, approved_by=approved_by,
                           recorded_by=current_user(), clause=clause)
    basis = f" ({clause})" if clause else ""
    click.echo(_("result {id} ({task} {uscc}) withheld from publication{basis}: {reason}; "
                 "approved by {by}").format(id=result_id, task=held.task_id, uscc=held.uscc,
                                            basis=basis, reason=held.reason, by=held.approved_by)
               + (ngettext("; {count} queued item taken back", "; {count} queued items taken back",
                           held.taken_back).format(count=held.taken_back)
                  if held.taken_back else ""))
