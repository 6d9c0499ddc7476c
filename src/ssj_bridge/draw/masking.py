"""Names of drawn subjects and inspectors, masked until the inspection starts.

Who is to be inspected, and by whom, stays confidential until the task starts (检查中): output
and logs show `威海某化工**公司` and `张*`. A data manager may ask for the names explicitly.
"""

from __future__ import annotations

import re

from ssj_bridge.model import TaskStatus

# Organisation forms, longest first; their 有限/股份/责任 are masked, the form itself kept.
_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "合作社", "公司", "集团", "医院",
          "学校", "中心", "厂", "店", "场", "站")
_FORM_MASKED = str.maketrans({"有": "*", "限": "*", "股": "*", "份": "*", "责": "*", "任": "*"})
# Trade words kept before the form: they tell the inspector the kind of site, not which one.
_TRADES = ("表面处理", "热电", "化工", "钢铁", "纸业", "食品", "环卫", "酒店", "餐饮", "中学", "制药",
           "机械", "煤业", "塑业", "电力", "化学", "科技", "实业", "材料", "环保", "建材", "水泥",
           "医药", "印染", "纺织", "电镀", "能源", "矿业", "石化", "污水处理", "养殖", "皮革", "冶金")
_PLACE = re.compile(r"^[\u4e00-\u9fff]{2,4}?[省市县区]")
_BRACKET = re.compile(r"[（(][^（）()]*[）)]$")


def mask_subject_name(name: str) -> str:
    """`威海市华泰化工有限公司` → `威海市某化工**公司`: place, trade and form kept, the firm's name hidden.

    A trailing bracket (a branch or site, `（二厂）`) is kept; a name of no known form becomes
    `某` and a star per further character.
    """
    text = name.strip()
    if not text:
        return text
    bracket = _BRACKET.search(text)
    suffix = bracket.group(0) if bracket else ""
    text = text[:len(text) - len(suffix)]
    place_match = _PLACE.match(text)
    place = place_match.group(0) if place_match else ""
    rest = text[len(place):]
    form = next((f for f in _FORMS if rest.endswith(f) and len(rest) > len(f)), "")
    body = rest[:len(rest) - len(form)]
    trade = next((t for t in sorted(_TRADES, key=len, reverse=True)
                  if body.endswith(t) and len(body) > len(t)), "")
    if not form and not trade:
        return f"{place}某{'*' * max(len(rest) - 1, 0)}{suffix}"
    return f"{place}某{trade}{form.translate(_FORM_MASKED)}{suffix}"


def mask_person_name(name: str) -> str:
    """`张伟` → `张*`, `欧阳娜娜` → `欧***`: the first character kept, one star per other."""
    text = name.strip()
    if len(text) <= 1:
        return "*" * len(text)
    return text[0] + "*" * (len(text) - 1)


def names_visible(task_status: str | None, unmask: bool = False) -> bool:
    """True once the task has started (检查中 or later), or when a data manager asks."""
    return unmask or task_status in (TaskStatus.IN_PROGRESS.value, TaskStatus.COMPLETED.value)


def shown_subject(name: str | None, visible: bool) -> str:
    """The subject's name as output shows it."""
    if not name:
        return ""
    return name if visible else mask_subject_name(name)


def shown_person(name: str | None, visible: bool) -> str:
    """An inspector's name as output shows it."""
    if not name:
        return ""
    return name if visible else mask_person_name(name)
