"""ssj-bridge: one canonical model of 双随机、一公开 supervision, synced with the platforms."""

from ssj_bridge.errors import (
    BadRecord,
    ConfigurationError,
    InputRefused,
    PermanentError,
    PlatformUnavailable,
    RateLimited,
    SsjError,
    TransientError,
)
from ssj_bridge.plugins.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = [
    "BadRecord",
    "ConfigurationError",
    "InputRefused",
    "PermanentError",
    "PlatformUnavailable",
    "RateLimited",
    "SsjError",
    "TransientError",
    "__version__",
    "hookimpl",
]
