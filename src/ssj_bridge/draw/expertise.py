"""The field of expertise a matter (抽查事项) needs in each group, e.g. 辐射 for a radiation matter.

A policy's matter may declare its fields (`expertise`); otherwise the field is read from the
matter's name and object kind, first match wins, and a matter whose name names no specialist field (such as
M01 污染源日常环境监督管理) needs none.
"""

from __future__ import annotations

from typing import Protocol

from ssj_bridge.model import Expertise


class Named(Protocol):
    """A matter as expertise reads it: its name (and its object kind, where it has one)."""

    @property
    def name(self) -> str:
        """The matter's name."""
        ...

# Ordered: the first word found in the matter's name decides its one field.
_NAME_WORDS: tuple[tuple[str, Expertise], ...] = (
    ("辐射", Expertise.RADIATION),
    ("移动源", Expertise.MOBILE_SOURCE),
    ("机动车", Expertise.MOBILE_SOURCE),
    ("移动机械", Expertise.MOBILE_SOURCE),
    ("柴油车", Expertise.MOBILE_SOURCE),
    ("加油站", Expertise.MOBILE_SOURCE),  # 南山 四（二）3 lists them with the mobile sources
    ("入海排污口", Expertise.MARINE),
    ("入河排污口", Expertise.WATER),
    ("污水处理", Expertise.WATER),
    ("危险废物", Expertise.HAZARDOUS_WASTE),
    ("固体废物", Expertise.SOLID_WASTE),
    ("监测", Expertise.MONITORING),
    ("环评", Expertise.EIA),
    ("环境影响评价", Expertise.EIA),
    ("噪声", Expertise.NOISE),
    ("土壤", Expertise.SOIL),
)


def matter_expertise(matter: Named) -> tuple[str, ...]:
    """The fields every group drawn for `matter` must hold, in Expertise order."""
    declared = getattr(matter, "expertise", None)
    if declared is not None:
        wanted = {Expertise(str(e)) for e in declared}
        return tuple(e.value for e in Expertise if e in wanted)
    words = matter.name + str(getattr(matter, "object_kind", ""))
    for word, field in _NAME_WORDS:
        if word in words:
            return (field.value,)
    return ()
