"""`ssj-bridge adapters new NAME`: a new adapter package, ready to install and test.

The package is rendered from the Jinja2 templates beside this module. As generated it speaks a
minimal JSON platform (token auth, a task listing paged by position with `updatedSince`, an
idempotent library write, the same listing read whole for `reconcile`) and serves it from its
own simulator, so it installs with pip and passes the conformance suite at once; the engineer
then replaces client, mapping and simulator with what the platform's interface document says
(docs/adding-a-province.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from ssj_bridge import __version__
from ssj_bridge.settings import PLATFORM_ROLES

# Matched whole (`fullmatch`): `$` alone would also accept a trailing newline, which ends up
# inside generated Python and TOML that then do not compile.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")
_PACKAGE = re.compile(r"[a-z][a-z0-9_]{0,60}")
_REGION = re.compile(r"[0-9]{6}")

# Output path (formatted with the package's names) → template.
FILES = {
    "pyproject.toml": "pyproject.toml.j2",
    "README.md": "README.md.j2",
    "{package}/__init__.py": "package__init__.py.j2",
    "{package}/config.py": "config.py.j2",
    "{package}/client.py": "client.py.j2",
    "{package}/mapping.py": "mapping.py.j2",
    "{package}/stream.py": "stream.py.j2",
    "{package}/sink.py": "sink.py.j2",
    "{package}/listing.py": "listing.py.j2",
    "{package}/plugin.py": "plugin.py.j2",
    "{package}/simulator.py": "simulator.py.j2",
    "contracts/{name}/record.schema.json": "record.schema.json.j2",
    "tests/conftest.py": "conftest.py.j2",
    "tests/test_conformance.py": "test_conformance.py.j2",
}


class ScaffoldError(ValueError):
    """The package cannot be generated as asked (bad name, folder already there)."""


@dataclass(frozen=True)
class AdapterNames:
    """The names a new adapter package goes by."""

    name: str  # the entry point, the value of SSJ_<ROLE>__ADAPTER
    role: str
    package: str  # the Python package
    dist: str  # the distribution, and the folder it is generated in
    region: str

    @classmethod
    def of(cls, name: str, role: str = "province", package: str | None = None, *,
           region: str) -> AdapterNames:
        """Check and derive the names; ScaffoldError says which one is wrong and why."""
        if not _NAME.fullmatch(name):
            raise ScaffoldError(f"adapter name {name!r}: use lower-case letters, digits and _, "
                                "starting with a letter (it becomes an entry point)")
        if role not in PLATFORM_ROLES:
            raise ScaffoldError(f"role {role!r} is not one of {', '.join(PLATFORM_ROLES)}")
        package = package or f"ssj_adapter_{name}"
        if not _PACKAGE.fullmatch(package):
            raise ScaffoldError(f"package {package!r} is not a Python package name")
        if not _REGION.fullmatch(region):
            raise ScaffoldError(f"region {region!r} is not a 6-digit region code")
        return cls(name, role, package, package.replace("_", "-"), region)


def new_adapter(names: AdapterNames, directory: Path) -> list[Path]:
    """Write the package into `directory/<dist>`; returns the files written, in order."""
    root = directory / names.dist
    if root.exists() and any(root.iterdir()):
        raise ScaffoldError(f"{root} already exists and is not empty; choose another --dir")
    env = Environment(loader=PackageLoader("ssj_bridge.scaffold", "templates"),
                      keep_trailing_newline=True, undefined=StrictUndefined,
                      autoescape=False)  # noqa: S701 - renders Python and TOML, not HTML
    context = {"name": names.name, "role": names.role, "package": names.package,
               "dist": names.dist, "region": names.region,
               "bridge_version": __version__}
    written = []
    for target, template in FILES.items():
        path = root / target.format(package=names.package, name=names.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(template).render(**context), encoding="utf-8")
        written.append(path)
    return written
