"""The quality dashboard: ticket figures per community and period, computed in the database.

Every figure is an aggregate query (GROUP BY); medians and 90th percentiles use ``percentile_cont``
on PostgreSQL and, on SQLite (which has none), one ordered window query per measure that returns
only the two rows around each wanted rank. Nothing loops over tickets in Python, so a million
tickets cost a few scans, not a million objects.

Definitions (docs/quality.md):
- a ticket belongs to the period in which it was opened (``opened_at``, Asia/Shanghai dates);
- response, arrival and resolution times are wall-clock minutes from opening to the stamp;
- a clock is *decided* when its deadline exists and it was either met or has passed; *met* when
  the stamp is at or before the deadline; compliance = met / decided; cancelled tickets are left out;
- satisfaction = ratings of 4 or 5 / ratings (DOMAIN.md §1);
- 回访 rate = tickets rated 3 or below with a call-back recorded / tickets rated 3 or below;
- repeat rate = tickets flagged repeat / tickets; the repeat-complaint rate does the same within
  the ``complaint`` category.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Integer as SAInteger
from sqlalchemy import String, and_, case, cast, func, literal, or_, select, type_coerce

from core.database import db, utcnow
from core.people.models import Person, Residency
from core.places.models import Building, Community
from core.quality.services import SATISFIED_MIN, percent
from core.tickets.models import Ticket, TicketCategory

TZ = ZoneInfo("Asia/Shanghai")
PERCENTILES = (0.5, 0.9)
CLOCKS = ("response", "arrival", "resolution")
ELDERLY_AGE = 60


@dataclass(frozen=True)
class Period:
    """Dates in Asia/Shanghai, both included."""

    start: dt.date
    end: dt.date

    @property
    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        lo = dt.datetime.combine(self.start, dt.time(), tzinfo=TZ).astimezone(dt.UTC)
        hi = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=TZ).astimezone(dt.UTC)
        return lo, hi

    @classmethod
    def default(cls, today: dt.date | None = None) -> Period:
        """The last twelve months up to today."""
        today = today or utcnow().astimezone(TZ).date()
        start = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
        return cls(start, today)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# ---------------------------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------------------------


def minutes_between(later, earlier):
    """Minutes from ``earlier`` to ``later`` as a float expression (NULL when either is NULL)."""
    if _dialect() == "postgresql":
        return func.extract("epoch", later - earlier) / 60.0
    return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def _stamp(clock: str):
    return {"response": Ticket.responded_at, "arrival": Ticket.arrived_at, "resolution": Ticket.resolved_at}[clock]


def _due(clock: str):
    return {"response": Ticket.response_due_at, "arrival": Ticket.arrival_due_at,
            "resolution": Ticket.resolution_due_at}[clock]


def duration(clock: str):
    return minutes_between(_stamp(clock), Ticket.opened_at)


def local_month(column):
    """'YYYY-MM' of a UTC time column in Asia/Shanghai."""
    if _dialect() == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def _scope(community_ids, period: Period):
    lo, hi = period.utc_bounds
    return [Ticket.community_id.in_(list(community_ids)), Ticket.opened_at >= lo, Ticket.opened_at < hi]


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


def _sla_columns(now: dt.datetime) -> list:
    cols = []
    live = Ticket.cancelled_at.is_(None)
    missed_any = []
    decided_any = []
    for clock in CLOCKS:
        stamp, due = _stamp(clock), _due(clock)
        met = and_(live, due.is_not(None), stamp.is_not(None), stamp <= due)
        missed = and_(live, due.is_not(None), or_(stamp > due, and_(stamp.is_(None), due < now)))
        cols += [_count_if(met).label(f"{clock}_met"), _count_if(missed).label(f"{clock}_missed")]
        missed_any.append(missed)
        decided_any.append(or_(met, missed))
    cols += [_count_if(or_(*decided_any)).label("tickets_decided"),
             _count_if(and_(or_(*decided_any), ~or_(*missed_any))).label("tickets_compliant")]
    return cols


def _summary_columns(now: dt.datetime) -> list:
    low = and_(Ticket.rating_score.is_not(None), Ticket.rating_score <= SATISFIED_MIN - 1)
    complaint = TicketCategory.code == "complaint"
    return [
        func.count(Ticket.id).label("tickets"),
        _count_if(Ticket.cancelled_at.is_(None) & Ticket.resolved_at.is_(None)).label("open"),
        *_sla_columns(now),
        func.count(Ticket.rating_score).label("rated"),
        _count_if(Ticket.rating_score >= SATISFIED_MIN).label("satisfied"),
        func.avg(Ticket.rating_score).label("rating_avg"),
        _count_if(low).label("callback_needed"),
        _count_if(and_(low, Ticket.callback_done.is_(True))).label("callback_done"),
        _count_if(Ticket.is_repeat.is_(True)).label("repeats"),
        _count_if(complaint).label("complaints"),
        _count_if(and_(complaint, Ticket.is_repeat.is_(True))).label("repeat_complaints"),
    ]


# ---------------------------------------------------------------------------------------------
# Percentiles on both databases
# ---------------------------------------------------------------------------------------------


def _interpolate(values_by_rank: dict[int, float], n: int, p: float) -> float | None:
    """percentile_cont: linear interpolation between the ranks around p·(n−1) (0-based)."""
    if n <= 0:
        return None
    pos = p * (n - 1)
    lo = int(pos)
    frac = pos - lo
    low = values_by_rank[lo]
    if frac == 0 or lo + 1 not in values_by_rank:
        return float(low)
    return float(low + (values_by_rank[lo + 1] - low) * frac)


def grouped_percentiles(values: dict, where: list, group=None, joins=()) -> dict:
    """``{group: {name: {"n": count, 0.5: median, 0.9: p90}}}`` for each named numeric expression.

    :param values: ``{name: expression over Ticket}``; rows where an expression is NULL are left out
        of that measure only.
    :param group: an expression to group by, or None for one group keyed ``None``.
    :param joins: ``(target, onclause)`` pairs joined to ``Ticket`` first.

    PostgreSQL computes every measure in one pass with ``percentile_cont``. SQLite has no such
    aggregate: per measure, one window query numbers the ordered values and returns only the two
    rows around each wanted rank, and the interpolation is done on those few rows.
    """
    key = group if group is not None else literal(None)
    result: dict = {}

    def base(*cols):
        stmt = select(key.label("g"), *cols).select_from(Ticket)
        for target, onclause in joins:
            stmt = stmt.join(target, onclause, isouter=True)
        return stmt.where(*where)

    if _dialect() == "postgresql":
        sub = base(*[v.label(f"v_{name}") for name, v in values.items()]).subquery()
        cols = []
        for name in values:
            col = sub.c[f"v_{name}"]
            cols += [func.count(col), *[func.percentile_cont(p).within_group(col) for p in PERCENTILES]]
        width = 1 + len(PERCENTILES)
        # without a group, a plain aggregate: grouping by a constant would add a sort of every row
        stmt = select(literal(None), *cols) if group is None else select(sub.c.g, *cols).group_by(sub.c.g)
        for g, *vals in db.session.execute(stmt):
            entry = result.setdefault(g, {})
            for i, name in enumerate(values):
                n, *pcts = vals[i * width:(i + 1) * width]
                if n:
                    entry[name] = {"n": n, **{p: float(v) for p, v in zip(PERCENTILES, pcts, strict=True)}}
        return result
    for name, value in values.items():
        sub = base(value.label("v")).where(value.is_not(None)).subquery()
        ranked = select(
            sub.c.g, sub.c.v,
            (func.row_number().over(partition_by=sub.c.g, order_by=sub.c.v) - 1).label("rn"),
            func.count().over(partition_by=sub.c.g).label("n"),
        ).subquery()
        wanted = []
        for p in PERCENTILES:
            at = cast(p * (ranked.c.n - 1), SAInteger)
            wanted += [ranked.c.rn == at, ranked.c.rn == at + 1]
        rows: dict = {}
        for g, n, rn, v in db.session.execute(select(ranked.c.g, ranked.c.n, ranked.c.rn, ranked.c.v)
                                              .where(or_(*wanted))):
            rows.setdefault(g, {"n": n, "ranks": {}})["ranks"][rn] = v
        for g, entry in rows.items():
            result.setdefault(g, {})[name] = {
                "n": entry["n"], **{p: _interpolate(entry["ranks"], entry["n"], p) for p in PERCENTILES}}
    return result


def _minutes(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _durations(where: list, group=None, joins=()) -> dict:
    """Per group: ``{clock: {"n", "median", "p90"}}`` for the three clocks."""
    out: dict = {}
    measured = grouped_percentiles({clock: duration(clock) for clock in CLOCKS}, where, group, joins)
    for g, clocks in measured.items():
        for clock, stats in clocks.items():
            out.setdefault(g, {})[clock] = {"n": stats["n"], "median": _minutes(stats[0.5]),
                                            "p90": _minutes(stats[0.9])}
    empty = {"n": 0, "median": None, "p90": None}
    for clocks in out.values():
        for clock in CLOCKS:
            clocks.setdefault(clock, dict(empty))
    return out


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def _rates(row) -> dict:
    sla = {}
    for clock in CLOCKS:
        met, missed = int(getattr(row, f"{clock}_met") or 0), int(getattr(row, f"{clock}_missed") or 0)
        sla[clock] = {"met": met, "decided": met + missed, "percent": percent(met, met + missed)}
    decided, compliant = int(row.tickets_decided or 0), int(row.tickets_compliant or 0)
    sla["overall"] = {"met": compliant, "decided": decided, "percent": percent(compliant, decided)}
    rated, satisfied = int(row.rated or 0), int(row.satisfied or 0)
    needed, done = int(row.callback_needed or 0), int(row.callback_done or 0)
    tickets, repeats = int(row.tickets or 0), int(row.repeats or 0)
    complaints, repeat_complaints = int(row.complaints or 0), int(row.repeat_complaints or 0)
    avg = row.rating_avg
    return {
        "tickets": tickets, "open": int(row.open or 0), "sla": sla,
        "satisfaction": {"rated": rated, "satisfied": satisfied, "percent": percent(satisfied, rated),
                         "average": None if avg is None else Decimal(str(avg)).quantize(Decimal("0.01"),
                                                                                        ROUND_HALF_UP)},
        "callback": {"needed": needed, "done": done, "percent": percent(done, needed)},
        "repeat": {"tickets": tickets, "repeats": repeats, "percent": percent(repeats, tickets),
                   "complaints": complaints, "repeat_complaints": repeat_complaints,
                   "complaint_percent": percent(repeat_complaints, complaints)},
    }


def figures(community_ids, period: Period, now: dt.datetime | None = None) -> dict:
    """The dashboard of one or more communities over ``period`` (no permission check: see ``dashboard``)."""
    now = now or utcnow()
    where = _scope(community_ids, period)
    by_cat = db.session.execute(
        select(TicketCategory.code, TicketCategory.name, Ticket.status, func.count(Ticket.id))
        .join(TicketCategory, TicketCategory.id == Ticket.category_id).where(*where)
        .group_by(TicketCategory.code, TicketCategory.name, Ticket.status)
        .order_by(TicketCategory.code, Ticket.status)).all()
    summary = db.session.execute(
        select(*_summary_columns(now)).select_from(Ticket)
        .join(TicketCategory, TicketCategory.id == Ticket.category_id).where(*where)).one()
    categories: dict[str, dict] = {}
    statuses: dict[str, int] = {}
    for code, name, status, n in by_cat:
        entry = categories.setdefault(code, {"code": code, "name": name, "total": 0, "by_status": {}})
        entry["by_status"][status] = entry["by_status"].get(status, 0) + n
        entry["total"] += n
        statuses[status] = statuses.get(status, 0) + n
    times = _durations(where).get(None) or {c: {"n": 0, "median": None, "p90": None} for c in CLOCKS}
    return {"period": {"start": period.start, "end": period.end}, **_rates(summary),
            "by_category": sorted(categories.values(), key=lambda c: c["code"]),
            "by_status": dict(sorted(statuses.items())), "times": times}


def trend(community_ids, period: Period, now: dt.datetime | None = None) -> list[dict]:
    """Month by month (Asia/Shanghai): tickets, SLA compliance, satisfaction, repeat rate."""
    now = now or utcnow()
    month = local_month(Ticket.opened_at).label("month")
    rows = db.session.execute(
        select(month, *_summary_columns(now)).select_from(Ticket)
        .join(TicketCategory, TicketCategory.id == Ticket.category_id)
        .where(*_scope(community_ids, period)).group_by(month).order_by(month)).all()
    return [{"month": r.month, **_rates(r)} for r in rows]


def compare(community_ids, period: Period, now: dt.datetime | None = None) -> list[dict]:
    """One row per community: the headline figures side by side."""
    now = now or utcnow()
    where = _scope(community_ids, period)
    rows = db.session.execute(
        select(Ticket.community_id, *_summary_columns(now)).select_from(Ticket)
        .join(TicketCategory, TicketCategory.id == Ticket.category_id)
        .where(*where).group_by(Ticket.community_id)).all()
    times = _durations(where, Ticket.community_id)
    names = dict(db.session.execute(select(Community.id, Community.name).where(
        Community.id.in_(list(community_ids)))).all())
    out = []
    for r in rows:
        out.append({"community_id": r.community_id, "community": names.get(r.community_id, ""), **_rates(r),
                    "times": times.get(r.community_id)})
    for cid in sorted(set(names) - {r.community_id for r in rows}):
        out.append({"community_id": cid, "community": names[cid], "tickets": 0, "empty": True})
    return sorted(out, key=lambda x: x["community"])


def equal_service(community_id: int, period: Period, min_group: int = 5) -> dict:
    """Response, arrival and resolution times by building and by owner group, so unequal treatment shows.

    Owner groups: how the reporter lives in the unit (owner-occupier, family, tenant, temporary
    resident, or no named reporter) and whether the reporter is 60 or older. Groups with fewer than
    ``min_group`` tickets are shown without times, so no single household can be singled out.
    """
    where = _scope([community_id], period)
    kind = (select(Residency.kind).where(Residency.person_id == Ticket.reporter_person_id,
                                         Residency.unit_id == Ticket.unit_id)
            .order_by(Residency.id.desc()).limit(1).scalar_subquery())
    reporter_kind = func.coalesce(type_coerce(kind, String), "none", type_=String)
    cutoff = period.end.replace(year=period.end.year - ELDERLY_AGE) if not (
        period.end.month == 2 and period.end.day == 29) else dt.date(period.end.year - ELDERLY_AGE, 2, 28)
    age_group = case((Person.birth_date.is_(None), "unknown"), (Person.birth_date <= cutoff, "60+"),
                     else_="under_60")
    person_join = [(Person, Person.id == Ticket.reporter_person_id)]

    def section(group, joins=()):
        counts = dict(db.session.execute(
            _joined(select(group.label("g"), func.count(Ticket.id)), joins).where(*where).group_by(group)).all())
        times = _durations(where, group, joins)
        rows = []
        for g, n in counts.items():
            shown = n >= min_group
            rows.append({"group": g, "tickets": n, "hidden": not shown,
                         "times": times.get(g) if shown else None})
        return rows

    buildings = section(Ticket.building_id)
    names = dict(db.session.execute(select(Building.id, Building.name).where(
        Building.community_id == community_id)).all())
    for row in buildings:
        row["label"] = names.get(row["group"], "—")
    buildings.sort(key=lambda r: r["label"])
    return {"period": {"start": period.start, "end": period.end}, "min_group": min_group,
            "buildings": buildings,
            "reporter_kinds": sorted(section(reporter_kind), key=lambda r: str(r["group"])),
            "age_groups": sorted(section(age_group, person_join), key=lambda r: str(r["group"]))}


def _joined(stmt, joins):
    stmt = stmt.select_from(Ticket)
    for target, onclause in joins:
        stmt = stmt.join(target, onclause, isouter=True)
    return stmt


# ---------------------------------------------------------------------------------------------
# With permissions: what views and the API call
# ---------------------------------------------------------------------------------------------


def dashboard(actor, community: Community, period: Period) -> dict:
    """Figures and trend of one community for someone holding ``quality.dashboard.read`` there."""
    from core.auth.permissions import require

    require(actor, "quality.dashboard.read", community=community)
    data = figures([community.id], period)
    data["trend"] = trend([community.id], period)
    data["community"] = {"id": community.id, "name": community.name}
    return data


def comparison(actor, period: Period) -> list[dict]:
    from core.auth.permissions import visible_community_ids

    ids = visible_community_ids(actor, "quality.dashboard.read")
    if ids is None:
        ids = set(db.session.scalars(select(Community.id)))
    return compare(ids, period) if ids else []


def equal_service_report(actor, community: Community, period: Period) -> dict:
    from core.auth.permissions import require

    require(actor, "quality.dashboard.read", community=community)
    return equal_service(community.id, period)


def scorecard(community: Community, period: Period) -> dict:
    """Public figures of a community: aggregates only, no names, units or ticket texts."""
    data = figures([community.id], period)
    return {"community": community.name, "period": data["period"], "tickets": data["tickets"],
            "sla": data["sla"], "satisfaction": data["satisfaction"], "callback": data["callback"],
            "repeat": data["repeat"], "times": data["times"],
            "trend": [{"month": t["month"], "tickets": t["tickets"], "sla": t["sla"]["overall"]["percent"],
                       "satisfaction": t["satisfaction"]["percent"]} for t in trend([community.id], period)]}
