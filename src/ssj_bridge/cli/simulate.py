"""`simulate` (the platform simulators on 127.0.0.1) and `demo` (the whole cycle against them)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from ssj_bridge.cli.context import Context, pass_context


@click.command()
@click.option("--region", default=None,
              help="Region code the simulators serve (default: SSJ_REGION_CODE).")
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
@pass_context
def simulate(ctx: Context, /, region: str | None, subjects: int, seed: int, only: str | None,
             ports: tuple[str, ...], extra: tuple[str, ...], chosen: tuple[str, ...],
             **faults: Any) -> None:
    """Serve the platform simulators on 127.0.0.1 until interrupted."""
    region = region or ctx.settings.region_code
    if not region:
        raise click.UsageError("give --region (or set SSJ_REGION_CODE): the region the "
                               "simulators serve")
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.simulation.launch import start_simulators

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


@click.command()
@click.option("--subjects", default=2000, show_default=True, type=int)
@click.option("--dir", "workdir", type=click.Path(path_type=Path), default=Path("demo-out"),
              show_default=True, help="Where the demo's store and reports go.")
@click.option("--policy", default=None,
              help="The locality policy (default: SSJ_POLICY, else the installed example).")
@click.option("--region", default=None, help="Region code (default: the policy's own).")
@click.option("--adapter", "chosen", multiple=True, metavar="ROLE=ADAPTER",
              help="Serve ROLE with this installed adapter and its simulator "
                   "(default: SSJ_<ROLE>__ADAPTER, else the role's bundled one).")
@pass_context
def demo(ctx: Context, subjects: int, workdir: Path, policy: str | None, region: str | None,
         chosen: tuple[str, ...]) -> None:
    """The whole cycle against the simulators, on an embedded SQLite store."""
    from ssj_bridge.settings import PLATFORM_ROLES
    from ssj_bridge.simulation.demo import run_demo

    settings = ctx.settings
    adapters = {role: section.adapter for role in PLATFORM_ROLES
                if "adapter" in (section := getattr(settings, role)).model_fields_set
                and section.adapter}
    for item in chosen:
        role, _, name = item.partition("=")
        if not name:
            raise click.UsageError(f"--adapter {item!r}: expected ROLE=ADAPTER")
        adapters[role] = name
    raise SystemExit(run_demo(subjects=subjects, workdir=workdir, echo=click.echo,
                              policy=policy or settings.policy, region=region,
                              adapters=adapters))
