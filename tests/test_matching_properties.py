"""Inspector matching: it never breaks a rule, spreads the work evenly, and draws uniformly."""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import combinations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ssj_bridge.draw.matching import (
    Group,
    InspectorProfile,
    MatchingInfeasible,
    MatchingInputs,
    apply_redraws,
    group_problems,
    match_inspectors,
    matching_stream,
    redraw_inspector,
    redraw_stream,
)
from ssj_bridge.draw.sampler import RandomStream

FIELDS = ("大气", "水", "辐射")
SUBJECTS = [f"9137100200000{i:04d}X" for i in range(30)]
# Chi-square critical values at p = 0.001 (quantile table of the chi-square distribution).
CHI2_CRITICAL_P001 = {5: 20.515, 14: 36.123}


def secret_of(index: int) -> bytes:
    """A fixed 32-byte key per index, so statistical tests give the same answer every run."""
    return hashlib.sha256(f"matching test {index}".encode()).digest()


def stream_for(key: bytes, inputs: MatchingInputs) -> RandomStream:
    return matching_stream(key, "371000/2026Q2/M01/KEY", inputs.inspector_candidates_hash)


@st.composite
def matching_cases(draw: st.DrawFn) -> tuple[MatchingInputs, list[str]]:
    """Random rosters (certification, expertise, conflicts, load), rules and selections."""
    subjects = draw(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=12, unique=True))
    count = draw(st.integers(min_value=1, max_value=12))
    people = []
    for index in range(count):
        people.append(InspectorProfile(
            f"I{index:02d}", draw(st.booleans()),
            frozenset(draw(st.sets(st.sampled_from(FIELDS)))),
            frozenset(draw(st.sets(st.sampled_from(subjects), max_size=3))),
            draw(st.integers(min_value=0, max_value=3))))
    modes = {u: "非现场" for u in subjects if draw(st.integers(0, 4)) == 0}
    inputs = MatchingInputs(tuple(people), draw(st.integers(min_value=2, max_value=4)),
                            tuple(draw(st.lists(st.sampled_from(FIELDS), max_size=2, unique=True))),
                            modes)
    return inputs, subjects


def feasible(inputs: MatchingInputs, uscc: str) -> bool:
    """Whether any group at all can meet the rules for this subject."""
    eligible = [p for p in inputs.inspectors if uscc not in p.conflicts]
    if len(eligible) < inputs.group_size:
        return False
    if inputs.mode_of(uscc) == "现场" and not any(p.certified for p in eligible):
        return False
    return all(any(f in p.expertise for p in eligible) for f in inputs.expertise)


@given(matching_cases(), st.binary(min_size=32, max_size=32))
def test_matching_never_breaks_a_rule(case: tuple[MatchingInputs, list[str]], key: bytes) -> None:
    inputs, subjects = case
    try:
        groups = match_inspectors(stream_for(key, inputs), subjects, inputs)
    except MatchingInfeasible as exc:
        # refused only when no group could meet the rules for that subject
        assert not feasible(inputs, exc.uscc)
        return
    assert [g.uscc for g in groups] == subjects
    for group in groups:
        assert group_problems(group, inputs) == []
        assert group.mode == inputs.mode_of(group.uscc)


@given(matching_cases(), st.binary(min_size=32, max_size=32))
def test_a_subject_is_refused_only_when_no_group_can_be_formed(
        case: tuple[MatchingInputs, list[str]], key: bytes) -> None:
    inputs, subjects = case
    assume(all(feasible(inputs, u) for u in subjects))
    groups = match_inspectors(stream_for(key, inputs), subjects, inputs)
    assert len(groups) == len(subjects)


@given(matching_cases(), st.binary(min_size=32, max_size=32))
def test_matching_is_the_same_for_the_same_inputs(case: tuple[MatchingInputs, list[str]],
                                                  key: bytes) -> None:
    inputs, subjects = case
    assume(all(feasible(inputs, u) for u in subjects))
    first = match_inspectors(stream_for(key, inputs), subjects, inputs)
    again = MatchingInputs.from_json(inputs.as_json())
    assert match_inspectors(stream_for(key, again), subjects, again) == first


@given(st.integers(min_value=2, max_value=15), st.integers(min_value=1, max_value=30),
       st.integers(min_value=2, max_value=4), st.binary(min_size=32, max_size=32),
       st.lists(st.sampled_from(FIELDS), max_size=2, unique=True))
def test_workload_is_even_where_no_rule_stands_in_the_way(
        people: int, subjects: int, size: int, key: bytes, needed: list[str]) -> None:
    assume(size <= people)
    inputs = MatchingInputs(tuple(InspectorProfile(f"I{i:02d}", True, frozenset(FIELDS))
                                  for i in range(people)), size, tuple(needed))
    groups = match_inspectors(stream_for(key, inputs), SUBJECTS[:subjects], inputs)
    load = Counter({p.inspector_id: 0 for p in inputs.inspectors})
    for group in groups:
        assert len(group.inspector_ids) == size
        load.update(group.inspector_ids)
    assert max(load.values()) - min(load.values()) <= 1


@given(st.lists(st.integers(min_value=0, max_value=5), min_size=3, max_size=10),
       st.binary(min_size=32, max_size=32))
def test_seats_go_to_the_least_loaded_first(loads: list[int], key: bytes) -> None:
    inputs = MatchingInputs(tuple(InspectorProfile(f"I{i:02d}", True, load=n)
                                  for i, n in enumerate(loads)), 2)
    [group] = match_inspectors(stream_for(key, inputs), SUBJECTS[:1], inputs)
    lowest = sorted(loads)[:2]
    chosen = sorted(inputs.profile(i).load for i in group.inspector_ids)
    assert chosen == lowest


@given(matching_cases(), st.binary(min_size=32, max_size=32), st.data())
def test_a_redraw_keeps_every_rule_and_replays_the_same(
        case: tuple[MatchingInputs, list[str]], key: bytes, data: st.DataObject) -> None:
    from ssj_bridge.draw.matching import Redraw

    inputs, subjects = case
    assume(all(feasible(inputs, u) for u in subjects))
    label = "371000/2026Q2/M01/KEY"
    groups = match_inspectors(stream_for(key, inputs), subjects, inputs)
    group = data.draw(st.sampled_from(groups))
    leaving = data.draw(st.sampled_from(group.inspector_ids))
    try:
        updated, chosen = redraw_inspector(
            redraw_stream(key, label, inputs.inspector_candidates_hash, 1), groups, group.uscc,
            leaving, inputs)
    except MatchingInfeasible:
        return
    new_group = next(g for g in updated if g.uscc == group.uscc)
    assert leaving not in new_group.inspector_ids and chosen in new_group.inspector_ids
    assert group_problems(new_group, inputs, [leaving]) == []
    assert [g for g in updated if g.uscc != group.uscc] == [g for g in groups
                                                            if g.uscc != group.uscc]
    replayed, problems = apply_redraws(key, label, groups, inputs,
                                       [Redraw(1, group.uscc, leaving, chosen, "回避")])
    assert problems == [] and replayed == updated


# -- uniformity ----------------------------------------------------------------------------------

DRAWS = 3000


def chi_square(counts: Counter[str], categories: list[str], expected: float) -> float:
    return sum((counts[c] - expected) ** 2 / expected for c in categories)


def test_the_first_seat_is_equally_likely_to_go_to_each_inspector() -> None:
    inputs = MatchingInputs(tuple(InspectorProfile(f"I{i}", True) for i in range(6)), 2)
    counts: Counter[str] = Counter()
    for index in range(DRAWS):
        [group] = match_inspectors(stream_for(secret_of(index), inputs), SUBJECTS[:1], inputs)
        counts[group.inspector_ids[0]] += 1
    statistic = chi_square(counts, inputs.inspector_ids, DRAWS / 6)
    assert statistic < CHI2_CRITICAL_P001[5], (statistic, counts)


def test_every_pair_of_inspectors_is_equally_likely_to_form_a_group() -> None:
    inputs = MatchingInputs(tuple(InspectorProfile(f"I{i}", True) for i in range(6)), 2)
    pairs = [",".join(p) for p in combinations(inputs.inspector_ids, 2)]
    counts: Counter[str] = Counter()
    for index in range(DRAWS):
        [group] = match_inspectors(stream_for(secret_of(index), inputs), SUBJECTS[:1], inputs)
        counts[",".join(sorted(group.inspector_ids))] += 1
    statistic = chi_square(counts, pairs, DRAWS / len(pairs))
    assert statistic < CHI2_CRITICAL_P001[len(pairs) - 1], (statistic, counts)


@settings(max_examples=25)
@given(st.integers(min_value=0, max_value=2**32))
def test_the_certified_seat_is_drawn_among_the_certified_only(start: int) -> None:
    inputs = MatchingInputs(tuple(InspectorProfile(f"I{i}", i < 2) for i in range(5)), 2)
    [group] = match_inspectors(stream_for(secret_of(start), inputs), SUBJECTS[:1], inputs)
    assert group.inspector_ids[0] in ("I0", "I1")
    assert group == Group(SUBJECTS[0], group.inspector_ids)
