"""The 无毒社区 standards as pure functions over plain values (no Flask, no database).

Named mode turns each case into a ``CaseFacts`` and ``summarise()`` counts them; aggregate mode
gives a ``Summary`` the officer typed in. Either way ``evaluate()`` decides, so both modes follow
the same rules. DOMAIN.md §5 is the specification; docs/drugfree.md states every formula.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field, fields

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


@dataclass(frozen=True)
class StatusEvent:
    status: str
    start: dt.date
    sentence_months: int | None = None  # sentenced / compulsory: length ordered
    reported_on: dt.date | None = None  # community_detox / community_rehab: when the person reported


@dataclass(frozen=True)
class CaseFacts:
    ref: int  # the case id (never the person)
    registered_on: dt.date  # when the police register first recorded the person
    statuses: tuple[StatusEvent, ...] = ()  # in date order (the loaders sort them)
    clean_since: dt.date | None = None  # the day 戒断 began (last recorded use)
    relapses: tuple[dt.date, ...] = ()
    lives_in_area: bool = True  # from the core residency records
    helper_assigned_on: dt.date | None = None
    visits: tuple[dt.date, ...] = ()


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


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


def exclusion(case: CaseFacts, on: dt.date, limits: Limits = Limits()) -> str | None:
    """Why the person is not counted as a user on ``on`` (one of ``EXCLUDED_REASONS``), or None."""
    event = status_on(case, on)
    if event is None:
        return None
    if event.status in (ABROAD, DEAD):
        return event.status
    if event.status == MOVED_OUT and not case.lives_in_area:
        return MOVED_OUT
    if event.status == SENTENCED and (event.sentence_months or 0) >= limits.sentence_exclude_months:
        return SENTENCED
    if event.status == MISSING and on >= add_years(event.start, limits.missing_exclude_years):
        return MISSING
    return None  # compulsory isolation (at most 3 years less a day of order) never excludes


def category(case: CaseFacts, on: dt.date, limits: Limits = Limits()) -> str | None:
    """``CURRENT``, ``FORMER``, ``STABLE``, an exclusion reason, or None if not yet registered."""
    if case.registered_on > on:
        return None
    reason = exclusion(case, on, limits)
    if reason is not None:
        return reason
    start = clean_start(case, on)
    if start is None:
        return CURRENT
    if on >= add_years(start, limits.clean_years):
        return STABLE
    return FORMER


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
    if back is None:
        return None
    deadline = back + dt.timedelta(days=limits.helper_days)
    assigned = case.helper_assigned_on if case.helper_assigned_on and case.helper_assigned_on <= on else None
    if assigned is None:
        return "no_helper" if on > deadline else None
    if assigned > deadline:
        return "late_helper"
    visits = sorted(v for v in case.visits if back <= v <= on)
    month, lo = 0, back
    while True:  # every whole month since the return
        hi = add_months(back, month + 1)
        if hi > on:
            return None
        if bisect.bisect_left(visits, hi) - bisect.bisect_left(visits, lo) < limits.visits_per_month:
            return "missed_visits"
        month, lo = month + 1, hi


def reporting_state(case: CaseFacts, on: dt.date, limits: Limits = Limits()) -> str | None:
    """The 15-day reporting check of the latest community order: ``"in_time"``, ``"late"``,
    ``"overdue"`` (not reported and past the deadline), ``"pending"``, or None (no such order)."""
    event = status_on(case, on)
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


def summarise(cases: list[CaseFacts], on: dt.date, incidents: int = 0,
              limits: Limits = Limits()) -> Summary:
    """Count named cases on ``on``; ``people`` keeps the case refs behind each count (officer only)."""
    s = Summary(incidents=incidents)
    people: dict[str, list[int]] = {}
    year_start = dt.date(on.year, 1, 1)
    last_year_start, last_year_end = dt.date(on.year - 1, 1, 1), dt.date(on.year - 1, 12, 31)

    def note(key, ref):
        people.setdefault(key, []).append(ref)

    for case in cases:
        cat = category(case, on, limits)
        if cat is None:
            continue
        s.registered += 1
        if cat in EXCLUDED_REASONS:
            setattr(s, cat, getattr(s, cat) + 1)
            note(f"excluded_{cat}", case.ref)
            continue
        if cat == CURRENT:
            s.current += 1
        else:
            s.former += 1
            if cat == STABLE:
                s.stable += 1
        note(cat, case.ref)
        if year_start <= case.registered_on <= on:
            s.new_this_year += 1
            note("new_this_year", case.ref)
        if cat == STABLE:
            continue  # out of dynamic monitoring
        event = status_on(case, on)
        if event is not None and event.status == MISSING:
            s.missing_recent += 1
            note("missing_recent", case.ref)
        if returned_on(case, on) is not None:
            s.returnees += 1
            if aftercare_problem(case, on, limits) is None:
                s.returnees_ok += 1
            else:
                note("aftercare_short", case.ref)
        state = reporting_state(case, on, limits)
        if state in ("in_time", "late", "overdue"):
            s.orders_due += 1
            if state == "in_time":
                s.orders_in_time += 1
            else:
                note("reporting_" + state, case.ref)
    for case in cases:  # relapse rate: relapses in the year over those monitored at its start
        this = sum(1 for d in case.relapses if year_start <= d <= on)
        last = sum(1 for d in case.relapses if last_year_start <= d <= last_year_end)
        if this:
            s.relapses_this_year += this
            note("relapsed_this_year", case.ref)
        s.relapses_last_year += last
        if category(case, year_start, limits) in (CURRENT, FORMER):
            s.monitored_start_this_year += 1
        if category(case, last_year_start, limits) in (CURRENT, FORMER):
            s.monitored_start_last_year += 1
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


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    counts: dict  # the figures the decision used


@dataclass(frozen=True)
class Evaluation:
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
