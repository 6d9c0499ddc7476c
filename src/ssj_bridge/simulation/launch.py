"""Starting every installed simulator together, with one set of options (demo, tests, CLI)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ssj_bridge.errors import ConfigurationError
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.settings import DEFAULT_ADAPTERS
from ssj_bridge.simulation.server import RunningSimulator, serve

# Options every simulator understands the same way; each ignores those it has no use for.
COMMON_OPTIONS = ("region", "subjects", "seed", "error_rate", "rate_429", "truncate_rate",
                  "latency", "revoke_every", "live_updates", "malformed_rate", "quirk_rate",
                  "rate_limit")


@dataclass
class SimulatorSet:
    """Running simulators by platform role, and the settings that point a run at them."""

    running: dict[str, RunningSimulator] = field(default_factory=dict)
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """SSJ_<ROLE>__BASE_URL (and the simulators' demo credentials) for each role."""
        env: dict[str, str] = {}
        for role, sim in self.running.items():
            env[f"SSJ_{role.upper()}__BASE_URL"] = sim.base_url
            for name, value in self.credentials.get(role, {}).items():
                env[f"SSJ_{role.upper()}__{name.upper()}"] = value
        return env

    def stop(self) -> None:
        """Stop every simulator."""
        for sim in self.running.values():
            sim.stop()


def start_simulators(host: PluginHost, options: Mapping[str, Any], *,
                     roles: Iterable[str] | None = None,
                     adapters: Mapping[str, str] | None = None,
                     per_role: Mapping[str, Mapping[str, Any]] | None = None,
                     ports: Mapping[str, int] | None = None) -> SimulatorSet:
    """Start one simulator per role, from the adapter chosen for it.

    Default: the role's default adapter (settings.DEFAULT_ADAPTERS) when it has a simulator,
    else the first found, so an extra adapter installed for a role does not replace it. An
    adapter named in `adapters` that is not installed, serves another role or has no
    simulator is a ConfigurationError: never a quiet fallback to another one.
    """
    for role, name in (adapters or {}).items():
        spec = host.adapter(name, f"--adapter {role}={name}")
        if spec.role != role:
            raise ConfigurationError(f"--adapter {role}={name}: adapter {name!r} serves the "
                                     f"{spec.role} role, not {role}", f"SSJ_{role.upper()}__ADAPTER")
        if spec.simulator is None:
            raise ConfigurationError(f"--adapter {role}={name}: adapter {name!r} registers no "
                                     "simulator", f"SSJ_{role.upper()}__ADAPTER")
    chosen: dict[str, Any] = {}
    preferred = {**DEFAULT_ADAPTERS, **(adapters or {})}
    for spec in host.adapters.values():
        if spec.simulator is not None and preferred.get(spec.role) == spec.name:
            chosen[spec.role] = spec
    for spec in host.adapters.values():
        if spec.simulator is None:
            continue
        wanted = (adapters or {}).get(spec.role)
        if wanted is not None and spec.name != wanted:
            continue
        chosen.setdefault(spec.role, spec)
    result = SimulatorSet()
    for role, spec in chosen.items():
        if roles is not None and role not in set(roles):
            continue
        merged = {**spec.simulator_options, **options, **(per_role or {}).get(role, {})}
        app = spec.simulator(merged)
        result.running[role] = serve(role, app, (ports or {}).get(role, 0))
        result.credentials[role] = dict(getattr(app, "demo_credentials", lambda: {})())
    return result
