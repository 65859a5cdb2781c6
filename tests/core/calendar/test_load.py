"""load_calendar and the calendar table (database)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from core.calendar import services as cs
from core.calendar.models import CalendarDay, CalendarYear
from core.errors import Invalid


def test_load_without_table_rows_uses_package_and_fallback(db):
    cal = cs.load_calendar(years=[2026, 2027])
    assert cal.is_working_day(date(2026, 10, 10))
    assert not cal.is_working_day(date(2027, 2, 8))
    assert cal.fallback_years == {2027}
    assert cal.warnings()
    assert cal.periods == ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))


def test_load_default_years_never_raises(db):
    cal = cs.load_calendar()
    assert isinstance(cal, cs.WorkingCalendar)
    assert cs.load_calendar(years=[]).covered_years


def test_table_rows_override_and_complete_year_clears_warning(db):
    db.session.add(CalendarDay(day=date(2027, 2, 20), is_working=True, name="Spring Festival", source="import"))
    db.session.add(CalendarDay(day=date(2026, 10, 8), is_working=True, name="test", source="manual"))
    db.session.flush()
    cal = cs.load_calendar(years=[2026, 2027])
    assert cal.is_working_day(date(2027, 2, 20)) and cal.is_working_day(date(2026, 10, 8))
    assert cal.fallback_years == {2027}
    db.session.add(CalendarYear(year=2027, complete=True, source="国办发明电〔2026〕"))
    db.session.flush()
    cal = cs.load_calendar(years=[2026, 2027])
    assert cal.fallback_years == frozenset() and cal.warnings() == []


def test_working_periods_per_community(db, make):
    from core.settings.services import set_value

    community = make.community()
    set_value(None, "calendar.working_periods", "09:00-18:00", "community", community.id)
    db.session.flush()
    assert cs.load_calendar(community, years=[2026]).periods == ((time(9), time(18)),)
    assert cs.load_calendar(None, years=[2026]).periods[0] == (time(8, 30), time(12))
    # a broken stored value falls back to the default instead of failing
    set_value(None, "calendar.working_periods", "garbage", "community", community.id)
    db.session.flush()
    assert cs.load_calendar(community, years=[2026]).periods[0] == (time(8, 30), time(12))


def test_seed_is_idempotent(db):
    added = cs.seed_from_package(None, years=[2025, 2026, 2027])
    assert added > 0
    assert cs.seed_from_package(None, years=[2025, 2026, 2027]) == 0
    row = db.session.query(CalendarDay).filter_by(day=date(2026, 10, 10)).one()
    assert row.is_working and row.source == "package"
    assert not db.session.query(CalendarDay).filter(CalendarDay.day >= date(2027, 1, 1)).count()


def test_import_checks_each_row_and_writes_nothing_on_error(db):
    rows = cs.parse_import_rows([
        ["date", "is_working", "name"],
        ["2027-01-01", "holiday", "元旦"],
        ["2027/02/20", "上班", "春节调休"],
        ["2027-13-01", "holiday", ""],
        ["2027-01-01", "maybe", ""],
    ])
    assert [r.line for r in rows if r.errors] == [4, 5]
    assert "date repeated (line 2)" in rows[3].errors[-1]
    with pytest.raises(Invalid) as exc:
        cs.import_rows(None, rows, year=2027, complete=True)
    assert set(exc.value.fields) == {"line 4", "line 5"}
    assert db.session.query(CalendarDay).count() == 0
    good = [r for r in rows if not r.errors]
    assert cs.import_rows(None, good, year=2027, complete=True, source="official") == 2
    cal = cs.load_calendar(years=[2027])
    assert cal.is_working_day(date(2027, 2, 20)) and cal.warnings() == []


def test_import_refuses_rows_outside_the_year(db):
    rows = cs.parse_import_rows([["2026-10-01", "holiday", "x"]])
    with pytest.raises(Invalid):
        cs.import_rows(None, rows, year=2027)


def test_read_import_file_csv_and_excel(tmp_path):
    assert cs.read_import_file("a.csv", "date,is_working\n2027-01-01,假\n".encode("gb18030"))[1] == ["2027-01-01", "假"]
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["date", "is_working", "name"])
    book.active.append([datetime(2027, 1, 1), "holiday", "元旦"])
    path = tmp_path / "c.xlsx"
    book.save(path)
    rows = cs.parse_import_rows(cs.read_import_file("c.xlsx", path.read_bytes()))
    assert rows[0].day == date(2027, 1, 1) and rows[0].is_working is False
    with pytest.raises(ValueError):
        cs.read_import_file("c.pdf", b"%PDF")
    with pytest.raises(ValueError):
        cs.read_import_file("c.xlsx", b"not a zip")


def test_set_day_and_remove(db):
    cs.set_day(None, date(2027, 2, 20), True, "调休")
    assert cs.load_calendar(years=[2027]).is_working_day(date(2027, 2, 20))
    cs.set_day(None, date(2027, 2, 20), None)
    assert not cs.load_calendar(years=[2027]).is_working_day(date(2027, 2, 20))


def test_import_caps_rows_and_bytes(db):
    from datetime import timedelta

    rows = cs.parse_import_rows([[date(2027, 1, 1) + timedelta(days=i), "holiday", ""] for i in range(401)])
    assert not any(r.errors for r in rows)
    with pytest.raises(Invalid):
        cs.import_rows(None, rows)
    assert db.session.query(CalendarDay).count() == 0
    with pytest.raises(ValueError):
        cs.read_import_file("a.csv", b"x" * (cs.MAX_IMPORT_BYTES + 1))
