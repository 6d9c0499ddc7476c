"""The feature modules, loaded together so their registrations are in place before a command runs.

Writers (store/canonical.py), exporters (exports.py), outcome handlers (relay.py) and
reconcilable entities (reconcile/entities.py) are registered when their module is imported;
a command that reads those registries calls `load_features()` first.
"""

from __future__ import annotations


def load_features() -> None:
    """Import every feature module once (later calls cost a dictionary lookup each)."""
    from ssj_bridge import (  # noqa: F401
        classify,
        credit_records,
        library,
        publications,
        results,
        tasks,
    )
    from ssj_bridge.draw import export  # noqa: F401
    from ssj_bridge.imports import exports  # noqa: F401
    from ssj_bridge.store import credit_writer  # noqa: F401
