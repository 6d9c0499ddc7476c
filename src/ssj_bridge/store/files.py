"""The embedded store's files on disk: created private, checked, and pinned for the run.

The store holds unrevealed draw secrets: whoever reads one knows a draw's result before the
witness speaks. So the database file is created readable by its owner only (0600); SQLite
creates its `-wal` and `-shm` files with the database file's mode, and the lock file is
created 0600 too. A file that already exists keeps its mode (the operator may have chosen
it), but one that others may read is reported at every start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import structlog

from ssj_bridge.errors import ConfigurationError

log = structlog.get_logger("ssj_bridge.store")

PRIVATE = 0o600
SIDE_FILES = ("-wal", "-shm")
DATABASE_SETTING = "SSJ_DATABASE_URL"

FileIdentity = tuple[int, int]


def open_private(path: Path) -> FileIdentity:
    """Create the SQLite file `path` 0600 unless it exists; warn when others may read it.

    Returns its identity (device, inode). ConfigurationError (78) when it cannot be opened: a missing
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
