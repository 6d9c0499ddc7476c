"""`ssj-bridge demo`: the whole cycle against the simulators, on embedded SQLite.

Any installed adapter with a simulator can serve a role (`--adapter ROLE=NAME`, or
SSJ_<ROLE>__ADAPTER), any installed policy can decide (`--policy`, or SSJ_POLICY), in any region
(`--region`, else the policy's own). With none named, the policy is the one its plugin marks as
its worked example; the core knows no locality of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.cells import cell_len

from ssj_bridge.draw.strata import DrawScope
from ssj_bridge.errors import ConfigurationError, ExitCode, InputRefused
from ssj_bridge.features.deadlines import DeadlineReport
from ssj_bridge.i18n import _, ngettext, pgettext
from ssj_bridge.model import beijing_today, words
from ssj_bridge.model.periods import Quarter
from ssj_bridge.plugins.host import PluginHost, load_plugins
from ssj_bridge.policy.classify import resolve_policy
from ssj_bridge.policy.plan import make_plan, plan_text
from ssj_bridge.policy.rules import PolicySpec
from ssj_bridge.settings import PLATFORM_ROLES, PlatformSettings, Settings
from ssj_bridge.simulation.launch import start_simulators
from ssj_bridge.simulation.synthetic import counties_of, make_uscc
from ssj_bridge.store import Store
from ssj_bridge.sync import SyncReport, run_sync

# A few faults, so the demo shows retries and the quarantine doing their work.
DEMO_FAULTS = {"error_rate": 0.03, "rate_429": 0.02, "malformed_rate": 0.01, "quirk_rate": 0.02,
               "live_updates": 1, "rate_limit": 0}


@dataclass(frozen=True)
class Deployment:
    """Who the demo runs as: the policy, its region and authority, the adapter of each role."""

    policy: str
    region: str
    org_code: str
    org_name: str
    adapters: Mapping[str, str]


def choose_deployment(host: PluginHost, *, policy: str | None = None, region: str | None = None,
                      adapters: Mapping[str, str] | None = None) -> Deployment:
    """The deployment the demo runs; ConfigurationError naming what is missing or unknown."""
    spec = _policy(host, policy)
    region = region or spec.region
    if not region or not (len(region) == 6 and region.isdigit()):
        raise ConfigurationError(_("--region: policy {policy!r} names no region of its own; "
                                   "give a 6-digit region code").format(policy=spec.name),
                                 "--region")
    org_code, org_name = spec.authority if spec.authority and region == spec.region else (
        f"11{region}MB0000000E", f"{spec.locality}生态环境主管部门")
    for role, name in (adapters or {}).items():
        if role not in PLATFORM_ROLES:
            raise ConfigurationError(_("--adapter {role}={name}: unknown role {role!r} (known: "
                                       "{known})").format(role=role, name=name,
                                                          known=", ".join(PLATFORM_ROLES)),
                                     "--adapter")
        host.adapter(name, f"SSJ_{role.upper()}__ADAPTER")
    return Deployment(spec.name, region, org_code, org_name, dict(adapters or {}))


def _policy(host: PluginHost, name: str | None) -> PolicySpec:
    if name is not None:
        return host.policy(name, "--policy")
    examples = [spec for spec in host.policies.values() if spec.example]
    if len(examples) != 1:
        known = ", ".join(sorted(host.policies)) or "none"
        raise ConfigurationError(_("--policy: name the policy the demo runs (installed: {known})")
                                 .format(known=known), "--policy")
    return examples[0]


@dataclass
class Story:
    """What the demo tells: one line per step on the screen, the details in the documents it
    writes into its directory (listed at the end)."""

    echo: Callable[[str], Any]
    workdir: Path
    documents: list[tuple[str, Path]] = field(default_factory=list)

    def step(self, text: str) -> None:
        """One line of the story."""
        self.echo(text)

    def write(self, what: str, name: str, lines: Iterable[str]) -> Path:
        """A text document of the demo directory, listed at the end as `what`."""
        path = self.workdir / name
        path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
        return self.keep(what, path)

    def keep(self, what: str, path: Path) -> Path:
        """List `path` among the documents written."""
        self.documents.append((what, path))
        return path

    def close(self) -> None:
        """The documents, the report last (interface.md: `make demo` says where it is)."""
        self.echo(_("documents written:"))
        width = max((cell_len(what) for what, _path in self.documents), default=0)
        for what, path in self.documents:
            self.echo(f"  {what}{' ' * (width - cell_len(what))}  {path}")


def run_demo(*, subjects: int, workdir: Path, echo: Callable[[str], Any],
             policy: str | None = None, region: str | None = None,
             adapters: Mapping[str, str] | None = None) -> int:
    """The whole cycle: sync, plan, draw with a witness, push the tasks, read the results back,
    publish them, reconcile, and write the compliance report. Prints one screen: a line per
    step and the paths of the documents it wrote."""
    host = load_plugins()
    deployment = choose_deployment(host, policy=policy, region=region, adapters=adapters)
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "demo.db"
    for stale in workdir.glob("demo.db*"):
        stale.unlink()
    story = Story(echo, workdir)
    sims = start_simulators(host, {"region": deployment.region, "subjects": subjects,
                                   **DEMO_FAULTS}, adapters=deployment.adapters)
    try:
        settings = demo_settings(sims.environment(), database, deployment)
        story.step(_("ssj-bridge demo · {org} · policy {policy} · region {region}").format(
            org=deployment.org_name, policy=deployment.policy, region=deployment.region))
        story.step(_("simulated platforms on 127.0.0.1, with faults: {platforms}").format(
            platforms=words.listing(_("{platform} ({adapter})").format(
                platform=words.role(role), adapter=settings.platform(role).adapter)
                for role in sims.running)))
        store = Store(settings.database_url)
        store.migrate()
        exit_code = ExitCode.OK
        runs = [run_sync(settings, store, host) for _attempt in range(2)]
        exit_code = runs[-1].exit
        quarantine = story.keep(_("records set aside"), export_file(store, "quarantine", workdir))
        story.step(_("1 sync: fetched {fetched}, stored {stored}, set aside {set_aside} (reasons "
                     "in {file}); the second run stored {again}").format(
            fetched=fetched(runs[0]), stored=stored(runs[0]), set_aside=store.count("quarantine"),
            file=quarantine.name, again=stored(runs[1])))
        ensure_demo_roster(store, settings, workdir, story)
        second = ensure_demo_library(store, settings, host, workdir, story)
        plan_step(store, settings, host, story)
        annual_plan_step(store, settings, host, workdir, story)
        joint = ensure_demo_joint_plan(store, settings, host, workdir, story, second)
        today = beijing_today()
        # The routine matter; the object library's matter jointly with the partner department;
        # a directed (定向) draw of next quarter's high-risk units, drawn before it starts.
        drawn = draws_step(store, settings, host, story, (
            ("M01", DrawScope(), Quarter.of(today)),
            (second, DrawScope(joint=joint), Quarter.of(today)),
            ("M01", DrawScope(directed=DEMO_DIRECTED), Quarter.of(today).next())))
        # The drawn tasks and the roster go to the provincial platform, whose inspectors record
        # results; the next runs read them back, publish them and poll the receipts.
        for _attempt in range(3):
            report = run_sync(settings, store, host)
            exit_code = report.exit
        deadlines = deadlines_step(store, settings, host, story)
        story.step(_("4 tasks sent, results read back and published: tasks {tasks}, results "
                     "{results}, publications {publications} (on time {on_time}, late {late}, "
                     "overdue and not published {overdue})").format(
            tasks=store.count("tasks"), results=store.count("results"),
            publications=store.count("publications"), on_time=deadlines.published_on_time,
            late=len(deadlines.published_late), overdue=len(deadlines.overdue)))
        story.keep(_("tasks"), export_file(store, "tasks", workdir))
        story.keep(_("results"), export_file(store, "results", workdir))
        story.keep(_("store"), database)
        documents_step(store, settings, host, workdir, story)
        # Last, so the final line says where the report is (interface.md, `make demo`).
        compliance_step(store, settings, host, workdir, story)
        store.dispose()
        story.close()
        if drawn is not ExitCode.OK:
            return int(drawn)
        return int(ExitCode.OK if exit_code in (ExitCode.OK, ExitCode.SET_ASIDE) else exit_code)
    finally:
        sims.stop()


def fetched(report: SyncReport) -> int:
    """Records one run fetched, every platform together."""
    return sum(p.fetched for p in report.platforms.values())


def stored(report: SyncReport) -> int:
    """Records one run stored (new or changed), every platform together."""
    return sum(p.stored for p in report.platforms.values())


def export_file(store: Store, what: str, workdir: Path) -> Path:
    """`export WHAT --format xlsx` into the demo directory."""
    from ssj_bridge.plugins.registry import default_registry
    from ssj_bridge.report.export import write_rows

    path = workdir / f"{what}.xlsx"
    write_rows(default_registry().rows(what, store), path, "xlsx", what)
    return path


def plan_step(store: Store, settings: Settings, host: PluginHost, story: Story) -> None:
    """The current quarter's plan under the demo policy (classified by the syncs above)."""
    active = resolve_policy(host, settings.policy)
    quarter = Quarter.of(beijing_today())
    plan = make_plan(store, active, quarter, region=settings.region_code)
    path = story.write(_("plan"), f"plan-{quarter.label}.txt", [plan_text(plan, width=100)])
    required = words.clauses(
        f"{m.matter.code} " + words.listing(_("{category} {required}").format(
            category=words.category(c.key),
            required=max((o.required for o in c.obligations), default=0))
            for c in m.whole.categories if c.obligations)
        for m in plan.matters)
    story.step(_("2 plan for {period} under {policy} ({locality}): required {required} "
                 "({file})").format(period=words.period(quarter.label), policy=active.name,
                                    locality=active.policy.locality, required=required,
                                    file=path.name))


# The demo roster: 20 people of the demo's region, the first 15 certified, the other 5 auxiliary
# experts.
_DEMO_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷",
               "徐强", "孙丽", "马超", "朱琳", "胡军", "郭峰", "何雪", "林涛", "高远", "罗佳")
_DEMO_EXPERTISE = ("大气;水", "固废;危废", "辐射;监测", "环评;大气", "噪声;土壤", "海洋;水",
                   "移动源;大气")


def demo_roster_csv(path: Path, region: str, org: str) -> Path:
    """Write a roster file (interface.md's columns) of 20 inspectors, 15 of them certified,
    spread over the region and the districts below it (a district draws its own staff)."""
    places = [region, *(c for c in counties_of(region) if c != region)]
    lines = ["inspectorId,name,certNo,orgCode,regionCode,expertise,auxiliary,active,conflicts"]
    for index, name in enumerate(_DEMO_NAMES):
        certified = index < 15
        cert_no = f"{region[:4]}01202{index % 5}{index + 1:06d}" if certified else ""
        expertise = _DEMO_EXPERTISE[index % len(_DEMO_EXPERTISE)]
        if "移动源" not in expertise:  # the demo's second matter checks vehicle test stations
            expertise += ";移动源"
        lines.append(f"DEMO-{index + 1:03d},{name},{cert_no},{org},{places[index % len(places)]},"
                     f"{expertise},{'false' if certified else 'true'},true,")
    # The partner department of the demo's joint plan draws its own people (orgCode).
    for index, name in enumerate(DEMO_PARTNER_NAMES):
        lines.append(f"MKT-{index + 1:03d},{name},{region[:4]}09202{index}{index + 1:06d},"
                     f"{demo_partner(region)},{region},移动源,false,true,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ensure_demo_roster(store: Store, settings: Settings, workdir: Path, story: Story) -> None:
    """Import the generated roster when no inspector is in the store yet (as a data manager would)."""
    from ssj_bridge.intake import import_roster

    if store.count("inspectors"):
        return
    roster = demo_roster_csv(workdir / "demo-roster.csv", settings.region_code or "",
                             settings.org_code or "")
    loaded = import_roster(store, roster, "demo")
    story.keep(_("inspector roster"), roster)
    story.step(_("  roster: {rows} inspectors imported from {file}").format(
        rows=loaded.rows, file=loaded.file_name))


# The demo's object library: vehicle emission test stations, two in each district.
DEMO_KIND = "机动车排放检验机构"
DEMO_MATTER = ("{code},机动车排放检验机构监督检查,机动车排放检验机构,county,,ALL,quarter,50%,,,现场,"
               "演示用清单（本局自定，无文件依据）")


def ensure_demo_library(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                        story: Story) -> str:
    """Import a small object library (as a data manager would) and return the matter that
    draws it: the policy's own, or one the demo bureau adds to its list."""
    import random

    from ssj_bridge.intake import import_matters, import_objects
    from ssj_bridge.model.matters import MATTER_COLUMNS
    from ssj_bridge.policy.matters import effective_matters

    region = settings.region_code or ""
    rng = random.Random(f"demo-objects/{region}")
    rows = ["kind,objectId,name,regionCode,uscc,subkind,since,until,source"]
    for number, place in enumerate(c for c in counties_of(region) for _twice in range(2)):
        rows.append(f"{DEMO_KIND},JC-{number + 1:03d},{place}机动车检测站{number + 1},{place},"
                    f"{make_uscc(rng, place)},,,,演示")
    path = workdir / "demo-objects.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = import_objects(store, path, region, "demo")
    story.keep(_("object library"), path)
    active = resolve_policy(host, settings.policy)
    listed = effective_matters(store, active.policy)
    own = next((m for m in listed if m.object_kind == DEMO_KIND
                and any(r.has_quota for r in m.rules)), None)
    if own is not None:
        story.step(_("  object library: {rows} {kind} imported from {file}, drawn under the "
                     "policy's matter {code}").format(rows=loaded.rows, kind=DEMO_KIND,
                                                       file=loaded.file_name, code=own.code))
        return own.code
    code = next(f"M{n:02d}" for n in range(2, 100) if f"M{n:02d}" not in {m.code for m in listed})
    matters = workdir / "demo-matters.csv"
    matters.write_text(",".join(MATTER_COLUMNS) + "\n" + DEMO_MATTER.format(code=code) + "\n",
                       encoding="utf-8")
    import_matters(store, matters, "demo")
    story.step(_("  object library: {rows} {kind} imported from {file}; matter {code} (50% a "
                 "quarter) added to the list from {matters}").format(
        rows=loaded.rows, kind=DEMO_KIND, file=loaded.file_name, code=code,
        matters=matters.name))
    return code


@dataclass
class Drawn:
    """What one matter's draw did: its draws, the districts they cover, its tasks."""

    matter: str
    kind: str = ""
    draws: int = 0
    districts: int = 0
    tasks: int = 0
    failed: list[str] = field(default_factory=list)
    refused: str | None = None


def draws_step(store: Store, settings: Settings, host: PluginHost, story: Story,
               draws: Iterable[tuple[str, DrawScope, Quarter]]) -> ExitCode:
    """Draw each (matter, scope, quarter); one line for all of them, the commitments and the
    drawn tasks (names masked) in the draw record."""
    quarter = Quarter.of(beijing_today())
    witness = f"demo-witness-{beijing_today().isoformat()}"
    record: list[str] = []
    done = [draw_step(store, settings, host, matter, witness, record, scope, when)
            for matter, scope, when in draws]
    path = story.write(_("draw record"), f"draw-{quarter.label}.txt", record)
    refused = next((d for d in done if d.refused is not None), None)
    if refused is not None:
        story.step(_("3 draw {matter} refused: {reason}").format(matter=refused.matter,
                                                                 reason=refused.refused))
        return ExitCode.INPUT_REFUSED
    failed = [task for d in done for task in d.failed]
    verdict = (_("all match") if not failed
               else _("MISMATCH: {tasks}").format(tasks=", ".join(failed)))
    districts = max((d.districts for d in done), default=0)
    story.step(_("3 draw {matters} ({strata}, one commitment per draw), witness {witness!r}, "
                 "{tasks} tasks drawn; draw verify: {verdict} ({file})").format(
        matters=words.listing(_("{matter}{kind} {draws}").format(
            matter=d.matter, kind=d.kind, draws=ngettext(
                "{count} draw", "{count} draws", d.draws).format(count=d.draws)) for d in done),
        strata=(ngettext("{count} district", "{count} districts", districts).format(
            count=districts) if districts > 1 else _("one region")),
        witness=witness, tasks=sum(d.tasks for d in done), verdict=verdict, file=path.name))
    return ExitCode.MISMATCH if failed else ExitCode.OK


def draw_step(store: Store, settings: Settings, host: PluginHost, matter: str, witness: str,
              record: list[str], scope: DrawScope | None = None,
              quarter: Quarter | None = None) -> Drawn:
    """Draw a quarter's tasks of `matter` (the current quarter by default; directed or joint as
    `scope` says): commit (one draw per district and category where districts keep their own
    obligations, all under one commitment), run with the witness's text, verify every task; the
    record gets the commitments and the drawn tasks."""
    from ssj_bridge.draw.commit import commit_draws
    from ssj_bridge.draw.run import run_draws
    from ssj_bridge.draw.show import task_lines
    from ssj_bridge.draw.verify import verify_task

    active = resolve_policy(host, settings.policy)
    quarter, region = quarter or Quarter.of(beijing_today()), settings.region_code or ""
    org = settings.org_code or ""
    scope = scope or DrawScope()
    kind = (_(" directed ({scope})").format(scope=scope.directed) if scope.directed else
            _(" joint ({plan})").format(plan=scope.joint) if scope.joint else "")
    drawn = Drawn(matter, kind=(_(" directed {period}").format(period=words.period(quarter.label))
                                if scope.directed else _(" joint") if scope.joint else ""))
    try:
        committed = commit_draws(store, active, region_code=region, quarter=quarter,
                                 matter_code=matter, own_org=org, scope=scope)
        record.append(_("draw commit {period} {matter}{kind}").format(
            period=words.period(quarter.label), matter=matter, kind=kind))
        for item in committed.committed:
            record.append(_("{label}  k={k} of {candidates} candidates, {inspectors} inspectors")
                          .format(label=item.label, k=item.k, candidates=item.candidates,
                                  inspectors=item.inspector_candidates))
            for department, count, _digest in item.departments:
                record.append("  " + _("department {org}: {count} inspectors of its own").format(
                    org=department, count=count))
        if committed.committed:
            record.append(_("  commitment {commitment}").format(
                commitment=committed.committed[0].commitment))
        for skipped in committed.not_drawn:
            record.append(_("{region} {category}: not drawn ({reason})").format(
                region=skipped.region, category=words.category(skipped.category),
                reason=skipped.reason))
        if not committed.committed:
            record.append("")
            return drawn
        report = run_draws(store, active, region_code=region, quarter=quarter, matter_code=matter,
                           witness=witness, drawn_by=org, org_name=settings.org_name)
    except InputRefused as exc:
        drawn.refused = str(exc)
        return drawn
    record += [_("witness's text: {text}").format(text=witness), *task_lines(store, report.tasks)]
    for task in report.tasks:
        result = verify_task(store, task.task_id)
        record.append((_("draw verify {task}: matches") if result.ok
                       else _("draw verify {task}: MISMATCH")).format(task=task.task_id))
        record += [f"  - {difference}" for difference in result.differences]
        if not result.ok:
            drawn.failed.append(task.task_id)
    record.append("")
    drawn.draws = len(committed.committed)
    drawn.districts = len({item.region for item in committed.committed})
    drawn.tasks = len(report.tasks)
    return drawn


# The demo's directed draw: next quarter's units of high credit risk (企业信用风险分类 C, D).
DEMO_DIRECTED = "riskClass=HIGH,VERY_HIGH"
# The partner department of the demo's joint plan, and its people on the roster.
DEMO_PARTNER_NAMES = ("钱多多", "孙小明", "周大伟")


def demo_partner(region: str) -> str:
    """The org code of the demo's partner department (市场监督管理局) in `region`."""
    return f"11{region}MB2000000S"


def annual_plan_step(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                     story: Story) -> Path:
    """Next year's annual plan, written as printable HTML and XLSX into the demo directory."""
    from ssj_bridge.features.annual import annual_plan
    from ssj_bridge.features.deadlines import DeadlineRules
    from ssj_bridge.report.annual_plan import plan_document
    from ssj_bridge.report.document import write_document

    today = beijing_today()
    year = today.year + 1
    found = annual_plan(store, resolve_policy(host, settings.policy), year,
                        DeadlineRules.from_settings(settings, host), today=today,
                        region=settings.region_code, authority=settings.org_name,
                        own_org=settings.org_code)
    html = workdir / f"annual-plan-{year}.html"
    write_document(plan_document(found), html=html, xlsx=html.with_suffix(".xlsx"))
    story.keep(_("annual plan"), html)
    story.keep(_("annual plan"), html.with_suffix(".xlsx"))
    due = found.filing_due
    when = (_(", to file by {due} ({clause})").format(due=due.due, clause=due.clause)
            if due and due.due else "")
    story.step(_("  annual plan {year}: {total} checks over {matters} matters{when}").format(
        year=year, total=found.total, matters=len(found.matters), when=when))
    return html


def ensure_demo_joint_plan(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                           story: Story, matter: str) -> str:
    """Import a joint plan (as a data manager would): the object library's matter, checked
    with the partner department this year; returns its id."""
    from ssj_bridge.intake import import_joint_plans
    from ssj_bridge.policy.matters import effective_matters

    year = beijing_today().year
    plan_id = f"JP-{year}-01"
    path = workdir / "demo-joint.csv"
    partner = demo_partner(settings.region_code or "")
    path.write_text("planId,name,leadOrg,partnerOrgs,matterCodes,period,share\n"
                    f"{plan_id},{DEMO_KIND}联合检查,{settings.org_code},{partner},{matter},"
                    f"{year},50%\n", encoding="utf-8")
    active = resolve_policy(host, settings.policy)
    codes = {m.code for m in effective_matters(store, active.policy)}
    loaded = import_joint_plans(store, path, codes, "demo")
    story.keep(_("joint plan"), path)
    story.step(_("  joint plan: {rows} imported from {file} ({plan}, {matter} with {partner})")
               .format(rows=loaded.rows, file=loaded.file_name, plan=plan_id, matter=matter,
                       partner=partner))
    return plan_id


def deadlines_step(store: Store, settings: Settings, host: PluginHost,
                   story: Story) -> DeadlineReport:
    """Every publication of the demo's results, on time, late or due, into a document."""
    from ssj_bridge.features.deadlines import DeadlineRules, render_text, report_deadlines

    report = report_deadlines(store, DeadlineRules.from_settings(settings, host), beijing_today(),
                              list_on_time=True)
    story.write(_("publication deadlines"), "deadlines.txt", render_text(report))
    return report


def documents_step(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                   story: Story) -> list[Path]:
    """The draw's announcement and record and the results publication list of the current
    quarter, as HTML documents in the demo directory (PDF: the commands' `--pdf`)."""
    from ssj_bridge.policy.matters import effective_matters, find_matter
    from ssj_bridge.report import paper
    from ssj_bridge.report.draw_documents import draw_sheet, write_announcement, write_record
    from ssj_bridge.report.paper import Letterhead
    from ssj_bridge.report.publication_list import publication_list, write_publications

    quarter = Quarter.of(beijing_today())
    written = []
    try:
        policy = resolve_policy(host, settings.policy).policy
        matter = find_matter(effective_matters(store, policy), "M01")
        sheet = draw_sheet(store, settings.region_code or "", quarter.label, "M01", matter.name)
    except (ConfigurationError, InputRefused) as exc:
        story.step(_("  draw documents: none ({reason})").format(reason=exc))
    else:
        written.append(story.keep(_("draw announcement"), write_announcement(sheet, Letterhead.of(
            settings, paper._("双随机抽查抽取承诺公示"), quarter.label),
            workdir / f"draw-announcement-{quarter.label}-M01.html")))
        if sheet.revealed:
            written.append(story.keep(_("draw record to sign"), write_record(sheet, Letterhead.of(
                settings, paper._("双随机抽查抽取记录"), quarter.label),
                workdir / f"draw-record-{quarter.label}-M01.html")))
    written.append(story.keep(_("publication list"), write_publications(
        publication_list(store, quarter), Letterhead.of(
            settings, paper._("双随机抽查结果公示名单"), quarter.label),
        workdir / f"publications-{quarter.label}.html")))
    return written


def compliance_step(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                    story: Story) -> Path:
    """Reconcile the store with the simulators, then write the current quarter's compliance
    report (HTML) into the demo directory."""
    from ssj_bridge.features.deadlines import DeadlineRules
    from ssj_bridge.reconcile.run import reconcile
    from ssj_bridge.reconcile.words import breaks_of
    from ssj_bridge.report.compliance import MET, OPEN, SHORT, compliance_report
    from ssj_bridge.report.html import write_html

    found = reconcile(settings, store, host)
    verdicts = []
    for role, summary in found.summary.items():
        total = sum(breaks_of(summary).values())
        verdicts.append(f"{words.role(role)} " + (
            _("not checked") if summary["status"] == "failed"
            else _("{count} breaks").format(count=total) if total
            else pgettext("reconcile", "in step")))
    story.step(_("5 reconcile: {platforms}").format(platforms=words.clauses(verdicts)))
    today = beijing_today()
    quarter = Quarter.of(today)
    report = compliance_report(store, resolve_policy(host, settings.policy), quarter,
                               DeadlineRules.from_settings(settings, host), today=today,
                               region=settings.region_code, authority=settings.org_name,
                               own_org=settings.org_code)
    path = write_html(report, workdir / f"compliance-{quarter.label}.html")
    counts = report.obligation_counts()
    story.step(_("6 compliance {period}: obligations met {met}, short {short}, open {open}; "
                 "{published} of {results} results published").format(
        period=words.period(quarter.label), met=counts[MET], short=counts[SHORT],
        open=counts[OPEN], published=report.publication.published,
        results=report.publication.results))
    story.keep(_("compliance report"), path)
    return path


def demo_settings(environment: dict[str, str], database: Path,
                  deployment: Deployment) -> Settings:
    """Settings pointing at the running simulators, run as `deployment`."""
    sections: dict[str, PlatformSettings] = {}
    for role in PLATFORM_ROLES:
        prefix = f"SSJ_{role.upper()}__"
        fields = {k[len(prefix):].lower(): v for k, v in environment.items()
                  if k.startswith(prefix)}
        if role in deployment.adapters:
            fields["adapter"] = deployment.adapters[role]
        if fields:
            sections[role] = PlatformSettings(**fields)
    values: dict[str, Any] = {"database_url": f"sqlite:///{database}",
                              "region_code": deployment.region, "org_code": deployment.org_code,
                              "org_name": deployment.org_name, "policy": deployment.policy,
                              **sections}
    return Settings(**values)
