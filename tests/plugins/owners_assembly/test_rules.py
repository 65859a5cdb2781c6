"""The double majority and the roll, as pure functions: every boundary, and properties."""

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.owners_assembly.services import (
    ORDINARY,
    SPECIAL,
    Holding,
    Tally,
    build_roll,
    challenge_deadline,
    count,
    decide,
    demand_reached,
    elect,
    notice_problem,
    percent,
    seats_problem,
)


def tally(total, part, agree, heads_total=None, heads_part=None, heads_agree=None):
    """Area and headcount alike unless given: agree of part, the rest disagree."""
    heads_total = total if heads_total is None else heads_total
    heads_part = part if heads_part is None else heads_part
    heads_agree = agree if heads_agree is None else heads_agree
    return Tally(total, heads_total, agree, heads_agree, part - agree, heads_part - heads_agree)


def test_participation_exactly_two_thirds_counts():
    assert decide(tally(300, 200, 200), ORDINARY).quorum
    assert not decide(tally(300, 199, 199), ORDINARY).quorum


def test_participation_needs_both_area_and_headcount():
    assert not decide(tally(300, 200, 200, heads_total=30, heads_part=19, heads_agree=19), ORDINARY).passed
    assert decide(tally(300, 200, 200, heads_total=30, heads_part=20, heads_agree=20), ORDINARY).passed


def test_special_exactly_three_quarters_passes_and_a_hair_less_fails():
    assert decide(tally(400, 400, 300), SPECIAL).passed
    assert not decide(tally(400, 400, 299), SPECIAL).passed
    # area meets 3/4 exactly but headcount falls one short
    assert not decide(tally(400, 400, 300, heads_total=8, heads_part=8, heads_agree=5), SPECIAL).passed


def test_ordinary_exactly_half_fails_more_than_half_passes():
    assert not decide(tally(100, 100, 50), ORDINARY).passed
    assert decide(tally(100, 100, 51), ORDINARY).passed
    assert not decide(tally(100, 100, 51, heads_total=10, heads_part=10, heads_agree=5), ORDINARY).passed


def test_abstentions_take_part_but_do_not_agree():
    t = count(90, 9, [("agree", 30, 3), ("abstain", 30, 3)])
    assert (t.participating_area, t.participating_heads) == (60, 6)
    result = decide(t, ORDINARY)
    assert result.quorum and not result.passed  # 30/60 is exactly half: not "more than half"
    assert decide(count(90, 9, [("agree", 30, 3), ("abstain", 29, 3)]), ORDINARY).quorum is False


def test_nobody_voting_is_not_a_pass():
    assert not decide(Tally(100, 10), ORDINARY).passed
    assert not decide(Tally(0, 0), SPECIAL).passed


def test_unknown_decision_class_is_refused():
    with pytest.raises(ValueError):
        decide(Tally(1, 1, 1, 1), "whatever")


ballot = st.tuples(st.sampled_from(["agree", "disagree", "abstain"]), st.integers(1, 50_000), st.just(1))


@given(st.lists(ballot, max_size=40), st.integers(1, 50_000), st.sampled_from([SPECIAL, ORDINARY]))
def test_one_more_agree_ballot_never_turns_a_pass_into_a_fail(ballots, area, decision_class):
    total_area = sum(b[1] for b in ballots) + area + 10
    total_heads = len(ballots) + 2
    before = decide(count(total_area, total_heads, ballots), decision_class)
    after = decide(count(total_area, total_heads, ballots + [("agree", area, 1)]), decision_class)
    assert not (before.passed and not after.passed)


@given(st.lists(ballot, min_size=1, max_size=40), st.sampled_from([SPECIAL, ORDINARY]))
def test_decision_matches_the_definition_in_exact_fractions(ballots, decision_class):
    total_area = sum(b[1] for b in ballots) * 3 // 2 + 1
    total_heads = len(ballots) * 3 // 2 + 1
    t = count(total_area, total_heads, ballots)
    r = decide(t, decision_class)
    quorum = (Fraction(t.participating_area, total_area) >= Fraction(2, 3)
              and Fraction(t.participating_heads, total_heads) >= Fraction(2, 3))
    if decision_class == SPECIAL:
        agree = (Fraction(t.agree_area, t.participating_area) >= Fraction(3, 4)
                 and Fraction(t.agree_heads, t.participating_heads) >= Fraction(3, 4))
    else:
        agree = (Fraction(t.agree_area, t.participating_area) > Fraction(1, 2)
                 and Fraction(t.agree_heads, t.participating_heads) > Fraction(1, 2))
    assert r.passed == (quorum and agree)


def h(unit, area, person=None, org=None, developer=False, rep=True, share=1, name="x"):
    return Holding(unit, f"1-{unit}", area, person, org, developer, rep, Fraction(share), name)


def test_roll_counts_one_buyer_once_and_the_developer_once():
    roll = build_roll([h(1, 8000, person=10, name="甲"), h(2, 9000, person=10, name="甲"),
                       h(3, 7000, org=99, developer=True, name="开发商"), h(4, 7000, org=99, developer=True),
                       h(5, 8500, person=11, name="乙")])
    by_name = {e.name: e for e in roll}
    assert len(roll) == 3
    assert by_name["甲"].area == 17000 and by_name["甲"].unit_ids == [1, 2]
    assert by_name["开发商"].area == 14000 and by_name["开发商"].heads == 1


def test_co_owners_are_represented_by_the_one_they_named():
    roll = build_roll([h(1, 8000, person=10, rep=False, share=Fraction(1, 2)),
                       h(1, 8000, person=11, rep=True, share=Fraction(1, 2), name="代表")])
    assert len(roll) == 1 and roll[0].person_id == 11 and roll[0].area == 8000 and not roll[0].notes


def test_co_owners_without_a_named_representative_fall_to_the_largest_share_with_a_note():
    roll = build_roll([h(1, 8000, person=10, rep=False, share=Fraction(1, 3)),
                       h(1, 8000, person=11, rep=False, share=Fraction(2, 3))])
    assert roll[0].person_id == 11 and roll[0].notes


def test_election_ranks_by_area_then_headcount_and_sends_ties_to_a_run_off():
    votes = {1: (900, 9), 2: (800, 8), 3: (700, 7), 4: (700, 7), 5: (100, 1)}
    outcome = elect(3, votes, participating_area=1000, participating_heads=10)
    assert outcome.elected == [1, 2] and outcome.runoff == [3, 4]
    clean = elect(3, {1: (900, 9), 2: (800, 8), 3: (700, 7), 4: (600, 6)}, 1000, 10)
    assert clean.elected == [1, 2, 3] and clean.runoff == []
    # exactly half is not "more than half"
    assert elect(3, {1: (500, 6)}, 1000, 10).elected == []


def test_seats_and_dates():
    assert seats_problem(5) is None and seats_problem(11) is None
    assert seats_problem(4) and seats_problem(13) and seats_problem(6)
    noticed = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
    assert notice_problem(noticed, noticed + dt.timedelta(days=15), 15) is None
    assert notice_problem(noticed, noticed + dt.timedelta(days=14, hours=23), 15)
    assert challenge_deadline(dt.date(2026, 11, 27)) == dt.date(2027, 11, 27)
    assert challenge_deadline(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    assert demand_reached(20, 100) and not demand_reached(19, 100) and not demand_reached(0, 0)
    assert percent(2, 3) == "66.67%" and percent(1, 8) == "12.50%" and percent(0, 0) == "0.00%"
