"""`ssj-bridge adapters new`: the generated package installs with pip into a fresh virtual
environment and passes its own tests (the conformance suite) as generated."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from ssj_bridge.scaffold import FILES, AdapterNames, ScaffoldError, new_adapter

ROOT = Path(__file__).resolve().parents[1]
CONSOLE_SCRIPT = Path(sys.executable).with_name("ssj-bridge")
# What the fresh environment must install itself rather than see from the project's.
OWN = ("ssj", "_ssj", "__editable__", "pip", "__pycache__")


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, text=True, capture_output=True,
                          timeout=timeout, check=False)


def offline_environment() -> dict[str, str]:
    """The caller's environment without this machine's pip configuration or SSJ_ settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SSJ_", "PIP_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def third_party_view(into: Path) -> Path:
    """A folder of links to the project environment's third-party packages, nothing of ours.

    The fresh environment sees the dependencies through it (pip installs offline, no index),
    while ssj-bridge itself and the generated package are installed into it by pip.
    """
    into.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.startswith(OWN) or entry.suffix == ".pth":
            continue
        (into / entry.name).symlink_to(entry)
    return into


@pytest.mark.slow
def test_generated_package_installs_with_pip_and_passes_its_own_tests(tmp_path: Path) -> None:
    env = offline_environment()
    made = run([str(CONSOLE_SCRIPT), "adapters", "new", "acme", "--dir", str(tmp_path),
                "--region", "371000"],
               tmp_path, env)
    assert made.returncode == 0, made.stderr
    package = tmp_path / "ssj-adapter-acme"
    assert (package / "pyproject.toml").exists()

    venv = tmp_path / "venv"
    created = run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    tmp_path, env).stdout.strip())
    (site / "_project_dependencies.pth").write_text(f"{third_party_view(tmp_path / 'deps')}\n")
    # The project's setuptools (new enough for an SPDX license string) builds the packages.
    removed = run([str(python), "-m", "pip", "uninstall", "-q", "-y", "setuptools"], tmp_path, env)
    assert removed.returncode == 0, removed.stderr

    installed = run([str(python), "-m", "pip", "install", "--no-index", "--no-build-isolation",
                     "-e", str(ROOT), f"{package}[test]"], tmp_path, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    listed = run([str(venv / "bin" / "ssj-bridge"), "plugins"], tmp_path, env)
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:2] == ["acme", "province"] for line in listed.stdout.splitlines()), (
        listed.stdout)

    tested = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], package, env)
    summary = tested.stdout.strip().splitlines()[-1] if tested.stdout.strip() else ""
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary, summary
    # Every check ran except the one the generated target declares not applicable (signing).
    assert "1 skipped" in summary, summary


def test_every_template_is_shipped_as_package_data() -> None:
    from importlib.resources import files

    templates = files("ssj_bridge.scaffold") / "templates"
    for template in FILES.values():
        assert (templates / template).is_file(), template


def test_generated_files_carry_the_names_asked_for(tmp_path: Path) -> None:
    written = new_adapter(AdapterNames.of("nanhai", "province", "ssj_province_nanhai", region="440605"),
                          tmp_path)
    root = tmp_path / "ssj-province-nanhai"
    assert {p.relative_to(root).as_posix() for p in written} == {
        target.format(package="ssj_province_nanhai", name="nanhai") for target in FILES}
    pyproject = (root / "pyproject.toml").read_text("utf-8")
    assert 'nanhai = "ssj_province_nanhai.plugin"' in pyproject
    assert '[project.entry-points."ssj_bridge.adapters"]' in pyproject
    assert 'REGION = "440605"' in (root / "tests" / "conftest.py").read_text("utf-8")
    for path in written:
        if path.suffix == ".py":
            compile(path.read_text("utf-8"), str(path), "exec")


@pytest.mark.parametrize(("name", "role", "problem"), [
    ("Bad-Name", "province", "adapter name"),
    ("acme", "tax", "role"),
    ("9lives", "province", "adapter name"),
])
def test_bad_names_are_refused_saying_which(name: str, role: str, problem: str) -> None:
    with pytest.raises(ScaffoldError, match=problem):
        AdapterNames.of(name, role, region="371000")


@pytest.mark.parametrize(("name", "package", "region", "problem"), [
    ("acme\n", None, "371000", "adapter name"),
    ("acme", "ssj_adapter_acme\n", "371000", "package"),
    ("acme", None, "371000\n", "region"),
    ("acme", None, "３７１０００", "region"),  # full-width digits are not a region code
])
def test_a_trailing_newline_or_odd_digits_are_refused(name: str, package: str | None, region: str,
                                                      problem: str) -> None:
    with pytest.raises(ScaffoldError, match=problem):
        AdapterNames.of(name, "province", package, region=region)


def test_adapters_new_with_a_trailing_newline_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    done = run([str(CONSOLE_SCRIPT), "adapters", "new", "acme\n", "--region", "371000",
                "--dir", str(tmp_path)], tmp_path, env, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "adapter name" in done.stderr
    assert list(tmp_path.iterdir()) == []
    done = run([str(CONSOLE_SCRIPT), "adapters", "new", "acme", "--region", "371000\n",
                "--dir", str(tmp_path)], tmp_path, env, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "region" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_package_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "ssj-adapter-acme").mkdir()
    (tmp_path / "ssj-adapter-acme" / "keep.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_adapter(AdapterNames.of("acme", region="371000"), tmp_path)
    assert (tmp_path / "ssj-adapter-acme" / "keep.txt").read_text() == "mine"
