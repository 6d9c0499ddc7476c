"""USCC, region code and permit number value types (codes.md)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from ssj_bridge.model import USCC, PermitNo, RegionCode, region_within, uscc_problem
from ssj_bridge.model.identifiers import uscc_check_character

VALID = "91130200699229617X"
uscc = TypeAdapter(USCC)


def test_gb32100_check_character_of_a_known_code() -> None:
    assert uscc_check_character(VALID[:17]) == "X"
    assert uscc_problem(VALID) is None


def test_bad_check_digit_is_refused_naming_both_characters() -> None:
    with pytest.raises(ValidationError, match="check character is 'Y', GB 32100 gives 'X'"):
        uscc.validate_python(VALID[:17] + "Y")


@pytest.mark.parametrize("raw", [VALID.lower(), f"  {VALID}\t",
                                 "".join(chr(ord(c) + 0xFEE0) for c in VALID)])
def test_lower_case_padded_and_full_width_codes_normalise(raw: str) -> None:
    assert uscc.validate_python(raw) == VALID


@pytest.mark.parametrize(("raw", "problem"), [("91130200699229617", "17 characters"),
                                              ("91130200699229617I", "not in the GB 32100")])
def test_wrong_length_and_alphabet(raw: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        uscc.validate_python(raw)


def test_allow_list_accepts_a_code_that_fails_the_check() -> None:
    odd = VALID[:17] + "Y"
    assert uscc.validate_python(odd, context={"allowed_usccs": {odd}}) == odd


def test_region_code_and_within() -> None:
    region = TypeAdapter(RegionCode)
    assert region.validate_python("371002") == "371002"
    with pytest.raises(ValidationError):
        region.validate_python("37100")
    assert region_within("371002", "371000")
    assert region_within("371002", "370000")
    assert region_within("371002", "371002")
    assert not region_within("371002", "371003")
    assert not region_within("372002", "371000")
    assert not region_within("140522", "370000")


def test_permit_number_shape() -> None:
    permit_no = TypeAdapter(PermitNo)
    assert permit_no.validate_python("91130200699229617x001p") == "91130200699229617X001P"
    with pytest.raises(ValidationError):
        permit_no.validate_python("91130200699229617X01P")
