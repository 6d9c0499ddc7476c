"""The plugin host: duplicate names refused, broken plugins reported, the rest still loaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sync_support import environment, run_cli

from ssj_bridge import hookimpl
from ssj_bridge.errors import ConfigurationError
from ssj_bridge.platform.adapter import Adapter, AdapterContext, AdapterSpec
from ssj_bridge.plugins.host import load_plugins


def _never_built(context: AdapterContext) -> Adapter:
    raise AssertionError("not built in these tests")


class AnotherPermitAdapter:
    """A second plugin that also calls its adapter `permit`."""

    @hookimpl
    def register_adapters(self, register: Callable[[AdapterSpec], None]) -> None:
        register(AdapterSpec(name="permit", role="permit", factory=_never_built))


class FailsToRegister:
    """A plugin whose hook raises."""

    @hookimpl
    def register_adapters(self, register: Callable[[AdapterSpec], None]) -> None:
        raise RuntimeError("cannot reach its licence server")


def broken_distribution(where: Path) -> Path:
    """An installed distribution whose adapter module fails to import."""
    info = where / "ssj_broken_adapter-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ssj-broken-adapter\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text("[ssj_bridge.adapters]\nbroken = ssj_broken_adapter\n")
    (where / "ssj_broken_adapter.py").write_text(
        'raise ImportError("needs the vendor SDK, which is not installed")\n')
    return where


def test_two_plugins_registering_one_adapter_name_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="two plugins register an adapter named 'permit'"):
        load_plugins(extra=[AnotherPermitAdapter()])


def test_a_plugin_whose_hook_fails_is_reported_and_the_rest_still_load() -> None:
    host = load_plugins(extra=[FailsToRegister()])
    assert "permit" in host.adapters
    [failure] = [f for f in host.failures if "licence server" in f.error]
    assert failure.error == "RuntimeError: cannot reach its licence server"


def test_a_plugin_whose_module_fails_to_import_is_reported_and_the_rest_still_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(broken_distribution(tmp_path)))
    host = load_plugins()
    assert "permit" in host.adapters
    [failure] = [f for f in host.failures if f.name == "broken"]
    assert (failure.group, failure.error) == (
        "ssj_bridge.adapters", "ImportError: needs the vendor SDK, which is not installed")


def test_plugins_command_lists_the_permit_adapter_and_reports_the_broken_one(
        tmp_path: Path) -> None:
    site = tmp_path / "site-extra"
    site.mkdir()
    broken_distribution(site)
    env = environment("http://127.0.0.1:9", f"sqlite:///{tmp_path / 'store.db'}",
                      PYTHONPATH=str(site))
    done = run_cli(["plugins"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    adapters = done.stdout.split("policies:")[0]
    assert any(line.split()[:3] == ["permit", "permit", "1.0.0"]
               for line in adapters.splitlines())
    failed = done.stdout.split("failed to load:")[1]
    assert ("ssj_bridge.adapters:broken: ImportError: needs the vendor SDK, which is not "
            "installed") in failed
