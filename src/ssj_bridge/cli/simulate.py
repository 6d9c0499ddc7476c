"""`simulate` (the platform simulators on 127.0.0.1) and `demo` (the whole cycle against them)."""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click

from ssj_bridge.cli.context import Context, pass_context
from ssj_bridge.i18n import _


@click.command()
@click.option("--region", default=None,
              help="Region code the simulators serve (default: SSJ_REGION_CODE, else the "
                   "policy's own).")
@click.option("--policy", default=None,
              help="The locality policy the printed settings name (default: SSJ_POLICY, else "
                   "the installed example).")
@click.option("--subjects", default=1000, show_default=True, type=int,
              help="How many subjects the simulators hold.")
@click.option("--seed", default=1, show_default=True, type=int,
              help="Seed of the simulated data (the same seed, the same data).")
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
def simulate(ctx: Context, /, region: str | None, policy: str | None, subjects: int, seed: int,
             only: str | None, ports: tuple[str, ...], extra: tuple[str, ...],
             chosen: tuple[str, ...], **faults: Any) -> None:
    """Serve the platform simulators on 127.0.0.1 until interrupted.

    Prints every setting a sync against them needs (NAME=VALUE, one a line, quoted for a
    shell), so `ssj-bridge sync` works with them and nothing else set.
    """
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.simulation.demo import choose_deployment
    from ssj_bridge.simulation.launch import start_simulators

    host = load_plugins()
    settings = ctx.settings
    deployment = choose_deployment(host, policy=policy or settings.policy,
                                   region=region or settings.region_code)
    region = deployment.region
    options = {"region": region, "subjects": subjects, "seed": seed,
               **{k: v for k, v in faults.items() if v is not None}}
    per_role: dict[str, dict[str, Any]] = {}
    for item in extra:
        target, _sep, value = item.partition("=")
        role, dot, key = target.partition(".")
        if not key or not dot:
            raise click.UsageError(_("--set {item!r}: expected ROLE.OPTION=VALUE").format(item=item))
        per_role.setdefault(role, {})[key.replace("-", "_")] = value
    port_map = {}
    for item in ports:
        role, _sep, port = item.partition("=")
        if not port.isdigit():
            raise click.UsageError(_("--port {item!r}: expected ROLE=PORT").format(item=item))
        port_map[role] = int(port)
    adapter_map = {}
    for item in chosen:
        role, _sep, name = item.partition("=")
        if not name:
            raise click.UsageError(_("--adapter {item!r}: expected ROLE=ADAPTER").format(item=item))
        adapter_map[role] = name
    roles = [r.strip() for r in only.split(",")] if only else None
    sims = start_simulators(host, options, roles=roles, adapters=adapter_map, per_role=per_role,
                            ports=port_map)
    for name, value in simulated_settings(sims.environment(), adapter_map, deployment,
                                          roles=sims.running).items():
        click.echo(f"{name}={shlex.quote(value)}")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sims.stop()


def simulated_settings(environment: Mapping[str, str], adapters: Mapping[str, str],
                       deployment: Any, *, roles: Iterable[str]) -> dict[str, str]:
    """Every setting a sync against the simulators needs: each platform's address and
    credentials, the adapters chosen, the region, the authority and the policy."""
    found = dict(environment)
    running = set(roles)
    found.update({f"SSJ_{role.upper()}__ADAPTER": name for role, name in adapters.items()
                  if role in running})
    found.update({"SSJ_REGION_CODE": deployment.region, "SSJ_ORG_CODE": deployment.org_code,
                  "SSJ_ORG_NAME": deployment.org_name, "SSJ_POLICY": deployment.policy})
    return found


@click.command()
@click.option("--subjects", default=2000, show_default=True, type=int,
              help="How many subjects the simulators hold.")
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
    """The whole cycle against the simulators, on an embedded SQLite store.

    Prints one screen: a line per step and the documents written. The simulators inject
    faults, so the run logs many warnings: they go to demo.log in the demo's directory (or
    --log-file), and to the terminal only with -v.
    """
    import logging

    from ssj_bridge.log import configure_logging
    from ssj_bridge.settings import PLATFORM_ROLES
    from ssj_bridge.simulation.demo import run_demo

    workdir.mkdir(parents=True, exist_ok=True)
    configure_logging(level=logging.ERROR if ctx.verbosity == 0 else None,
                      verbosity=ctx.verbosity, log_file=ctx.log_file or workdir / "demo.log")

    settings = ctx.settings
    adapters = {role: section.adapter for role in PLATFORM_ROLES
                if "adapter" in (section := getattr(settings, role)).model_fields_set
                and section.adapter}
    for item in chosen:
        role, _sep, name = item.partition("=")
        if not name:
            raise click.UsageError(_("--adapter {item!r}: expected ROLE=ADAPTER").format(item=item))
        adapters[role] = name
    raise SystemExit(run_demo(subjects=subjects, workdir=workdir, echo=click.echo,
                              policy=policy or settings.policy, region=region,
                              adapters=adapters))
