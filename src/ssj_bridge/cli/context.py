"""What every command shares: the settings, the store, reporting plugin failures, periods."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ssj_bridge.errors import ConfigurationError
from ssj_bridge.i18n import _

if TYPE_CHECKING:
    from ssj_bridge.model.periods import Quarter
    from ssj_bridge.plugins.host import PluginHost
    from ssj_bridge.settings import Settings
    from ssj_bridge.store import Store


class Context:
    """The config file, the logging asked for (`-v`, `--log-file`) and, once read, the settings."""

    def __init__(self, config: Path | None, *, verbosity: int = 0,
                 log_file: Path | None = None) -> None:
        self.config = config
        self.verbosity = verbosity
        self.log_file = log_file
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """Settings, read once."""
        if self._settings is None:
            from ssj_bridge.settings import load_settings

            self._settings = load_settings(self.config)
            if "language" in self._settings.model_fields_set:
                from ssj_bridge.i18n import set_language

                # The settings file may choose the language too; the environment still wins.
                set_language(self._settings.language)
        return self._settings

    @property
    def loaded(self) -> Settings | None:
        """The settings if they have been read without error, else None."""
        return self._settings

    def store(self, *, migrate: bool = True) -> Store:
        """The store of SSJ_DATABASE_URL, brought to the newest schema.

        A command that only reads passes `migrate=False`: it never changes the schema, and a
        store that is not at the newest one is a configuration error saying what to run.
        """
        from ssj_bridge.store import Store

        store = Store(self.settings.database_url, lock_dir=self.settings.lock_dir,
                      region=self.settings.region_code)
        if migrate:
            store.migrate()
        elif not store.schema_current():
            raise ConfigurationError(_("the store at SSJ_DATABASE_URL is not at the newest schema; "
                                       "a command that writes (e.g. `ssj-bridge sync`) brings "
                                       "it there"), "SSJ_DATABASE_URL")
        return store


pass_context = click.make_pass_decorator(Context)


def report_failures(host: PluginHost) -> None:
    """Log each plugin that failed to load (the command goes on without it)."""
    import structlog

    log = structlog.get_logger("ssj_bridge.cli")
    for failure in host.failures:
        log.warning("plugin failed to load", group=failure.group, plugin=failure.name,
                    error=failure.error)


def parse_quarter(text: str) -> Quarter:
    """`--period YYYYQn` as a Quarter; a usage error naming the option otherwise."""
    from ssj_bridge.model.periods import Quarter

    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None

