"""Where a report is written: a path the operator gave that cannot be written is their setting
to mend (exit 78, naming the file), not a crash of the program."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ssj_bridge.errors import ConfigurationError


@contextmanager
def report_file(path: Path) -> Iterator[Path]:
    """Run the block that writes `path`; an OSError in it becomes ConfigurationError naming
    the file and the reason (no such directory, permission denied, a directory in the way)."""
    try:
        yield path
    except OSError as exc:
        raise ConfigurationError(f"cannot write the report {path}: {exc.strerror or exc}",
                                 str(path)) from None
