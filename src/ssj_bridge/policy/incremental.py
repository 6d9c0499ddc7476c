"""What changed since the steps after the streams (classification, the library queue) last ran.

A sync claims the subjects marked changed (`store.changes`: their permits, credit records or
designations were written), adds the subjects whose facts the calendar alone may have changed
since a step last ran (a credit record published or expiring in between; any subject with
designations, whose bounds and windows a policy reads), and releases the claim once every step
is done. A step that finds its recorded state out of date (another quarter, policy, region)
works on every subject; a step that did not run while the claim was released loses its state,
so it works on every subject the next time it runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from ssj_bridge.intake.queries import designated_subjects
from ssj_bridge.model import beijing_today
from ssj_bridge.policy.credit import standing_changed
from ssj_bridge.store import Store
from ssj_bridge.store.changes import claim, claimed, drop_state, read_state, release, write_state

STEPS = ("classification", "library")  # the steps that keep a state in derived_state


@dataclass
class ChangeSet:
    """The claimed marks of one run and the day it runs on."""

    today: date
    steps_refreshed: set[str] = field(default_factory=set)
    _claimed: list[str] | None = None

    def up_to_date(self, conn: Connection, step: str, wanted: Mapping[str, Any]) -> date | None:
        """The day `step` was last brought up to date, when it was for `wanted` (the same
        period, policy …) and not after today; None: the step must work on every subject."""
        state = read_state(conn, step)
        if state is None or any(state.get(k) != v for k, v in wanted.items()):
            return None
        day = date.fromisoformat(str(state.get("day")))
        return day if day <= self.today else None

    def subjects(self, conn: Connection, since: date) -> set[str]:
        """The subjects whose facts changed since `since` (a step's last day)."""
        if self._claimed is None:
            self._claimed = claimed(conn)
        found = set(self._claimed)
        if since < self.today:
            found |= standing_changed(conn, since, self.today)
            found |= designated_subjects(conn)
        return found

    def refreshed(self, conn: Connection, step: str, wanted: Mapping[str, Any]) -> None:
        """Record `step` up to date with `wanted` as of today, in the step's transaction."""
        write_state(conn, step, {**wanted, "day": self.today.isoformat()})
        self.steps_refreshed.add(step)


@contextmanager
def changes_since_last_run(store: Store, today: date | None = None) -> Iterator[ChangeSet]:
    """Claim the marks for the block; release them when it ends without an error."""
    with store.engine.begin() as conn:
        claim(conn)
    changes = ChangeSet(today or beijing_today())
    yield changes
    with store.engine.begin() as conn:
        release(conn)
        drop_state(conn, [s for s in STEPS if s not in changes.steps_refreshed])
