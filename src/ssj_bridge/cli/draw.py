"""`draw commit|run|verify|redraw`: the verifiable draw."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from ssj_bridge.cli.context import Context, parse_quarter, pass_context, report_failures
from ssj_bridge.cli.report import document_options, write_documents
from ssj_bridge.errors import ExitCode
from ssj_bridge.i18n import _, ngettext


@click.group()
def draw() -> None:
    """The verifiable draw (ssj-draw-v1): commit, run with a witness, verify, redraw."""


def _draw_setup(ctx: Context, *required: str) -> tuple[Any, Any, Any]:
    """Settings (with `required` set), the migrated store and the active policy."""
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.policy.classify import resolve_policy

    settings = ctx.settings
    settings.require("region_code", *required)
    host = load_plugins()
    report_failures(host)
    return settings, ctx.store(), resolve_policy(host, settings.policy)


def _counts(items: tuple[str, ...]) -> dict[Any, int]:
    """`CATEGORY=N`: a policy category (KEY …, any case), `ALL` or an object sub-kind."""
    from ssj_bridge.model import Category

    counts: dict[Any, int] = {}
    for item in items:
        name, _sep, number = item.partition("=")
        word = name.strip()
        key = word.upper() if word.upper() in {*(c.value for c in Category), "ALL"} else word
        try:
            counts[key] = int(number)
        except ValueError:
            raise click.BadParameter(_("{item!r}: expected CATEGORY=N with CATEGORY one of "
                                       "KEY SIMPLIFIED GENERAL SPECIAL, ALL or the matter's "
                                       "sub-kind").format(item=item),
                                     param_hint="--count") from None
        if not word:
            raise click.BadParameter(_("{item!r}: no category before '='").format(item=item),
                                     param_hint="--count")
    return counts


@draw.command("commit")
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--matter", required=True, help="The 抽查事项 code of the policy (e.g. M01).")
@click.option("--count", "count_items", multiple=True, metavar="CATEGORY=N",
              help="Draw N of the category instead of the plan's number (repeatable).")
@click.option("--directed", default=None, metavar="EXPR",
              help="定向: draw only subjects in scope — TAG, TAG:VALUE, riskClass=HIGH; '&' all of, "
                   "'|' any of (recorded in the label and the commitment; tasks 定向).")
@click.option("--joint", "joint", default=None, metavar="PLAN_ID",
              help="A joint cross-department draw under PLAN_ID (`joint import`): each department "
                   "draws its own inspectors (roster orgCode).")
@click.option("--replace", is_flag=True,
              help="Replace a commitment of the matter and quarter not run yet (needs --reason).")
@click.option("--reason", default=None,
              help="Why: for --replace, or for a --count below the plan's need (recorded).")
@click.option("--json", "as_json", is_flag=True, help="Print the commitments as JSON lines.")
@pass_context
def draw_commit(ctx: Context, period: str, matter: str, count_items: tuple[str, ...],
                directed: str | None, joint: str | None, replace: bool, reason: str | None,
                as_json: bool) -> None:
    """Fix each stratum's candidates, k and inspectors, and print the commitments: one per
    category, and per district where the city draws for districts with their own obligations."""
    from ssj_bridge.draw.commit import commit_draws
    from ssj_bridge.draw.strata import DrawScope
    from ssj_bridge.model import words
    from ssj_bridge.policy.directed import parse_directed

    quarter = parse_quarter(period)
    counts = _counts(count_items)
    if directed is not None:
        try:
            directed = parse_directed(directed).text()
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--directed") from None
    if replace and not (reason or "").strip():
        raise click.UsageError(_("--replace needs --reason TEXT (recorded with the new draws)"))
    settings, store, active = _draw_setup(ctx, "policy")
    report = commit_draws(store, active, region_code=settings.region_code, quarter=quarter,
                          matter_code=matter, own_org=settings.org_code, counts=counts,
                          reason=reason, replace=replace,
                          scope=DrawScope(directed=directed, joint=joint))
    if report.replaced and not as_json:
        click.echo(_("replaces {n} draws committed earlier and not run; reason recorded: "
                     "{reason}").format(n=report.replaced, reason=reason))
    for item in report.committed:
        if as_json:
            click.echo(orjson.dumps(item.as_json()).decode())
        else:
            click.echo(_("{label}  k={k} of {candidates} candidates, {inspectors} inspectors")
                       .format(label=item.label, k=item.k, candidates=item.candidates,
                               inspectors=item.inspector_candidates))
            click.echo(f"  candidatesHash           {item.candidates_hash}")
            click.echo(f"  inspectorCandidatesHash  {item.inspector_candidates_hash}")
            for org, count, digest in item.departments:
                click.echo("  " + _("department {org}: {count} inspectors, hash {digest}").format(
                    org=org, count=count, digest=digest))
            click.echo(f"  commitment               {item.commitment}")
    for item in report.committed:
        if item.note and not as_json:
            click.echo(f"  {item.label}: {item.note}")
    if len(report.committed) > 1 and not as_json:
        click.echo(_("one commitment covers the {count} draws of the commit").format(
            count=len(report.committed)))
    for skipped in report.not_drawn:
        click.echo(_("{region} {category}: not drawn ({reason})").format(
            region=skipped.region, category=words.category(skipped.category),
            reason=skipped.reason), err=as_json)
    if not report.committed:
        click.echo(_("nothing to draw for {period} {matter}").format(
            period=words.period(quarter.label), matter=matter), err=as_json)


def _witness_text(witness: str | None, unwitnessed: bool = False) -> str:
    """--witness, else asked on a terminal; '' (unwitnessed) with neither off a terminal.

    On a terminal an empty text is refused (a person is there to ask for one) unless
    `--unwitnessed` says the draw goes ahead without a witness on purpose.
    """
    import re

    terminal = sys.stdin.isatty()
    if unwitnessed:
        if witness:
            raise click.UsageError(_("--unwitnessed and --witness exclude each other"))
        return ""
    if witness is None:
        if not terminal:
            return ""
        witness = click.prompt(_("witness's text (after seeing the commitments)"), default="",
                               show_default=False)
    text = re.sub(r"\r?\n\Z", "", witness)
    if terminal and text.strip() == "":
        raise click.UsageError(_("a witness's text is needed: type what the witness chose "
                                 "(digits, a lottery result), or give --unwitnessed to draw "
                                 "without a witness on purpose"))
    return text


@draw.command("run")
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--matter", required=True, help="The 抽查事项 code of the policy (e.g. M01).")
@click.option("--witness", default=None,
              help="The witness's text (witnessEntropy); asked for on a terminal when not given.")
@click.option("--unwitnessed", is_flag=True,
              help="Draw without a witness's text on purpose (recorded as unwitnessed).")
@click.option("--unmask", is_flag=True, help="Show subjects' and inspectors' names (data managers).")
@pass_context
def draw_run(ctx: Context, period: str, matter: str, witness: str | None, unwitnessed: bool,
             unmask: bool) -> None:
    """Take the witness's text, reveal, draw, match inspectors and create the tasks."""
    from ssj_bridge.draw.run import run_draws
    from ssj_bridge.draw.show import task_lines
    from ssj_bridge.intake import current_user

    quarter = parse_quarter(period)
    settings, store, active = _draw_setup(ctx, "policy", "org_code")
    text = _witness_text(witness, unwitnessed)
    if text == "":
        click.echo(_("unwitnessed: no witness's text was given; witnessEntropy is the empty string"))
    report = run_draws(store, active, region_code=settings.region_code, quarter=quarter,
                       matter_code=matter, witness=text, drawn_by=settings.org_code,
                       org_name=settings.org_name)
    if unmask:
        import structlog

        structlog.get_logger("ssj_bridge.cli").warning("names shown unmasked", by=current_user(),
                    tasks=[t.task_id for t in report.tasks])
    for line in task_lines(store, report.tasks, unmask):
        click.echo(line)
    drawn = ngettext("{count} task drawn", "{count} tasks drawn", len(report.tasks)).format(
        count=len(report.tasks))
    kept = (_(" ({count} kept local: objects without a USCC)").format(count=len(report.kept_local))
            if report.kept_local else "")
    click.echo(_("{drawn}, {witnessed}; queued for the provincial platform{kept}").format(
        drawn=drawn, witnessed=_("witnessed") if report.witnessed else _("unwitnessed"),
        kept=kept))


@draw.command("verify")
@click.argument("task_id")
@pass_context
def draw_verify(ctx: Context, task_id: str) -> None:
    """Re-derive TASK_ID's draw from the store: exit 0 when it matches, 1 when it does not."""
    from ssj_bridge.draw.verify import verify_task

    result = verify_task(ctx.store(migrate=False), task_id)
    click.echo(_("{task}: compared").format(task=task_id))
    width = max((len(what) for what, _value in result.compared), default=0)
    for what, value in result.compared:
        click.echo(f"  {what:<{width}}  {value}")
    if result.ok:
        click.echo(_("{task} {label}: matches (subjects {count}, groups re-derived with the "
                     "recorded redraws)").format(task=task_id, label=result.label,
                                                 count=len(result.selected)))
    else:
        click.echo(_("{task} {label}: MISMATCH").format(task=task_id, label=result.label))
        for difference in result.differences:
            click.echo(f"  - {difference}")
    for note in result.notes:
        click.echo(_("  note: {note}").format(note=note))
    raise SystemExit(int(ExitCode.OK if result.ok else ExitCode.MISMATCH))


@draw.command("redraw")
@click.argument("task_id")
@click.option("--uscc", "uscc_code", required=True, help="The subject whose group changes.")
@click.option("--inspector", "inspector_id", required=True,
              help="The inspector who leaves the group (conflict of interest declared).")
@click.option("--reason", default=None, help="Why (default: 回避, conflict declared after the draw).")
@click.option("--approved-by", "approved_by", default=None,
              help="Who approved the replacement (required where the policy says, e.g. 威海 第二十一条).")
@pass_context
def draw_redraw(ctx: Context, task_id: str, uscc_code: str, inspector_id: str,
                reason: str | None, approved_by: str | None) -> None:
    """Replace one inspector of one group by a recorded redraw that `draw verify` replays."""
    from ssj_bridge.draw.redraw import CONFLICT_REASON, redraw_task
    from ssj_bridge.policy.rules import replacement_rule

    rule = None
    if ctx.settings.policy:
        from ssj_bridge.plugins.host import load_plugins
        from ssj_bridge.policy.classify import resolve_policy

        host = load_plugins()
        report_failures(host)
        rule = replacement_rule(resolve_policy(host, ctx.settings.policy).policy)
    entry = redraw_task(ctx.store(), task_id, uscc_code, inspector_id, reason or CONFLICT_REASON,
                        approved_by=approved_by, rule=rule)
    approval = (_(", approved by {who}").format(who=entry.approved_by)
                if entry.approved_by else "")
    click.echo(_("{task} {uscc}: {replaced} replaced by {replacement} (redraw {seq}: "
                 "{reason}{approval}); the task is queued again").format(
        task=task_id, uscc=entry.uscc, replaced=entry.replaced, replacement=entry.replacement,
        seq=entry.seq, reason=_(entry.reason), approval=approval))


def _draw_document(ctx: Context, period: str, matter: str, kind: str, html_path: Path | None,
                   pdf_path: Path | None) -> None:
    from functools import partial

    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.policy.classify import resolve_policy
    from ssj_bridge.policy.matters import effective_matters, find_matter
    from ssj_bridge.report.draw_documents import draw_sheet, render_announcement, render_record
    from ssj_bridge.report.paper import Letterhead

    quarter = parse_quarter(period)
    settings = ctx.settings
    settings.require("region_code")
    name = None
    if settings.policy:
        host = load_plugins()
        report_failures(host)
        policy = resolve_policy(host, settings.policy).policy
        name = find_matter(effective_matters(ctx.store(migrate=False), policy), matter).name
    sheet = draw_sheet(ctx.store(migrate=False), settings.region_code or "", quarter.label,
                       matter, name)
    if kind == "announce":
        render = partial(render_announcement, sheet,
                         Letterhead.of(settings, _("双随机抽查抽取承诺公示"), quarter.label))
    else:
        render = partial(render_record, sheet,
                         Letterhead.of(settings, _("双随机抽查抽取记录"), quarter.label))
        render()  # refused before the draw, whether a file is asked for or not
    for d in sheet.draws:
        state = (_("drawn {count}, task {task}").format(count=len(d.selected or []),
                                                         task=d.task_id)
                 if d.revealed else _("not drawn yet"))
        click.echo(_("{label}  k={k} of {candidates}  commitment {commitment}  ({state})").format(
            label=d.label, k=d.k, candidates=len(d.candidates), commitment=d.commitment,
            state=state))
    for path in write_documents(ctx, render, html_path, pdf_path):
        click.echo(_("document: {path}").format(path=path))


@draw.command("announce")
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--matter", required=True, help="The 抽查事项 code of the policy (e.g. M01).")
@document_options
@pass_context
def draw_announce(ctx: Context, period: str, matter: str, html_path: Path | None,
                  pdf_path: Path | None) -> None:
    """The announcement of the commitments (公示) of the latest commit, with the candidates."""
    _draw_document(ctx, period, matter, "announce", html_path, pdf_path)


@draw.command("record")
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--matter", required=True, help="The 抽查事项 code of the policy (e.g. M01).")
@document_options
@pass_context
def draw_record(ctx: Context, period: str, matter: str, html_path: Path | None,
                pdf_path: Path | None) -> None:
    """The record of the draw for the witness to sign: hashes, k, commitment, the witness's
    text, the revealed secret and the subjects and inspectors drawn (exit 65 before the run)."""
    _draw_document(ctx, period, matter, "record", html_path, pdf_path)

