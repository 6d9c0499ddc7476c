"""Configuration: the only place environment variables and the TOML file are read.

Environment variables (prefix `SSJ_`, nested delimiter `__`) win over the TOML file
(`--config PATH`, default `./ssj-bridge.toml` when present). Each platform section is a
`PlatformSettings`; its adapter validates the fields it needs with its own model, so the core
knows the four platform roles of the operator's contract but no platform's fields.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import structlog
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from ssj_bridge.errors import ConfigurationError
from ssj_bridge.i18n import _
from ssj_bridge.redaction import is_secret_name, remember

ENV_PREFIX = "SSJ_"
DEFAULT_CONFIG = Path("ssj-bridge.toml")

ConfigT = TypeVar("ConfigT", bound=BaseModel)
log = structlog.get_logger("ssj_bridge.settings")


class PlatformSettings(BaseModel):
    """One platform section (`SSJ_<ROLE>__…`): which adapter serves it, and its own fields."""

    model_config = ConfigDict(extra="allow")

    adapter: str | None = None
    base_url: str | None = None
    rate_limit: float | None = Field(default=None, gt=0, description="requests per second")
    timeout: float = Field(default=30.0, gt=0)
    # The whole run's time for this platform, working and retrying: reached, the run stops
    # the platform there (75), keeps what it stored, and the next run goes on.
    deadline: float = Field(default=600.0, gt=0, description="seconds a run may spend on it")

    def fields(self) -> dict[str, Any]:
        """The fields the operator set, declared or extra: an adapter's own defaults apply to
        the rest (a declared default here must not hide, say, an adapter's rate limit)."""
        return {**self.model_dump(exclude_unset=True, exclude={"__pydantic_extra__"}),
                **(self.model_extra or {})}


class AlertSettings(BaseModel):
    """Who is told when a sync fails or is degraded (`SSJ_ALERTS__…`, ssj_bridge.operations.alerts).

    `url`: one or more notification URLs (apprise), separated by spaces or commas:
    `wecombot://KEY` (企业微信群机器人), `dingtalk://[SECRET@]TOKEN` (钉钉), `mailtos://user:pass@host
    ?to=…` (email), `json://host/path` (any webhook). A secret: masked wherever text is shown.
    `on`: `degraded` (exit 3 and worse) or `failed` (75, 78 and other errors only).
    """

    url: SecretStr | None = None
    on: Literal["degraded", "failed"] = "degraded"
    timeout: float = Field(default=10.0, gt=0, description="seconds to deliver one alert")

    def urls(self) -> list[str]:
        """The configured alert URLs (none when SSJ_ALERTS__URL is not set)."""
        if self.url is None:
            return []
        return [u for u in self.url.get_secret_value().replace(",", " ").split() if u]

    def secrets(self) -> list[str]:
        """Every credential the alert URLs hold (to be masked wherever text is shown): each
        URL whole, its password, query values and long path segments, and for robot schemes
        the host (the key itself) and the user (钉钉's signing secret); longest first."""
        found: set[str] = set()
        for url in self.urls():
            parts = urlsplit(url)
            found.add(url)
            if parts.password:
                found.add(unquote(parts.password))
            if parts.scheme in _ROBOT_SCHEMES and parts.hostname:
                found.add(parts.netloc.rpartition("@")[2])
                if parts.username:
                    found.add(unquote(parts.username))
            found.update(unquote(seg) for seg in parts.path.split("/") if len(seg) >= 6)
            found.update(value for _name, value in parse_qsl(parts.query) if len(value) >= 6)
        return sorted((f for f in found if f), key=len, reverse=True)


# Alert URL schemes whose "host" is a credential (a robot's key or token), not a machine.
_ROBOT_SCHEMES = frozenset({"wecombot", "dingtalk", "wxteams", "workflow", "workflows", "feishu",
                            "lark"})


class Settings(BaseSettings):
    """The deployment's settings (interface.md, "Configuration")."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
        case_sensitive=False,
    )
    config_file: ClassVar[Path | None] = None

    database_url: str = "sqlite:///ssj-bridge.db"
    region_code: str | None = None
    org_code: str | None = None
    org_name: str | None = None
    policy: str | None = None
    # The language of everything a person reads (ssj_bridge.i18n): zh (default) or en.
    language: str = "zh"
    lock_dir: Path | None = None
    # Holiday file for years the chinesecalendar package does not carry (ssj_bridge.model.calendar).
    holidays_file: Path | None = None
    # A stream whose first page announces at least this many records is stored by a writer
    # process of its own (ssj_bridge.store.writer_process); 0: never.
    writer_process_from: int = Field(default=20_000, ge=0)
    # The Chromium that prints documents to PDF (default: the first on PATH).
    chromium: str | None = None
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    permit: PlatformSettings = Field(default_factory=PlatformSettings)
    credit: PlatformSettings = Field(default_factory=PlatformSettings)
    province: PlatformSettings = Field(default_factory=PlatformSettings)
    publicity: PlatformSettings = Field(
        default_factory=lambda: PlatformSettings(adapter="publicity"))

    def model_post_init(self, context: Any, /) -> None:
        """The secrets these settings hold are masked in everything written from now on."""
        remember(self.secret_values())

    def secret_values(self) -> list[str]:
        """Every secret value set: the platform sections' credentials (any field whose name
        says it is one, adapters' own included), the database password and the alert URLs'
        keys, tokens and passwords."""
        found = list(self.alerts.secrets())
        for role in PLATFORM_ROLES:
            for name, value in getattr(self, role).fields().items():
                if value is None or not is_secret_name(name):
                    continue
                found.append(value.get_secret_value() if isinstance(value, SecretStr)
                             else str(value))
        try:
            password = urlsplit(self.database_url).password
        except ValueError:  # a URL the store refuses later, naming the setting
            password = None
        if password:
            found.append(unquote(password))
        return found

    @field_validator("region_code")
    @classmethod
    def _six_digits(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 6 and value.isdigit()):
            raise ValueError("must be 6 digits")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        from ssj_bridge.i18n import is_known, normalise

        if not is_known(value):
            raise ValueError("must be zh or en")
        return normalise(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = cls.config_file
        if path is None and DEFAULT_CONFIG.exists():
            path = DEFAULT_CONFIG
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def platform(self, role: str) -> PlatformSettings:
        """The section of one platform role, with its adapter name filled in."""
        section: PlatformSettings = getattr(self, role)
        if section.adapter is None:
            section.adapter = DEFAULT_ADAPTERS.get(role, role)
        return section

    def require(self, *names: str) -> None:
        """Raise ConfigurationError naming the first of `names` that is not set."""
        for name in names:
            if getattr(self, name) in (None, ""):
                raise ConfigurationError(_("{setting} is not set").format(setting=env_name((name,))),
                                         env_name((name,)))


PLATFORM_ROLES = ("permit", "credit", "province", "publicity")
# The adapter each role uses unless SSJ_<ROLE>__ADAPTER names another.
DEFAULT_ADAPTERS = {"permit": "permit", "credit": "credit", "province": "reference",
                    "publicity": "publicity"}


def env_name(loc: tuple[Any, ...]) -> str:
    """The environment variable for a settings location: ('permit','app_id') → SSJ_PERMIT__APP_ID."""
    return ENV_PREFIX + "__".join(str(part).upper() for part in loc)


def load_settings(config_file: Path | None = None) -> Settings:
    """Read the settings; a malformed one raises ConfigurationError naming the variable or
    the file. Variables with the prefix that name no setting are warned about."""
    if config_file is not None and not config_file.exists():
        raise ConfigurationError(_("config file {path} does not exist").format(path=config_file),
                                 "--config")
    Settings.config_file = config_file
    warn_unknown_variables(os.environ)
    try:
        return Settings()
    except ValidationError as exc:
        raise configuration_error(exc) from None
    except tomllib.TOMLDecodeError as exc:
        path = config_file or DEFAULT_CONFIG
        raise ConfigurationError(f"config file {path} is not valid TOML: {exc}", str(path)) from None
    except OSError as exc:
        path = config_file or DEFAULT_CONFIG
        raise ConfigurationError(f"config file {path} cannot be read: {exc.strerror or exc}",
                                 str(path)) from None
    except SettingsError as exc:
        # pydantic-settings names the field, not the variable: "error parsing value for field
        # "permit" from source "EnvSettingsSource"" (a section given as malformed JSON).
        field = re.search(r'field "([^"]+)"', str(exc))
        name = env_name((field.group(1),)) if field else ENV_PREFIX + "…"
        cause = f": {exc.__cause__}" if exc.__cause__ is not None else ""
        raise ConfigurationError(f"{name} is not valid JSON{cause}", name) from None


def warn_unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """Warn about each `SSJ_` variable that names no setting (a misspelt one is otherwise
    silently ignored), naming the setting it is close to; returns the variables warned about.

    A platform section's own fields belong to its adapter, which checks them when it reads
    its configuration (`AdapterContext.config`); here only those close to a field every
    section has (`SSJ_PERMIT__BASEURL` for `SSJ_PERMIT__BASE_URL`) are warned about.
    """
    top = {env_name((name,)) for name in Settings.model_fields}
    common = {env_name((role, name)) for role in PLATFORM_ROLES
              for name in PlatformSettings.model_fields}
    top |= {env_name(("alerts", name)) for name in AlertSettings.model_fields}
    warned = []
    for variable in sorted(environ):
        name = variable.upper()
        if not name.startswith(ENV_PREFIX) or name in top or name in common:
            continue
        head, nested, _ = name.partition("__")
        if nested and head.lower().removeprefix(ENV_PREFIX.lower()) in PLATFORM_ROLES:
            close = difflib.get_close_matches(name, sorted(common), n=1, cutoff=0.85)
            if not close:
                continue  # an adapter's own field: its adapter checks it
        else:
            close = difflib.get_close_matches(name, sorted(top | common), n=1, cutoff=0.75)
        log.warning("unknown setting", variable=variable,
                    hint=f"did you mean {close[0]}?" if close else "no setting has this name; "
                    "it is ignored")
        warned.append(variable)
    return warned


def warn_unknown_fields(role: str, given: Iterable[str], known: Iterable[str]) -> list[str]:
    """Warn about each field of a platform section its adapter does not know (see
    `warn_unknown_variables`); returns the variables warned about."""
    names = {name.lower() for name in known} | set(PlatformSettings.model_fields)
    warned = []
    for field_name in sorted(given):
        if field_name.lower() in names:
            continue
        variable = env_name((role, field_name))
        close = difflib.get_close_matches(field_name.lower(), sorted(names), n=1, cutoff=0.75)
        log.warning("unknown setting", variable=variable,
                    hint=f"did you mean {env_name((role, close[0]))}?" if close
                    else "the adapter has no such setting; it is ignored")
        warned.append(variable)
    return warned


def configuration_error(exc: ValidationError, section: tuple[str, ...] = ()) -> ConfigurationError:
    """Turn a ValidationError of settings into a message naming each bad variable."""
    problems = []
    for error in exc.errors():
        name = env_name(section + tuple(error["loc"]))
        problems.append(_("{setting} is not set").format(setting=name) if error["type"] == "missing"
                        else _("{setting} is invalid: {reason}").format(setting=name,
                                                                        reason=error["msg"]))
    first = env_name(section + tuple(exc.errors()[0]["loc"]))
    return ConfigurationError("; ".join(problems), first)


def platform_config(settings: Settings, role: str, model: type[ConfigT]) -> ConfigT:
    """Validate one platform section with an adapter's own config model."""
    try:
        return model.model_validate(settings.platform(role).fields())
    except ValidationError as exc:
        raise configuration_error(exc, (role,)) from None


__all__ = ["PLATFORM_ROLES", "PlatformSettings", "SecretStr", "Settings", "env_name",
           "is_secret_name", "load_settings", "platform_config"]
