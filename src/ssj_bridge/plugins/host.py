"""The plugin host: entry-point discovery, duplicate names, load failures reported not fatal."""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

from ssj_bridge.errors import ConfigurationError
from ssj_bridge.plugins import hookspecs
from ssj_bridge.plugins.hookspecs import API_VERSION

if TYPE_CHECKING:
    from ssj_bridge.platform.adapter import AdapterSpec
    from ssj_bridge.policy.rules import PolicySpec

ENTRY_POINT_GROUPS = ("ssj_bridge.adapters", "ssj_bridge.policies")
# Comma-separated entry-point names to load; unset loads everything (useful to isolate a bad plugin).
ONLY_ENV = "SSJ_PLUGINS"


@dataclass(frozen=True)
class LoadFailure:
    """A plugin whose module failed to import or register; reported, never fatal."""

    group: str
    name: str
    error: str


@dataclass
class PluginHost:
    """What the installed plugins provide: adapters by name, policies by name, failures."""

    manager: pluggy.PluginManager
    adapters: dict[str, AdapterSpec] = field(default_factory=dict)
    policies: dict[str, PolicySpec] = field(default_factory=dict)
    failures: list[LoadFailure] = field(default_factory=list)
    distributions: dict[str, str] = field(default_factory=dict)

    def adapter(self, name: str, setting: str) -> AdapterSpec:
        """The adapter called `name`; ConfigurationError naming `setting` when there is none."""
        try:
            return self.adapters[name]
        except KeyError:
            known = ", ".join(sorted(self.adapters)) or "none"
            raise ConfigurationError(
                f"{setting}: no adapter named {name!r} is installed (found: {known})", setting
            ) from None

    def policy(self, name: str, setting: str = "SSJ_POLICY") -> PolicySpec:
        """The policy called `name`; ConfigurationError naming `setting` when there is none."""
        try:
            return self.policies[name]
        except KeyError:
            known = ", ".join(sorted(self.policies)) or "none"
            raise ConfigurationError(
                f"{setting}: no policy named {name!r} is installed (found: {known})", setting
            ) from None


def load_plugins(extra: list[Any] | None = None) -> PluginHost:
    """Discover the installed plugins and collect what they register.

    `extra` are plugin objects registered beside the entry points (tests use it).
    Two plugins registering one name raise ConfigurationError: which one to use would be a guess.
    """
    manager = pluggy.PluginManager("ssj_bridge")
    manager.add_hookspecs(hookspecs)
    host = PluginHost(manager)
    only = {n.strip() for n in os.environ.get(ONLY_ENV, "").split(",") if n.strip()}
    for group in ENTRY_POINT_GROUPS:
        for entry_point in importlib.metadata.entry_points(group=group):
            if only and entry_point.name not in only:
                continue
            try:
                module = entry_point.load()
                manager.register(module, name=f"{group}:{entry_point.name}")
            except Exception as exc:
                host.failures.append(LoadFailure(group, entry_point.name, _describe(exc)))
                continue
            dist = entry_point.dist
            host.distributions[entry_point.name] = (
                f"{dist.name} {dist.version}" if dist is not None else "?")
    for plugin in extra or []:
        manager.register(plugin)
    _collect(host)
    return host


def _collect(host: PluginHost) -> None:
    def register_adapter(spec: AdapterSpec) -> None:
        _add(host.adapters, spec.name, spec, spec.api, "an adapter")

    def register_policy(spec: PolicySpec) -> None:
        _add(host.policies, spec.name, spec, spec.api, "a policy")

    for hook_name, callback in (("register_adapters", register_adapter),
                                ("register_policies", register_policy)):
        hook = getattr(host.manager.hook, hook_name)
        for impl in hook.get_hookimpls():
            try:
                impl.function(callback)
            except ConfigurationError:
                raise
            except Exception as exc:
                host.failures.append(LoadFailure(hook_name, impl.plugin_name, _describe(exc)))


def _add(registered: dict[str, Any], name: str, spec: Any, api: str, what: str) -> None:
    if api.partition(".")[0] != API_VERSION.partition(".")[0]:
        raise _Incompatible(f"{what} named {name!r} is written for ssj-bridge api {api}; this "
                            f"is api {API_VERSION}")
    if name in registered:
        raise ConfigurationError(f"two plugins register {what} named {name!r}")
    registered[name] = spec


class _Incompatible(Exception):
    """A plugin written for another major version of the api: reported, not loaded."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
