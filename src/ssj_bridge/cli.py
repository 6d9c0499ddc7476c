"""The commands of interface.md: parse, call, print. Nothing else lives here."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
import structlog

from ssj_bridge.errors import ConfigurationError, ExitCode, SsjError, exit_code_of
from ssj_bridge.features import load_features
from ssj_bridge.log import configure_logging, redact_text
from ssj_bridge.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])
log = structlog.get_logger("ssj_bridge.cli")


class Context:
    """What every command shares: the config file and, once read, the settings."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """Settings, read once."""
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    def store(self) -> Any:
        """The migrated store of SSJ_DATABASE_URL."""
        from ssj_bridge.store import Store

        store = Store(self.settings.database_url, lock_dir=self.settings.lock_dir,
                      region=self.settings.region_code)
        store.migrate()
        return store


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(path_type=Path), default=None,
              help="TOML settings file (default ./ssj-bridge.toml when present).")
@click.version_option(package_name="ssj-bridge")
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """ssj-bridge: 双随机、一公开 supervision data, kept in step across platforms."""
    configure_logging()
    load_features()
    ctx.obj = Context(config)


@cli.command()
@click.option("--only", default=None, help="Comma-separated platforms: permit,credit,province,publicity.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@pass_context
def sync(ctx: Context, only: str | None, as_json: bool) -> None:
    """One cycle, for cron: read every configured platform and store what changed."""
    from ssj_bridge.plugins import load_plugins
    from ssj_bridge.progress import batch_progress
    from ssj_bridge.sync import run_sync

    roles = [r.strip() for r in only.split(",") if r.strip()] if only else None
    try:
        settings = ctx.settings
        host = load_plugins()
        _report_failures(host)
        store = ctx.store()
        with batch_progress(enabled=sys.stderr.isatty() and not as_json) as progress:
            report = run_sync(settings, store, host, only=roles, progress=progress)
    except Exception as exc:
        if as_json:  # scripts read stdout: the shape holds even when no platform was reached
            click.echo(orjson.dumps({"exit": exit_code_of(exc), "platforms": {}}).decode())
        raise
    # What a platform said is in there, and a gateway may have echoed our secrets into it.
    if as_json:
        click.echo(redact_text(orjson.dumps(report.as_json()).decode()))
    else:
        click.echo(redact_text(report.summary_line()))
    raise SystemExit(int(report.exit))


@cli.command()
@pass_context
def plugins(ctx: Context) -> None:
    """The adapters and policies found, with versions; plugins that failed to load."""
    from ssj_bridge.plugins import load_plugins

    host = load_plugins()
    click.echo("adapters:")
    for name, spec in sorted(host.adapters.items()):
        sim = " +simulator" if spec.simulator else ""
        click.echo(f"  {name:<12} {spec.role:<10} {spec.version:<8} {spec.description}{sim}")
    click.echo("policies:")
    for name, policy in sorted(host.policies.items()):
        click.echo(f"  {name:<14} {policy.version:<8} {policy.locality}")
    if host.failures:
        click.echo("failed to load:")
        for failure in host.failures:
            click.echo(f"  {failure.group}:{failure.name}: {failure.error}")


@cli.command()
@click.option("--region", default="371000", show_default=True)
@click.option("--subjects", default=1000, show_default=True, type=int)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--only", default=None, help="Comma-separated platform roles to serve.")
@click.option("--port", "ports", multiple=True, help="ROLE=PORT (default: a free port).")
@click.option("--error-rate", type=float, default=None, help="Share of calls failing transiently.")
@click.option("--rate-429", type=float, default=None, help="Share of calls answered 429.")
@click.option("--truncate-rate", type=float, default=None, help="Share of bodies cut off.")
@click.option("--latency", type=float, default=None, help="Seconds added to every call.")
@click.option("--revoke-every", type=int, default=None, help="Revoke tokens every N calls.")
@click.option("--live-updates", type=int, default=None, help="Records changed per list call.")
@click.option("--malformed-rate", type=float, default=None, help="Share of bad records.")
@click.option("--quirk-rate", type=float, default=None, help="Share of odd but valid records.")
@click.option("--rate-limit", type=float, default=None, help="Requests/s enforced (0: none).")
@click.option("--set", "extra", multiple=True, help="ROLE.OPTION=VALUE for one simulator.")
@click.option("--adapter", "chosen", multiple=True,
              help="ROLE=ADAPTER: serve that adapter's simulator for the role (e.g. province=gd).")
def simulate(region: str, subjects: int, seed: int, only: str | None, ports: tuple[str, ...],
             extra: tuple[str, ...], chosen: tuple[str, ...], **faults: Any) -> None:
    """Serve the platform simulators on 127.0.0.1 until interrupted."""
    from ssj_bridge.plugins import load_plugins
    from ssj_bridge.simulators import start_simulators

    host = load_plugins()
    options = {"region": region, "subjects": subjects, "seed": seed,
               **{k: v for k, v in faults.items() if v is not None}}
    per_role: dict[str, dict[str, Any]] = {}
    for item in extra:
        target, _, value = item.partition("=")
        role, _, key = target.partition(".")
        if not key or not _:
            raise click.UsageError(f"--set {item!r}: expected ROLE.OPTION=VALUE")
        per_role.setdefault(role, {})[key.replace("-", "_")] = value
    port_map = {}
    for item in ports:
        role, _, port = item.partition("=")
        if not port.isdigit():
            raise click.UsageError(f"--port {item!r}: expected ROLE=PORT")
        port_map[role] = int(port)
    adapter_map = {}
    for item in chosen:
        role, _, name = item.partition("=")
        if not name:
            raise click.UsageError(f"--adapter {item!r}: expected ROLE=ADAPTER")
        adapter_map[role] = name
    roles = [r.strip() for r in only.split(",")] if only else None
    sims = start_simulators(host, options, roles=roles, adapters=adapter_map, per_role=per_role,
                            ports=port_map)
    for name, value in sims.environment().items():
        click.echo(f"{name}={value}")
    for role, name in adapter_map.items():
        if role in sims.running:
            click.echo(f"SSJ_{role.upper()}__ADAPTER={name}")
    click.echo(f"SSJ_REGION_CODE={region}")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sims.stop()


@cli.command()
@click.option("--subjects", default=2000, show_default=True, type=int)
@click.option("--dir", "workdir", type=click.Path(path_type=Path), default=Path("demo-out"),
              show_default=True, help="Where the demo's store and reports go.")
def demo(subjects: int, workdir: Path) -> None:
    """The whole cycle against the bundled simulators, on an embedded SQLite store."""
    from ssj_bridge.demo import run_demo

    raise SystemExit(run_demo(subjects=subjects, workdir=workdir, echo=click.echo))


@cli.command()
@click.argument("what", type=click.Choice(["subjects", "inspectors", "tasks", "results", "draws",
                                           "quarantine"]))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@pass_context
def export(ctx: Context, what: str, fmt: str) -> None:
    """The store's canonical records, one per line."""
    from ssj_bridge.exports import EXPORTERS, write_rows

    store = ctx.store()
    if what not in EXPORTERS:
        raise ConfigurationError(f"export {what}: nothing of that kind is kept by this store yet")
    rows: Callable[[Any], Any] = EXPORTERS[what]
    write_rows(rows(store), sys.stdout, fmt)


@cli.group()
def uscc() -> None:
    """Codes that fail the GB 32100 check but are legally issued."""


@uscc.command("allow")
@click.argument("code")
@click.option("--reason", required=True)
@click.option("--by", "accepted_by", required=True)
@pass_context
def uscc_allow(ctx: Context, code: str, reason: str, accepted_by: str) -> None:
    """Accept CODE: its quarantined records are read again by the next sync."""
    from ssj_bridge.model import normalise_code, uscc_problem

    normal = normalise_code(code)
    if len(normal) != 18:
        raise click.BadParameter(f"{code!r} has {len(normal)} characters, not 18")
    store = ctx.store()
    store.allow_uscc(normal, reason, accepted_by)
    problem = uscc_problem(normal)
    note = f" (it {problem})" if problem else " (it passes the check anyway)"
    click.echo(f"allowed {normal}{note}; accepted by {accepted_by}: {reason}")


@cli.group()
def inspectors() -> None:
    """The local inspector roster (CSV or XLSX, interface.md's columns)."""


@inspectors.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "imported_by", default=None,
              help="Who loads the file (default: the operating-system user).")
@pass_context
def inspectors_import(ctx: Context, file: Path, imported_by: str | None) -> None:
    """Load FILE all-or-nothing: upsert people by inspectorId, others unchanged."""
    from ssj_bridge.imports import import_roster

    result = import_roster(ctx.store(), file, imported_by)
    click.echo(f"{result.rows} inspectors applied from {result.file_name} "
               f"(import {result.import_id}, by {result.imported_by})")


@cli.group()
def tags() -> None:
    """Local designations of subjects (CSV or XLSX, interface.md's columns)."""


@tags.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "imported_by", default=None,
              help="Who loads the file (default: the operating-system user).")
@pass_context
def tags_import(ctx: Context, file: Path, imported_by: str | None) -> None:
    """Load FILE all-or-nothing: upsert designations by (uscc, tag, since)."""
    from ssj_bridge.imports import import_designations

    result = import_designations(ctx.store(), file, imported_by)
    click.echo(f"{result.rows} designations applied from {result.file_name} "
               f"(import {result.import_id}, by {result.imported_by})")


@cli.command()
@click.option("--platform", default=None, help="Only this platform (permit, credit, province, publicity).")
@click.option("--repair", is_flag=True, help="Re-send what the project owns.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def reconcile(ctx: Context, platform: str | None, repair: bool, as_json: bool) -> None:
    """Differences between the store and the platforms (exit 3 when there are breaks)."""
    from ssj_bridge.plugins import load_plugins
    from ssj_bridge.reconcile.run import reconcile as run_reconcile

    host = load_plugins()
    _report_failures(host)
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


@cli.command()
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (interface.md's shape).")
@pass_context
def plan(ctx: Context, period: str, as_json: bool) -> None:
    """Categories, populations and required draws of the quarter under SSJ_POLICY."""
    from rich.console import Console

    from ssj_bridge.classify import resolve_policy
    from ssj_bridge.plan import make_plan, print_plan
    from ssj_bridge.plugins import load_plugins

    quarter = _quarter(period)
    settings = ctx.settings
    host = load_plugins()
    _report_failures(host)
    active = resolve_policy(host, settings.policy)
    result = make_plan(ctx.store(), active, quarter, region=settings.region_code)
    if as_json:
        click.echo(orjson.dumps(result.as_json()).decode())
    else:
        print_plan(result, Console())


@cli.command()
@click.argument("code", metavar="USCC")
@click.option("--period", default=None,
              help="The quarter, YYYYQn (default: the current one, else the latest classified).")
@click.option("--json", "as_json", is_flag=True, help="Print the classification as JSON.")
@pass_context
def explain(ctx: Context, code: str, period: str | None, as_json: bool) -> None:
    """Why the subject is in its categories: each rule, its clause and the facts behind it."""
    from ssj_bridge.classify import classification_of, iter_reasons, subject_row
    from ssj_bridge.errors import InputRefused
    from ssj_bridge.model import beijing_today, normalise_code
    from ssj_bridge.period import Quarter

    uscc_code = normalise_code(code)
    asked = _quarter(period) if period else None
    store = ctx.store()
    subject = subject_row(store, uscc_code)
    if subject is None:
        raise InputRefused(f"{uscc_code}: no subject with this USCC in the store")
    found = classification_of(store, uscc_code, asked or Quarter.of(beijing_today()))
    if found is None and asked is None:
        found = classification_of(store, uscc_code)
    if found is None:
        when = asked.label if asked else "any period"
        raise InputRefused(f"{uscc_code}: not classified for {when} (classification runs after each "
                           f"sync when SSJ_POLICY is set; `ssj-bridge plan --period YYYYQn` "
                           f"classifies a quarter)")
    if as_json:
        click.echo(orjson.dumps({**found.as_json(), "name": subject["name"],
                                 "regionCode": subject["region_code"]}).decode())
        return
    libraries = ", ".join(c.value for c in found.categories) or "none"
    click.echo(f"{found.uscc} {subject['name']} (region {subject['region_code']})")
    click.echo(f"period {found.period} · policy {found.policy} · classified {found.classified_at}")
    click.echo(f"category: {found.category.value if found.category else 'none'} · "
               f"libraries: {libraries}"
               + (f" · inspected {found.inspection_mode.value}" if found.inspection_mode else ""))
    heading = None
    for status, reason in iter_reasons(found):
        if status != heading:
            click.echo("rules that apply:" if status == "applies"
                       else "rules that also hold but are outranked:")
            heading = status
        category = reason.category.value if reason.category else "left out"
        click.echo(f"  {category:<10} {reason.rule} — {reason.clause or 'common rule'}")
        facts = ", ".join(f"{k}={v}" for k, v in reason.facts.items() if v is not None)
        if facts:
            click.echo(f"             facts: {facts}")
        if reason.quote:
            click.echo(f"             text: {reason.quote}")


@cli.group()
def draw() -> None:
    """The verifiable draw (ssj-draw-v1): commit, run with a witness, verify, redraw."""


def _draw_setup(ctx: Context, *required: str) -> tuple[Any, Any, Any]:
    """Settings (with `required` set), the migrated store and the active policy."""
    from ssj_bridge.classify import resolve_policy
    from ssj_bridge.plugins import load_plugins

    settings = ctx.settings
    settings.require("region_code", *required)
    host = load_plugins()
    _report_failures(host)
    return settings, ctx.store(), resolve_policy(host, settings.policy)


def _counts(items: tuple[str, ...]) -> dict[Any, int]:
    from ssj_bridge.model import Category

    counts: dict[Any, int] = {}
    for item in items:
        name, _, number = item.partition("=")
        try:
            counts[Category(name.strip().upper())] = int(number)
        except ValueError:
            raise click.BadParameter(f"{item!r}: expected CATEGORY=N with CATEGORY one of "
                                     f"KEY SIMPLIFIED GENERAL SPECIAL", param_hint="--count") from None
    return counts


@draw.command("commit")
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--matter", required=True, help="The 抽查事项 code of the policy (e.g. M01).")
@click.option("--count", "count_items", multiple=True, metavar="CATEGORY=N",
              help="Draw N of the category instead of the plan's number (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the commitments as JSON lines.")
@pass_context
def draw_commit(ctx: Context, period: str, matter: str, count_items: tuple[str, ...],
                as_json: bool) -> None:
    """Fix each category's candidates, k and inspectors, and print the commitments."""
    from ssj_bridge.draw.commit import commit_draws

    quarter = _quarter(period)
    counts = _counts(count_items)
    settings, store, active = _draw_setup(ctx, "policy")
    report = commit_draws(store, active, region_code=settings.region_code, quarter=quarter,
                          matter_code=matter, own_org=settings.org_code, counts=counts)
    for item in report.committed:
        if as_json:
            click.echo(orjson.dumps(item.as_json()).decode())
        else:
            click.echo(f"{item.label}  k={item.k} of {item.candidates} candidates, "
                       f"{item.inspector_candidates} inspectors")
            click.echo(f"  candidatesHash           {item.candidates_hash}")
            click.echo(f"  inspectorCandidatesHash  {item.inspector_candidates_hash}")
            click.echo(f"  commitment               {item.commitment}")
    for skipped in report.not_drawn:
        click.echo(f"{skipped.category.value}: not drawn ({skipped.reason})", err=as_json)
    if not report.committed:
        click.echo(f"nothing to draw for {quarter.label} {matter}", err=as_json)


def _witness_text(witness: str | None) -> str:
    """--witness, else asked on a terminal; '' (unwitnessed) with neither."""
    import re

    if witness is None:
        if not sys.stdin.isatty():
            return ""
        witness = click.prompt("witness's text (after seeing the commitments; empty: none)",
                               default="", show_default=False)
    return re.sub(r"\r?\n\Z", "", witness)


@draw.command("run")
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--matter", required=True, help="The 抽查事项 code of the policy (e.g. M01).")
@click.option("--witness", default=None,
              help="The witness's text (witnessEntropy); asked for on a terminal when not given.")
@click.option("--unmask", is_flag=True, help="Show subjects' and inspectors' names (data managers).")
@pass_context
def draw_run(ctx: Context, period: str, matter: str, witness: str | None, unmask: bool) -> None:
    """Take the witness's text, reveal, draw, match inspectors and create the tasks."""
    from ssj_bridge.draw.run import run_draws
    from ssj_bridge.draw.show import task_lines
    from ssj_bridge.imports import current_user

    quarter = _quarter(period)
    settings, store, active = _draw_setup(ctx, "policy", "org_code")
    text = _witness_text(witness)
    if text == "":
        click.echo("unwitnessed: no witness's text was given; witnessEntropy is the empty string")
    report = run_draws(store, active, region_code=settings.region_code, quarter=quarter,
                       matter_code=matter, witness=text, drawn_by=settings.org_code,
                       org_name=settings.org_name)
    if unmask:
        log.warning("names shown unmasked", by=current_user(),
                    tasks=[t.task_id for t in report.tasks])
    for line in task_lines(store, report.tasks, unmask):
        click.echo(line)
    click.echo(f"{len(report.tasks)} tasks drawn, "
               + ("witnessed" if report.witnessed else "unwitnessed")
               + "; queued for the provincial platform")


@draw.command("verify")
@click.argument("task_id")
@pass_context
def draw_verify(ctx: Context, task_id: str) -> None:
    """Re-derive TASK_ID's draw from the store: exit 0 when it matches, 1 when it does not."""
    from ssj_bridge.draw.verify import verify_task

    result = verify_task(ctx.store(), task_id)
    if result.ok:
        click.echo(f"{task_id} {result.label}: matches (subjects {len(result.selected)}, "
                   f"groups re-derived with the recorded redraws)")
    else:
        click.echo(f"{task_id} {result.label}: MISMATCH")
        for difference in result.differences:
            click.echo(f"  - {difference}")
    for note in result.notes:
        click.echo(f"  note: {note}")
    raise SystemExit(int(ExitCode.OK if result.ok else ExitCode.MISMATCH))


@draw.command("redraw")
@click.argument("task_id")
@click.option("--uscc", "uscc_code", required=True, help="The subject whose group changes.")
@click.option("--inspector", "inspector_id", required=True,
              help="The inspector who leaves the group (conflict of interest declared).")
@click.option("--reason", default=None, help="Why (default: 回避, conflict declared after the draw).")
@pass_context
def draw_redraw(ctx: Context, task_id: str, uscc_code: str, inspector_id: str,
                reason: str | None) -> None:
    """Replace one inspector of one group by a recorded redraw that `draw verify` replays."""
    from ssj_bridge.draw.redraw import CONFLICT_REASON, redraw_task

    entry = redraw_task(ctx.store(), task_id, uscc_code, inspector_id, reason or CONFLICT_REASON)
    click.echo(f"{task_id} {entry.uscc}: {entry.replaced} replaced by {entry.replacement} "
               f"(redraw {entry.seq}: {entry.reason}); the task is queued again")


def _quarter(text: str) -> Any:
    from ssj_bridge.period import Quarter

    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None


@cli.group()
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
    from ssj_bridge.results import CorrectionRefused, correct_result, parse_changes

    try:
        correction = correct_result(ctx.store(), result_id, parse_changes(changes),
                                    approved_by=approved_by, reason=reason)
    except CorrectionRefused as exc:
        raise click.UsageError(str(exc)) from None
    fields = ", ".join(f"{name}={value!r}" for name, value in correction.changes.items())
    click.echo(f"result {correction.result_id} ({correction.task_id} {correction.uscc}) is now "
               f"version {correction.version}: {fields}; queued for the provincial platform")


@cli.group()
def report() -> None:
    """Reports on the store: publication deadlines, the quarter's compliance, breaks."""


@report.command("deadlines")
@click.option("--within", default=5, show_default=True, type=click.IntRange(min=0),
              help="List what falls due within this many working days.")
@click.option("--all", "list_on_time", is_flag=True,
              help="Also list the publications published on time.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def report_deadlines(ctx: Context, within: int, list_on_time: bool, as_json: bool) -> None:
    """Publications overdue, due within N working days, and published late, per period."""
    from ssj_bridge.deadlines import DeadlineRules, render_text
    from ssj_bridge.deadlines import report_deadlines as build
    from ssj_bridge.model import beijing_today
    from ssj_bridge.plugins import load_plugins

    settings = ctx.settings
    rules = DeadlineRules.from_settings(settings, load_plugins() if settings.policy else None)
    result = build(ctx.store(), rules, beijing_today(), within, list_on_time=list_on_time)
    if as_json:
        click.echo(orjson.dumps(result.as_json()).decode())
        return
    for line in render_text(result):
        click.echo(line)


@report.command("compliance")
@click.option("--period", required=True, help="The quarter, YYYYQn (e.g. 2025Q2).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report as one self-contained HTML file.")
@pass_context
def report_compliance(ctx: Context, period: str, as_json: bool, html_path: Path | None) -> None:
    """Quotas (required, drawn, inspected), publication rate and timeliness, overdue, breaks."""
    from ssj_bridge.classify import resolve_policy
    from ssj_bridge.deadlines import DeadlineRules
    from ssj_bridge.model import beijing_today
    from ssj_bridge.plugins import load_plugins
    from ssj_bridge.report.compliance import compliance_report, render_text
    from ssj_bridge.report.html import write_html

    quarter = _quarter(period)
    settings = ctx.settings
    host = load_plugins()
    _report_failures(host)
    active = resolve_policy(host, settings.policy)
    result = compliance_report(ctx.store(), active, quarter,
                               DeadlineRules.from_settings(settings, host), today=beijing_today(),
                               region=settings.region_code, authority=settings.org_name)
    written = write_html(result, html_path) if html_path is not None else None
    if as_json:
        click.echo(orjson.dumps(result.as_json()).decode())
    else:
        for line in render_text(result):
            click.echo(line)
    if written is not None:
        click.echo(f"report: {written}", err=as_json)


@report.command("breaks")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv",
              show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file to write (required for xlsx; csv goes to stdout without it).")
@click.option("--all", "include_resolved", is_flag=True, help="Resolved breaks too.")
@pass_context
def report_breaks(ctx: Context, fmt: str, out: Path | None, include_resolved: bool) -> None:
    """The reconciliation breaks (open ones, or all) as CSV or XLSX."""
    from ssj_bridge.report.breaks_export import export_breaks

    if fmt == "xlsx" and out is None:
        raise click.BadParameter("xlsx needs a file", param_hint="--out")
    count = export_breaks(ctx.store(), fmt, out if out is not None else sys.stdout,
                          include_resolved=include_resolved)
    if out is not None:
        click.echo(f"{count} breaks written to {out}")


@cli.group()
def publications() -> None:
    """Publications of results on the enterprise credit publicity system."""


@publications.command("retry")
@click.argument("keys", nargs=-1)
@click.option("--code", "error_code", default=None,
              help="Only publications refused with this code (e.g. E102).")
@pass_context
def publications_retry(ctx: Context, keys: tuple[str, ...], error_code: str | None) -> None:
    """Queue refused publications again (KEY: taskId/uscc/inspectedOn; none: every refused one)."""
    from ssj_bridge.publications import retry
    from ssj_bridge.store import SYNC_LOCK

    store = ctx.store()
    # Queued again for the exchange: not while a sync (or a repair) is sending.
    with store.lock(SYNC_LOCK), store.engine.begin() as conn:
        queued = retry(conn, keys, error_code)
    click.echo(f"{len(queued)} publications queued again; the next sync sends them in a new batch")
    for key in queued:
        click.echo(f"  {key}")


@cli.group()
def adapters() -> None:
    """Adapter packages: scaffold a new one."""


@adapters.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("."),
              show_default=True, help="Where the package's folder is created.")
@click.option("--role", default="province", show_default=True,
              type=click.Choice(["permit", "credit", "province", "publicity"]),
              help="The platform role the adapter serves.")
@click.option("--package", default=None, help="Python package name (default ssj_adapter_NAME).")
@click.option("--region", default="371000", show_default=True,
              help="Region code the generated simulator and tests use.")
def adapters_new(name: str, directory: Path, role: str, package: str | None,
                 region: str) -> None:
    """Scaffold an adapter package NAME that installs with pip and passes its own tests."""
    from ssj_bridge.scaffold import AdapterNames, ScaffoldError, new_adapter

    try:
        names = AdapterNames.of(name, role, package, region)
        written = new_adapter(names, directory)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    root = directory / names.dist
    click.echo(f"wrote {len(written)} files into {root}:")
    for path in written:
        click.echo(f"  {path.relative_to(root)}")
    click.echo(f"next: pip install -e '{root}[test]' && (cd {root} && pytest); "
               f"then SSJ_{role.upper()}__ADAPTER={name} selects it")


from ssj_bridge.regions.cli import register_commands  # noqa: E402 - after the group exists

register_commands(cli)


def _report_failures(host: Any) -> None:
    for failure in host.failures:
        log.warning("plugin failed to load", group=failure.group, plugin=failure.name,
                    error=failure.error)


def main() -> None:
    """Console entry point: errors become the exit codes of the contract."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        raise SystemExit(ExitCode.USAGE) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(ExitCode.USAGE) from None
    except SsjError as exc:
        code, message = exit_code_of(exc), redact_text(str(exc))
        # One line either way: plain words for a person, the JSON log line for a collector.
        if sys.stderr.isatty():
            click.echo(f"error: {message}", err=True)
        else:
            log.error("command failed", error=message, exit=code)
        raise SystemExit(code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        code = exit_code_of(exc)
        if code == ExitCode.UNAVAILABLE:
            log.error("database unavailable", error=redact_text(str(exc)), exit=code)
        else:
            # A fault of the program itself: logged like everything else (JSON off a
            # terminal, secrets redacted, no local variables), not as a bare traceback.
            log.exception("command crashed")
        raise SystemExit(code) from None


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
