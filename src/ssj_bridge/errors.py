"""The exception tree, written down once. Each branch maps to one action and one exit code.

    SsjError
    ├── ConfigurationError      a setting is missing or wrong, credentials included   → exit 78
    ├── PlatformError           a platform call failed
    │   ├── TransientError      retry with backoff; still failing at the deadline     → exit 75
    │   │   ├── RateLimited     HTTP 429: wait at least Retry-After
    │   │   └── PlatformUnavailable  retries exhausted or platform unreachable        → exit 75
    │   │       └── DeadlineReached  the run's time for the platform is up; what was stored stays
    │   └── PermanentError      never retried; the call's input is wrong              → exit 75*
    │       ├── DocumentRefused   a batch document refused as a whole: its items set aside
    │       ├── BatchNumberTaken  the number is the platform's already: number it again
    │       ├── BatchTooLarge     too many items at once: split the batch
    │       └── BatchUnknown      the platform never got the batch: submit it again
    ├── BadRecord               one record fails validation: quarantine, go on        → exit 3
    ├── InputRefused            an import file or a draw refused as a whole           → exit 65
    └── LockHeld                another run holds the lock                            → exit 75

(*) a permanent error on a read stops that platform for this run; the record-level kind
(e.g. "not found" for one key) is turned into a BadRecord by the adapter.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes fixed by the operator's contract; when several apply the highest wins."""

    OK = 0
    MISMATCH = 1
    USAGE = 2
    SET_ASIDE = 3
    INPUT_REFUSED = 65
    UNAVAILABLE = 75
    CONFIGURATION = 78

    @classmethod
    def worst(cls, *codes: int) -> ExitCode:
        """The code that wins when several apply: 78 > 75 > 65 > 3 > 0."""
        order = [cls.OK, cls.MISMATCH, cls.SET_ASIDE, cls.INPUT_REFUSED, cls.UNAVAILABLE,
                 cls.CONFIGURATION]
        present = [cls(c) for c in codes]
        return max(present, key=order.index, default=cls.OK)


class SsjError(Exception):
    """Root of every error the project raises on purpose."""

    exit_code: ExitCode = ExitCode.UNAVAILABLE


class ConfigurationError(SsjError):
    """A setting is missing or malformed, or the platform refused the credentials it names."""

    exit_code = ExitCode.CONFIGURATION

    def __init__(self, message: str, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class PlatformError(SsjError):
    """A call to a platform failed."""

    def __init__(self, message: str, *, platform: str = "", code: int | str | None = None) -> None:
        super().__init__(message)
        self.platform = platform
        self.code = code


class TransientError(PlatformError):
    """Worth retrying: 5xx, timeouts, resets, busy codes, a truncated or HTML body."""


class RateLimited(TransientError):
    """HTTP 429; `retry_after` is the platform's wait in seconds, when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, platform: str = "",
                 code: int | str | None = None) -> None:
        super().__init__(message, platform=platform, code=code)
        self.retry_after = retry_after


class PlatformUnavailable(TransientError):
    """Retries ran out before the deadline, or the platform could not be reached at all."""


class DeadlineReached(PlatformUnavailable):
    """The run's time for a platform (`SSJ_<PLATFORM>__DEADLINE`) is up, whether it was spent
    working or retrying: the platform stops here, what was stored stays, the next run goes on."""


class PermanentError(PlatformError):
    """Retrying cannot help: the request itself is wrong (bad parameter, no permission)."""


class DocumentRefused(PermanentError):
    """The platform refused the document as a whole; retrying the same document cannot help."""


class BatchNumberTaken(PermanentError):
    """The platform already holds this batch number with other content."""


class BatchTooLarge(PermanentError):
    """The document holds more items than the platform takes at once."""


class BatchUnknown(PermanentError):
    """The platform has no batch of this number (the submission never arrived)."""


class BadRecord(SsjError):
    """One record fails validation. It is quarantined with this reason; the batch goes on."""

    exit_code = ExitCode.SET_ASIDE

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class InputRefused(SsjError):
    """A whole input (an import file, a draw request) is refused; nothing of it was applied."""

    exit_code = ExitCode.INPUT_REFUSED


class LockHeld(SsjError):
    """Another run holds the lock; this one exits at once so cron tries again next time."""

    exit_code = ExitCode.UNAVAILABLE


class StoreFailed(SsjError):
    """The store's writer process failed or went away (what it committed stays committed), or
    the store's file was deleted or replaced under the run."""

    exit_code = ExitCode.UNAVAILABLE


def exit_code_of(exc: BaseException) -> int:
    """The exit code a command ends with for `exc`: the contract's for the errors above and a
    database that cannot be reached (75), 130 for an interrupt, 1 for a fault of the program."""
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, SsjError):
        return int(exc.exit_code)
    if isinstance(exc, OperationalError):  # the database is down or unreachable: retry later
        return int(ExitCode.UNAVAILABLE)
    if isinstance(exc, KeyboardInterrupt):
        return 130
    return 1
