"""One region's sync, run by a worker as the very command cron runs on a single host.

The child process gets the region's settings file and, through the environment (which wins
over the file), the region's code, policy and store: the province database with `search_path`
set to the region's schema. The worker's own `SSJ_` variables are not passed on, so one region
never runs with another's platform settings. The child dies with its worker (Linux
PR_SET_PDEATHSIG): a worker killed mid-run leaves no sync running without an owner, and the
region's store lock goes with the child's database session.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ssj_bridge.errors import ExitCode
from ssj_bridge.regions.registry import Region, region_url
from ssj_bridge.settings import ENV_PREFIX

# What a worker does with each exit code of the sync command.
DONE = frozenset({ExitCode.OK, ExitCode.SET_ASIDE})
RETRY = frozenset({ExitCode.UNAVAILABLE})  # and crashes: 1, or killed by a signal
FAILED = frozenset({ExitCode.CONFIGURATION, ExitCode.USAGE, ExitCode.INPUT_REFUSED})


def outcome(exit_code: int) -> str:
    """`done`, `retry` or `failed` for an exit code of the sync command.

    A crash (1) or a child killed by a signal (negative) is retried: the run resumes from its
    last committed batch. A configuration error is not: it fails until someone fixes it, and
    the region's next interval tries again.
    """
    if exit_code in DONE:
        return "done"
    if exit_code in FAILED:
        return "failed"
    return "retry"


@dataclass(frozen=True)
class SyncCommand:
    """The argv and environment of one region's sync."""

    argv: list[str]
    env: dict[str, str]


def sync_command(region: Region, province_url: str, *, extra_args: tuple[str, ...] = (),
                 base_env: Mapping[str, str] | None = None) -> SyncCommand:
    """The command and environment that sync `region`."""
    env = {k: v for k, v in (base_env if base_env is not None else os.environ).items()
           if not k.upper().startswith(ENV_PREFIX)}
    env.update({
        "SSJ_DATABASE_URL": region_url(province_url, region.schema_name)
        .render_as_string(hide_password=False),
        "SSJ_REGION_CODE": region.code,
        "PYTHONUNBUFFERED": "1",
    })
    if region.policy:
        env["SSJ_POLICY"] = region.policy
    argv = [sys.executable, "-m", "ssj_bridge.cli", "--config", str(region.config_path),
            "sync", "--json", *extra_args]
    return SyncCommand(argv, env)


def _die_with_worker() -> None:
    """In the child before exec: be killed when the worker dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        set_parent_death_signal = 1  # PR_SET_PDEATHSIG
        ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL, 0, 0, 0)


async def run_sync_command(command: SyncCommand,
                           started: Callable[[int], object] | None = None) -> tuple[int, bytes]:
    """Run the sync; `started(pid)` once it runs. Returns its exit code and what it printed."""
    process = await asyncio.create_subprocess_exec(
        *command.argv, env=command.env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=None, preexec_fn=_die_with_worker)
    if started is not None:
        result = started(process.pid)
        if asyncio.iscoroutine(result):
            await result
    try:
        stdout, _ = await process.communicate()
    except asyncio.CancelledError:
        # The job was aborted (worker shutdown past its grace): stop the sync as cron's
        # timeout would; what it committed stays, the next run resumes after it.
        process.terminate()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, stdout
