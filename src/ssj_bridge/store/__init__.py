"""The store: canonical records, source records, cursors, quarantine, allow-list and run log."""

from ssj_bridge.store.counts import StoreCounts
from ssj_bridge.store.engine import SYNC_LOCK, Store

__all__ = ["SYNC_LOCK", "Store", "StoreCounts"]
