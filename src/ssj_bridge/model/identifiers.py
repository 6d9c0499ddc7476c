"""Identifier value types: USCC (GB 32100), region code (GB/T 2260), permit number (HJ 608)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationInfo

from ssj_bridge.i18n import _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
# Position i's table gives each character's value times position i's weight: the check sum
# is then 17 look-ups summed in C (a sync validates every holder's code on every page).
_USCC_WEIGHTED = tuple({c: v * w for c, v in _USCC_VALUE.items()} for w in _USCC_WEIGHTS)
_REGION_RE = re.compile(r"^[0-9]{6}$")
_PERMIT_NO_RE = re.compile(r"^[0-9A-Z]{18}[0-9]{3}[A-Z]$")


def normalise_code(value: str) -> str:
    """NFKC (full-width to half-width), strip white space, upper case: the documented form."""
    if value.isascii():  # NFKC leaves ASCII as it is
        return value.strip().upper()
    return unicodedata.normalize("NFKC", value).strip().upper()


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if len(first17) != 17:
        raise ValueError(f"a check character needs 17 characters, not {len(first17)}")
    total = sum(map(dict.__getitem__, _USCC_WEIGHTED, first17))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why a normalised code is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return _("has {count} characters, not 18").format(count=len(code))
    if code.strip(USCC_ALPHABET):  # something outside the alphabet is left
        bad = sorted({c for c in code if c not in _USCC_VALUE})
        return _("contains {bad!r}, not in the GB 32100 alphabet").format(bad="".join(bad))
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return _("check character is {found!r}, GB 32100 gives {expected!r}").format(
            found=code[17], expected=expected)
    return None


def _normalise(value: Any) -> Any:
    return normalise_code(value) if isinstance(value, str) else value


def _check_uscc(value: str, info: ValidationInfo) -> str:
    problem = uscc_problem(value)
    if problem is None:
        return value
    allowed = (info.context or {}).get("allowed_usccs", ())
    if value in allowed and len(value) == 18:
        return value
    raise ValueError(f"USCC {value!r} {problem}")


def _check_region(value: str) -> str:
    if not _REGION_RE.match(value):
        raise ValueError(f"region code {value!r} is not 6 digits")
    return value


def _check_permit_no(value: str) -> str:
    if not _PERMIT_NO_RE.match(value):
        raise ValueError(f"permit number {value!r} does not match USCC + 3 digits + letter")
    return value


USCC = Annotated[str, BeforeValidator(_normalise), AfterValidator(_check_uscc)]
"""统一社会信用代码: normalised (NFKC, trimmed, upper case) and check-digit verified, unless a
data manager has allowed the code (validation context `allowed_usccs`)."""

RegionCode = Annotated[str, BeforeValidator(_normalise), AfterValidator(_check_region)]
"""行政区划代码, six digits."""

PermitNo = Annotated[str, BeforeValidator(_normalise), AfterValidator(_check_permit_no)]
"""许可证编号 / 登记编号: the holder's USCC, a 3-digit site sequence and a letter."""


def region_within(region: str, scope: str) -> bool:
    """True when `region` is `scope` or lies below it (PP0000 ⊃ PPCC00 ⊃ PPCCXX)."""
    if scope.endswith("0000"):
        return region[:2] == scope[:2]
    if scope.endswith("00"):
        return region[:4] == scope[:4]
    return region == scope


def region_prefix(scope: str) -> str:
    """The prefix every region within `scope` starts with (for SQL LIKE and quick checks)."""
    if scope.endswith("0000"):
        return scope[:2]
    if scope.endswith("00"):
        return scope[:4]
    return scope
