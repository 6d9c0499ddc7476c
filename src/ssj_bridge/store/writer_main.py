"""The store's writer process itself: `python -m ssj_bridge.store.writer_main IN OUT PARENT`.

Started by `ssj_bridge.store.writer_process.WriterProcess`, which sends it the database URL and
then the prepared batches of one stream over the pipe IN, and reads its answers from OUT. It
applies them with `BatchWriter.apply_prepared`, the same code the in-process writer runs, and
commits whenever no batch is waiting (or after its record and time limits). On Linux it asks to
be killed when PARENT dies; elsewhere it stops at the end of its input. Either way what it has
not committed is rolled back.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

from ssj_bridge.log import redact_text

_WAL_PAGES = 16_384  # pages of the default 4 KiB: 64 MB


def _die_with_parent(parent: int) -> None:
    """Be killed when the reading process dies (Linux), and stop if it already has."""
    if sys.platform.startswith("linux"):
        import ctypes

        set_parent_death_signal = 1  # PR_SET_PDEATHSIG
        ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL,
                                                 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _fewer_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    """Checkpoint the write-ahead log every 64 MB instead of every 4 MB, and shrink it after.

    A large stream dirties index pages all over the file; each checkpoint copies them into
    the database again. Fewer, larger checkpoints took a tenth off a full permit sync.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA wal_autocheckpoint={_WAL_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={_WAL_PAGES * 4096}")
    cursor.close()


def _describe(exc: BaseException) -> str:
    # The first line: database errors go on with the statement and its parameters.
    text = str(exc).strip().splitlines()
    return redact_text(f"{type(exc).__name__}: {text[0] if text else ''}")


def serve(inbox: Connection, replies: Connection) -> int:
    """Apply batches from `inbox` until told to close; 0 when every batch was stored."""
    try:
        config = inbox.recv()
    except EOFError:
        return 1
    sys.path[:0] = [entry for entry in config["path"] if entry not in sys.path]
    from sqlalchemy import event

    from ssj_bridge.log import configure_logging
    from ssj_bridge.store.engine import Store

    configure_logging(sys.stderr, level=logging.WARNING)
    store = Store(config["url"])
    # As in the sync: batches allocate by the thousand, modules outlive them.
    gc.freeze()
    gc.set_threshold(100_000, *gc.get_threshold()[1:])
    if store.dialect == "sqlite":
        event.listen(store.engine, "connect", _fewer_checkpoints)
    writer = store.batch_writer(config["platform"], config["stream"],
                                max_records=config["max_records"],
                                max_seconds=config["max_seconds"], writer_process_from=None)
    try:
        replies.send(("ready",))
        while True:
            if not inbox.poll():
                writer.commit()  # nothing is waiting: what is applied becomes durable
            try:
                message = inbox.recv()
            except EOFError:  # the reading process went away without closing
                writer.abandon()
                return 1
            if message[0] == "close":
                writer.commit()
                totals = writer.totals
                replies.send(("done", (totals.stored, totals.unchanged, totals.set_aside)))
                return 0
            _, batch, now = message
            writer.apply_prepared(batch, now)
    except Exception as exc:
        replies.send(("failed", _describe(exc)))
        return 1
    finally:
        writer.abandon()
        store.dispose()


def main(argv: list[str]) -> int:
    """`python -m ssj_bridge.store.writer_main IN OUT PARENT`."""
    inbox_fd, replies_fd, parent = (int(arg) for arg in argv[1:4])
    _die_with_parent(parent)
    # Ctrl-C reaches the whole process group: the reading process decides what happens (it
    # closes this one, which commits what it applied, as an in-process writer would).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return serve(Connection(inbox_fd, writable=False), Connection(replies_fd, readable=False))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
