"""Every hook of ssj-bridge: the whole plugin surface on one screen.

Plugins implement these with `@ssj_bridge.api.hookimpl` and are found through the entry points
`ssj_bridge.adapters` and `ssj_bridge.policies`; bundled plugins use the same entry points.
What a plugin may import from ssj-bridge is `ssj_bridge.api` (and its `simulation` and
`testing` modules), versioned by `ssj_bridge.api.API_VERSION`.

How they are called:
- `register_*` run once each time the host loads the plugins (every command that needs them),
  newest registration first. A name registered twice is a configuration error (exit 78). A
  plugin whose module fails to import, or whose hook raises, is reported by `ssj-bridge
  plugins` and in the log, and left out; the others load.
- `after_sync` runs once at the end of each sync's reading, before classification. Each
  implementation is called on its own: one that raises is logged with its plugin's name and
  listed in the run's summary line, and the run goes on with the same exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ssj_bridge.platform.adapter import AdapterSpec
    from ssj_bridge.policy.rules import PolicySpec

# The version of the plugin surface (hooks and ssj_bridge.api): a minor step adds, a major
# step changes or removes. A plugin built for another major version is not loaded.
API_VERSION = "1.2"

hookspec = pluggy.HookspecMarker("ssj_bridge")
hookimpl = pluggy.HookimplMarker("ssj_bridge")


@hookspec
def register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """Register platform adapters (and their simulators) by calling `register(AdapterSpec(...))`."""


@hookspec
def register_policies(register: Callable[[PolicySpec], None]) -> None:
    """Register locality policies by calling `register(PolicySpec(...))`."""


@hookspec
def after_sync(report: Mapping[str, Any], platforms: list[str]) -> None:
    """Told what a sync stored: `report` is `sync --json`'s object, `platforms` those read whole."""
