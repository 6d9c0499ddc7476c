"""Every hook of ssj-bridge: the whole plugin surface on one screen.

Plugins implement these with `@ssj_bridge.hookimpl` and are found through the entry points
`ssj_bridge.adapters` and `ssj_bridge.policies`; bundled plugins use the same entry points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ssj_bridge.adapter import AdapterSpec
    from ssj_bridge.policy import PolicySpec
    from ssj_bridge.store import Store

hookspec = pluggy.HookspecMarker("ssj_bridge")
hookimpl = pluggy.HookimplMarker("ssj_bridge")


@hookspec
def register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """Register platform adapters (and their simulators) by calling `register(AdapterSpec(...))`."""


@hookspec
def register_policies(register: Callable[[PolicySpec], None]) -> None:
    """Register locality policies by calling `register(PolicySpec(...))`."""


@hookspec
def after_sync(store: Store, platforms: list[str]) -> None:
    """Called once a sync cycle has stored what the named platforms returned."""
