"""What a platform simulator offers the conformance checks, and a helper to offer it.

A simulator answers requests as its platform does; the checks also need to steer it (revoke
credentials mid-run, change a record while a client pages, fail the next call) and to ask it
what happened (which keys a correct client stores, how many writes changed something). These
protocols name those controls; `ForcedFaults` does the bookkeeping of forced faults so that a
simulator only turns each kind into its platform's own answer.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Kinds of fault a check can force on a simulator's next calls.
TRANSIENT = "transient"  # e.g. 503, a busy code: retried with backoff
PERMANENT = "permanent"  # e.g. a bad-parameter code: never retried
RATE_LIMIT = "rate_limit"  # 429 (or the platform's own code) with Retry-After
STALE_SIGNATURE = "stale_signature"  # the platform's "timestamp expired": sign again, retry
# A code the platform's interface document does not list. The simulator answers it as it
# likes; the conformance check replaces that answer with the target's own, carrying the code
# (ErrorModel.answer), so a simulator needs nothing to support it.
UNDECLARED_CODE = "undeclared_code"
FAULT_KINDS = (TRANSIENT, PERMANENT, RATE_LIMIT, STALE_SIGNATURE, UNDECLARED_CODE)


@dataclass(frozen=True)
class ForcedFault:
    """One fault to serve on the next call: its kind and, for a rate limit, the wait asked."""

    kind: str
    retry_after: float | None = None


class ForcedFaults:
    """Faults queued by a check, served one per call, and what the client did after them.

    A simulator calls `take()` once for every call it counts as a platform call (after
    authentication, before answering) and, when it gets a fault, answers it in its platform's
    words. A rate limit with a Retry-After also notes when the client may come back: a call
    that arrives sooner counts as an early retry.
    """

    def __init__(self) -> None:
        self._queue: deque[ForcedFault] = deque()
        self._lock = threading.Lock()
        self._not_before: float | None = None
        self.served: Counter[str] = Counter()
        self.early_retries = 0

    def force(self, kind: str, count: int = 1, *, retry_after: float | None = None) -> None:
        """Serve `kind` on the next `count` calls."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {kind!r} is not one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._queue.extend(ForcedFault(kind, retry_after) for _ in range(count))

    def clear(self) -> None:
        """Serve nothing more that was queued."""
        with self._lock:
            self._queue.clear()

    def take(self) -> ForcedFault | None:
        """The fault for this call, if one is queued; notes a call that came back too soon."""
        with self._lock:
            now = time.monotonic()
            if self._not_before is not None:
                if now < self._not_before:
                    self.early_retries += 1
                self._not_before = None
            if not self._queue:
                return None
            fault = self._queue.popleft()
            self.served[fault.kind] += 1
            if fault.kind == RATE_LIMIT and fault.retry_after:
                self._not_before = now + fault.retry_after
            return fault


@runtime_checkable
class SimulatorControls(Protocol):
    """What every conformance check may ask of a simulator (beside answering HTTP requests).

    Checks that a target declares not applicable never call the controls they would need, so
    a simulator of a platform without writes may leave `applied_writes` raising
    NotImplementedError, and likewise for the others.
    """

    forced: ForcedFaults

    def demo_credentials(self) -> Mapping[str, str]:
        """The settings a client needs for this simulator (field name → value)."""
        ...

    def expected_keys(self, entity: str) -> set[str]:
        """Keys of the records of `entity` a correct client ends up storing (the valid ones)."""
        ...

    def bad_keys(self, entity: str) -> set[str]:
        """Keys of the records of `entity` a correct client sets aside (wrong at the source)."""
        ...

    def change_first(self, entity: str) -> str | None:
        """Change, now, the record that comes first in the listing's order of `entity`.

        A client paging from the start has read it already; the change moves it behind the
        others (its update time is now) and shifts every record after it, as a platform user
        would while a client pages. Returns its key (None when the listing is empty).
        """
        ...

    def short_pages(self, size: int | None) -> None:
        """Serve at most `size` records a page from now on, whatever a client asks (None: as
        asked), the listing going on after the last record served: pages shorter than asked
        that are not the last. Only platforms that end a listing by a missing next-page marker
        (PagingModel NEXT_MARKER) need it."""
        ...

    def revoke_credentials(self) -> None:
        """End every session the platform gave out (the next call must authenticate again)."""
        ...

    def set_clock(self, offset: float) -> None:
        """Run the platform's clock `offset` seconds off this machine's (negative: behind):
        what the platform stamps from now on (`change_first`) uses it."""
        ...

    def applied_writes(self) -> int:
        """Writes that changed something on the platform (a repeat changes nothing)."""
        ...

    def signature_failures(self) -> int:
        """Requests refused because their signature was wrong (0 for a correct client)."""
        ...
