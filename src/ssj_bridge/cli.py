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

from ssj_bridge.errors import ConfigurationError, ExitCode, SsjError
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

        store = Store(self.settings.database_url, lock_dir=self.settings.lock_dir)
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

    settings = ctx.settings
    host = load_plugins()
    _report_failures(host)
    store = ctx.store()
    roles = [r.strip() for r in only.split(",") if r.strip()] if only else None
    with batch_progress(enabled=sys.stderr.isatty() and not as_json) as progress:
        report = run_sync(settings, store, host, only=roles, progress=progress)
    if as_json:
        click.echo(orjson.dumps(report.as_json()).decode())
    else:
        click.echo(report.summary_line())
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
def simulate(region: str, subjects: int, seed: int, only: str | None, ports: tuple[str, ...],
             extra: tuple[str, ...], **faults: Any) -> None:
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
    roles = [r.strip() for r in only.split(",")] if only else None
    sims = start_simulators(host, options, roles=roles, per_role=per_role, ports=port_map)
    for name, value in sims.environment().items():
        click.echo(f"{name}={value}")
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
        click.echo(f"error: {redact_text(str(exc))}", err=True)
        log.error("command failed", error=redact_text(str(exc)), exit=int(exc.exit_code))
        raise SystemExit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
