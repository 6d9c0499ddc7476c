"""What a locality policy is to the core: a named spec whose rules classify and set quotas.

The rules themselves live in `plugins/`; the core calls them through this interface only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PolicySpec:
    """A locality policy as a plugin registers it: a name, the locality, and a factory."""

    name: str
    locality: str
    factory: Callable[[], Any]
    version: str = "0"
    description: str = ""
