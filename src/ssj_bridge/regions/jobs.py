"""The job queue of the province deployment, on procrastinate (jobs in the province database).

Two queues:

- `ssj-sync`: one job per region's sync (`ssj.sync_region`), run by `ssj-bridge worker`
  processes. A job carries the procrastinate lock `region:<code>` (two jobs of a region never
  run at once) and the queueing lock `sync:<code>` (at most one waits: a region whose syncs
  take longer than its interval does not pile them up). Inside, the sync command takes the
  region's store lock as well (a PostgreSQL advisory lock keyed by the region): the second
  guard, which also holds against a worker the queue has given up for dead but which still
  runs (a frozen host that wakes up).
- `ssj-schedule`: the periodic tick (`ssj.tick`), run by `ssj-bridge schedule` processes:
  it hands the jobs of workers that stopped sending heartbeats back to the queue, then queues
  the sync of every region whose interval has run out. It has a queue of its own so a tick
  never waits behind a long sync.

Exit codes of the sync command (ssj_bridge.regions.runner.outcome): 0 and 3 end the job; 75
and crashes retry it with exponential backoff; 78 (and 2, 65) fail it without retry.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Job, Status
from sqlalchemy import insert, update
from sqlalchemy.engine import URL, make_url

from ssj_bridge.regions.registry import Province, Region, attempts
from ssj_bridge.regions.runner import outcome, run_sync_command, sync_command

log = structlog.get_logger("ssj_bridge.regions.jobs")

SYNC_QUEUE = "ssj-sync"
SCHEDULE_QUEUE = "ssj-schedule"
SYNC_TASK = "ssj.sync_region"
RESUME_PRIORITY = 10  # a handed-back job runs before syncs that are merely due (priority 0)
EXIT_FENCED = 75  # a worker that finds itself taken for dead exits so (try again: restart)
TICK_TASK = "ssj.tick"


class RetryLater(Exception):
    """The sync exited 75 (a platform or the store was unavailable, or its lock was held) or
    crashed: the job is retried with backoff."""


class SyncFailed(Exception):
    """The sync exited with a code retrying cannot fix (78: configuration): the job fails."""


@dataclass(frozen=True)
class QueueSettings:
    """How the queue runs; the same values must reach workers and schedulers."""

    tick_seconds: int = 60
    stall_timeout: float = 30.0  # a worker silent this long is taken for dead
    heartbeat: float = 10.0
    max_attempts: int = 5
    retry_wait: int = 5  # seconds before the first retry, then doubling


def cron_every(seconds: int) -> str:
    """A cron line (seconds as procrastinate's sixth field when under a minute)."""
    if seconds < 60:
        if 60 % seconds:
            raise ValueError(f"a tick of {seconds} s does not divide a minute")
        return f"* * * * * */{seconds}"
    if seconds % 60 or 60 % (seconds // 60):
        raise ValueError(f"a tick of {seconds} s is not a whole divisor of an hour in minutes")
    return f"*/{seconds // 60} * * * *"


def conninfo(url: str | URL) -> str:
    """libpq's URL for a SQLAlchemy one (`postgresql+psycopg://…` → `postgresql://…`)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class ProvinceQueue:
    """The procrastinate app of one province database, with its tasks."""

    def __init__(self, database_url: str, settings: QueueSettings | None = None, *,
                 with_tick: bool = False, pool_size: int = 4) -> None:
        self.database_url = database_url
        self.settings = settings or QueueSettings()
        self.province = Province(database_url)
        self.app = App(connector=PsycopgConnector(conninfo=conninfo(self.province.url),
                                                  min_size=1, max_size=pool_size))
        self._register(with_tick)

    # -- tasks ----------------------------------------------------------------------------------

    def _register(self, with_tick: bool) -> None:
        s = self.settings
        retry = RetryStrategy(max_attempts=s.max_attempts, wait=s.retry_wait,
                              exponential_wait=2, retry_exceptions={RetryLater})

        @self.app.task(name=SYNC_TASK, queue=SYNC_QUEUE, pass_context=True, retry=retry)
        async def sync_region(context: JobContext, region: str) -> int | None:
            return await self.run_region(context, region)

        if with_tick:
            @self.app.periodic(cron=cron_every(s.tick_seconds), periodic_id="tick")
            @self.app.task(name=TICK_TASK, queue=SCHEDULE_QUEUE, queueing_lock=TICK_TASK,
                           pass_context=True)
            async def tick(context: JobContext, timestamp: int) -> dict[str, int]:
                return await self.tick()

    async def run_region(self, context: JobContext, code: str) -> int | None:
        """Run one region's sync; map its exit code to done, retry or failed."""
        job = context.job
        region = await asyncio.to_thread(self.province.get, code)
        if region is None or not region.enabled:
            log.warning("region not registered or disabled: nothing to run", region=code)
            return None
        command = sync_command(region, self.database_url)
        attempt_id = await asyncio.to_thread(self._start_attempt, region, job.id or 0,
                                             job.attempts)

        async def started(pid: int) -> None:
            await asyncio.to_thread(self._set_child, attempt_id, pid)

        log.info("region sync start", region=code, job=job.id, attempt=job.attempts)
        exit_code, _ = await run_sync_command(command, started)
        await asyncio.to_thread(self._finish_attempt, attempt_id, exit_code)
        if not await self._still_ours(job.id, job.worker_id):
            # This worker was taken for dead (frozen past the stall timeout) and its job handed
            # to another: recording an outcome now would end the other worker's run of it.
            # A worker the queue has given up on stops here; its supervisor starts it afresh.
            log.error("this worker was taken for dead and its job handed on; exiting",
                      region=code, job=job.id, exit=exit_code)
            os._exit(EXIT_FENCED)
        verdict = outcome(exit_code)
        log.info("region sync end", region=code, job=job.id, exit=exit_code, outcome=verdict)
        if verdict == "retry":
            raise RetryLater(f"region {code}: sync exited {exit_code}")
        if verdict == "failed":
            raise SyncFailed(f"region {code}: sync exited {exit_code}; see its log")
        return exit_code

    async def tick(self) -> dict[str, int]:
        """Hand back stalled jobs, then queue every region that is due. Returns counts."""
        retried = await self.retry_stalled()
        due = await asyncio.to_thread(self.province.claim_due)
        queued = await self.defer_syncs(due)
        return {"stalled": retried, "due": len(due), "queued": queued}

    async def retry_stalled(self) -> int:
        """Put back in the queue the jobs of workers silent past the stall timeout."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            seconds_since_heartbeat=self.settings.stall_timeout)
        count = 0
        for job in stalled:
            # Ahead of every sync that is merely due: this one was interrupted mid-way.
            priority = RESUME_PRIORITY
            try:
                await self._hand_back(job, priority)
            except Exception as exc:  # another scheduler handed it back first
                log.info("stalled job not retried", job=job.id, error=str(exc))
                continue
            count += 1
            log.warning("job of a silent worker handed back", job=job.id, task=job.task_name,
                        lock=job.lock, worker=job.worker_id)
        return count

    async def _hand_back(self, job: Job, priority: int) -> None:
        """Queue a stalled job again; a later sync of its region that already waits (the
        queueing lock allows one) is withdrawn first: the resumed job does its work."""
        manager = self.app.job_manager
        try:
            await manager.retry_job(job, priority=priority)
            return
        except UniqueViolation as exc:
            if "queueing_lock" not in str(exc.constraint_name or ""):
                raise
        for waiting in await manager.list_jobs_async(queueing_lock=job.queueing_lock,
                                                      status=Status.TODO.value):
            if waiting.id is not None and waiting.id != job.id:
                await manager.cancel_job_by_id_async(waiting.id, delete_job=True)
        await manager.retry_job(job, priority=priority)

    async def defer_syncs(self, regions: list[Region]) -> int:
        """Queue each region's sync unless one is already waiting; returns how many queued."""
        queued = 0
        for region in regions:
            try:
                await self.app.configure_task(
                    SYNC_TASK, queue=SYNC_QUEUE, lock=f"region:{region.code}",
                    queueing_lock=f"sync:{region.code}").defer_async(region=region.code)
            except AlreadyEnqueued:
                continue
            queued += 1
        return queued

    async def _still_ours(self, job_id: int | None, worker_id: int | None) -> bool:
        if job_id is None or worker_id is None:
            return True
        rows = await self.app.connector.execute_query_all_async(
            "SELECT status::text AS status, worker_id FROM procrastinate_jobs WHERE id = %(id)s",
            id=job_id)
        return bool(rows) and rows[0]["status"] == "doing" and rows[0]["worker_id"] == worker_id

    # -- the attempts table -----------------------------------------------------------------------

    def _start_attempt(self, region: Region, job_id: int, attempt: int) -> int:
        with self.province.engine.begin() as conn:
            key = conn.execute(insert(attempts).values(
                region=region.code, job_id=job_id, attempt=attempt, host=socket.gethostname(),
                worker_pid=os.getpid(), started_at=datetime.now().astimezone())
                .returning(attempts.c.id)).scalar_one()
        return int(key)

    def _set_child(self, attempt_id: int, pid: int) -> None:
        with self.province.engine.begin() as conn:
            conn.execute(update(attempts).where(attempts.c.id == attempt_id)
                         .values(child_pid=pid))

    def _finish_attempt(self, attempt_id: int, exit_code: int) -> None:
        with self.province.engine.begin() as conn:
            conn.execute(update(attempts).where(attempts.c.id == attempt_id).values(
                finished_at=datetime.now().astimezone(), exit_code=exit_code))

    # -- set-up -----------------------------------------------------------------------------------

    def install(self) -> bool:
        """Create procrastinate's tables when absent; True when it did."""
        with self.app.open():
            with self.province.engine.connect() as conn:
                from sqlalchemy import text

                present = conn.execute(text(
                    "SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar()
            if present:
                return False
            self.app.schema_manager.apply_schema()
            return True

    def worker_options(self, *, concurrency: int = 1, wait: bool = True,
                       queues: list[str] | None = None, name: str | None = None
                       ) -> dict[str, Any]:
        """The procrastinate worker's options for these settings."""
        return {"queues": queues or [SYNC_QUEUE], "concurrency": concurrency, "wait": wait,
                "name": name, "update_heartbeat_interval": self.settings.heartbeat,
                "stalled_worker_timeout": self.settings.stall_timeout,
                "listen_notify": True, "fetch_job_polling_interval": 2.0}
