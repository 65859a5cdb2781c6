"""The working calendar and the SLA clock.

Everything here except ``load_calendar`` (and the table helpers below it) is a pure function over
plain values: no Flask, no database.

Working time
    A *working day* is a day the calendar marks as working: an explicit override from
    ``day_kinds`` (a holiday, or an adjusted working weekend 调休), else Monday to Friday.
    On a working day, the *working periods* (local time, e.g. 08:30–12:00 and 13:30–17:30) are
    half-open intervals ``[start, end)``: 08:30 is working time, 12:00 is not.

Deadlines
    ``add_working_minutes(start, m)`` returns the earliest instant ``t >= start`` such that the
    working time in ``[start, t]`` is exactly ``m`` minutes and ``t`` lies in a *closed* working
    period ``[period start, period end]`` of a working day. So a deadline is either inside a period
    or exactly at its end (the last working minute ends at 12:00 → deadline 12:00); it never
    falls in a lunch break, a night, a weekend or a holiday. For ``m == 0`` that is ``start``
    itself when ``start`` is in such a closed period, else the start of the next period.

All datetimes given to and returned by these functions are aware; results are in UTC. Passing
``cal=None`` means the clock runs around the clock (plain elapsed time), which is what
around-the-clock ticket categories want.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Default working periods: a company promise, not a law (a setting, ``calendar.working_periods``).
DEFAULT_PERIODS_TEXT = "08:30-12:00,13:30-17:30"

# How far the clock looks ahead before giving up (a calendar without any working day).
_MAX_DAYS = 366 * 200

# Names used for the statutory holidays (the same English names chinesecalendar uses; translated
# for display in views.HOLIDAY_LABELS).
NEW_YEAR = "New Year's Day"
SPRING = "Spring Festival"
QINGMING = "Tomb-sweeping Day"
LABOUR = "Labour Day"
DRAGON_BOAT = "Dragon Boat Festival"
MID_AUTUMN = "Mid-autumn Festival"
NATIONAL = "National Day"

# The national rule: 《全国年节及纪念日放假办法》 (Measures on National Holidays), as amended.
# Each entry: first year it applies, source, and the holidays it grants. ``spring`` lists offsets
# from 正月初一 (-1 = 除夕). ``labour`` / ``national`` are the numbers of days from 1 May / 1 Oct.
STATUTORY_RULES = (
    # 国务院令第798号 (2024-11-10, in force 2025-01-01): 春节 4 days (除夕 to 初三), 劳动节 2 days.
    {"since": 2025, "source": "State Council Decree No. 798 (2024)", "spring": (-1, 0, 1, 2),
     "labour": 2, "national": 3, "traditional": True},
    # 国务院令第644号 (2013-12-11, in force 2014-01-01): 春节 初一 to 初三.
    {"since": 2014, "source": "State Council Decree No. 644 (2013)", "spring": (0, 1, 2),
     "labour": 1, "national": 3, "traditional": True},
    # 国务院令第513号 (2007-12-14, in force 2008-01-01): 春节 除夕 to 初二; 清明, 端午, 中秋 added.
    {"since": 2008, "source": "State Council Decree No. 513 (2007)", "spring": (-1, 0, 1),
     "labour": 1, "national": 3, "traditional": True},
    # 国务院令第270号 (1999): 春节 3 days, 劳动节 3 days, 国庆 3 days.
    {"since": 1900, "source": "State Council Decree No. 270 (1999)", "spring": (0, 1, 2),
     "labour": 3, "national": 3, "traditional": False},
)


def statutory_rule(year: int) -> dict:
    """The version of the national holiday rule that applies to ``year``."""
    for rule in STATUTORY_RULES:
        if year >= rule["since"]:
            return rule
    return STATUTORY_RULES[-1]


def _lunar_to_solar(year: int, month: int, day: int) -> date:
    from lunardate import LunarDate

    lunar = LunarDate(year, month, day)
    convert = getattr(lunar, "to_solar_date", None) or lunar.toSolarDate
    return convert()


def _qingming(year: int) -> date:
    """The day of the 清明 solar term (the 5th of the 24 terms, around 4–6 April)."""
    import chinese_calendar

    for day, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30)):
        if name == "清明" or getattr(name, "value", None) == "清明":
            return day
    raise ValueError(f"no 清明 found in {year}")


@lru_cache(maxsize=256)
def _statutory(year: int) -> tuple[tuple[date, str], ...]:
    rule = statutory_rule(year)
    days: dict[date, str] = {}

    def put(day: date, name: str) -> None:
        # 中秋 can fall within 国庆 (e.g. 2028-10-03): keep both names
        days[day] = f"{days[day]}; {name}" if day in days and name not in days[day] else name

    put(date(year, 1, 1), NEW_YEAR)
    for i in range(rule["labour"]):
        put(date(year, 5, 1 + i), LABOUR)
    for i in range(rule["national"]):
        put(date(year, 10, 1 + i), NATIONAL)
    try:
        new_year_day = _lunar_to_solar(year, 1, 1)
        for offset in rule["spring"]:
            put(new_year_day + timedelta(days=offset), SPRING)
        if rule["traditional"]:
            put(_lunar_to_solar(year, 5, 5), DRAGON_BOAT)
            put(_lunar_to_solar(year, 8, 15), MID_AUTUMN)
    except Exception:  # noqa: BLE001 - lunardate covers 1900–2099 only; the loader warns
        pass
    if rule["traditional"]:
        with contextlib.suppress(Exception):  # the solar-term formula covers 1900–2100 only
            put(_qingming(year), QINGMING)
    return tuple(sorted(days.items()))


def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory public holidays of ``year`` computed from the national rule (no 调休).

    Lunar holidays come from lunardate, 清明 from the solar term. For years outside what those
    libraries cover (1900–2099) the lunar and solar-term holidays are missing; see
    ``statutory_complete``.
    """
    return dict(_statutory(year))


def statutory_complete(year: int) -> bool:
    """Whether every holiday of the rule could be computed for ``year``."""
    rule = statutory_rule(year)
    names = {part for _, name in _statutory(year) for part in name.split("; ")}
    wanted = {NEW_YEAR, SPRING, LABOUR, NATIONAL} | ({QINGMING, DRAGON_BOAT, MID_AUTUMN} if rule["traditional"] else set())
    return wanted <= names


def gettext(message: str, **values) -> str:
    """Translate ``message`` when a request picks a language (pages, API); plain English otherwise
    (CLI), so these functions never depend on a request."""
    try:
        from flask import has_request_context
        from flask_babel import gettext as babel_gettext

        if has_request_context():
            return babel_gettext(message, **values)
    except Exception:  # noqa: BLE001 - translation must never break the clock
        pass
    return message % values if values else message


# ---------------------------------------------------------------------------------------------
# Working periods


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:30-12:00,13:30-17:30"`` → periods. Raises ``ValueError`` with a readable message."""
    periods = []
    for part in str(text or "").replace("，", ",").replace("–", "-").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            start_s, end_s = (s.strip() for s in part.split("-"))
            start = time.fromisoformat(start_s if len(start_s) > 4 else start_s.zfill(5))
            end = time.fromisoformat(end_s if len(end_s) > 4 else end_s.zfill(5))
        except ValueError:
            raise ValueError(gettext("%(part)s is not a period like 08:30-12:00", part=part)) from None
        periods.append((start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)))
    return validate_periods(periods)


def validate_periods(periods) -> tuple[tuple[time, time], ...]:
    periods = tuple(sorted((tuple(p) for p in periods), key=lambda p: p[0]))
    if not periods:
        raise ValueError(gettext("At least one working period is needed."))
    previous_end = None
    for start, end in periods:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(gettext("Working periods are local times without a time zone."))
        if not start < end:
            raise ValueError(gettext("Period %(period)s ends before it starts.",
                                     period=f"{start:%H:%M}-{end:%H:%M}"))
        if previous_end is not None and start < previous_end:
            raise ValueError(gettext("The period starting %(start)s overlaps the one before.",
                                     start=f"{start:%H:%M}"))
        previous_end = end
    return periods


def format_periods(periods) -> str:
    return ",".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in periods)


# ---------------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days and hours of one place.

    :param tz: the local time zone of the periods (Asia/Shanghai by default).
    :param periods: working periods of a working day, local time, sorted, not overlapping.
    :param day_kinds: explicit overrides: True = working day (e.g. a 调休 Saturday), False = holiday.
    :param fallback_years: years for which only weekends and computed statutory holidays are known.
    :param covered_years: years ``day_kinds`` was built for (optional). When given, a day of any
        other year is judged by weekends plus the computed statutory holidays, never by weekends
        alone; ``warnings()`` names those years once they are asked about via ``uncovered_years``.
    :param names: optional names of overridden days (holiday names), for display.
    """

    tz: ZoneInfo = SHANGHAI
    periods: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
    day_kinds: Mapping[date, bool] = field(default_factory=dict)
    fallback_years: frozenset[int] = frozenset()
    covered_years: frozenset[int] = frozenset()
    names: Mapping[date, str] = field(default_factory=dict, compare=False)
    incomplete_years: frozenset[int] = frozenset()

    def __post_init__(self):
        object.__setattr__(self, "periods", validate_periods(self.periods))
        object.__setattr__(self, "fallback_years", frozenset(self.fallback_years))
        object.__setattr__(self, "covered_years", frozenset(self.covered_years))
        object.__setattr__(self, "incomplete_years", frozenset(self.incomplete_years))

    def __hash__(self):
        return hash((self.tz, self.periods, self.fallback_years, self.covered_years, len(self.day_kinds)))

    def is_working_day(self, day: date) -> bool:
        """The override for ``day`` if there is one, else Monday to Friday."""
        kind = self.day_kinds.get(day)
        if kind is not None:
            return kind
        if self.covered_years and day.year not in self.covered_years and day in _statutory_set(day.year):
            return False
        return day.weekday() < 5

    def day_name(self, day: date) -> str | None:
        name = self.names.get(day)
        if name is None and self.covered_years and day.year not in self.covered_years:
            name = dict(_statutory(day.year)).get(day)
        return name

    def warnings(self) -> list[str]:
        """Human-readable warnings about what the calendar does not know (English; views translate)."""
        out = []
        for year in sorted(self.fallback_years):
            out.append(f"{year}: adjusted working days unknown; using weekends and statutory holidays")
        for year in sorted(self.incomplete_years):
            out.append(f"{year}: some statutory holidays could not be computed; using weekends for them")
        return out

    # -- helpers over one local day ------------------------------------------------------------
    def day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of ``day`` as aware UTC datetimes (empty on a non-working day)."""
        if not self.is_working_day(day):
            return []
        return [(_local(day, s, self.tz), _local(day, e, self.tz)) for s, e in self.periods]


@lru_cache(maxsize=256)
def _statutory_set(year: int) -> frozenset[date]:
    return frozenset(d for d, _ in _statutory(year))


def _local(day: date, t: time, tz) -> datetime:
    return datetime.combine(day, t, tzinfo=tz).astimezone(UTC)


def _check_aware(*values: datetime) -> None:
    for value in values:
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("the SLA clock works with aware datetimes only")


def _local_day(t: datetime, cal: WorkingCalendar) -> date:
    return t.astimezone(cal.tz).date()


# ---------------------------------------------------------------------------------------------
# The clock


def next_working_instant(t: datetime, cal: WorkingCalendar | None) -> datetime:
    """``t`` itself (in UTC) if it is working time, else the start of the next working period."""
    _check_aware(t)
    t = t.astimezone(UTC)
    if cal is None:
        return t
    day = _local_day(t, cal) - timedelta(days=1)  # a period may cross midnight in UTC terms
    for _ in range(_MAX_DAYS):
        for start, end in cal.day_intervals(day):
            if t < end:
                return max(t, start)
        day += timedelta(days=1)
    raise ValueError("the calendar has no working time ahead")


def add_working_time(start: datetime, amount: timedelta, cal: WorkingCalendar | None) -> datetime:
    """Like ``add_working_minutes`` but for any non-negative ``timedelta``."""
    _check_aware(start)
    start = start.astimezone(UTC)
    if amount < timedelta(0):
        raise ValueError("cannot add negative working time")
    if cal is None:
        return start + amount
    remaining = amount
    day = _local_day(start, cal) - timedelta(days=1)
    for _ in range(_MAX_DAYS):
        for p_start, p_end in cal.day_intervals(day):
            if start > p_end:
                continue
            begin = max(start, p_start)
            available = p_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("the calendar has no working time ahead")


def add_working_minutes(start: datetime, minutes: int, cal: WorkingCalendar | None) -> datetime:
    """The deadline ``minutes`` working minutes after ``start`` (aware in, aware UTC out).

    See the module docstring for the exact definition; ``minutes`` must be >= 0.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValueError("minutes must be an integer")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    return add_working_time(start, timedelta(minutes=minutes), cal)


def working_time_between(start: datetime, end: datetime, cal: WorkingCalendar | None) -> timedelta:
    """Exact working time in ``[start, end]``; zero if ``end <= start``."""
    _check_aware(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    if cal is None:
        return end - start
    total = timedelta(0)
    day = _local_day(start, cal) - timedelta(days=1)
    last = _local_day(end, cal) + timedelta(days=1)
    while day <= last:
        for p_start, p_end in cal.day_intervals(day):
            lo, hi = max(start, p_start), min(end, p_end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def working_minutes_between(start: datetime, end: datetime, cal: WorkingCalendar | None) -> int:
    """Whole working minutes in ``[start, end]`` (rounded down); 0 if ``end <= start``."""
    return int(working_time_between(start, end, cal) // timedelta(minutes=1))


def extend_for_pause(deadline: datetime, paused_at: datetime, resumed_at: datetime,
                     cal: WorkingCalendar | None) -> datetime:
    """The deadline pushed by exactly the working time between ``paused_at`` and ``resumed_at``.

    A pause that covers no working time (a night, a holiday) leaves the deadline unchanged; the
    result is never earlier than ``deadline``.
    """
    _check_aware(deadline)
    paused = working_time_between(paused_at, resumed_at, cal)
    if paused <= timedelta(0):
        return deadline.astimezone(UTC)
    return add_working_time(deadline, paused, cal)


def is_working_time(t: datetime, cal: WorkingCalendar) -> bool:
    """Whether ``t`` lies in a (half-open) working period of a working day."""
    return next_working_instant(t, cal) == t.astimezone(UTC)


def in_closed_working_period(t: datetime, cal: WorkingCalendar) -> bool:
    """Whether ``t`` lies in a closed working period ``[start, end]`` (where deadlines may fall)."""
    _check_aware(t)
    t = t.astimezone(UTC)
    day = _local_day(t, cal)
    for d in (day - timedelta(days=1), day, day + timedelta(days=1)):
        for start, end in cal.day_intervals(d):
            if start <= t <= end:
                return True
    return False


# ---------------------------------------------------------------------------------------------
# Sources: the chinesecalendar package and the computed fallback (pure), then the loader (DB).


@lru_cache(maxsize=64)
def _package_year(year: int) -> tuple[tuple[date, bool, str], ...] | None:
    """The package's overrides for ``year`` (holidays on weekdays and weekends, 调休 workdays),
    or None when the package does not know the year (it raises NotImplementedError)."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - a declared dependency; never crash without it
        return None
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
        chinese_calendar.is_workday(date(year, 12, 31))
    except (NotImplementedError, ValueError, KeyError):
        return None
    out = []
    for day, name in chinese_calendar.holidays.items():
        if day.year == year:
            out.append((day, False, getattr(name, "value", str(name))))
    for day, name in chinese_calendar.workdays.items():
        if day.year == year:
            out.append((day, True, getattr(name, "value", str(name))))
    return tuple(sorted(out))


def package_days(year: int) -> list[tuple[date, bool, str]] | None:
    """``[(day, is_working, name)]`` from chinesecalendar for ``year``, or None if it does not know it."""
    rows = _package_year(year)
    return None if rows is None else list(rows)


def package_years() -> list[int]:
    """The years chinesecalendar knows."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover
        return []
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return [y for y in years if _package_year(y) is not None]


@dataclass(frozen=True)
class DayInfo:
    day: date
    is_working: bool
    name: str | None
    source: str  # "table:<source>", "package", "rule", "weekend", "weekday"


def build_calendar(years: Iterable[int], table_rows: Iterable[tuple[date, bool, str | None, str]] = (),
                   complete_years: Iterable[int] = (), periods=None, tz: ZoneInfo = SHANGHAI,
                   ) -> tuple[WorkingCalendar, dict[date, DayInfo]]:
    """Assemble a calendar from table rows (highest priority), the package, and the computed rule.

    :param table_rows: ``(day, is_working, name, source)`` from the calendar table.
    :param complete_years: years whose full official schedule is in the table (no warning).
    Returns the calendar and, for every overridden day, where its kind came from.
    """
    years = sorted(set(years))
    complete = set(complete_years)
    kinds: dict[date, bool] = {}
    info: dict[date, DayInfo] = {}
    fallback, incomplete = set(), set()
    for year in years:
        known = _package_year(year)
        if known is not None:
            for day, working, name in known:
                kinds[day] = working
                info[day] = DayInfo(day, working, name, "package")
        elif year not in complete:
            fallback.add(year)
            if not statutory_complete(year):
                incomplete.add(year)
            for day, name in _statutory(year):
                kinds[day] = False
                info[day] = DayInfo(day, False, name, "rule")
    wanted = set(years)
    for day, working, name, source in table_rows:
        if day.year not in wanted:
            continue
        kinds[day] = bool(working)
        info[day] = DayInfo(day, bool(working), name, f"table:{source}")
    cal = WorkingCalendar(
        tz=tz,
        periods=periods if periods is not None else parse_periods(DEFAULT_PERIODS_TEXT),
        day_kinds=kinds,
        fallback_years=frozenset(fallback),
        covered_years=frozenset(years),
        names={d: i.name for d, i in info.items() if i.name},
        incomplete_years=frozenset(incomplete),
    )
    return cal, info


def default_years(today: date | None = None) -> list[int]:
    """Last year, this year and next year: enough for any open ticket's clock."""
    today = today or datetime.now(SHANGHAI).date()
    return [today.year - 1, today.year, today.year + 1]


def community_periods(community=None) -> tuple[tuple[time, time], ...]:
    """Working periods in force for ``community`` (the ``calendar.working_periods`` setting).

    A stored value that no longer parses falls back to the declared default rather than failing.
    """
    from core.settings.services import get as get_setting

    try:
        return parse_periods(get_setting("calendar.working_periods", community=community))
    except (ValueError, KeyError):
        return parse_periods(DEFAULT_PERIODS_TEXT)


def load_calendar(community=None, years: Iterable[int] | None = None) -> WorkingCalendar:
    """The working calendar for ``community`` (or the platform): table rows, then the package,
    then weekends plus computed statutory holidays with a warning. Never raises for an unknown
    year. Needs an app context (reads the calendar table and the working-hours setting)."""
    return load_calendar_with_sources(community, years)[0]


def load_calendar_with_sources(community=None, years: Iterable[int] | None = None):
    from sqlalchemy import select

    from core.calendar.models import CalendarDay, CalendarYear
    from core.database import db

    years = sorted(set(years)) if years is not None else default_years()
    if not years:
        years = default_years()
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.is_working, CalendarDay.name, CalendarDay.source)
        .where(CalendarDay.day >= date(years[0], 1, 1), CalendarDay.day <= date(years[-1], 12, 31))
    ).all()
    complete = db.session.scalars(
        select(CalendarYear.year).where(CalendarYear.year.in_(years), CalendarYear.complete.is_(True))).all()
    return build_calendar(years, [tuple(r) for r in rows], complete, community_periods(community))


# ---------------------------------------------------------------------------------------------
# The calendar table: seeding from the package, importing an official schedule, editing a day.
# These take the acting account explicitly, flush and never commit.

IMPORT_COLUMNS = ("date", "is_working", "name")
MAX_IMPORT_ROWS = 400  # a year has at most 366 days
MAX_IMPORT_BYTES = 2_000_000
_TRUE = {"1", "true", "yes", "y", "working", "work", "workday", "上班", "工作日", "班", "是"}
_FALSE = {"0", "false", "no", "n", "holiday", "off", "rest", "休", "休息", "假", "假日", "节假日", "放假", "否"}


def seed_from_package(actor=None, years: Iterable[int] | None = None) -> int:
    """Copy the package's holidays and 调休 days into the table for the years it knows.

    Idempotent: days already in the table (from any source) are left alone. Returns rows added.
    """
    from sqlalchemy import select

    from core.calendar.models import CalendarDay
    from core.database import db

    wanted = package_years() if years is None else [y for y in years if _package_year(y) is not None]
    if not wanted:
        return 0
    existing = set(db.session.scalars(select(CalendarDay.day).where(
        CalendarDay.day >= date(min(wanted), 1, 1), CalendarDay.day <= date(max(wanted), 12, 31))))
    added = []
    for year in wanted:
        for day, working, name in _package_year(year):
            if day not in existing:
                added.append(CalendarDay(day=day, is_working=working, name=name, source="package",
                                         updated_by_id=getattr(actor, "id", None)))
    db.session.add_all(added)
    db.session.flush()
    return len(added)


@dataclass
class ImportRow:
    line: int
    day: date | None
    is_working: bool | None
    name: str | None
    errors: list[str] = field(default_factory=list)


def _parse_day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    text = text.replace("年", "-").replace("月", "-").replace("日", "")
    parts = text.split("-")
    if len(parts) != 3:
        raise ValueError
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def parse_import_rows(raw_rows: Iterable[Iterable[object]]) -> list[ImportRow]:
    """Check rows ``(date, is_working, name)`` (the first row may be a header). Each row gets its
    own errors; nothing is written here."""
    out: list[ImportRow] = []
    seen: dict[date, int] = {}
    for index, raw in enumerate(raw_rows, start=1):
        cells = list(raw) + [None, None, None]
        if all(c is None or str(c).strip() == "" for c in cells[:3]):
            continue
        first = str(cells[0] or "").strip().lower()
        if index == 1 and first in ("date", "day", "日期"):
            continue
        row = ImportRow(index, None, None, None)
        try:
            row.day = _parse_day(cells[0])
        except (ValueError, TypeError, OverflowError):
            row.errors.append(gettext("not a date: %(value)s", value=cells[0]))
        kind = cells[1]
        if isinstance(kind, bool):
            row.is_working = kind
        elif isinstance(kind, int | float) and kind in (0, 1):
            row.is_working = bool(kind)
        else:
            text = str(kind or "").strip().lower()
            if text in _TRUE:
                row.is_working = True
            elif text in _FALSE:
                row.is_working = False
            else:
                row.errors.append(gettext("is_working must be working or holiday, not %(value)s", value=kind))
        name = str(cells[2]).strip() if cells[2] is not None else ""
        if len(name) > 100:
            row.errors.append(gettext("name is longer than 100 characters"))
        row.name = name[:100] or None
        if row.day is not None:
            if row.day in seen:
                row.errors.append(gettext("date repeated (line %(line)s)", line=seen[row.day]))
            else:
                seen[row.day] = index
        out.append(row)
    return out


def read_import_file(filename: str, data: bytes) -> list[list[object]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or Excel (.xlsx) file."""
    import csv
    import io

    lower = (filename or "").lower()
    if len(data) > MAX_IMPORT_BYTES:
        raise ValueError(gettext("The file is larger than 2 MB."))
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is bad input
            raise ValueError(gettext("Not a readable Excel file.")) from exc
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    if lower.endswith(".csv") or lower.endswith(".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError(gettext("The file is neither UTF-8 nor GB18030 text."))
        return [row for row in csv.reader(io.StringIO(text))]
    raise ValueError(gettext("Upload a .csv or .xlsx file."))


def import_rows(actor, rows: list[ImportRow], year: int | None = None, complete: bool = False,
                source: str = "") -> int:
    """Write checked rows (all or nothing: any row with errors → ``Invalid`` naming the lines).

    ``year``: when given, every row must fall in it; ``complete`` then marks the year's official
    schedule as fully imported (the fallback warning goes away). Returns rows written.
    """
    from sqlalchemy import select

    from core.calendar.models import CalendarDay
    from core.database import db
    from core.errors import Invalid

    if year is not None:
        for row in rows:
            if row.day is not None and row.day.year != year:
                row.errors.append(gettext("date is not in %(year)s", year=year))
    bad = {f"line {r.line}": r.errors for r in rows if r.errors}
    if bad:
        raise Invalid(gettext("Some rows are invalid; nothing was imported."), fields=bad)
    if not rows and not complete:
        raise Invalid(gettext("The file has no rows."), fields={"file": [gettext("The file has no rows.")]})
    if len(rows) > MAX_IMPORT_ROWS:
        message = gettext("At most %(n)s rows per import.", n=MAX_IMPORT_ROWS)
        raise Invalid(message, fields={"file": [message]})
    days = [r.day for r in rows]
    existing = {d.day: d for d in db.session.scalars(select(CalendarDay).where(CalendarDay.day.in_(days)))} \
        if days else {}
    actor_id = getattr(actor, "id", None)
    for row in rows:
        target = existing.get(row.day)
        if target is None:
            target = CalendarDay(day=row.day)
            db.session.add(target)
        target.is_working = row.is_working
        target.name = row.name
        target.source = "import"
        target.updated_by_id = actor_id
    if year is not None and complete:
        mark_year(actor, year, True, source)
    db.session.flush()
    return len(rows)


def mark_year(actor, year: int, complete: bool, source: str = ""):
    """Record whether the table holds ``year``'s full official schedule."""
    from sqlalchemy import select

    from core.calendar.models import CalendarYear
    from core.database import db

    row = db.session.scalar(select(CalendarYear).where(CalendarYear.year == year))
    if row is None:
        row = CalendarYear(year=year)
        db.session.add(row)
    row.complete = complete
    row.source = (source or "")[:200]
    row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    return row


def set_day(actor, day: date, is_working: bool | None, name: str | None = None):
    """Set one day by hand (``is_working`` None removes the row, so the package/rule applies)."""
    from sqlalchemy import select

    from core.calendar.models import CalendarDay
    from core.database import db

    row = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    if is_working is None:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return None
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.is_working = bool(is_working)
    row.name = (name or "").strip()[:100] or None
    row.source = "manual"
    row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    return row
