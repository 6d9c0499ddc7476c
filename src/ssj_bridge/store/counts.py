"""What applying batches to the store did, as counts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoreCounts:
    """What applying one batch (or several, summed) did."""

    stored: int
    unchanged: int
    set_aside: int

    def __add__(self, other: StoreCounts) -> StoreCounts:
        return StoreCounts(self.stored + other.stored, self.unchanged + other.unchanged,
                           self.set_aside + other.set_aside)
