"""docs/platforms/province-gd.md's MD5 signature and time formats."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime

from ssj_bridge.api import BEIJING

TIME_FORMAT = "%Y%m%d%H%M%S"
DATE_FORMAT = "%Y%m%d"


def sign(fields: Mapping[str, str], secret: str) -> str:
    """Upper-case hex MD5 of `name=value&…` (names sorted, raw values) + `&key=<secret>`.

    MD5 is the vendor's choice, not ours; it authenticates requests, it protects nothing.
    """
    text = "&".join(f"{name}={fields[name]}" for name in sorted(fields) if name != "sign")
    digest = hashlib.md5(f"{text}&key={secret}".encode(), usedforsecurity=False)
    return digest.hexdigest().upper()


def gd_time(moment: datetime) -> str:
    """`yyyyMMddHHmmss` in Beijing time."""
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def parse_gd_time(value: str) -> datetime:
    """`yyyyMMddHHmmss` (Beijing time) as an aware datetime; ValueError when it is not one."""
    if len(value) != 14 or not value.isdigit():
        raise ValueError(f"{value!r} is not yyyyMMddHHmmss")
    return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=BEIJING)


def gd_date(day: date) -> str:
    """`yyyyMMdd`."""
    return day.strftime(DATE_FORMAT)


def parse_gd_date(value: str) -> date:
    """`yyyyMMdd` as a date; ValueError when it is not one."""
    if len(value) != 8 or not value.isdigit():
        raise ValueError(f"{value!r} is not yyyyMMdd")
    return datetime.strptime(value, DATE_FORMAT).date()
