"""Structured logs: JSON lines when not on a terminal, secrets redacted, no locals in tracebacks."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import structlog

from ssj_bridge.model.base import beijing_now
from ssj_bridge.redaction import REDACTED, redact, redact_text

if TYPE_CHECKING:
    from rich.console import Console

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


def terminal_console() -> Console:
    """The one rich console of the terminal's stderr: log lines and progress bars share it, so a
    line logged while bars are drawn is printed above them instead of through them."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True)
    return _console


_console: Console | None = None


def stream_level(*, on_terminal: bool, verbosity: int) -> int:
    """The least level written to stderr: a person at a terminal sees warnings and errors (`-v`
    adds what the run does, `-vv` the details); cron's collector keeps every info line."""
    if on_terminal:
        return (logging.WARNING, logging.INFO)[verbosity] if verbosity < 2 else logging.DEBUG
    return logging.INFO if verbosity < 2 else logging.DEBUG


def configure_logging(stream: TextIO | None = None, *, json: bool | None = None,
                      level: int | None = None, verbosity: int = 0,
                      log_file: Path | None = None) -> None:
    """Set up logging once per process.

    `stream` (default stderr) gets JSON lines off a terminal and readable lines on one, from
    `level` up (default `stream_level`). `log_file`, when given, gets every line from info up
    (debug with `-vv`) as JSON, whatever the terminal shows.
    """
    out = stream or sys.stderr
    on_terminal = out.isatty()
    as_json = not on_terminal if json is None else json
    shown = level if level is not None else stream_level(on_terminal=on_terminal and not as_json,
                                                          verbosity=verbosity)
    handlers: list[logging.Handler] = []
    if as_json:
        handlers.append(logging.StreamHandler(out))
    else:
        console = terminal_console() if out is sys.stderr else _console_of(out)
        handlers.append(_ConsoleHandler(console))
    handlers[0].setLevel(shown)
    handlers[0].setFormatter(_formatter(as_json=as_json))
    if log_file is not None:
        handlers.append(_file_handler(log_file, logging.DEBUG if verbosity >= 2 else logging.INFO))
    least = min(handler.level for handler in handlers)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            beijing_timestamp,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(least),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    # Libraries log through the standard library, and Python warns through it: their lines
    # take the same path, so each output stays one format and secrets stay out of it. Only
    # their warnings and errors: their info lines (every HTTP request) say nothing to us.
    for handler in handlers:
        handler.addFilter(_ours_or_warning)
    root = logging.getLogger()
    root.handlers = handlers
    root.setLevel(least)
    logging.captureWarnings(True)


def _ours_or_warning(record: logging.LogRecord) -> bool:
    # Lines of our own arrive as structlog's event dicts (ProcessorFormatter.wrap_for_formatter).
    return record.levelno >= logging.WARNING or isinstance(record.msg, dict)


def _formatter(*, as_json: bool) -> logging.Formatter:
    renderer: Any
    if as_json:
        exception_processor: Any = structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False))
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    else:
        exception_processor = structlog.processors.format_exc_info
        renderer = structlog.dev.ConsoleRenderer(
            exception_formatter=structlog.dev.plain_traceback)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, structlog.processors.add_log_level,
                           beijing_timestamp],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    exception_processor, redact_secrets, renderer])


def _file_handler(path: Path, level: int) -> logging.Handler:
    from ssj_bridge.errors import ConfigurationError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"--log-file {path}: cannot be written: "
                                 f"{exc.strerror or exc}", "--log-file") from None
    handler.setLevel(level)
    handler.setFormatter(_formatter(as_json=True))
    return handler


def _console_of(out: TextIO) -> Console:
    from rich.console import Console

    return Console(file=out, force_terminal=out.isatty())


class _ConsoleHandler(logging.Handler):
    """Writes formatted lines through a rich console (above any progress bars it draws)."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        from rich.text import Text

        try:
            line = self.format(record)
            self.console.print(Text.from_ansi(line), soft_wrap=True, highlight=False)
        except Exception:  # a broken terminal must not end the run
            self.handleError(record)
