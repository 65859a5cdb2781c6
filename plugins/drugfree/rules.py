"""The 无毒社区 standards as pure functions over plain values (no Flask, no database).

Named mode turns each case into a ``CaseFacts`` and ``summarise()`` counts them; aggregate mode
gives a ``Summary`` the officer typed in. Either way ``evaluate()`` decides, so both modes follow
the same rules. DOMAIN.md §5 is the specification; docs/drugfree.md states every formula.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import NamedTuple

# Statuses of a case (status history). Derived states (stable, excluded) are not statuses.
USING = "using"  # known current user, in no programme
COMMUNITY_DETOX = "community_detox"  # 社区戒毒 (3 years; report within 15 days)
COMMUNITY_REHAB = "community_rehab"  # 社区康复 (up to 3 years)
COMPULSORY = "compulsory"  # 强制隔离戒毒 (2 years, + at most 1): never excludes
SENTENCED = "sentenced"  # serving a sentence; 3 years or more excludes
ABROAD = "abroad"
MOVED_OUT = "moved_out"  # household registration moved out (户口迁出)
DEAD = "dead"
MISSING = "missing"  # whereabouts unknown since the status date; 4 years or more excludes
RELEASED = "released"  # back in the community after compulsory isolation or prison (needs aftercare)

STATUSES = (USING, COMMUNITY_DETOX, COMMUNITY_REHAB, COMPULSORY, SENTENCED, ABROAD, MOVED_OUT, DEAD,
            MISSING, RELEASED)
CUSTODIAL = (COMPULSORY, SENTENCED)
COMMUNITY_ORDERS = (COMMUNITY_DETOX, COMMUNITY_REHAB)

# Categories a case falls in on a date
CURRENT = "current"  # current user: not excluded, no 戒断 start on or before the date
FORMER = "former"  # 戒断 begun, fewer than the required years clean
STABLE = "stable"  # clean for the required years (戒断巩固): monitoring ends
EXCLUDED_REASONS = (ABROAD, MOVED_OUT, DEAD, SENTENCED, MISSING)


@dataclass(frozen=True)
class Limits:
    """Figures that come from settings (each with its source in ``settings_schema``)."""

    clean_years: int = 3  # 戒毒条例 §7 / the article: 戒断 3 years
    sentence_exclude_months: int = 36  # the article: sentenced to 3 years or more
    missing_exclude_years: int = 4  # the article: missing 4 years or more
    report_days: int = 15  # 戒毒条例 §14 (report within 15 days)
    helper_days: int = 15  # practice: helper assigned within 15 days of return
    visits_per_month: int = 1  # practice: at least one 帮教 visit a month


# Status events and case facts are built by the thousand when every area is evaluated: immutable
# tuples are the cheapest records to build and read in CPython, and the loaders build them from rows.
class StatusEvent(NamedTuple):
    status: str
    start: dt.date
    sentence_months: int | None = None  # sentenced / compulsory: length ordered
    reported_on: dt.date | None = None  # community_detox / community_rehab: when the person reported


class CaseFacts(NamedTuple):
    ref: int  # the case id (never the person)
    registered_on: dt.date  # when the police register first recorded the person
    statuses: Sequence[StatusEvent] = ()  # in date order (the loaders sort them)
    clean_since: dt.date | None = None  # the day 戒断 began (last recorded use)
    relapses: tuple[dt.date, ...] = ()
    lives_in_area: bool = True  # lives in the area the case counts in (core residency records)
    helper_assigned_on: dt.date | None = None
    visits: tuple[dt.date, ...] = ()


def counting_area(held_in: int, residences) -> tuple[int, bool]:
    """(the area a case counts in, whether the person lives there) on a date. ``residences`` are the
    person's residencies current on that date as (area id, start date or None, residency id). People
    count where they actually live (temporary residents and 人户分离 included): the area of their
    residence, the holding area ``held_in`` when it is one of them (several homes, one of them here),
    else the latest begun (then the latest recorded). With no residence on the date the case counts
    where it is held, and the person does not live there."""
    best = None
    for area_id, start, rid in residences:
        if area_id == held_in:
            return held_in, True
        key = (start or dt.date.min, rid)
        if best is None or key > best[0]:
            best = (key, area_id)
    return (best[1], True) if best is not None else (held_in, False)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def years_before(on: dt.date, years: int) -> dt.date | None:
    """The last day from which ``years`` full years have passed by ``on``:
    ``add_years(day, years) <= on`` exactly when ``day <= years_before(on, years)``. None when the
    calendar has no such day (``on`` within the first ``years`` years AD)."""
    year = on.year - years
    if year < dt.MINYEAR:
        return None
    if on.month == 2 and on.day >= 28:  # 29 February counts to 28 February in common years
        leap_day = calendar.isleap(year) and (on.day == 29 or not calendar.isleap(on.year))
        return dt.date(year, 2, 29 if leap_day else 28)
    return on.replace(year=year)


class Cutoffs(NamedTuple):
    """A date with the limits' cut-off days worked out once, for checking many cases on it."""

    on: dt.date
    stable_by: dt.date | None  # clean since this day or earlier: the required years are done (stable)
    missing_by: dt.date | None  # missing since this day or earlier: long enough to be excluded

    @classmethod
    def of(cls, on: dt.date, limits: Limits) -> Cutoffs:
        return _cutoffs(on, limits.clean_years, limits.missing_exclude_years)


@functools.lru_cache(maxsize=256)  # the same few dates for every area of an evaluation
def _cutoffs(on: dt.date, clean_years: int, missing_years: int) -> Cutoffs:
    return Cutoffs(on, years_before(on, clean_years), years_before(on, missing_years))


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def status_on(case: CaseFacts, on: dt.date) -> StatusEvent | None:
    """The latest status that started on or before ``on`` (ties: the later entry wins)."""
    current = None
    for event in case.statuses:
        if event.start > on:
            break
        current = event
    return current


def clean_start(case: CaseFacts, on: dt.date) -> dt.date | None:
    """The day clean time counts from on ``on``: the 戒断 start, reset by any later relapse."""
    if case.clean_since is None or case.clean_since > on:
        return None
    start = case.clean_since
    for day in case.relapses:
        if start <= day <= on:
            start = day
    return start


def category(case: CaseFacts, on: dt.date, limits: Limits = Limits()) -> str | None:
    """``CURRENT``, ``FORMER``, ``STABLE``, an exclusion reason, or None if not yet registered."""
    if case.registered_on > on:
        return None
    return _category(case, status_on(case, on), Cutoffs.of(on, limits), limits)


def _category(case: CaseFacts, event: StatusEvent | None, cut: Cutoffs, limits: Limits) -> str:
    """``category`` of a case registered by the date, with its status on the date already found.
    ``summarise`` asks this three times per case, hence one function with no calls on the usual path."""
    if event is not None:
        status = event.status
        if status in (ABROAD, DEAD):
            return status
        if status == MOVED_OUT and not case.lives_in_area:
            return MOVED_OUT
        if status == SENTENCED and (event.sentence_months or 0) >= limits.sentence_exclude_months:
            return SENTENCED
        if status == MISSING and cut.missing_by is not None and event.start <= cut.missing_by:
            return MISSING
        # compulsory isolation (at most 3 years less a day of order) never excludes
    start = case.clean_since
    if start is None or start > cut.on:
        return CURRENT
    if case.relapses:
        start = clean_start(case, cut.on)
    if event is not None and event.status == USING and event.start > start:
        return CURRENT  # back to use after 戒断 began: a user again until a new 戒断 start is recorded
    return STABLE if cut.stable_by is not None and start <= cut.stable_by else FORMER


def returned_on(case: CaseFacts, on: dt.date) -> dt.date | None:
    """When the person last came back from compulsory isolation or prison, on or before ``on``."""
    back = None
    previous = None
    for event in case.statuses:
        if event.start > on:
            break
        if previous is not None and previous.status in CUSTODIAL and event.status not in CUSTODIAL:
            back = event.start
        previous = event
    return back


def aftercare_problem(case: CaseFacts, on: dt.date, limits: Limits = Limits()) -> str | None:
    """Why a returnee's 接茬帮教 falls short on ``on`` (``"no_helper"``, ``"late_helper"``,
    ``"missed_visits"``), or None when it holds or the person is no returnee."""
    back = returned_on(case, on)
    return None if back is None else _aftercare_problem(case, back, on, limits)


def _aftercare_problem(case: CaseFacts, back: dt.date, on: dt.date, limits: Limits) -> str | None:
    """``aftercare_problem`` of a returnee who came back on ``back``."""
    deadline = back + dt.timedelta(days=limits.helper_days)
    assigned = case.helper_assigned_on if case.helper_assigned_on and case.helper_assigned_on <= on else None
    if assigned is None:
        return "no_helper" if on > deadline else None
    if assigned > deadline:
        return "late_helper"
    # Month k since the return runs from add_months(back, k) up to the day before add_months(back, k + 1);
    # every whole month up to ``on`` needs its visits.
    whole = months_since(back, on)
    if whole == 0:
        return None
    if len(case.visits) < whole * limits.visits_per_month:
        return "missed_visits"  # too few visits in all for every month to have its share
    per_month = [0] * whole
    for day in case.visits:
        if back <= day:
            k = months_since(back, day)
            if k < whole:
                per_month[k] += 1
    return "missed_visits" if min(per_month) < limits.visits_per_month else None


def months_since(start: dt.date, day: dt.date) -> int:
    """How many whole months from ``start`` to ``day`` (``day`` on or after ``start``): the largest k
    with ``add_months(start, k) <= day``."""
    k = (day.year - start.year) * 12 + day.month - start.month
    # add_months(start, k) falls in day's month, on start's day or, if that month is shorter, its last day
    if day.day < start.day and (start.day <= 28 or day.day < calendar.monthrange(day.year, day.month)[1]):
        k -= 1
    return k


def reporting_state(case: CaseFacts, on: dt.date, limits: Limits = Limits()) -> str | None:
    """The 15-day reporting check of the latest community order: ``"in_time"``, ``"late"``,
    ``"overdue"`` (not reported and past the deadline), ``"pending"``, or None (no such order)."""
    return _reporting_state(status_on(case, on), on, limits)


def _reporting_state(event: StatusEvent | None, on: dt.date, limits: Limits) -> str | None:
    if event is None or event.status not in COMMUNITY_ORDERS:
        return None
    deadline = event.start + dt.timedelta(days=limits.report_days)
    if event.reported_on is not None and event.reported_on <= on:
        return "in_time" if event.reported_on <= deadline else "late"
    return "overdue" if on > deadline else "pending"


@dataclass
class Summary:
    """Counts of one area on one date: what aggregate mode asks for and named mode computes."""

    registered: int = 0  # everyone on the register for the area (incl. excluded)
    current: int = 0
    former: int = 0  # 戒断 begun (includes the stable ones)
    stable: int = 0
    abroad: int = 0
    moved_out: int = 0
    dead: int = 0
    sentenced: int = 0
    missing: int = 0  # missing 4 years or more (excluded)
    missing_recent: int = 0  # missing under 4 years (counted, but out of control)
    new_this_year: int = 0
    returnees: int = 0
    returnees_ok: int = 0  # returnees whose aftercare holds
    relapses_this_year: int = 0
    monitored_start_this_year: int = 0
    relapses_last_year: int = 0
    monitored_start_last_year: int = 0
    incidents: int = 0  # manufacturing, trafficking or cultivation recorded in the year
    orders_due: int = 0  # community orders whose reporting deadline has passed or were reported
    orders_in_time: int = 0
    people: dict[str, list[int]] = field(default_factory=dict)  # category → case refs (named mode)

    COUNT_FIELDS = ()  # filled below

    @property
    def excluded(self) -> int:
        return self.abroad + self.moved_out + self.dead + self.sentenced + self.missing

    @property
    def monitored(self) -> int:
        return self.current + self.former - self.stable


Summary.COUNT_FIELDS = tuple(f.name for f in fields(Summary) if f.name != "people")


def contradictions(s: Summary) -> dict[str, list[str]]:
    """Field → messages for counts that cannot all be true (aggregate entry)."""
    bad: dict[str, list[str]] = {}

    def say(key, message):
        bad.setdefault(key, []).append(message)

    for name in Summary.COUNT_FIELDS:
        if getattr(s, name) < 0:
            say(name, "Must not be negative.")
    if s.stable > s.former:
        say("stable", "More stable than former users.")
    if s.stable > s.registered:
        say("stable", "More stable than ever registered.")
    if s.current + s.former + s.excluded != s.registered:
        say("registered", "Registered must equal current + former + excluded.")
    if s.returnees_ok > s.returnees:
        say("returnees_ok", "More returnees with aftercare than returnees.")
    if s.returnees > s.monitored:
        say("returnees", "More returnees than people under monitoring.")
    if s.missing_recent > s.current + s.former - s.stable:
        say("missing_recent", "More missing than people under monitoring.")
    if s.new_this_year > s.registered:
        say("new_this_year", "More new users than ever registered.")
    if s.orders_in_time > s.orders_due:
        say("orders_in_time", "More orders reported in time than orders due.")
    return bad


@functools.lru_cache(maxsize=64)  # every area of an evaluation shares the date and mostly the limits
def _summary_dates(on: dt.date, limits: Limits) -> tuple:
    """The dates ``summarise`` compares with, worked out once per date and limits."""
    year_start, last_year_start = dt.date(on.year, 1, 1), dt.date(on.year - 1, 1, 1)
    # year on year (同比): this year up to ``on`` against last year up to the same day
    return (Cutoffs.of(on, limits), year_start, last_year_start, years_before(on, 1),
            Cutoffs.of(year_start, limits), Cutoffs.of(last_year_start, limits))


def summarise(cases: list[CaseFacts], on: dt.date, incidents: int = 0,
              limits: Limits = Limits()) -> Summary:
    """Count named cases on ``on``; ``people`` keeps the case refs behind each count (officer only).
    Each case's status on ``on`` and its return date are found once and shared by the checks."""
    s = Summary(incidents=incidents)
    if not cases:
        return s
    people: dict[str, list[int]] = {}
    relapsed: list[int] = []
    cut, year_start, last_year_start, last_year_end, this_year, last_year = _summary_dates(on, limits)
    monitored = (CURRENT, FORMER)  # under dynamic monitoring: counted as a user, not yet stable

    def note(key, ref):
        people.setdefault(key, []).append(ref)

    for case in cases:
        # relapse rate: relapses in the year over those monitored at its start (registered by ``on`` or not)
        if case.relapses:
            this = sum(1 for d in case.relapses if year_start <= d <= on)
            if this:
                s.relapses_this_year += this
                relapsed.append(case.ref)
            s.relapses_last_year += sum(1 for d in case.relapses if last_year_start <= d <= last_year_end)
        event = at_this_year = at_last_year = None  # status_on() the three dates, in one walk
        for e in case.statuses:
            if e.start > on:
                break
            event = e
            if e.start <= year_start:
                at_this_year = e
                if e.start <= last_year_start:
                    at_last_year = e
        registered = case.registered_on
        if registered <= year_start and _category(case, at_this_year, this_year, limits) in monitored:
            s.monitored_start_this_year += 1
        if registered <= last_year_start and _category(case, at_last_year, last_year, limits) in monitored:
            s.monitored_start_last_year += 1

        if registered > on:
            continue
        cat = _category(case, event, cut, limits)
        s.registered += 1
        if cat == CURRENT:
            s.current += 1
        elif cat == FORMER:
            s.former += 1
        elif cat == STABLE:
            s.former += 1
            s.stable += 1
        else:  # excluded
            setattr(s, cat, getattr(s, cat) + 1)
            note(f"excluded_{cat}", case.ref)
            continue
        note(cat, case.ref)
        if year_start <= registered:
            s.new_this_year += 1
            note("new_this_year", case.ref)
        if cat == STABLE:
            continue  # out of dynamic monitoring
        if event is not None and event.status == MISSING:
            s.missing_recent += 1
            note("missing_recent", case.ref)
        back = returned_on(case, on)
        if back is not None:
            s.returnees += 1
            if _aftercare_problem(case, back, on, limits) is None:
                s.returnees_ok += 1
            else:
                note("aftercare_short", case.ref)
        state = _reporting_state(event, on, limits)
        if state is not None and state != "pending":
            s.orders_due += 1
            if state == "in_time":
                s.orders_in_time += 1
            else:
                note("reporting_" + state, case.ref)
    if relapsed:
        people["relapsed_this_year"] = relapsed
    s.people = people
    return s


def rate(numerator: int, denominator: int) -> float | None:
    """A share in [0, 1]; None when there is nothing to divide by."""
    return None if denominator <= 0 else numerator / denominator


def relapse_rate(relapses: int, monitored_at_start: int) -> float:
    """Relapses over people monitored at the year's start; with nobody monitored, 0 or 1 (all)."""
    if monitored_at_start <= 0:
        return 0.0 if relapses == 0 else 1.0
    return relapses / monitored_at_start


class Check(NamedTuple):
    code: str
    passed: bool
    counts: dict  # the figures the decision used


class Evaluation(NamedTuple):
    on: dt.date
    meets: bool
    checks: tuple[Check, ...]
    indicators: dict  # name → share in [0, 1] or None


def evaluate(s: Summary, on: dt.date) -> Evaluation:
    """The standards and targets of DOMAIN.md §5 over a ``Summary``; "meets" when all hold."""
    this_rate = relapse_rate(s.relapses_this_year, s.monitored_start_this_year)
    last_rate = relapse_rate(s.relapses_last_year, s.monitored_start_last_year)
    relapse_holds = (s.relapses_this_year == 0 and s.relapses_last_year == 0) or this_rate < last_rate
    checks = (
        Check("no_current_users", s.current == 0, {"current": s.current, "excluded": s.excluded}),
        Check("former_users_stable", s.stable == s.former, {"former": s.former, "stable": s.stable}),
        Check("no_trafficking", s.incidents == 0, {"incidents": s.incidents}),
        Check("no_new_users", s.new_this_year == 0, {"new_this_year": s.new_this_year}),
        Check("aftercare", s.returnees_ok == s.returnees, {"returnees": s.returnees,
                                                          "returnees_ok": s.returnees_ok}),
        Check("relapse_falling", relapse_holds, {
            "relapses_this_year": s.relapses_this_year, "monitored_start_this_year": s.monitored_start_this_year,
            "relapses_last_year": s.relapses_last_year, "monitored_start_last_year": s.monitored_start_last_year}),
    )
    monitored = s.monitored
    indicators = {
        "execution_rate": rate(s.orders_in_time, s.orders_due),
        "control_rate": rate(monitored - s.missing_recent, monitored),
        "consolidation_rate": rate(s.stable, s.former),
        "relapse_rate": rate(s.relapses_this_year, s.monitored_start_this_year),
    }
    return Evaluation(on=on, meets=all(c.passed for c in checks), checks=checks, indicators=indicators)


def suppress(value: int, min_cell: int) -> int | str:
    """Small-cell suppression for anyone but the officer: 1 … min_cell-1 shows as ``"<min_cell"``."""
    if 0 < value < min_cell:
        return f"<{min_cell}"
    return value


def validate_clean_since(clean_since: dt.date, last_use: dt.date | None, today: dt.date) -> str | None:
    """Why a 戒断 start date is wrong, or None."""
    if clean_since > today:
        return "in_future"
    if last_use is not None and clean_since < last_use:
        return "before_last_use"
    return None


def validate_status(event: StatusEvent, today: dt.date, compulsory_max_months: int = 36) -> str | None:
    """Why a status change is wrong, or None."""
    if event.status not in STATUSES:
        return "unknown_status"
    if event.start > today:
        return "in_future"
    if event.status in CUSTODIAL and not event.sentence_months:
        return "length_required"
    if event.status == COMPULSORY and event.sentence_months and event.sentence_months > compulsory_max_months:
        return "compulsory_too_long"
    if event.reported_on is not None and (event.reported_on < event.start or event.reported_on > today):
        return "bad_report_date"
    return None
