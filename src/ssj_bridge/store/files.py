"""The embedded store's files on disk: created private, checked, and pinned for the run.

The store holds unrevealed draw secrets: whoever reads one knows a draw's result before the
witness speaks. So the database file is created readable by its owner only (0600); SQLite
creates its `-wal` and `-shm` files with the database file's mode, and the lock file is
created 0600 too. A file that already exists keeps its mode (the operator may have chosen
it), but one that others may read is reported at every start.

A store file that is deleted or replaced while a run writes to it (a restore, a clean-up
script) takes every later commit with it: SQLite goes on writing to the unlinked file. The
file's identity (device and inode) is pinned when the store is opened and compared at each
commit, so such a run fails (75) instead of reporting what it has lost.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import structlog

from ssj_bridge.errors import ConfigurationError, StoreFailed

log = structlog.get_logger("ssj_bridge.store")

PRIVATE = 0o600
SIDE_FILES = ("-wal", "-shm")
DATABASE_SETTING = "SSJ_DATABASE_URL"

FileIdentity = tuple[int, int]


def open_private(path: Path) -> FileIdentity:
    """Create the SQLite file `path` 0600 unless it exists; warn when others may read it.

    Returns its identity. ConfigurationError (78) when it cannot be opened: a missing
    directory, no permission, a directory where the file should be — mistakes that the next
    run will make again, unlike a database server that is down.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), PRIVATE)
    except OSError as exc:
        raise ConfigurationError(f"{DATABASE_SETTING}: cannot open the SQLite store {path}: "
                                 f"{exc.strerror or exc}", DATABASE_SETTING) from None
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigurationError(f"{DATABASE_SETTING}: {path} is not a regular file",
                                 DATABASE_SETTING)
    warn_if_readable(path)
    for suffix in SIDE_FILES:
        warn_if_readable(path.with_name(path.name + suffix))
    return info.st_dev, info.st_ino


def warn_if_readable(path: Path) -> None:
    """Log a warning when `path` exists and its group or others may read or write it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if mode & 0o066:
        log.warning("store file readable by others", path=str(path),
                    mode=oct(stat.S_IMODE(mode)),
                    hint=f"it holds unrevealed draw secrets: chmod 600 {path}")


def identity(path: Path) -> FileIdentity | None:
    """The file's (device, inode), or None when nothing is at `path` any more."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def check_identity(path: Path, pinned: FileIdentity) -> None:
    """StoreFailed (75) when the file at `path` is not the one pinned when the store opened."""
    now = identity(path)
    if now == pinned:
        return
    what = "deleted" if now is None else "replaced by another file"
    raise StoreFailed(f"the store {path} was {what} while this run wrote to it: what the run "
                      "stored since is lost with the old file; nothing is reported as stored, "
                      "and the next run starts from the store as it is now")
