"""The permit simulator's synthetic dataset: deterministic for one (region, subjects, seed)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ssj_bridge.api import BEIJING, USCC_ALPHABET
from ssj_bridge.api.simulation import subjects

BASE_TIME = datetime(2025, 1, 1, 8, 0, tzinfo=BEIJING)
_CLASSES = [("重点管理", 0.12), ("简化管理", 0.28), ("登记管理", 0.60)]
_STATUSES = [("有效", 0.92), ("注销", 0.03), ("过期", 0.03), ("撤销", 0.02)]
_POLLUTANTS = ["废气", "废水", "固体废物", "噪声", "土壤"]
# Ways a record can be wrong at the source, each a reason it must be set aside.
MALFORMATIONS = ("bad_check_digit", "unknown_class", "missing_name", "bad_region",
                 "bad_update_time")
# Ways a record can look odd yet be valid after the documented normalisation.
QUIRKS = ("lower_case_uscc", "full_width_uscc", "extra_field", "padded_uscc")


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    roll, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if roll < total:
            return value
    return weighted[-1][0]


def iso(moment: datetime) -> str:
    """updateTime as the platform writes it."""
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


@dataclass
class PermitDataset:
    """Permits of the synthetic subjects, plus which ones were made malformed and how."""

    records: list[dict[str, Any]]
    malformed: dict[str, str] = field(default_factory=dict)
    quirky: dict[str, str] = field(default_factory=dict)


def build(region: str, size: int, seed: int = 1, *, multi_site_every: int = 7,
          malformed_rate: float = 0.0, quirk_rate: float = 0.0,
          same_instant: int = 0) -> PermitDataset:
    """`size` holders; every `multi_site_every`-th holds a second permit; faults by rate.

    The first `same_instant` records share one updateTime (a tie larger than a page, when set).
    """
    rng = random.Random(f"permits/{seed}/{region}")
    data = PermitDataset([])
    tick = 0
    for subject in subjects(region, size, seed):
        sites = 2 if multi_site_every and subject.index % multi_site_every == 3 else 1
        for site in range(1, sites + 1):
            klass = _pick(rng, _CLASSES)
            registered = klass == "登记管理"
            valid_from = BASE_TIME.date() - timedelta(days=rng.randrange(30, 1500))
            # Some records share an instant (7 records every 3 seconds) as real data does.
            moment = BASE_TIME + timedelta(seconds=(max(tick, same_instant) * 7) // 3)
            tick += 1
            record: dict[str, Any] = {
                "permitNo": f"{subject.uscc}{site:03d}{'Z' if registered else 'P'}",
                "uscc": subject.uscc,
                "orgName": subject.name if site == 1 else f"{subject.name}（二厂）",
                "regionCode": subject.region_code,
                "address": f"{subject.region_code}某路{rng.randrange(1, 999)}号",
                "industryCode": subject.industry_code,
                "industryName": subject.industry_name,
                "managementClass": klass,
                "keyDischargeUnit": klass == "重点管理" and rng.random() < 0.5,
                "pollutantTypes": sorted(rng.sample(_POLLUTANTS, rng.randrange(1, 4))),
                "validFrom": None if registered else valid_from.isoformat(),
                "validTo": None if registered else (valid_from + timedelta(days=1825)).isoformat(),
                "status": _pick(rng, _STATUSES),
                "longitude": round(121 + rng.random(), 6),
                "latitude": round(36 + rng.random(), 6),
                "updateTime": iso(moment),
            }
            if malformed_rate and rng.random() < malformed_rate:
                kind = MALFORMATIONS[len(data.malformed) % len(MALFORMATIONS)]
                _malform(record, kind)
                data.malformed[record["permitNo"]] = kind
            elif quirk_rate and rng.random() < quirk_rate:
                kind = QUIRKS[len(data.quirky) % len(QUIRKS)]
                _quirk(record, kind)
                data.quirky[record["permitNo"].strip().upper()] = kind
            data.records.append(record)
    return data


def _malform(record: dict[str, Any], kind: str) -> None:
    if kind == "bad_check_digit":
        uscc = record["uscc"]
        wrong = uscc[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(uscc[17]) + 1) % 31]
        # The permit number starts with the holder's code (HJ 608), so it carries the same one.
        record["uscc"] = wrong
        record["permitNo"] = wrong + record["permitNo"][18:]
    elif kind == "unknown_class":
        record["managementClass"] = "重点"
    elif kind == "missing_name":
        del record["orgName"]
    elif kind == "bad_region":
        record["regionCode"] = record["regionCode"][:5]
    elif kind == "bad_update_time":
        record["updateTime"] = "2025-13-01 08:00"


def _quirk(record: dict[str, Any], kind: str) -> None:
    if kind == "lower_case_uscc":
        record["uscc"] = record["uscc"].lower()
    elif kind == "full_width_uscc":
        record["uscc"] = "".join(chr(ord(c) + 0xFEE0) for c in record["uscc"])
    elif kind == "extra_field":
        record["dataSource"] = "省级平台"
        record["remark"] = {"note": "unknown nested field"}
    elif kind == "padded_uscc":
        record["uscc"] = f"  {record['uscc']} "


def valid_permit_numbers(data: PermitDataset) -> Iterator[str]:
    """Permit numbers a correct client must end up storing."""
    return (r["permitNo"] for r in data.records if r["permitNo"] not in data.malformed)
