"""The provinces' environmental credit level words, per scheme, and their canonical tier
(docs/platforms/codes.md).

A word is looked up only in the configured scheme: a word of another scheme, or none, is an
error for that record, never silently UNRATED.
"""

from __future__ import annotations

import unicodedata

from ssj_bridge.api import CreditTier

EXCELLENT, GOOD, WARNING, POOR, SEVERE = (CreditTier.EXCELLENT, CreditTier.GOOD,
                                          CreditTier.WARNING, CreditTier.POOR, CreditTier.SEVERE)

SCHEMES: dict[str, dict[str, CreditTier]] = {
    # 国家 2013, 广东, 湖南 (old)
    "cn-words": {
        "环保诚信企业": EXCELLENT, "环境诚信企业": EXCELLENT,
        "环保良好企业": GOOD, "合格": GOOD,
        "环保警示企业": WARNING, "风险": WARNING,
        "环保不良企业": POOR, "不良": POOR,
    },
    # 江苏, 浙江, 湖南, 山东
    "colours": {
        "绿色": EXCELLENT, "绿牌": EXCELLENT,
        "蓝色": GOOD, "蓝牌": GOOD,
        "黄色": WARNING, "黄牌": WARNING,
        "红色": POOR, "红牌": POOR,
        "黑色": SEVERE, "黑牌": SEVERE,  # 严重失信
    },
    "letters": {"A": EXCELLENT, "B": GOOD, "C": WARNING, "D": POOR},
}


class UnknownLevel(ValueError):
    """A level word the configured scheme does not know."""


def normalise_word(word: str) -> str:
    """NFKC (full-width to half-width) and trimmed; letters compare in upper case."""
    return unicodedata.normalize("NFKC", word).strip().upper()


def tier_of(word: str, scheme: str) -> CreditTier:
    """The canonical tier of `word` in `scheme`; UnknownLevel naming the value and the scheme."""
    try:
        words = SCHEMES[scheme]
    except KeyError:
        raise UnknownLevel(f"scheme {scheme!r} is not one of {', '.join(SCHEMES)}") from None
    tier = words.get(normalise_word(word))
    if tier is None:
        raise UnknownLevel(f"{word!r} is not a level of the {scheme} scheme "
                           f"(known: {'、'.join(words)})")
    return tier


def words_for(scheme: str, tier: CreditTier) -> list[str]:
    """The words of `scheme` that mean `tier` (empty when the scheme has no such tier)."""
    return [word for word, t in SCHEMES[scheme].items() if t is tier]
