"""The pure fee rules, with property tests where a rule is arithmetic."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.fees import services as r

money = st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2, allow_nan=False, allow_infinity=False)
areas = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)


def test_fen_rounds_half_up():
    assert r.fen(Decimal("0.005")) == Decimal("0.01")
    assert r.fen(Decimal("0.0049")) == Decimal("0.00")
    assert r.fen(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    assert r.fen(Fraction(1, 8)) == Decimal("0.13")


@pytest.mark.parametrize("raw", ["-1", "abc", "1,234.5", "1.234", "NaN", "Infinity", "", None, True, "1e3", "１２"])
def test_parse_amount_refuses(raw):
    with pytest.raises(r.RuleError):
        r.parse_amount(raw)


def test_parse_amount_accepts_plain_numbers():
    assert r.parse_amount("1234.5") == Decimal("1234.5")
    assert r.parse_amount(" 0 ") == 0
    assert r.parse_amount("0.0003", places=4) == Decimal("0.0003")
    with pytest.raises(r.RuleError):
        r.parse_amount("0", allow_zero=False)
    with pytest.raises(r.RuleError):
        r.parse_amount("100000001")


def test_periods():
    assert r.parse_period("2026-02").end == dt.date(2026, 2, 28)
    q = r.parse_period("2026-Q1")
    assert (q.start, q.end, len(q.months)) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31), 3)
    assert r.parse_period("2028").end == dt.date(2028, 12, 31)
    for bad in ("2026-13", "2026-Q5", "26-01", "2026-1", "", "1999"):
        with pytest.raises(r.RuleError):
            r.parse_period(bad)


def test_proration_by_day():
    q = r.parse_period("2026-Q1")
    assert r.billed_months(q) == 3
    # delivered on 17 Feb: 12/28 of February and all of March
    assert r.billed_months(q, dt.date(2026, 2, 17)) == Fraction(12, 28) + 1
    assert r.billed_months(q, dt.date(2026, 4, 1)) == 0
    assert r.billed_months(q, None, dt.date(2026, 1, 15)) == Fraction(15, 31)


def test_area_line_shows_its_calculation():
    calc = r.area_line(Decimal("120.50"), Decimal("2.50"), Fraction(3))
    assert calc.amount == Decimal("903.75")
    assert calc.text == "120.50 m² × 2.50 元/m²/月 × 3 月 = 903.75"


@settings(deadline=None)
@given(area=areas, rate=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20"), places=2),
       day=st.integers(min_value=0, max_value=89))
def test_area_line_equals_exact_product_rounded_once(area, rate, day):
    q = r.parse_period("2026-Q1")
    start = q.start + dt.timedelta(days=day)
    months = r.billed_months(q, start)
    calc = r.area_line(area, rate, months)
    exact = Fraction(area) * Fraction(rate) * months
    assert abs(Fraction(calc.amount) - exact) <= Fraction(1, 200)
    assert calc.text.endswith(f"= {calc.amount}")
    assert 0 < months <= 3


@settings(deadline=None)
@given(total=money, weights=st.dictionaries(st.integers(1, 10_000), areas, min_size=1, max_size=60))
def test_split_sums_exactly(total, weights):
    parts = r.split_largest_remainder(total, weights)
    assert sum(parts.values()) == total
    assert set(parts) == set(weights)
    wsum = sum(weights.values())
    for k, part in parts.items():  # every part is within one fen of its exact share
        assert abs(Fraction(part) - Fraction(total) * Fraction(weights[k]) / Fraction(wsum)) < Fraction(1, 100)


def test_split_edge_cases():
    assert r.split_largest_remainder(Decimal("0.01"), {1: 1, 2: 1}) == {1: Decimal("0.01"), 2: Decimal("0.00")}
    assert r.split_largest_remainder(Decimal("10.00"), {1: 1, 2: 1, 3: 1}) == {
        1: Decimal("3.34"), 2: Decimal("3.33"), 3: Decimal("3.33")}
    assert r.split_largest_remainder(Decimal("5.00"), {1: 0, 2: 2})[1] == 0
    with pytest.raises(r.RuleError):
        r.split_largest_remainder(Decimal("5.00"), {1: 0})
    with pytest.raises(r.RuleError):
        r.split_largest_remainder(Decimal("-5.00"), {1: 1})
    with pytest.raises(r.RuleError):
        r.split_largest_remainder(Decimal("5.001"), {1: 1})


def test_guided_range():
    r.check_guided_rate(Decimal("2.00"), Decimal("1.50"), Decimal("2.00"))
    r.check_guided_rate(Decimal("1.50"), Decimal("1.50"), Decimal("2.00"))
    for rate in ("1.49", "2.01"):
        with pytest.raises(r.RuleError) as exc:
            r.check_guided_rate(Decimal(rate), Decimal("1.50"), Decimal("2.00"))
        assert exc.value.field == "rate"
    with pytest.raises(r.RuleError):
        r.check_guided_rate(Decimal("2"), None, Decimal("3"))
    with pytest.raises(r.RuleError):
        r.check_guided_rate(Decimal("2"), Decimal("3"), Decimal("1"))


def test_no_handling_fee_on_collected_utilities():
    r.check_handling_fee("utility", Decimal(0))
    r.check_handling_fee("per_job", Decimal("5"))
    with pytest.raises(r.RuleError):
        r.check_handling_fee("utility", Decimal("0.01"))


def test_overlapping_dates():
    jan, jun, dec = dt.date(2026, 1, 1), dt.date(2026, 6, 30), dt.date(2026, 12, 31)
    r.check_no_overlap(dt.date(2026, 7, 1), None, [(jan, jun)])
    with pytest.raises(r.RuleError):
        r.check_no_overlap(jun, dec, [(jan, jun)])  # one shared day
    with pytest.raises(r.RuleError):
        r.check_no_overlap(dt.date(2030, 1, 1), None, [(jan, None)])
    with pytest.raises(r.RuleError):
        r.check_dates(dec, jan)


@settings(deadline=None)
@given(a=st.integers(0, 400), la=st.integers(0, 100), b=st.integers(0, 400), lb=st.integers(0, 100))
def test_overlap_is_symmetric_and_matches_days(a, la, b, lb):
    base = dt.date(2026, 1, 1)
    a0, a1 = base + dt.timedelta(a), base + dt.timedelta(a + la)
    b0, b1 = base + dt.timedelta(b), base + dt.timedelta(b + lb)
    days_a = {a0 + dt.timedelta(i) for i in range(la + 1)}
    days_b = {b0 + dt.timedelta(i) for i in range(lb + 1)}
    assert r.overlaps(a0, a1, b0, b1) == r.overlaps(b0, b1, a0, a1) == bool(days_a & days_b)


def test_late_fee_cap():
    ref, mult = Decimal("0.03"), Decimal("1.3")
    r.check_late_fee(Decimal("0.0001"), ref, mult, None)  # 3.65% a year < 3.9%
    with pytest.raises(r.RuleError):
        r.check_late_fee(Decimal("0.0003"), ref, mult, None)  # 10.95% a year
    r.check_late_fee(Decimal("0.0003"), ref, mult, "contract clause 9, agreed at the owners' assembly")
    with pytest.raises(r.RuleError):
        r.check_late_fee(Decimal("0.0001"), Decimal(0), mult, None)
    r.check_late_fee(Decimal(0), Decimal(0), mult, None)
    assert r.late_fee(Decimal("1000"), Decimal("0.0003"), 10) == Decimal("3.00")
    assert r.late_fee(Decimal("1000"), Decimal("0.0003"), 0) == 0


@settings(deadline=None)
@given(amount=money, dues=st.lists(money, max_size=8))
def test_allocation_oldest_first(amount, dues):
    allocs, left = r.allocate_oldest_first(amount, list(enumerate(dues)))
    assert sum(a for _k, a in allocs) + left == amount
    assert left >= 0
    for k, paid in allocs:
        assert 0 < paid <= dues[k]
    paid_keys = [k for k, _a in allocs]
    # every bill before the last one paid is paid in full
    for k in paid_keys[:-1]:
        assert dict(allocs)[k] == dues[k]


def test_prepayment_cap_and_refund():
    r.check_prepayment(Decimal("3000"), Decimal("250"), 12)
    r.check_prepayment(Decimal("99999"), Decimal("250"), 0)
    with pytest.raises(r.RuleError):
        r.check_prepayment(Decimal("3000.01"), Decimal("250"), 12)
    assert r.unserved_refund(Fraction(12), Decimal("250"), Fraction(5, 2)) == Decimal("2375.00")
    assert r.vacancy_discount(Decimal("100"), Decimal("30")) == Decimal("-30.00")
    assert r.vacancy_discount(Decimal("100"), Decimal("0")) == 0
