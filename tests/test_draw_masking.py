"""Names of drawn subjects and inspectors stay masked until the inspection starts."""

from __future__ import annotations

import pytest

from ssj_bridge.draw.masking import mask_person_name, mask_subject_name, names_visible


@pytest.mark.parametrize(("name", "masked"), [
    ("威海市华泰化工有限公司", "威海市某化工**公司"),
    ("德诚表面处理有限公司（二厂）", "某表面处理**公司（二厂）"),
    ("源瑞钢铁股份有限公司", "某钢铁****公司"),
    ("鑫达热电有限责任公司", "某热电****公司"),
    ("华泰", "某*"),
])
def test_subject_names_keep_place_trade_and_form_but_hide_the_firm(name: str, masked: str) -> None:
    assert mask_subject_name(name) == masked


@pytest.mark.parametrize(("name", "masked"), [("张伟", "张*"), ("欧阳娜娜", "欧***"), ("王", "*")])
def test_person_names_keep_the_first_character(name: str, masked: str) -> None:
    assert mask_person_name(name) == masked


@pytest.mark.parametrize(("status", "unmask", "visible"), [
    ("已抽取", False, False), ("已抽取", True, True), ("检查中", False, True),
    ("已完成", False, True)])
def test_names_show_once_the_task_starts_or_on_request(status: str, unmask: bool,
                                                       visible: bool) -> None:
    assert names_visible(status, unmask) is visible
