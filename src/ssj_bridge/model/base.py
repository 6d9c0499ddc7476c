"""The base of every canonical model: camelCase on the wire, snake_case in code, frozen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
_EIGHT_HOURS = timedelta(hours=8)


def beijing_now() -> datetime:
    """Now, in Beijing time, whatever the machine's time zone."""
    return datetime.now(UTC).astimezone(BEIJING)


def beijing_today() -> date:
    """Today's date in Beijing: the date every rule decides with."""
    return beijing_now().date()


def iso_beijing(moment: datetime) -> str:
    """ISO-8601 with +08:00, seconds precision, as every output writes times."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif not moment.microsecond and moment.utcoffset() == _EIGHT_HOURS:
        return moment.isoformat()  # already so (most platform times): a third of the cost
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


class CanonicalModel(BaseModel):
    """A record of the canonical model: immutable, camelCase aliases, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="forbid",
        use_enum_values=False,
    )
