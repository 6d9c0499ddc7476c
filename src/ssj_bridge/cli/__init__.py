"""The commands of interface.md: parse, call, print. Nothing else lives here.

Each command group is a module of this package that imports what it runs when it runs, and is
loaded only when asked for (`COMMANDS`), so `--help` and a command's own `--help` stay fast.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from ssj_bridge.cli.context import Context
from ssj_bridge.cli.localise import localise, use_catalogue
from ssj_bridge.errors import ExitCode, SsjError, exit_code_of
from ssj_bridge.i18n import _, set_language

# Command name → the module and object that implement it.
COMMANDS = {
    "sync": "sync:sync",
    "plugins": "plugins:plugins",
    "simulate": "simulate:simulate",
    "demo": "simulate:demo",
    "export": "export:export",
    "uscc": "intake:uscc",
    "inspectors": "intake:inspectors",
    "tags": "intake:tags",
    "matters": "intake:matters",
    "objects": "intake:objects",
    "joint": "intake:joint",
    "reconcile": "reconcile:reconcile",
    "plan": "policy:plan",
    "explain": "policy:explain",
    "draw": "draw:draw",
    "results": "results:results",
    "report": "report:report",
    "publications": "publications:publications",
    "adapters": "plugins:adapters",
    "status": "operations:status",
    "check": "operations:check",
    "regions": "regions:regions",
    "worker": "regions:worker",
    "schedule": "regions:schedule",
    "migrate": "regions:migrate",
}


class CommandGroup(click.Group):
    """The top-level group: commands are imported when they are used or listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, in the order interface.md lists them."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported now."""
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _sep, name = target.partition(":")
        command: click.Command = getattr(importlib.import_module(f"ssj_bridge.cli.{module}"),
                                         name)
        return localise(command)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run in the language in force: help, click's own words, and what commands print."""
        use_catalogue()
        set_language(None)  # a settings file read by an earlier run in this process is forgotten
        localise(self)
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> object:
        """Note whether a command's help is asked for: then nothing else is set up."""
        words = [*getattr(ctx, "_protected_args", []), *ctx.args]
        ctx.meta[_HELP] = any(word in ctx.help_option_names for word in words)
        return super().invoke(ctx)


_HELP = "ssj_bridge.help"


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(path_type=Path), default=None,
              help="TOML settings file (default ./ssj-bridge.toml when present).")
@click.option("-v", "--verbose", "verbosity", count=True,
              help="On a terminal, also log what the run does (-vv: the details).")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every log line, as JSON, to this file.")
@click.version_option(package_name="ssj-bridge")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbosity: int, log_file: Path | None) -> None:
    """ssj-bridge: 双随机、一公开 supervision data, kept in step across platforms."""
    if not ctx.meta.get(_HELP):  # help is printed before anything is logged
        from ssj_bridge.log import configure_logging

        configure_logging(verbosity=min(verbosity, 2), log_file=log_file)
    ctx.obj = Context(config, verbosity=min(verbosity, 2), log_file=log_file)


def main() -> None:
    """Console entry point: errors become the exit codes of the contract."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:
        click.echo(_("aborted"), err=True)
        raise SystemExit(ExitCode.USAGE) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(ExitCode.USAGE) from None
    except SsjError as exc:
        from ssj_bridge.log import redact_text

        code, message = exit_code_of(exc), redact_text(str(exc))
        # One line either way: plain words for a person, the JSON log line for a collector.
        if sys.stderr.isatty():
            click.echo(_("error: {message}").format(message=message), err=True)
        else:
            _log().error("command failed", error=message, exit=code)
        raise SystemExit(code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        from ssj_bridge.log import redact_text

        code = exit_code_of(exc)
        if code == ExitCode.UNAVAILABLE:
            _log().error("database unavailable", error=redact_text(str(exc)), exit=code)
        else:
            # A fault of the program itself: logged like everything else (JSON off a
            # terminal, secrets redacted, no local variables), not as a bare traceback.
            _log().exception("command crashed")
        raise SystemExit(code) from None


def _log() -> Any:
    import structlog

    return structlog.get_logger("ssj_bridge.cli")
