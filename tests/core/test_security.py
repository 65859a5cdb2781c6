import datetime as dt

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from core.people.models import Person
from core.security import blind_index, mask, resident_id_problem, resident_id_with_check_digit


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
       st.integers(min_value=0, max_value=999))
def test_generated_id_numbers_are_valid_and_one_changed_digit_is_not(born, seq):
    number = resident_id_with_check_digit(f"110101{born:%Y%m%d}{seq:03d}")
    assert resident_id_problem(number, today=dt.date(2026, 1, 1)) is None
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert resident_id_problem(wrong, today=dt.date(2026, 1, 1)) == "check_digit"


def test_id_number_rules():
    assert resident_id_problem("123") == "format"
    assert resident_id_problem(resident_id_with_check_digit("11010120991301001")) == "birth_date"  # month 13
    future = resident_id_with_check_digit("11010120300101001")
    assert resident_id_problem(future, today=dt.date(2026, 11, 27)) == "birth_date"


def test_mask():
    assert mask("110101199001011234") == "110***********1234"
    assert mask("") == ""


def test_id_number_is_encrypted_at_rest_and_found_by_blind_index(db, make):
    number = resident_id_with_check_digit("11010119900101001")
    person = make.person(id_number=number, id_number_index=blind_index(number, "person.id_number"))
    db.session.commit()
    raw = db.session.execute(text("SELECT id_number, id_number_index FROM people WHERE id = :i"),
                             {"i": person.id}).one()
    assert number not in raw[0] and number not in raw[1]
    found = db.session.query(Person).filter_by(id_number_index=blind_index(f" {number.lower()} ", "person.id_number"))
    assert found.one().id_number == number
