"""Structured logs: JSON lines when not on a terminal, secrets redacted, no locals in tracebacks."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from ssj_bridge.model.base import beijing_now
from ssj_bridge.redaction import REDACTED, redact, redact_text

__all__ = ["REDACTED", "beijing_timestamp", "configure_logging", "redact_secrets", "redact_text"]

def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]
                   ) -> MutableMapping[str, Any]:
    """structlog processor: secrets never reach a log line (ssj_bridge.redaction)."""
    for key in list(event_dict):
        event_dict[key] = redact(event_dict[key], key)
    return event_dict


def beijing_timestamp(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]
                      ) -> MutableMapping[str, Any]:
    """structlog processor: the event's time, ISO-8601 in Beijing time (+08:00)."""
    event_dict["timestamp"] = beijing_now().isoformat(timespec="milliseconds")
    return event_dict


def configure_logging(stream: TextIO | None = None, *, json: bool | None = None,
                      level: int = logging.INFO) -> None:
    """Set up structlog once per process: JSON off a terminal, readable lines on one."""
    out = stream or sys.stderr
    as_json = not out.isatty() if json is None else json
    renderer: Any
    if as_json:
        exception_processor: Any = structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False))
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    else:
        exception_processor = structlog.processors.format_exc_info
        renderer = structlog.dev.ConsoleRenderer(
            exception_formatter=structlog.dev.plain_traceback)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            beijing_timestamp,
            exception_processor,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    # Libraries log through the standard library, and Python warns through it: their lines
    # take the same path, so the stream stays one format and secrets stay out of it.
    handler = logging.StreamHandler(out)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, structlog.processors.add_log_level,
                           beijing_timestamp],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    exception_processor, redact_secrets, renderer]))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
