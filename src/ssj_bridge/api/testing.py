"""What an adapter package's tests may import: the conformance suite and its declarations.

Enable the suite in the package's `tests/conftest.py` with
`pytest_plugins = ["ssj_bridge.api.testing"]`, define a `conformance_target` fixture returning
a `ConformanceTarget`, and subclass `ConformanceSuite` in a test module (see
ssj_bridge.testing.conformance). `installed_adapter(name)` is the adapter as its entry point
registers it.
"""

from ssj_bridge.platform.adapter import AdapterSpec
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.testing.conformance import (
    CAPABILITIES,
    NEXT_MARKER,
    SHORT_PAGE,
    ConformanceSuite,
    ConformanceTarget,
    ErrorModel,
    PagingModel,
    conformance_target,
    json_body_key,
    json_schema_validator,
)
from ssj_bridge.testing.harness import (
    Harness,
    Served,
    SyncRun,
    WriteSample,
    WriteSamples,
)


def installed_adapter(name: str) -> AdapterSpec:
    """The adapter `name` as the installed plugins register it (found through its entry point)."""
    return load_plugins().adapter(name, f"adapter {name!r}")


__all__ = [
    "CAPABILITIES", "NEXT_MARKER", "SHORT_PAGE", "ConformanceSuite", "ConformanceTarget",
    "ErrorModel", "Harness", "PagingModel", "Served", "SyncRun", "WriteSample", "WriteSamples",
    "conformance_target", "installed_adapter",
    "json_body_key", "json_schema_validator", "load_plugins",
]
