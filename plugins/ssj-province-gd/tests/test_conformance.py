"""Every check of the ssj-bridge adapter conformance suite, on this adapter."""

from __future__ import annotations

from ssj_bridge.api.testing import ConformanceSuite


class TestConformance(ConformanceSuite):
    """Auth, errors, Retry-After, paging under live updates, cursors, writes, quarantine, contracts."""
