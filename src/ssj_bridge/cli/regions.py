"""The province deployment's commands: `regions add|list|status`, `worker`, `schedule`,
`migrate [--all-regions]`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import orjson

from ssj_bridge.cli.context import Context, pass_context
from ssj_bridge.regions import DEFAULT_INTERVAL


def _province_url(ctx: Context) -> str:
    return str(ctx.settings.database_url)


def _queue_settings(tick: int, stall_timeout: float, heartbeat: float) -> Any:
    from ssj_bridge.regions.jobs import QueueSettings

    if heartbeat * 2 > stall_timeout:
        raise click.BadParameter("the stall timeout must be at least twice the heartbeat",
                                 param_hint="--stall-timeout")
    return QueueSettings(tick_seconds=tick, stall_timeout=stall_timeout, heartbeat=heartbeat)


_queue_options = [
    click.option("--stall-timeout", default=30.0, show_default=True, type=float,
                 help="Seconds without a heartbeat after which a worker counts as dead."),
    click.option("--heartbeat", default=10.0, show_default=True, type=float,
                 help="Seconds between a worker's heartbeats."),
]


def _with_queue_options(func: Any) -> Any:
    for option in reversed(_queue_options):
        func = option(func)
    return func


@click.group()
def regions() -> None:
    """The regions of a province deployment (SSJ_DATABASE_URL: the province's PostgreSQL)."""


@regions.command("add")
@click.argument("code")
@click.option("--policy", default=None,
              help="The region's locality policy plugin (none: synced without classifying).")
@click.option("--config", "config_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The region's settings file (platforms and credentials; same path on every "
                   "worker host).")
@click.option("--interval", default=DEFAULT_INTERVAL, show_default=True, type=int,
              help="Seconds between the region's syncs.")
@click.option("--disabled", is_flag=True, help="Register it without scheduling it.")
@pass_context
def regions_add(ctx: Context, code: str, policy: str | None, config_file: Path,
                interval: int, disabled: bool) -> None:
    """Register region CODE (or change it), create its schema and migrate its store."""
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.policy.classify import resolve_policy

    if policy:
        resolve_policy(load_plugins(), policy)  # an unknown policy is a configuration error
    with _province(ctx) as province:
        region = province.add(code, policy=policy, config=config_file,
                              interval_seconds=interval, enabled=not disabled)
    click.echo(f"region {region.code}: policy {region.policy or 'none'}, every {region.interval_seconds} s, "
               f"schema {region.schema_name}, settings {region.config_path}"
               + ("" if region.enabled else " (disabled)"))


@contextmanager
def _province(ctx: Context) -> Iterator[Any]:
    from ssj_bridge.regions.registry import Province

    province = Province(_province_url(ctx))
    try:
        yield province
    finally:
        province.dispose()


@regions.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def regions_list(ctx: Context, as_json: bool) -> None:
    """The registered regions."""
    with _province(ctx) as province:
        found = province.regions()
    for region in found:
        if as_json:
            click.echo(orjson.dumps({
                "region": region.code, "policy": region.policy,
                "config": str(region.config_path), "intervalSeconds": region.interval_seconds,
                "schema": region.schema_name, "enabled": region.enabled}).decode())
        else:
            click.echo(f"{region.code}  {region.policy or '-':<14} every {region.interval_seconds:>5} s  "
                       f"{region.schema_name}  {region.config_path}"
                       + ("" if region.enabled else "  (disabled)"))


@regions.command("status")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def regions_status(ctx: Context, as_json: bool) -> None:
    """Every region: its queue, last run, pending writes, set-aside records, next sync."""
    from ssj_bridge.regions.status import province_status, status_lines

    with _province(ctx) as province:
        entries = province_status(province)
    if as_json:
        click.echo(orjson.dumps({"regions": entries}).decode())
        return
    for line in status_lines(entries):
        click.echo(line)


@click.command()
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(min=1),
              help="Region syncs this process runs at once (each in a child process).")
@click.option("--until-idle", is_flag=True, help="Run what is queued, then exit (cron hosts).")
@_with_queue_options
@pass_context
def worker(ctx: Context, concurrency: int, until_idle: bool, stall_timeout: float,
           heartbeat: float) -> None:
    """Run region syncs from the queue until stopped (SIGTERM lets running syncs finish)."""
    from ssj_bridge.regions.jobs import ProvinceQueue

    queue = ProvinceQueue(_province_url(ctx), _queue_settings(60, stall_timeout, heartbeat))
    options = queue.worker_options(concurrency=concurrency, wait=not until_idle)
    asyncio.run(_run_worker(queue, options))


async def _run_worker(queue: Any, options: dict[str, Any]) -> None:
    async with queue.app.open_async():
        await queue.app.run_worker_async(**options)


@click.command()
@click.option("--tick", default=60, show_default=True, type=click.IntRange(min=1),
              help="Seconds between ticks (a divisor of a minute, or whole minutes).")
@click.option("--once", is_flag=True, help="One tick now, then exit (cron-only hosts).")
@click.option("--now", "force", is_flag=True,
              help="With --once: queue every enabled region, due or not.")
@click.option("--region", "only", multiple=True, help="With --once: only this region.")
@_with_queue_options
@pass_context
def schedule(ctx: Context, tick: int, once: bool, force: bool, only: tuple[str, ...],
             stall_timeout: float, heartbeat: float) -> None:
    """Queue every region's sync at its interval; hand back the jobs of dead workers."""
    from ssj_bridge.regions.jobs import ProvinceQueue, cron_every

    try:
        cron_every(tick)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tick") from None
    queue = ProvinceQueue(_province_url(ctx), _queue_settings(tick, stall_timeout, heartbeat),
                          with_tick=not once)
    if once:
        counts = asyncio.run(_tick_once(queue, list(only), force))
        click.echo(f"stalled jobs handed back: {counts['stalled']}; regions due: "
                   f"{counts['due']}; queued: {counts['queued']}")
        return
    from ssj_bridge.regions.jobs import SCHEDULE_QUEUE

    options = queue.worker_options(queues=[SCHEDULE_QUEUE], name="schedule")
    asyncio.run(_run_worker(queue, options))


async def _tick_once(queue: Any, only: list[str], force: bool) -> dict[str, int]:
    async with queue.app.open_async():
        retried = await queue.retry_stalled()
        due = await asyncio.to_thread(queue.province.claim_due, only=only or None, force=force)
        queued = await queue.defer_syncs(due)
    return {"stalled": retried, "due": len(due), "queued": queued}


@click.command()
@click.option("--all-regions", is_flag=True,
              help="The province database: the registry, the job queue and every region.")
@pass_context
def migrate(ctx: Context, all_regions: bool) -> None:
    """Bring the store's schema (or, with --all-regions, every region's) up to date."""
    if not all_regions:
        ctx.store()  # migrates
        click.echo("store migrated")
        return
    from ssj_bridge.regions.jobs import ProvinceQueue

    queue = ProvinceQueue(_province_url(ctx))
    installed = queue.install()
    done = queue.province.migrate_all()
    queue.province.dispose()
    click.echo(("job queue installed; " if installed else "")
               + f"{len(done)} regions migrated" + (f": {' '.join(done)}" if done else ""))
    sys.stdout.flush()

