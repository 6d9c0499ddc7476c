"""A deterministic synthetic population of regulated subjects, shared by every simulator.

Every simulator derives its data from the same (seed, region, size), so the permit, credit and
provincial simulators agree on who exists without talking to each other.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from ssj_bridge.model.identifiers import USCC_ALPHABET, uscc_check_character

_WORDS = ["华", "泰", "鑫", "恒", "远", "东", "海", "诚", "昌", "瑞", "丰", "盛", "达", "新", "德",
          "金", "宏", "源", "安", "利"]
_TRADES = [("C2614", "有机化学原料制造", "化工"), ("C3130", "钢压延加工", "钢铁"),
           ("C2211", "木竹浆制造", "纸业"), ("C1371", "食品及饲料添加剂制造", "食品"),
           ("C3360", "金属表面处理及热处理加工", "表面处理"), ("D4411", "火力发电", "热电"),
           ("N7820", "环境卫生管理", "环卫"), ("H6110", "旅游饭店", "酒店"),
           ("H6210", "正餐服务", "餐饮"), ("P8331", "普通高中教育", "中学"),
           ("C2710", "化学药品原料药制造", "制药"), ("C3511", "矿山机械制造", "机械"),
           ("B0610", "烟煤和无烟煤开采洗选", "煤业"), ("C2926", "塑料包装箱及容器制造", "塑业")]


@dataclass(frozen=True)
class SyntheticSubject:
    """One synthetic holder: identity, place and trade."""

    index: int
    uscc: str
    name: str
    region_code: str
    industry_code: str
    industry_name: str


def counties_of(region: str, count: int = 4) -> list[str]:
    """Plausible county codes below a city (the city itself for a county-level region)."""
    if region.endswith("00") and not region.endswith("0000"):
        return [f"{region[:4]}{i:02d}" for i in range(2, 2 + count)]
    if region.endswith("0000"):
        return [f"{region[:2]}{c:02d}{i:02d}" for c in range(1, 3) for i in range(2, 4)]
    return [region]


def make_uscc(rng: random.Random, region: str) -> str:
    """A USCC with a correct GB 32100 check character."""
    body = "91" + region + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def subjects(region: str, size: int, seed: int = 1) -> Iterator[SyntheticSubject]:
    """`size` distinct subjects in `region`, the same for the same arguments."""
    rng = random.Random(f"{seed}/{region}")
    places = counties_of(region)
    seen: set[str] = set()
    index = 0
    while index < size:
        place = places[index % len(places)]
        uscc = make_uscc(rng, place)
        if uscc in seen:
            continue
        seen.add(uscc)
        code, trade_name, trade_word = _TRADES[rng.randrange(len(_TRADES))]
        name = f"{''.join(rng.choice(_WORDS) for _ in range(2))}{trade_word}有限公司"
        yield SyntheticSubject(index, uscc, name, place, code, trade_name)
        index += 1
