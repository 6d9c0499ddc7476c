"""The sampler of ssj-draw-v1 against draw.md: the published vector, the stream, the bounds."""

from __future__ import annotations

import hashlib
import hmac
import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssj_bridge.draw import (
    ALGORITHM,
    RandomStream,
    candidates_hash,
    choose,
    commitment,
    draw_subjects,
    new_secret,
    normalise_candidates,
    seed,
)

# The test vector of draw.md, also published in contracts/draw/README.md.
VECTOR_LABEL = "371000/2026Q4/M01/KEY"
VECTOR_K = 3
VECTOR_CANDIDATES = [
    "91371002MA3C00000J",
    "91371002MA3C00001M",
    "91371002MA3C00002Q",
    "91371002MA3C00003U",
    "91371002MA3C00004Y",
    "91371002MA3C000052",
    "91371002MA3C000065",
    "91371002MA3C000078",
    "91371002MA3C00008B",
    "91371002MA3C00009E",
]
VECTOR_CANDIDATES_HASH = "5c282424548f8af9e7205f42435a026c036bebc246ff85c4962c93964ad01bb5"
VECTOR_SECRET = bytes.fromhex("094b3038f1a3b6ea1aa24f6af2eed2670809101cfee702b5f9ca75029a952a4b")
VECTOR_COMMITMENT = "6ac1bf26f088b414276a1d8af3ce258a0e1dbb3c31cd0f571b5c056f43bf7a1e"
VECTOR_WITNESS = "20261126-88417"
VECTOR_SEED = "209d6e03f7e2a83e2f11e8eaeb12d7922986377a9453f46ea635ba4b8bbceade"
VECTOR_SELECTED = ["91371002MA3C000078", "91371002MA3C00004Y", "91371002MA3C00001M"]

# Chi-square critical values at p = 0.001, from the chi-square distribution's quantile table.
CHI2_CRITICAL_P001 = {9: 27.877}

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def deterministic_secret(index: int) -> bytes:
    """A 32-byte secret fixed by its index, so statistical tests give the same answer every run."""
    return hashlib.sha256(f"ssj-draw-v1 test secret {index}".encode()).digest()


def chi_square(counts: Counter[str], categories: list[str], expected: float) -> float:
    return sum((counts[c] - expected) ** 2 / expected for c in categories)


class ScriptedStream(RandomStream):
    """A stream that returns the given 64-bit values in order, and remembers how many it gave."""

    def __init__(self, values: list[int]) -> None:
        super().__init__(bytes(32), "scripted", "")
        self._values = list(values)
        self.read = 0

    def next_u64(self) -> int:
        self.read += 1
        return self._values.pop(0)


# --- the published test vector ----------------------------------------------------------------


def test_algorithm_name_is_ssj_draw_v1() -> None:
    assert ALGORITHM == "ssj-draw-v1"


def test_published_vector_candidates_are_already_normalised() -> None:
    assert normalise_candidates(VECTOR_CANDIDATES) == VECTOR_CANDIDATES


def test_published_vector_candidates_hash() -> None:
    assert candidates_hash(VECTOR_CANDIDATES) == VECTOR_CANDIDATES_HASH


def test_published_vector_commitment() -> None:
    assert commitment(VECTOR_SECRET) == VECTOR_COMMITMENT


def test_published_vector_seed() -> None:
    assert seed(VECTOR_SECRET, VECTOR_WITNESS).hex() == VECTOR_SEED


def test_published_vector_selects_the_published_subjects_in_order() -> None:
    selected = draw_subjects(
        VECTOR_SECRET, VECTOR_WITNESS, VECTOR_LABEL, VECTOR_CANDIDATES, VECTOR_K
    )
    assert selected == VECTOR_SELECTED


def test_published_vector_through_the_individual_steps() -> None:
    stream = RandomStream(
        bytes.fromhex(VECTOR_SEED), VECTOR_LABEL, candidates_hash(VECTOR_CANDIDATES)
    )
    assert choose(VECTOR_CANDIDATES, VECTOR_K, stream) == VECTOR_SELECTED


# --- building blocks ----------------------------------------------------------------------------


def test_normalise_upper_cases_dedupes_and_sorts() -> None:
    messy = [c.lower() for c in reversed(VECTOR_CANDIDATES)] + VECTOR_CANDIDATES[:3]
    assert normalise_candidates(messy) == VECTOR_CANDIDATES


def test_candidates_hash_joins_with_newline_without_trailing_newline() -> None:
    expected = hashlib.sha256(b"A\nB").hexdigest()
    assert candidates_hash(["A", "B"]) == expected


def test_candidates_hash_of_empty_list_is_hash_of_empty_string() -> None:
    assert candidates_hash([]) == hashlib.sha256(b"").hexdigest()


def test_new_secret_is_32_fresh_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert len(first) == 32
    assert first != second


def test_unwitnessed_seed_uses_the_empty_string() -> None:
    assert seed(VECTOR_SECRET, "") == hashlib.sha256(VECTOR_SECRET + b"\x00").digest()


def test_witness_entropy_is_utf8_encoded() -> None:
    text = "纪检监察 88417"
    expected = hashlib.sha256(VECTOR_SECRET + b"\x00" + text.encode("utf-8")).digest()
    assert seed(VECTOR_SECRET, text) == expected


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_secret_of_wrong_length_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        commitment(bytes(length))
    with pytest.raises(ValueError, match="32 bytes"):
        seed(bytes(length), "")


def test_stream_is_hmac_blocks_read_as_big_endian_u64() -> None:
    key = bytes.fromhex(VECTOR_SEED)
    stream = RandomStream(key, VECTOR_LABEL, VECTOR_CANDIDATES_HASH)
    raw = b""
    for i in range(3):
        message = (
            VECTOR_LABEL.encode()
            + b"\x00"
            + VECTOR_CANDIDATES_HASH.encode()
            + b"\x00"
            + i.to_bytes(8, "big")
        )
        raw += hmac.new(key, message, hashlib.sha256).digest()
    expected = [int.from_bytes(raw[o : o + 8], "big") for o in range(0, len(raw), 8)]
    assert [stream.next_u64() for _ in expected] == expected


def test_uniform_of_one_still_consumes_a_value() -> None:
    stream = ScriptedStream([12345])
    assert stream.uniform(1) == 0
    assert stream.read == 1


# --- modulo bias --------------------------------------------------------------------------------


def test_value_at_or_above_limit_is_discarded_and_next_value_used() -> None:
    # 2^64 mod 3 = 1, so limit = 2^64 - 1 and only the very largest u64 is rejected.
    n = 3
    limit = 2**64 - (2**64 % n)
    assert limit == 2**64 - 1
    stream = ScriptedStream([limit, 7])
    assert stream.uniform(n) == 7 % n
    assert stream.read == 2


def test_value_just_below_limit_is_accepted() -> None:
    n = 3
    limit = 2**64 - (2**64 % n)
    stream = ScriptedStream([limit - 1, 7])
    assert stream.uniform(n) == (limit - 1) % n
    assert stream.read == 1


def test_several_rejections_in_a_row_are_all_discarded() -> None:
    n = 2**63 + 1  # limit = 2^63 + 1: nearly half of all u64 values are rejected
    limit = 2**64 - (2**64 % n)
    assert limit == 2**63 + 1
    stream = ScriptedStream([2**64 - 1, limit, 2**63 + 5, 42])
    assert stream.uniform(n) == 42
    assert stream.read == 4


def test_rejection_on_the_real_stream_matches_a_reference_reading() -> None:
    # With this n about half the values are rejected, so the real stream exercises the rule.
    n = 2**63 + 1
    limit = 2**64 - (2**64 % n)
    key = deterministic_secret(0)
    reference = RandomStream(key, "rejection", "")
    expected: list[int] = []
    rejected = 0
    while len(expected) < 20:
        u = reference.next_u64()
        if u >= limit:
            rejected += 1
        else:
            expected.append(u % n)
    assert rejected > 0
    stream = RandomStream(key, "rejection", "")
    assert [stream.uniform(n) for _ in range(20)] == expected


def test_uniform_refuses_n_out_of_range() -> None:
    stream = ScriptedStream([0])
    with pytest.raises(ValueError, match="out of range"):
        stream.uniform(0)
    with pytest.raises(ValueError, match="out of range"):
        stream.uniform(2**64 + 1)


# --- input errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, -1, 11, 100])
def test_k_out_of_range_is_refused(k: int) -> None:
    with pytest.raises(ValueError, match=rf"k={k} is out of range, must be 1 ≤ k ≤ 10"):
        draw_subjects(VECTOR_SECRET, VECTOR_WITNESS, VECTOR_LABEL, VECTOR_CANDIDATES, k)


def test_k_equal_to_the_number_of_candidates_draws_everyone() -> None:
    selected = draw_subjects(VECTOR_SECRET, VECTOR_WITNESS, VECTOR_LABEL, VECTOR_CANDIDATES, 10)
    assert sorted(selected) == VECTOR_CANDIDATES


def test_empty_candidates_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        draw_subjects(VECTOR_SECRET, VECTOR_WITNESS, VECTOR_LABEL, [], 1)
    with pytest.raises(ValueError, match="empty"):
        choose([], 1, ScriptedStream([]))


def test_unsorted_candidates_are_refused() -> None:
    unsorted = [VECTOR_CANDIDATES[1], VECTOR_CANDIDATES[0], *VECTOR_CANDIDATES[2:]]
    with pytest.raises(ValueError, match="ascending byte order"):
        draw_subjects(VECTOR_SECRET, VECTOR_WITNESS, VECTOR_LABEL, unsorted, 1)
    with pytest.raises(ValueError, match="ascending byte order"):
        candidates_hash(unsorted)


def test_duplicate_candidates_are_refused() -> None:
    duplicated = [VECTOR_CANDIDATES[0], *VECTOR_CANDIDATES]
    with pytest.raises(ValueError, match="duplicate"):
        draw_subjects(VECTOR_SECRET, VECTOR_WITNESS, VECTOR_LABEL, duplicated, 1)
    with pytest.raises(ValueError, match="duplicate"):
        candidates_hash(duplicated)


def test_lower_case_subject_candidates_are_refused() -> None:
    with pytest.raises(ValueError, match="not upper case"):
        draw_subjects(VECTOR_SECRET, VECTOR_WITNESS, VECTOR_LABEL, ["91371002ma3c00000j"], 1)


# --- properties ---------------------------------------------------------------------------------

usccs = st.text(alphabet=USCC_CHARS, min_size=18, max_size=18)
candidate_lists = st.lists(usccs, min_size=1, max_size=60, unique=True).map(normalise_candidates)
secrets_32 = st.binary(min_size=32, max_size=32)
witness_texts = st.text(max_size=40)
labels = st.text(min_size=1, max_size=40)


@given(secrets_32, witness_texts, labels, candidate_lists, st.data())
def test_selection_is_k_distinct_members_of_the_candidates(
    secret: bytes, witness: str, label: str, candidates: list[str], data: st.DataObject
) -> None:
    k = data.draw(st.integers(min_value=1, max_value=len(candidates)))
    selected = draw_subjects(secret, witness, label, candidates, k)
    assert len(selected) == k
    assert len(set(selected)) == k
    assert set(selected) <= set(candidates)


@given(secrets_32, witness_texts, labels, candidate_lists, st.data())
def test_same_inputs_give_the_same_selection(
    secret: bytes, witness: str, label: str, candidates: list[str], data: st.DataObject
) -> None:
    k = data.draw(st.integers(min_value=1, max_value=len(candidates)))
    first = draw_subjects(secret, witness, label, candidates, k)
    again = draw_subjects(bytes(secret), str(witness), str(label), list(candidates), k)
    assert first == again


@given(secrets_32, witness_texts, labels, candidate_lists, st.data())
def test_smaller_k_draws_a_prefix_of_larger_k(
    secret: bytes, witness: str, label: str, candidates: list[str], data: st.DataObject
) -> None:
    k = data.draw(st.integers(min_value=1, max_value=len(candidates)))
    full = draw_subjects(secret, witness, label, candidates, len(candidates))
    assert draw_subjects(secret, witness, label, candidates, k) == full[:k]


@given(secrets_32, witness_texts, labels, candidate_lists, st.randoms())
def test_input_order_and_case_do_not_matter_after_normalising(
    secret: bytes, witness: str, label: str, candidates: list[str], rnd: random.Random
) -> None:
    shuffled = [c.lower() for c in candidates]
    rnd.shuffle(shuffled)
    k = len(candidates)
    assert draw_subjects(secret, witness, label, normalise_candidates(shuffled), k) == (
        draw_subjects(secret, witness, label, candidates, k)
    )


# --- uniformity ---------------------------------------------------------------------------------

DRAWS = 4000


def test_each_candidate_is_equally_likely_to_be_drawn_alone() -> None:
    candidates = VECTOR_CANDIDATES
    counts: Counter[str] = Counter()
    for index in range(DRAWS):
        (chosen,) = draw_subjects(deterministic_secret(index), "", VECTOR_LABEL, candidates, 1)
        counts[chosen] += 1
    statistic = chi_square(counts, candidates, DRAWS / len(candidates))
    assert statistic < CHI2_CRITICAL_P001[len(candidates) - 1], (statistic, counts)


@pytest.mark.parametrize("position", [0, 1, 2])
def test_each_candidate_is_equally_likely_at_each_position(position: int) -> None:
    candidates = VECTOR_CANDIDATES
    counts: Counter[str] = Counter()
    for index in range(DRAWS):
        selected = draw_subjects(
            deterministic_secret(index), "uniformity", VECTOR_LABEL, candidates, 3
        )
        counts[selected[position]] += 1
    statistic = chi_square(counts, candidates, DRAWS / len(candidates))
    assert statistic < CHI2_CRITICAL_P001[len(candidates) - 1], (statistic, counts)
