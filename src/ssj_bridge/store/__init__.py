"""The store: canonical records, source records, cursors, quarantine, allow-list and run log."""

from ssj_bridge.store.counts import StoreCounts
from ssj_bridge.store.engine import Store

__all__ = ["Store", "StoreCounts"]
