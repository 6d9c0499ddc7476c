"""`ssj-bridge demo`: the whole cycle against the simulators, on embedded SQLite.

Any installed adapter with a simulator can serve a role (`--adapter ROLE=NAME`, or
SSJ_<ROLE>__ADAPTER), any installed policy can decide (`--policy`, or SSJ_POLICY), in any region
(`--region`, else the policy's own). With none named, the policy is the one its plugin marks as
its worked example; the core knows no locality of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssj_bridge.draw.strata import DrawScope
from ssj_bridge.errors import ConfigurationError, ExitCode, InputRefused
from ssj_bridge.model import beijing_today
from ssj_bridge.model.periods import Quarter
from ssj_bridge.plugins.host import PluginHost, load_plugins
from ssj_bridge.policy.classify import resolve_policy
from ssj_bridge.policy.plan import make_plan, plan_text
from ssj_bridge.policy.rules import PolicySpec
from ssj_bridge.settings import PLATFORM_ROLES, PlatformSettings, Settings
from ssj_bridge.simulation.launch import start_simulators
from ssj_bridge.simulation.synthetic import counties_of, make_uscc
from ssj_bridge.store import Store
from ssj_bridge.sync import run_sync

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
        raise ConfigurationError(f"--region: policy {spec.name!r} names no region of its own; "
                                 "give a 6-digit region code", "--region")
    org_code, org_name = spec.authority if spec.authority and region == spec.region else (
        f"11{region}MB0000000E", f"{spec.locality}生态环境主管部门")
    for role, name in (adapters or {}).items():
        if role not in PLATFORM_ROLES:
            raise ConfigurationError(f"--adapter {role}={name}: unknown role {role!r} (known: "
                                     f"{', '.join(PLATFORM_ROLES)})", "--adapter")
        host.adapter(name, f"SSJ_{role.upper()}__ADAPTER")
    return Deployment(spec.name, region, org_code, org_name, dict(adapters or {}))


def _policy(host: PluginHost, name: str | None) -> PolicySpec:
    if name is not None:
        return host.policy(name, "--policy")
    examples = [spec for spec in host.policies.values() if spec.example]
    if len(examples) != 1:
        known = ", ".join(sorted(host.policies)) or "none"
        raise ConfigurationError(f"--policy: name the policy the demo runs (installed: {known})",
                                 "--policy")
    return examples[0]


def run_demo(*, subjects: int, workdir: Path, echo: Callable[[str], Any],
             policy: str | None = None, region: str | None = None,
             adapters: Mapping[str, str] | None = None) -> int:
    """The whole cycle: sync, plan, draw with a witness, push the tasks, read the results back,
    publish them, reconcile, and write the compliance report; prints what each step did."""
    host = load_plugins()
    deployment = choose_deployment(host, policy=policy, region=region, adapters=adapters)
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "demo.db"
    for stale in workdir.glob("demo.db*"):
        stale.unlink()
    sims = start_simulators(host, {"region": deployment.region, "subjects": subjects,
                                   **DEMO_FAULTS}, adapters=deployment.adapters)
    try:
        settings = demo_settings(sims.environment(), database, deployment)
        echo(f"deployment: policy {deployment.policy}, region {deployment.region}, "
             f"{deployment.org_name}; adapters "
             + ", ".join(f"{role} {settings.platform(role).adapter}" for role in sims.running))
        store = Store(settings.database_url)
        store.migrate()
        echo("simulators: " + ", ".join(f"{r} {s.base_url}" for r, s in sims.running.items()))
        echo(f"store: {database}")
        exit_code = ExitCode.OK
        for attempt in ("first sync", "second sync"):
            report = run_sync(settings, store, host)
            echo(f"{attempt}: {report.summary_line()}")
            exit_code = report.exit
        echo(f"subjects in store: {store.count('subjects')}, permits: {store.count('permits')}, "
             f"quarantined: {store.count('quarantine')}")
        for entry in store.quarantined()[:5]:
            echo(f"  set aside {entry['key']}: {entry['reason']}")
        ensure_demo_roster(store, settings, workdir, echo)
        second = ensure_demo_library(store, settings, host, workdir, echo)
        echo_plan(store, settings, host, echo)
        echo_annual_plan(store, settings, host, workdir, echo)
        joint = ensure_demo_joint_plan(store, settings, host, workdir, echo, second)
        today = beijing_today()
        drawn = ExitCode.OK
        # The routine matter; the object library's matter jointly with the partner department;
        # a directed (定向) draw of next quarter's high-risk units, drawn before it starts.
        for matter, scope, quarter in (("M01", DrawScope(), Quarter.of(today)),
                                       (second, DrawScope(joint=joint), Quarter.of(today)),
                                       ("M01", DrawScope(directed=DEMO_DIRECTED),
                                        Quarter.of(today).next())):
            outcome = echo_draw(store, settings, host, echo, matter, scope, quarter)
            drawn = outcome if outcome is not ExitCode.OK else drawn
        # The drawn tasks and the roster go to the provincial platform, whose inspectors record
        # results; the next runs read them back, publish them and poll the receipts.
        for attempt in ("sync after the draw", "sync to publish", "sync to read receipts"):
            report = run_sync(settings, store, host)
            echo(f"{attempt}: {report.summary_line()}")
            exit_code = report.exit
        echo(f"tasks: {store.count('tasks')}, results: {store.count('results')}, "
             f"publications: {store.count('publications')}")
        echo_deadlines(store, settings, host, echo)
        echo_documents(store, settings, host, workdir, echo)
        # Last, so the demo's final line says where the report is (interface.md, `make demo`).
        echo_compliance(store, settings, host, workdir, echo)
        store.dispose()
        if drawn is not ExitCode.OK:
            return int(drawn)
        return int(ExitCode.OK if exit_code in (ExitCode.OK, ExitCode.SET_ASIDE) else exit_code)
    finally:
        sims.stop()


def echo_plan(store: Store, settings: Settings, host: PluginHost, echo: Callable[[str], Any]) -> None:
    """The current quarter's plan under the demo policy (classified by the syncs above)."""
    active = resolve_policy(host, settings.policy)
    quarter = Quarter.of(beijing_today())
    echo(f"plan for {quarter.label} under policy {active.name} ({active.policy.locality}):")
    echo(plan_text(make_plan(store, active, quarter, region=settings.region_code)).rstrip())


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
    # The partner department of the demo's joint plan draws its own people (orgCode).
    for index, name in enumerate(DEMO_PARTNER_NAMES):
        lines.append(f"MKT-{index + 1:03d},{name},{region[:4]}09202{index}{index + 1:06d},"
                     f"{demo_partner(region)},{region},移动源,false,true,")
    for index, name in enumerate(_DEMO_NAMES):
        certified = index < 15
        cert_no = f"{region[:4]}01202{index % 5}{index + 1:06d}" if certified else ""
        expertise = _DEMO_EXPERTISE[index % len(_DEMO_EXPERTISE)]
        if "移动源" not in expertise:  # the demo's second matter checks vehicle test stations
            expertise += ";移动源"
        lines.append(f"DEMO-{index + 1:03d},{name},{cert_no},{org},{places[index % len(places)]},"
                     f"{expertise},{'false' if certified else 'true'},true,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ensure_demo_roster(store: Store, settings: Settings, workdir: Path,
                       echo: Callable[[str], Any]) -> None:
    """Import the generated roster when no inspector is in the store yet (as a data manager would)."""
    from ssj_bridge.intake import import_roster

    if store.count("inspectors"):
        return
    roster = demo_roster_csv(workdir / "demo-roster.csv", settings.region_code or "",
                             settings.org_code or "")
    loaded = import_roster(store, roster, "demo")
    echo(f"roster: {loaded.rows} inspectors imported from {loaded.file_name}")


# The demo's object library: vehicle emission test stations, two in each district.
DEMO_KIND = "机动车排放检验机构"
DEMO_MATTER = ("{code},机动车排放检验机构监督检查,机动车排放检验机构,county,,ALL,quarter,50%,,,现场,"
               "演示用清单 (a list of the demo bureau's own; no text sets it)")


def ensure_demo_library(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                        echo: Callable[[str], Any]) -> str:
    """Import a small object library (as a data manager would) and return the matter that
    draws it: the policy's own, or one the demo bureau adds to its list."""
    import random

    from ssj_bridge.intake import import_matters, import_objects
    from ssj_bridge.model.matters import MATTER_COLUMNS
    from ssj_bridge.policy.matters import effective_matters

    region = settings.region_code or ""
    rng = random.Random(f"demo-objects/{region}")
    rows = ["kind,objectId,name,regionCode,uscc,subkind,since,until,source"]
    for number, place in enumerate(c for c in counties_of(region) for _ in range(2)):
        rows.append(f"{DEMO_KIND},JC-{number + 1:03d},{place}机动车检测站{number + 1},{place},"
                    f"{make_uscc(rng, place)},,,,演示")
    path = workdir / "demo-objects.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = import_objects(store, path, region, "demo")
    echo(f"object library: {loaded.rows} {DEMO_KIND} imported from {loaded.file_name}")
    active = resolve_policy(host, settings.policy)
    listed = effective_matters(store, active.policy)
    own = next((m for m in listed if m.object_kind == DEMO_KIND
                and any(r.has_quota for r in m.rules)), None)
    if own is not None:
        return own.code
    code = next(f"M{n:02d}" for n in range(2, 100) if f"M{n:02d}" not in {m.code for m in listed})
    matters = workdir / "demo-matters.csv"
    matters.write_text(",".join(MATTER_COLUMNS) + "\n" + DEMO_MATTER.format(code=code) + "\n",
                       encoding="utf-8")
    import_matters(store, matters, "demo")
    echo(f"matter list: {code} {DEMO_KIND} 50% a quarter added from {matters.name}")
    return code


def echo_draw(store: Store, settings: Settings, host: PluginHost,
              echo: Callable[[str], Any], matter: str = "M01", scope: DrawScope | None = None,
              quarter: Quarter | None = None) -> ExitCode:
    """Draw a quarter's tasks of `matter` (the current quarter by default; directed or joint as
    `scope` says): commit, show the commitments, run with a witness, verify every task. Names
    stay masked (the tasks have not started)."""
    from ssj_bridge.draw.commit import commit_draws
    from ssj_bridge.draw.run import run_draws
    from ssj_bridge.draw.show import task_lines
    from ssj_bridge.draw.verify import verify_task
    from ssj_bridge.errors import InputRefused

    active = resolve_policy(host, settings.policy)
    today = beijing_today()
    quarter, region = quarter or Quarter.of(today), settings.region_code or ""
    org = settings.org_code or ""
    scope = scope or DrawScope()
    kind = (f" directed ({scope.directed})" if scope.directed else
            f" joint ({scope.joint})" if scope.joint else "")
    try:
        committed = commit_draws(store, active, region_code=region, quarter=quarter,
                                 matter_code=matter, own_org=org, scope=scope)
        echo(f"draw commit {quarter.label} {matter}{kind}: {len(committed.committed)} draws "
             f"committed under one commitment")
        for item in committed.committed:
            echo(f"  {item.label} k={item.k} of {item.candidates} candidates, "
                 f"{item.inspector_candidates} inspectors; commitment {item.commitment}")
            for department, count, _digest in item.departments:
                echo(f"    department {department}: {count} inspectors of its own")
        for skipped in committed.not_drawn:
            echo(f"  {skipped.region} {skipped.category}: not drawn ({skipped.reason})")
        if not committed.committed:
            return ExitCode.OK
        witness = f"demo-witness-{today.isoformat()}"
        report = run_draws(store, active, region_code=region, quarter=quarter, matter_code=matter,
                           witness=witness, drawn_by=org, org_name=settings.org_name)
    except InputRefused as exc:
        echo(f"draw refused: {exc}")
        return ExitCode.INPUT_REFUSED
    echo(f"draw run with witness {witness!r}: {len(report.tasks)} tasks, queued for the "
         f"provincial platform")
    for line in task_lines(store, report.tasks)[:12]:
        echo(f"  {line}")
    failed = 0
    for task in report.tasks:
        result = verify_task(store, task.task_id)
        failed += not result.ok
        echo(f"  draw verify {task.task_id}: {'matches' if result.ok else 'MISMATCH'}")
        for difference in result.differences:
            echo(f"    - {difference}")
    return ExitCode.MISMATCH if failed else ExitCode.OK


# The demo's directed draw: next quarter's units of high credit risk (企业信用风险分类 C, D).
DEMO_DIRECTED = "riskClass=HIGH,VERY_HIGH"
# The partner department of the demo's joint plan, and its people on the roster.
DEMO_PARTNER_NAMES = ("钱多多", "孙小明", "周大伟")


def demo_partner(region: str) -> str:
    """The org code of the demo's partner department (市场监督管理局) in `region`."""
    return f"11{region}MB2000000S"


def echo_annual_plan(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                     echo: Callable[[str], Any]) -> Path:
    """Next year's annual plan, written as printable HTML and XLSX; prints where it is."""
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
    due = found.filing_due
    when = f", to file by {due.due} ({due.clause})" if due and due.due else ""
    echo(f"annual plan {year}: {found.total} checks over {len(found.matters)} matters{when}: "
         f"{html.resolve()}")
    return html


def ensure_demo_joint_plan(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                           echo: Callable[[str], Any], matter: str) -> str:
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
    echo(f"joint plan: {loaded.rows} imported from {loaded.file_name} ({plan_id}, {matter} with "
         f"{demo_partner(settings.region_code or '')})")
    return plan_id


def echo_deadlines(store: Store, settings: Settings, host: PluginHost,
                   echo: Callable[[str], Any]) -> None:
    """Every publication of the demo's results: on time, late or due, with its due date."""
    from ssj_bridge.features.deadlines import DeadlineRules, render_text, report_deadlines

    report = report_deadlines(store, DeadlineRules.from_settings(settings, host), beijing_today(),
                              list_on_time=True)
    for line in render_text(report):
        echo(line)


def echo_documents(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                   echo: Callable[[str], Any]) -> list[Path]:
    """The draw's announcement and record and the results publication list of the current
    quarter, as HTML documents in the demo directory (PDF: the commands' `--pdf`)."""
    from ssj_bridge.policy.matters import effective_matters, find_matter
    from ssj_bridge.report.draw_documents import draw_sheet, write_announcement, write_record
    from ssj_bridge.report.paper import Letterhead, _
    from ssj_bridge.report.publication_list import publication_list, write_publications

    quarter = Quarter.of(beijing_today())
    written = []
    try:
        policy = resolve_policy(host, settings.policy).policy
        matter = find_matter(effective_matters(store, policy), "M01")
        sheet = draw_sheet(store, settings.region_code or "", quarter.label, "M01", matter.name)
    except (ConfigurationError, InputRefused) as exc:
        echo(f"draw documents: none ({exc})")
    else:
        written.append(write_announcement(sheet, Letterhead.of(
            settings, _("双随机抽查抽取承诺公示"), quarter.label),
            workdir / f"draw-announcement-{quarter.label}-M01.html"))
        if sheet.revealed:
            written.append(write_record(sheet, Letterhead.of(
                settings, _("双随机抽查抽取记录"), quarter.label),
                workdir / f"draw-record-{quarter.label}-M01.html"))
    written.append(write_publications(publication_list(store, quarter), Letterhead.of(
        settings, _("双随机抽查结果公示名单"), quarter.label),
        workdir / f"publications-{quarter.label}.html"))
    for path in written:
        echo(f"document: {path}")
    return written


def echo_compliance(store: Store, settings: Settings, host: PluginHost, workdir: Path,
                    echo: Callable[[str], Any]) -> Path:
    """Reconcile the store with the simulators, then write the current quarter's compliance
    report (HTML) into the demo directory and print where it is."""
    from ssj_bridge.features.deadlines import DeadlineRules
    from ssj_bridge.reconcile.run import reconcile
    from ssj_bridge.report.compliance import compliance_report, render_text
    from ssj_bridge.report.html import write_html

    found = reconcile(settings, store, host)
    for role, summary in found.summary.items():
        counts: Counter[str] = Counter()
        for entity in summary.values():
            if isinstance(entity, dict):
                counts.update({kind: n for kind, n in entity.items() if kind != "matched" and n})
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "no breaks"
        echo(f"reconcile {role}: {summary['status']} ({detail})")
    today = beijing_today()
    quarter = Quarter.of(today)
    report = compliance_report(store, resolve_policy(host, settings.policy), quarter,
                               DeadlineRules.from_settings(settings, host), today=today,
                               region=settings.region_code, authority=settings.org_name,
                               own_org=settings.org_code)
    for line in render_text(report):  # every matter, and each district's line
        if line.startswith("publication ("):
            break
        echo(line)
    path = write_html(report, workdir / f"compliance-{quarter.label}.html")
    echo(f"compliance report {quarter.label}: {path}")
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
