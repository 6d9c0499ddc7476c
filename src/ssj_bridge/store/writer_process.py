"""The store's writer process: applies a large stream's batches beside the process reading it.

A full permit sync spends as long in the database (index inserts, commits) as in fetching and
validating; in one interpreter the two take turns on the GIL. Here the reading process
prepares each batch's rows (`store.prepared`) and sends them over a pipe; this process applies
them with `BatchWriter.apply_prepared`, the same code the in-process writer runs, and commits
whenever no batch is waiting (or after its record and time limits).

The process runs `python -m ssj_bridge.store.writer_main IN OUT PARENT` (see there): IN and
OUT are the pipe's file descriptors, PARENT the reading process's id. The database URL comes over the pipe,
never on the command line. On Linux it asks to be killed when its parent dies; elsewhere it
stops at the end of its input. Either way what it has not committed is rolled back, so a
killed run loses at most one commit's worth of batches, which the next run reads again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

try:
    import fcntl
except ImportError:  # not on POSIX
    fcntl = None  # type: ignore[assignment]

from ssj_bridge.errors import StoreFailed
from ssj_bridge.store.counts import StoreCounts

if TYPE_CHECKING:
    from ssj_bridge.store.engine import Store
    from ssj_bridge.store.prepared import PreparedBatch

_STOP_SECONDS = 30.0
_PIPE_BYTES = 1 << 20  # the default /proc/sys/fs/pipe-max-size


class WriterProcess:
    """The reading side's handle on a writer process."""

    def __init__(self, process: subprocess.Popen[bytes], inbox: Connection,
                 replies: Connection) -> None:
        self._process = process
        self._inbox = inbox
        self._replies = replies
        self._ready = False
        self._failed = False

    @classmethod
    def start(cls, store: Store, platform: str, stream: str, *, max_records: int,
              max_seconds: float) -> WriterProcess:
        """Start a writer process for one stream; it is ready once it has opened the store."""
        to_child, inbox_fd = os.pipe()
        _widen(inbox_fd)
        replies_fd, from_child = os.pipe()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "ssj_bridge.store.writer_main", str(to_child),
             str(from_child), str(os.getpid())],
            pass_fds=(to_child, from_child), stdin=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        writer = cls(process, Connection(inbox_fd, readable=False),
                     Connection(replies_fd, writable=False))
        writer._post({"url": store.url.render_as_string(hide_password=False),
                      "platform": platform, "stream": stream, "max_records": max_records,
                      "max_seconds": max_seconds, "path": list(sys.path)})
        return writer

    @property
    def pid(self) -> int:
        """Its process id."""
        return self._process.pid

    def ready(self) -> bool:
        """Whether it can take batches yet (never waits); raises StoreFailed if it failed."""
        if not self._ready and self._replies.poll():
            self._ready = self._reply() == ("ready",)
        return self._ready

    def send(self, batch: PreparedBatch, now: str) -> None:
        """Queue a batch (waits while the pipe is full); raises StoreFailed if it failed."""
        if self._replies.poll():
            self._reply()  # only a failure arrives unasked
        self._post(("batch", batch, now))

    def close(self) -> StoreCounts:
        """Let it commit what it applied and stop; the counts of every batch it stored."""
        if self._failed:
            self.stop()
            return StoreCounts(0, 0, 0)
        try:
            self._post(("close",))
            while (reply := self._reply())[0] != "done":
                pass  # "ready" when it is closed before it was asked
            stored, unchanged, set_aside = reply[1]
            return StoreCounts(stored, unchanged, set_aside)
        finally:
            self._wait()

    def stop(self) -> None:
        """Kill it: what it has not committed is rolled back."""
        if self._process.poll() is None:
            self._process.kill()
        self._wait()

    def _post(self, message: Any) -> None:
        try:
            self._inbox.send(message)
        except OSError:  # the pipe is closed: the process has gone; say why if it told us
            self._reply()
            raise self._gone() from None

    def _reply(self) -> tuple[Any, ...]:
        try:
            reply: tuple[Any, ...] = self._replies.recv()
        except (EOFError, OSError):
            raise self._gone() from None
        if reply[0] == "failed":
            self._failed = True
            self._wait()
            raise StoreFailed(f"store writer process failed: {reply[1]}")
        return reply

    def _gone(self) -> StoreFailed:
        self._failed = True
        self._wait()
        return StoreFailed(f"store writer process exited ({self._process.returncode}) "
                           "before it was done; what it committed stays, the rest is read "
                           "again by the next run")

    def _wait(self) -> None:
        for pipe in (self._inbox, self._replies):
            pipe.close()
        try:
            self._process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _widen(pipe: int) -> None:
    """Let the pipe hold a whole batch (Linux: 64 KiB by default), so sending one seldom waits."""
    set_pipe_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_pipe_size is None:
        return
    for size in (_PIPE_BYTES, _PIPE_BYTES // 4):
        try:
            fcntl.fcntl(pipe, set_pipe_size, size)
            return
        except OSError:  # above /proc/sys/fs/pipe-max-size for an unprivileged process
            continue
