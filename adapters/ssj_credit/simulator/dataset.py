"""The credit simulator's synthetic data: both feeds over the permit simulator's population.

Deterministic for one (region, subjects, seed, vocabulary, today). Rows carry what real data
carries: several years, withdrawn rows (ZT=0), rows past their expiry, rows without one, a second
row of one year with a later FBRQ, elements in any order, optional elements missing or empty.
The first subjects hold planted cases (`CreditDataset.cases`) whose outcome is known.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from ssj_bridge.api import USCC_ALPHABET, CreditTier, beijing_today
from ssj_bridge.api.simulation import SyntheticSubject, subjects
from ssj_credit.vocabulary import SCHEMES, words_for

Row = dict[str, str | None]
T = TypeVar("T")

_TIERS = [(CreditTier.EXCELLENT, 0.2), (CreditTier.GOOD, 0.5), (CreditTier.WARNING, 0.17),
          (CreditTier.POOR, 0.1), (CreditTier.SEVERE, 0.03)]
_RISKS = [("A", 0.35), ("B", 0.45), ("C", 0.15), ("D", 0.05)]
# Words no scheme knows, and words of the other schemes: each must be set aside.
UNKNOWN_WORDS = ("优秀企业", "诚信", "AA", "绿", "良好")
MALFORMATIONS = ("unknown_word", "foreign_word", "bad_check_digit", "missing_level",
                 "bad_risk_letter")
QUIRKS = ("padded_level", "lower_case_uscc", "full_width_uscc", "extra_element")


@dataclass
class Placed:
    """A row and the region of its subject (the region a query filters by)."""

    region: str
    row: Row


@dataclass
class CreditDataset:
    """Rows of both feeds; which were made malformed (by record key) and the planted cases."""

    vocabulary: str
    today: date
    evaluations: dict[int, list[Placed]] = field(default_factory=dict)
    risks: list[Placed] = field(default_factory=list)
    malformed: dict[str, str] = field(default_factory=dict)
    # case name → (USCC, the tier / risk letter in force on `today`)
    cases: dict[str, tuple[str, str]] = field(default_factory=dict)


def _pick(rng: random.Random, weighted: list[tuple[T, float]]) -> T:
    roll, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if roll < total:
            return value
    return weighted[-1][0]


def word(rng: random.Random, vocabulary: str, tier: CreditTier) -> str:
    """A word of `vocabulary` for `tier` (POOR where the scheme has no SEVERE)."""
    words = words_for(vocabulary, tier) or words_for(vocabulary, CreditTier.POOR)
    return rng.choice(words)


def build(region: str, size: int, seed: int = 1, *, vocabulary: str = "cn-words",
          today: date | None = None, years: list[int] | None = None,
          malformed_rate: float = 0.0, quirk_rate: float = 0.0) -> CreditDataset:
    """Evaluations for `years` (default: today's year and the two before) and risk classes."""
    if vocabulary not in SCHEMES:
        raise ValueError(f"vocabulary {vocabulary!r} is not one of {', '.join(SCHEMES)}")
    today = today or beijing_today()
    years = sorted(years or range(today.year - 2, today.year + 1))
    rng = random.Random(f"credit/{seed}/{region}/{vocabulary}")
    data = CreditDataset(vocabulary, today, {year: [] for year in years})
    population = list(subjects(region, size, seed))
    planted = _plant(data, population[:5], rng, years, malformed_rate > 0)
    for subject in population[planted:]:
        for year in years:
            if rng.random() < 0.25:
                continue  # not evaluated that year
            published = date(year + 1, 3, 1) + timedelta(days=rng.randrange(0, 120))
            if published > today:
                continue  # not published yet
            row = _evaluation(subject.uscc, subject.name, subject.region_code, year,
                              word(rng, vocabulary, _pick(rng, _TIERS)), published,
                              published + timedelta(days=364))
            variant = rng.random()
            if variant < 0.05:
                row["ZT"] = "0"  # withdrawn, e.g. after 信用修复
            elif variant < 0.10:
                row["YXQZ"] = (published + timedelta(days=rng.randrange(30, 180))).isoformat()
            elif variant < 0.15:
                row["YXQZ"] = None  # in force until withdrawn
            _vary(rng, row)
            _damage(data, rng, row, "evaluation", malformed_rate, quirk_rate)
            data.evaluations[year].append(Placed(subject.region_code, row))
            if variant > 0.96:
                # A second publication of the same year (a re-evaluation): the later FBRQ wins.
                later = published + timedelta(days=rng.randrange(30, 120))
                if later <= today:
                    again = _evaluation(subject.uscc, subject.name, subject.region_code, year,
                                        word(rng, vocabulary, _pick(rng, _TIERS)), later,
                                        later + timedelta(days=364))
                    _vary(rng, again)
                    data.evaluations[year].append(Placed(subject.region_code, again))
        if rng.random() < 0.6:
            classified = today - timedelta(days=rng.randrange(1, 700))
            letter = _pick(rng, _RISKS)
            row = _risk(subject.uscc, subject.name, letter, classified)
            _vary(rng, row)
            _damage(data, rng, row, "risk", malformed_rate, quirk_rate)
            data.risks.append(Placed(subject.region_code, row))
            if rng.random() < 0.15 and classified < today:
                later = classified + timedelta(days=rng.randrange(1, (today - classified).days + 1))
                again = _risk(subject.uscc, subject.name, _pick(rng, _RISKS), later)
                data.risks.append(Placed(subject.region_code, again))
    return data


def _evaluation(uscc: str, name: str, region: str, year: int, level: str, published: date,
                valid_until: date | None) -> Row:
    return {"TYSHXYDM": uscc, "QYMC": name, "XZQHDM": region, "PJND": str(year), "PJDJ": level,
            "FBRQ": published.isoformat(),
            "YXQZ": valid_until.isoformat() if valid_until else None, "ZT": "1"}


def _risk(uscc: str, name: str, letter: str, classified: date) -> Row:
    return {"TYSHXYDM": uscc, "QYMC": name, "FXFL": letter, "FLRQ": classified.isoformat()}


def _vary(rng: random.Random, row: Row) -> None:
    # Optional elements missing (None: not rendered) or empty ("": rendered empty).
    if rng.random() < 0.04:
        row["QYMC"] = rng.choice([None, ""])
    if "XZQHDM" in row and rng.random() < 0.04:
        row["XZQHDM"] = rng.choice([None, ""])


def _damage(data: CreditDataset, rng: random.Random, row: Row, kind: str,
            malformed_rate: float, quirk_rate: float) -> None:
    if malformed_rate and rng.random() < malformed_rate:
        choices = [m for m in MALFORMATIONS if (m == "bad_risk_letter") == (kind == "risk")
                   or m == "bad_check_digit"]
        how = choices[len(data.malformed) % len(choices)]
        _malform(data.vocabulary, rng, row, how)
        data.malformed[_key(row, kind)] = how
    elif quirk_rate and rng.random() < quirk_rate:
        _quirk(rng, row, QUIRKS[rng.randrange(len(QUIRKS))])


def _key(row: Row, kind: str) -> str:
    if kind == "evaluation":
        return f"{row['TYSHXYDM']}/{row['PJND']}/{row.get('FBRQ') or ''}"
    return f"{row['TYSHXYDM']}/{row.get('FLRQ') or ''}"


def _malform(vocabulary: str, rng: random.Random, row: Row, how: str) -> None:
    if how == "unknown_word":
        row["PJDJ"] = rng.choice(UNKNOWN_WORDS)
    elif how == "foreign_word":
        other = [s for s in SCHEMES if s != vocabulary]
        row["PJDJ"] = rng.choice(list(SCHEMES[rng.choice(other)]))
    elif how == "bad_check_digit":
        uscc = str(row["TYSHXYDM"])
        row["TYSHXYDM"] = uscc[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(uscc[17]) + 1) % 31]
    elif how == "missing_level":
        row["PJDJ"] = rng.choice([None, ""])
    elif how == "bad_risk_letter":
        row["FXFL"] = rng.choice(["E", "低风险", ""])


def _quirk(rng: random.Random, row: Row, how: str) -> None:
    uscc = str(row["TYSHXYDM"])
    if how == "padded_level" and row.get("PJDJ"):
        row["PJDJ"] = f"  {row['PJDJ']}\n"
    elif how == "lower_case_uscc":
        row["TYSHXYDM"] = uscc.lower()
    elif how == "full_width_uscc":
        row["TYSHXYDM"] = "".join(chr(ord(c) + 0xFEE0) for c in uscc)
    elif how == "extra_element":
        row["SJLY"] = "省生态环境厅"  # an element the client does not know: ignored


def _plant(data: CreditDataset, planted: list[SyntheticSubject], rng: random.Random,
           years: list[int], unknown_word: bool) -> int:
    """Cases on the first subjects whose standing on `today` is known; returns how many."""
    if len(planted) < 5 or len(years) < 2:
        return 0
    today, vocab = data.today, data.vocabulary
    # The current year is rarely published yet: plant in the two years before it.
    latest = years[-2] if len(years) > 2 else years[-1]
    before = years[years.index(latest) - 1]

    def add(subject_index: int, year: int, tier: CreditTier | str, published: date,
            valid_until: date | None, in_force: bool = True) -> Row:
        subject = planted[subject_index]
        level = word(rng, vocab, tier) if isinstance(tier, CreditTier) else tier
        row = _evaluation(subject.uscc, subject.name, subject.region_code, year, level,
                          published, valid_until)
        row["ZT"] = "1" if in_force else "0"
        data.evaluations.setdefault(year, []).append(Placed(subject.region_code, row))
        return row

    day = timedelta(days=1)
    # Two rows of one year: the later FBRQ wins.
    add(0, latest, CreditTier.GOOD, today - 200 * day, today + 165 * day)
    add(0, latest, CreditTier.WARNING, today - 100 * day, today + 265 * day)
    data.cases["later_publication_wins"] = (planted[0].uscc, CreditTier.WARNING.value)
    # The latest year withdrawn: the year before, still valid, holds.
    add(1, latest, CreditTier.POOR, today - 100 * day, today + 265 * day, in_force=False)
    add(1, before, CreditTier.EXCELLENT, today - 400 * day, today + 200 * day)
    data.cases["withdrawn_latest_year"] = (planted[1].uscc, CreditTier.EXCELLENT.value)
    # The latest year expired: the year before, without expiry, holds.
    add(2, latest, CreditTier.POOR, today - 300 * day, today - 10 * day)
    add(2, before, CreditTier.GOOD, today - 500 * day, None)
    data.cases["expired_latest_year"] = (planted[2].uscc, CreditTier.GOOD.value)
    # Every row withdrawn or expired: UNRATED.
    add(3, latest, CreditTier.POOR, today - 100 * day, today + 265 * day, in_force=False)
    add(3, before, CreditTier.GOOD, today - 500 * day, today - 135 * day)
    data.cases["nothing_in_force"] = (planted[3].uscc, CreditTier.UNRATED.value)
    if unknown_word:
        # A word no scheme knows: set aside; the year before holds.
        row = add(4, latest, UNKNOWN_WORDS[0], today - 100 * day, today + 265 * day)
        data.malformed[_key(row, "evaluation")] = "unknown_word"
        add(4, before, CreditTier.GOOD, today - 400 * day, None)
        data.cases["unknown_word_latest_year"] = (planted[4].uscc, CreditTier.GOOD.value)
    # Two classifications: the later FLRQ wins.
    subject = planted[4]
    data.risks.append(Placed(subject.region_code, _risk(subject.uscc, subject.name, "A",
                                                        today - 400 * day)))
    data.risks.append(Placed(subject.region_code, _risk(subject.uscc, subject.name, "C",
                                                        today - 30 * day)))
    data.cases["later_classification_wins"] = (subject.uscc, "C")
    return 5
