"""Calls per calendar minute: the app's allowance, spent by writes first, waited for by reads.

docs/platforms/province-gd.md counts an app's calls per minute (100 by default) and answers FREQ_LIMIT past
it, without Retry-After: the allowance comes back when the next minute starts. Writes take a
call only while the minute has one to spare beyond the reads' reserve, and are deferred to the
next run otherwise (a first load of a large library spans several runs); reads wait for the
next minute, a bounded number of times a run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# The clock and the sleep, one place to replace them (tests run minutes in no time).
now: Callable[[], float] = time.time
sleep: Callable[[float], None] = time.sleep


def minute_of(moment: float) -> int:
    """The calendar minute a Unix time falls in."""
    return int(moment // 60)


def until_next_minute(moment: float) -> float:
    """Seconds from `moment` to the start of the next minute (a little after, to be safe)."""
    return (minute_of(moment) + 1) * 60 - moment + 0.05


class MinuteBudget:
    """The calls this client may still make in the current calendar minute."""

    def __init__(self, per_minute: int, reserve: int = 0, max_waits: int = 5) -> None:
        self.per_minute = per_minute
        self.reserve = min(reserve, max(per_minute - 1, 0))
        self.max_waits = max_waits
        self.waits = 0
        self._minute = -1
        self._used = 0
        self._lock = threading.Lock()

    def _roll(self) -> None:
        current = minute_of(now())
        if current != self._minute:
            self._minute, self._used = current, 0

    def try_write(self) -> bool:
        """Take a call for a write if the minute has one beyond the reads' reserve."""
        with self._lock:
            self._roll()
            if self._used >= self.per_minute - self.reserve:
                return False
            self._used += 1
            return True

    def take(self) -> None:
        """Take a call for a read, waiting for the next minute when this one is spent."""
        while True:
            with self._lock:
                self._roll()
                if self._used < self.per_minute:
                    self._used += 1
                    return
            self.wait_next_minute("the minute's allowance of calls is spent")

    def spent(self) -> None:
        """The platform says the minute is spent (FREQ_LIMIT): count it so."""
        with self._lock:
            self._roll()
            self._used = self.per_minute

    def wait_next_minute(self, why: str) -> None:
        """Sleep until the next minute starts; MinuteWaitsExhausted past the run's bound."""
        if self.waits >= self.max_waits:
            raise MinuteWaitsExhausted(f"{why}; this run has already waited for "
                                       f"{self.waits} new minutes")
        self.waits += 1
        sleep(until_next_minute(now()))


class MinuteWaitsExhausted(Exception):
    """A run would wait for more new minutes than it may."""
