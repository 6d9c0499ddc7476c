"""Importing a module changes nothing: every module imports alone, in a fresh interpreter,
without filling a registry, and no package imports in a circle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ssj_bridge", "ssj_permit", "ssj_credit", "ssj_province", "ssj_publicity",
            "ssj_policies", "ssj_province_gd")
# Alembic's environment script runs a migration when imported: it is a script, not a module.
SCRIPTS = ("ssj_bridge.store.migrations",)

# One interpreter that has imported only third-party libraries forks a child per module: each
# child starts with no module of ours loaded, imports one, and reports what went wrong.
FORKS = r"""
import importlib, os, sys, traceback
for library in ("pydantic", "pydantic_settings", "sqlalchemy", "httpx", "structlog", "pluggy",
                "lxml.etree", "orjson", "click", "tenacity", "jinja2", "alembic", "pytest"):
    importlib.import_module(library)
assert not [m for m in sys.modules if m.startswith("ssj")], "a module of ours is loaded"
failed = 0
for module in sys.stdin.read().split():
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reader)
        try:
            importlib.import_module(module)
            from ssj_bridge.plugins.registry import registry_built
            problem = "importing it built the feature registry" if registry_built() else ""
        except BaseException:
            problem = traceback.format_exc()
        os.write(writer, problem.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        problem = pipe.read().decode()
    os.waitpid(child, 0)
    if problem:
        failed += 1
        print(f"{module}: {problem[-1500:]}")
sys.exit(1 if failed else 0)
"""


def all_modules() -> list[str]:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    return sorted(m for m in graph.modules if not m.startswith(SCRIPTS))


def test_every_module_imports_alone_without_registering_anything() -> None:
    modules = all_modules()
    assert len(modules) > 100, modules
    done = subprocess.run([sys.executable, "-c", FORKS], input="\n".join(modules),
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_the_registry_is_built_from_the_feature_list_on_first_use() -> None:
    script = """
from ssj_bridge.plugins.registry import DEFAULT_FEATURES, default_registry, registry_built
import ssj_bridge.features.results, ssj_bridge.features.publications, ssj_bridge.report.export
assert not registry_built()
built = default_registry()
assert registry_built()
assert {"subjects", "results", "tasks", "draws", "inspectors", "quarantine"} <= set(built.exporters)
assert set(built.outcome_handlers) == {"result", "publication"}
assert len(built.result_recorded) == 1
print(len(DEFAULT_FEATURES))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_no_module_imports_in_a_circle() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert not circles, f"modules importing in a circle: {circles}"


@pytest.mark.parametrize("module", ["ssj_bridge.features.results", "ssj_bridge.api"])
def test_a_feature_loads_a_fraction_of_the_core(module: str) -> None:
    script = f"""
import sys, {module}
print(sum(1 for name in sys.modules if name.startswith("ssj_bridge")))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    core = len([m for m in all_modules() if m.startswith("ssj_bridge")])
    loaded = int(done.stdout)
    assert loaded < core / 3, f"importing {module} loads {loaded} of {core} core modules"


def _imports_outside_the_api(files: list[Path]) -> list[str]:
    import ast

    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if (name == "ssj_bridge" or name.startswith("ssj_bridge.")) and not (
                        name == "ssj_bridge.api" or name.startswith("ssj_bridge.api.")):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    return found


def test_adapters_and_plugins_import_only_the_api() -> None:
    files = [p for folder in ("adapters", "plugins") for p in (ROOT / folder).rglob("*.py")
             if ".venv" not in p.parts]
    assert len(files) > 50
    assert not _imports_outside_the_api(files)


def test_a_scaffolded_adapter_imports_only_the_api(tmp_path: Path) -> None:
    from ssj_bridge.scaffold import AdapterNames, new_adapter

    written = new_adapter(AdapterNames.of("acme", region="371000"), tmp_path)
    assert not _imports_outside_the_api([p for p in written if p.suffix == ".py"])
