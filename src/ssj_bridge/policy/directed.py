"""定向抽查: a draw limited to subjects with a designation or a credit-risk class.

The texts allow draws "按照监管对象、检查人员具有的标识，在限定范围内随机抽取" (威海 第十二条, 益阳
四（一）, 南山 四（三）, 阳城 附件3 "定向"). `draw commit --directed EXPR` names the scope:

    EXPR  = ALL ( "|" ALL )*          a subject is in scope when one alternative holds
    ALL   = TERM ( "&" TERM )*        an alternative holds when each of its terms does
    TERM  = TAG | TAG ":" VALUE | "riskClass=" CLASS ( "," CLASS )*

TAG is a designation of interface.md (`两高`, `VOCs` …), in force on the day whose facts
classify the quarter; VALUE its value (`VOCs:C`); CLASS a credit-risk class (`LOW MEDIUM HIGH
VERY_HIGH`, or the platforms' letters `A`–`D`). The scope is written back in one canonical
form, which the draw's label carries, so the scope is part of what the witness's text and the
secret draw from and `draw verify` re-derives (contracts/draw/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ssj_bridge.model import RiskClass, Tag
from ssj_bridge.policy.rules import SubjectFacts

RISK = "riskClass"
_TAGS = {t.value for t in Tag}
_LETTERS = {"A": RiskClass.LOW, "B": RiskClass.MEDIUM, "C": RiskClass.HIGH, "D": RiskClass.VERY_HIGH}

# What this module says (one place, to translate).
TEXT = {
    "empty": "the directed scope is empty; write e.g. 两高, VOCs:C or riskClass=HIGH",
    "term": "{term!r} is not TAG, TAG:VALUE or riskClass=CLASS",
    "tag": "{tag!r} is not a designation tag (one of {tags})",
    "risk": "{value!r} is not a credit-risk class (LOW MEDIUM HIGH VERY_HIGH, or A–D)",
}


@dataclass(frozen=True)
class Term:
    """One condition: a tag in force (with one of `values`, when given), or a risk class."""

    name: str
    values: tuple[str, ...] = ()

    @property
    def risk(self) -> bool:
        """A credit-risk class condition."""
        return self.name == RISK

    def text(self) -> str:
        """The canonical form."""
        if self.risk:
            return f"{RISK}={','.join(self.values)}"
        return f"{self.name}:{self.values[0]}" if self.values else self.name

    def holds(self, facts: SubjectFacts) -> Any:
        """The facts behind the condition when it holds, else None."""
        if self.risk:
            if facts.risk_class is not None and facts.risk_class.value in self.values:
                return {"riskClass": facts.risk_class.value}
            return None
        return facts.tag(self.name, self.values or None)


@dataclass(frozen=True)
class DirectedScope:
    """A parsed scope: alternatives, each a conjunction of terms (module docstring)."""

    alternatives: tuple[tuple[Term, ...], ...]

    def text(self) -> str:
        """The canonical form (what the label and the commitment record carry)."""
        return "|".join("&".join(t.text() for t in terms) for terms in self.alternatives)

    def __str__(self) -> str:
        return self.text()

    def holds(self, facts: SubjectFacts) -> bool:
        """Whether the subject is in scope."""
        return any(all(t.holds(facts) is not None for t in terms) for terms in self.alternatives)

    @property
    def needs_risk(self) -> bool:
        """Whether a term reads the credit-risk class."""
        return any(t.risk for terms in self.alternatives for t in terms)


def parse_directed(text: str) -> DirectedScope:
    """The scope `text` names; ValueError saying what is wrong otherwise."""
    alternatives = []
    for part in text.split("|"):
        terms = tuple(_term(word.strip()) for word in part.split("&") if word.strip())
        if terms:
            alternatives.append(terms)
    if not alternatives:
        raise ValueError(TEXT["empty"])
    return DirectedScope(tuple(alternatives))


def _term(word: str) -> Term:
    if "=" in word:
        name, _, values = word.partition("=")
        if name.strip() != RISK:
            raise ValueError(TEXT["term"].format(term=word))
        classes = [_risk(v.strip()) for v in values.split(",") if v.strip()]
        if not classes:
            raise ValueError(TEXT["risk"].format(value=values))
        ordered = [c.value for c in RiskClass if c in classes]
        return Term(RISK, tuple(ordered))
    tag, _, value = word.partition(":")
    tag = tag.strip()
    if tag not in _TAGS:
        raise ValueError(TEXT["tag"].format(tag=tag, tags=" ".join(sorted(_TAGS))))
    return Term(tag, (value.strip(),) if value.strip() else ())


def _risk(value: str) -> RiskClass:
    upper = value.upper()
    if upper in _LETTERS:
        return _LETTERS[upper]
    try:
        return RiskClass(upper)
    except ValueError:
        raise ValueError(TEXT["risk"].format(value=value)) from None
