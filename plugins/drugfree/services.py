"""Drug-free community services: case records, aggregate entry, evaluation, access and audit.

The decisions themselves are pure functions in ``rules.py``; these functions load rows, check who
is acting, write through the session (flush, never commit) and audit every named read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    String,
    TypeDecorator,
    bindparam,
    func,
    inspect,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import Grouping

from core import (
    Area,
    Community,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Person,
    Residency,
    audit,
    blind_index,
    bulk_allocation,
    can,
    db,
    decrypt,
    get_setting,
    get_settings_for_areas,
    utcnow,
    visible_community_ids,
)
from plugins.drugfree import rules
from plugins.drugfree.models import (
    AUDIT_PERMISSION,
    LEGAL_BASES,
    ActivityCount,
    Aftercare,
    AggregateReport,
    AreaPlan,
    Case,
    EvaluationRecord,
    Incident,
    Relapse,
    StatusChange,
    Visit,
)

MODULE = "drugfree"
NAMED = "drugfree.case.read"
WRITE = "drugfree.case.write"
EXPORT = "drugfree.case.export"
AGGREGATE = "drugfree.aggregate.read"
INCIDENT_KINDS = ("manufacture", "trafficking", "cultivation")
TRACKS = ("keep_clean", "end_use")
MODES = ("named", "aggregate")


def today() -> dt.date:
    return utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))).date()


# ---------------------------------------------------------------- access

def may_see_named(account, area: Area) -> bool:
    return can(account, NAMED, area=area)


def may_see_aggregates(account, area: Area) -> bool:
    """The officer, area roles (rc_staff, auditor), platform admins, and organisations serving a
    community of the area (managers, owners' committees) see the area's aggregates."""
    if can(account, AGGREGATE, area=area):
        return True
    ids = visible_community_ids(account, AGGREGATE) if account is not None and account.is_authenticated else set()
    if ids is None:
        return True
    return bool(ids) and db.session.scalar(
        select(Community.id).where(Community.area_id == area.id, Community.id.in_(ids)).limit(1)) is not None


def record_refusal(account, what: str, entity_id, area_id: int | None) -> None:
    """Audit a refused attempt at named data (restricted to the officer role)."""
    audit(account, "drugfree.refused", what, entity_id, module=MODULE, area_id=area_id,
          restricted_to=AUDIT_PERMISSION, changes={"permission": NAMED})


def audit_read(account, what: str, entity_id, area_id: int, **changes) -> None:
    audit(account, "drugfree.read", what, entity_id, module=MODULE, area_id=area_id,
          restricted_to=AUDIT_PERMISSION, changes=changes or None)


# ---------------------------------------------------------------- settings

class _AreaRef(NamedTuple):
    """An area by id only: what ``get_settings_for_areas`` reads."""

    id: int


def _area_id(area) -> int:
    """The area's id from its identity key, so an expired instance is not reloaded one by one."""
    if isinstance(area, _AreaRef):
        return area.id
    identity = inspect(area).identity
    return identity[0] if identity else area.id


LIMIT_SETTINGS = ("clean_years", "sentence_exclude_months", "missing_exclude_years", "report_days", "helper_days",
                  "visits_per_month")



def limits_for_areas(areas: list[Area]) -> dict[int, rules.Limits]:
    """The rules' figures in force for each area (one query, whatever the number of areas)."""
    refs = [_AreaRef(_area_id(a)) for a in areas]
    by_key = get_settings_for_areas([f"drugfree.{name}" for name in LIMIT_SETTINGS], refs)
    values = [by_key[f"drugfree.{name}"] for name in LIMIT_SETTINGS]
    ids = [a.id for a in refs]
    cache: dict[tuple, rules.Limits] = {}
    out = {}
    columns = [[by_area[i] for i in ids] for by_area in values]
    for area_id, key in zip(ids, zip(*columns, strict=True), strict=True):
        limits = cache.get(key)
        if limits is None:
            limits = cache[key] = rules.Limits(*(int(v) for v in key))
        out[area_id] = limits
    return out


def limits_for(area: Area) -> rules.Limits:
    return limits_for_areas([area])[_area_id(area)]


def min_cell(area: Area | None) -> int:
    return int(get_setting("drugfree.min_cell", area=area))


# ---------------------------------------------------------------- cases

def _person_index(person_id: int) -> str:
    return blind_index(str(person_id), "drugfree.person")


def _lives_in(person_id: int, area_id: int, on: dt.date) -> bool:
    return db.session.scalar(select(Residency.id).where(
        Residency.person_id == person_id, Residency.area_id == area_id,
        or_(Residency.start_date.is_(None), Residency.start_date <= on),
        or_(Residency.end_date.is_(None), Residency.end_date >= on)).limit(1)) is not None


def _date_errors(fields: dict, name: str, value: dt.date | None, on: dt.date) -> None:
    if value is not None and value > on:
        fields.setdefault(name, []).append(_l("Must not be in the future."))


def create_case(actor, area: Area, *, person_id: int, legal_basis: str, registered_on: dt.date,
                last_use_on: dt.date | None = None, clean_since: dt.date | None = None,
                details: str | None = None, on: dt.date | None = None, demo: bool = False) -> Case:
    """Open a case for a resident of ``area`` (counted where they actually live)."""
    on = on or today()
    errors: dict[str, list[str]] = {}
    if legal_basis not in LEGAL_BASES:
        errors["legal_basis"] = [_l("A legal basis is required.")]
    person = db.session.get(Person, person_id) if person_id else None
    if person is None or not _lives_in(person.id, area.id, on):
        errors["person_id"] = [_l("No resident of this area with that reference.")]
    _date_errors(errors, "registered_on", registered_on, on)
    _date_errors(errors, "last_use_on", last_use_on, on)
    if clean_since is not None:
        problem = rules.validate_clean_since(clean_since, last_use_on, on)
        if problem == "in_future":
            errors.setdefault("clean_since", []).append(_l("Must not be in the future."))
        elif problem == "before_last_use":
            errors.setdefault("clean_since", []).append(_l("Must not be before the last recorded use."))
    if errors:
        raise Invalid(fields=errors)
    index = _person_index(person.id)
    if db.session.scalar(select(Case.id).where(Case.area_id == area.id, Case.person_index == index)):
        raise Conflict(_l("This person already has a case in this area."))
    case = Case(area_id=area.id, person_ref=str(person.id), person_index=index, name=person.name,
                name_index=blind_index(person.name, "drugfree.name"), id_number=person.id_number,
                id_number_index=blind_index(person.id_number, "drugfree.id_number") if person.id_number else None,
                details=details or None, legal_basis=legal_basis, registered_on=registered_on,
                last_use_on=last_use_on, clean_since=clean_since, lives_in_area=True, demo=demo)
    db.session.add(case)
    db.session.flush()
    return case


def get_case(account, case_id: int) -> Case:
    """A named record for its area's officer (read audited); anyone else: 403, audited."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound()
    area = db.session.get(Area, case.area_id)
    if not may_see_named(account, area):
        raise Forbidden()
    audit_read(account, "Case", case.id, case.area_id)
    return case


def find_cases(account, area: Area, *, id_number: str | None = None, name: str | None = None) -> list[Case]:
    """The area's cases, optionally matched by exact document number or name (blind index)."""
    if not may_see_named(account, area):
        raise Forbidden()
    stmt = select(Case).where(Case.area_id == area.id).options(selectinload(Case.statuses)).order_by(Case.id)
    if id_number:
        stmt = stmt.where(Case.id_number_index == blind_index(id_number, "drugfree.id_number"))
    if name:
        stmt = stmt.where(Case.name_index == blind_index(name, "drugfree.name"))
    cases = list(db.session.scalars(stmt))
    audit_read(account, "Case", None, area.id, listed=len(cases), searched=bool(id_number or name))
    return cases


def _check_reduced(case: Case) -> None:
    if case.reduced_at is not None:
        raise Conflict(_l("Named detail of this case has been reduced after monitoring ended."))


def add_status(actor, case: Case, *, status: str, start: dt.date, sentence_months: int | None = None,
               reported_on: dt.date | None = None, note: str | None = None,
               on: dt.date | None = None) -> StatusChange:
    on = on or today()
    _check_reduced(case)
    event = rules.StatusEvent(status, start, sentence_months, reported_on)
    problem = rules.validate_status(event, on)
    messages = {
        "unknown_status": ("status", _l("Unknown status.")),
        "in_future": ("start", _l("Must not be in the future.")),
        "length_required": ("sentence_months", _l("The length ordered is required.")),
        "compulsory_too_long": ("sentence_months",
                                _l("Compulsory isolated rehabilitation lasts at most 3 years (2 + 1).")),
        "bad_report_date": ("reported_on", _l("Must be between the start and today.")),
    }
    if problem:
        key, message = messages[problem]
        raise Invalid(fields={key: [message]})
    if start < case.registered_on:
        raise Invalid(fields={"start": [_l("Must not be before the case was registered.")]})
    row = StatusChange(area_id=case.area_id, case=case, status=status, start=start,
                       sentence_months=sentence_months if status in rules.CUSTODIAL else None,
                       reported_on=reported_on if status in rules.COMMUNITY_ORDERS else None, note=note or None)
    db.session.add(row)
    db.session.flush()
    return row


def set_clean_since(actor, case: Case, clean_since: dt.date, on: dt.date | None = None) -> Case:
    on = on or today()
    _check_reduced(case)
    problem = rules.validate_clean_since(clean_since, case.last_use_on, on)
    if problem == "in_future":
        raise Invalid(fields={"clean_since": [_l("Must not be in the future.")]})
    if problem == "before_last_use":
        raise Invalid(fields={"clean_since": [_l("Must not be before the last recorded use.")]})
    case.clean_since = clean_since
    db.session.flush()
    return case


def add_relapse(actor, case: Case, *, day: dt.date, note: str | None = None, on: dt.date | None = None) -> Relapse:
    on = on or today()
    _check_reduced(case)
    if day > on:
        raise Invalid(fields={"day": [_l("Must not be in the future.")]})
    if day < case.registered_on:
        raise Invalid(fields={"day": [_l("Must not be before the case was registered.")]})
    row = Relapse(area_id=case.area_id, case=case, day=day, note=note or None)
    db.session.add(row)
    if case.last_use_on is None or day > case.last_use_on:
        case.last_use_on = day
    case.monitoring_ended_on = None
    db.session.flush()
    return row


def assign_helper(actor, case: Case, *, helper: str, assigned_on: dt.date, on: dt.date | None = None) -> Aftercare:
    on = on or today()
    _check_reduced(case)
    errors = {}
    if not (helper or "").strip():
        errors["helper"] = [_l("This field is required.")]
    if assigned_on > on:
        errors["assigned_on"] = [_l("Must not be in the future.")]
    if errors:
        raise Invalid(fields=errors)
    if case.aftercare is None:
        case.aftercare = Aftercare(area_id=case.area_id, helper=helper.strip(), assigned_on=assigned_on)
    else:
        case.aftercare.helper, case.aftercare.assigned_on = helper.strip(), assigned_on
    db.session.flush()
    return case.aftercare


def add_visit(actor, case: Case, *, day: dt.date, note: str | None = None, on: dt.date | None = None) -> Visit:
    on = on or today()
    _check_reduced(case)
    if case.aftercare is None:
        raise Conflict(_l("Assign a helper before recording visits."))
    if day > on:
        raise Invalid(fields={"day": [_l("Must not be in the future.")]})
    if day < case.aftercare.assigned_on:
        raise Invalid(fields={"day": [_l("Must not be before the helper was assigned.")]})
    row = Visit(area_id=case.area_id, aftercare=case.aftercare, day=day, note=note or None)
    db.session.add(row)
    db.session.flush()
    return row


def add_incident(actor, area: Area, *, kind: str, day: dt.date, note: str | None = None,
                 on: dt.date | None = None) -> Incident:
    on = on or today()
    errors = {}
    if kind not in INCIDENT_KINDS:
        errors["kind"] = [_l("Unknown kind.")]
    if day > on:
        errors["day"] = [_l("Must not be in the future.")]
    if errors:
        raise Invalid(fields=errors)
    row = Incident(area_id=area.id, kind=kind, day=day, note=note or None)
    db.session.add(row)
    db.session.flush()
    return row


# ---------------------------------------------------------------- plan and aggregate mode

def plan_of(area: Area) -> AreaPlan:
    plan = db.session.scalar(select(AreaPlan).where(AreaPlan.area_id == area.id))
    return plan or AreaPlan(area_id=area.id, mode="named", track="keep_clean")


def set_plan(actor, area: Area, *, mode: str, track: str, target_year: int | None, plan: str | None,
             on: dt.date | None = None) -> AreaPlan:
    """The area's mode, track, target year and plan text. The target year is 3 to 5 years from
    ``on`` when it is set or changed; an unchanged one is kept as it is, so the plan can still be
    edited in the years up to the target."""
    on = on or today()
    errors = {}
    if mode not in MODES:
        errors["mode"] = [_l("Unknown mode.")]
    if track not in TRACKS:
        errors["track"] = [_l("Unknown track.")]
    row = db.session.scalar(select(AreaPlan).where(AreaPlan.area_id == area.id))
    changed = target_year != (row.target_year if row is not None else None)
    if target_year is not None and changed and not 3 <= target_year - on.year <= 5:
        errors["target_year"] = [_l("The target year is 3 to 5 years from now.")]
    if errors:
        raise Invalid(fields=errors)
    if row is None:
        row = AreaPlan(area_id=area.id)
        db.session.add(row)
    row.mode, row.track, row.target_year, row.plan = mode, track, target_year, (plan or None)
    db.session.flush()
    return row


def save_aggregate(actor, area: Area, *, on_date: dt.date, counts: dict, source: str | None = None,
                   on: dt.date | None = None) -> AggregateReport:
    """Counts per category on a date (aggregate mode); contradictory counts are refused whole."""
    on = on or today()
    unknown = set(counts) - set(rules.Summary.COUNT_FIELDS)
    if unknown:
        raise Invalid(fields={k: [_l("Unknown field.")] for k in sorted(unknown)})
    values = {k: int(counts.get(k) or 0) for k in rules.Summary.COUNT_FIELDS}
    bad = {k: [_l(m) for m in v] for k, v in rules.contradictions(rules.Summary(**values)).items()}
    if on_date > on:
        bad.setdefault("on_date", []).append(_l("Must not be in the future."))
    if bad:
        raise Invalid(fields=bad)
    row = db.session.scalar(select(AggregateReport).where(AggregateReport.area_id == area.id,
                                                          AggregateReport.on_date == on_date))
    if row is None:
        row = AggregateReport(area_id=area.id, on_date=on_date)
        db.session.add(row)
    row.counts, row.source = values, (source or None)
    db.session.flush()
    return row


# ---------------------------------------------------------------- evaluation

def facts_of(cases: list[Case], on: dt.date) -> list[rules.CaseFacts]:
    """Cases as plain facts, "lives in the area" meaning where the case counts on ``on`` by the core
    residency records (``rules.counting_area``; one query)."""
    _flush_pending()
    refs = {c.id: int(c.person_ref) for c in cases if c.person_ref}
    homes = _residences(set(refs.values()), on) if refs else {}
    out = []
    for c in cases:
        lives = (rules.counting_area(c.area_id, homes.get(refs[c.id], ()))[1] if c.id in refs
                 else c.lives_in_area)
        care = c.aftercare
        out.append(rules.CaseFacts(
            ref=c.id, registered_on=c.registered_on, clean_since=c.clean_since, lives_in_area=lives,
            statuses=tuple(rules.StatusEvent(s.status, s.start, s.sentence_months, s.reported_on)
                           for s in c.statuses),
            relapses=tuple(r.day for r in c.relapses),
            helper_assigned_on=care.assigned_on if care else None,
            visits=tuple(v.day for v in care.visits) if care else ()))
    return out


def load_cases(area_ids: list[int]) -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.area_id.in_(area_ids)).options(
        selectinload(Case.statuses), selectinload(Case.relapses),
        selectinload(Case.aftercare).selectinload(Aftercare.visits))))


def _read(stmt, **params):
    """Run a Core select on the session's connection: rows of plain values, no ORM entities. The
    callers flush pending changes first (``_flush_pending``), as the session's autoflush would."""
    return db.session.connection().execute(stmt, params)


def _flush_pending() -> None:
    if db.session.autoflush:
        db.session.flush()


class _JsonIds(TypeDecorator):
    """A list of ids bound as one JSON text (SQLite reads it with ``json_each``)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return json.dumps(list(value))


class _LiteralIds(TypeDecorator):
    """A list of ids written into the SQL at execution time as ``1,2,3`` in one join (integers only,
    so nothing but digits reaches the text); an empty list as a subquery of no rows, so that ``IN``
    matches nothing and ``NOT IN`` everything."""

    impl = String
    cache_ok = True

    def literal_processor(self, dialect):
        return lambda ids: ",".join(map(str, map(int, ids))) or "SELECT NULL::integer WHERE false"


def _among(column, name: str = "area_ids"):
    """``column`` is one of the ids bound as ``name``. Bound one by one, a thousand ids cost more to
    bind, send and plan than the rows they select. PostgreSQL gets them as literals
    (``IN (1, 2, …)``), which it hashes once; not as an array parameter (``= ANY(:ids)``): once
    psycopg prepares a statement that runs often, PostgreSQL may switch it to a generic plan, which
    compares every row with every id in turn (seen: 9 ms instead of 1 ms for a thousand areas).
    SQLite reads them as one JSON text with ``json_each``."""
    if db.engine.dialect.name == "postgresql":
        return column.op("IN")(Grouping(bindparam(name, type_=_LiteralIds(), literal_execute=True)))
    return column.in_(select(func.json_each(bindparam(name, type_=_JsonIds())).table_valued("value").c.value))


def incidents_in_year(area_ids: list[int], on: dt.date) -> dict[int, int]:
    """Incidents recorded in the year up to ``on``, counted per area in SQL."""
    _flush_pending()
    return dict(_read(select(Incident.area_id, func.count()).where(
        _among(Incident.area_id), Incident.day >= dt.date(on.year, 1, 1), Incident.day <= on).group_by(
        Incident.area_id), area_ids=list(area_ids)).all())


def _residences(people, on: dt.date) -> dict[int, list[tuple]]:
    """Each person's residencies current on ``on`` as (area id, start, residency id), in one query."""
    out: dict[int, list[tuple]] = {}
    if people:
        for row in _read(select(
                Residency.person_id, Residency.area_id, Residency.start_date, Residency.id).where(
                _among(Residency.person_id, "people"),
                or_(Residency.start_date.is_(None), Residency.start_date <= on),
                or_(Residency.end_date.is_(None), Residency.end_date >= on)), people=sorted(people)).all():
            out.setdefault(row[0], []).append(row[1:])
    return out


def _moved_in(area_ids: list[int], on: dt.date) -> dict[int, int]:
    """Case id → person id of the cases held by other areas whose person has a residency in
    ``area_ids`` on ``on``: found through the keyed person index of those residents, so no other
    area's reference is decrypted. Nothing to do (one small query) when no case is held elsewhere."""
    others = _read(select(Case.id, Case.person_index).where(
        ~_among(Case.area_id), Case.person_index.is_not(None)), area_ids=area_ids).all()
    if not others:
        return {}
    residents = _read(select(Residency.person_id).distinct().where(
        _among(Residency.area_id),
        or_(Residency.start_date.is_(None), Residency.start_date <= on),
        or_(Residency.end_date.is_(None), Residency.end_date >= on)), area_ids=area_ids).scalars().all()
    by_index = {_person_index(p): p for p in residents}
    return {case_id: by_index[index] for case_id, index in others if index in by_index}


def load_facts(area_ids: list[int], on: dt.date) -> tuple[dict[int, list[rules.CaseFacts]], dict[int, set[int]]]:
    """The cases that count in each area on ``on`` as plain facts, and per area the cases counted
    there but held by another area.

    A case counts where its person lives on ``on`` by the core residency records
    (``rules.counting_area``): the cases held by these areas whose person lives here or nowhere on
    record, and the cases held elsewhere whose person lives here now. A person counts once in an
    area: when two areas' officers each hold a case for the same person and both count here, the one
    held here wins, else the latest registered. Only the columns the rules need, with Core selects, a
    fixed number of queries whatever the number of areas; each person reference is decrypted once,
    in memory, and never stored."""
    area_ids = list(area_ids)
    wanted = set(area_ids)
    _flush_pending()
    columns = (Case.id, Case.area_id, Case.registered_on, Case.clean_since, Case.lives_in_area,
               type_coerce(Case.person_ref, String))  # the reference still encrypted
    case_rows = _read(select(*columns).where(_among(Case.area_id)), area_ids=area_ids).all()
    person = {r[0]: int(decrypt(r[5])) for r in case_rows if r[5]}
    moved_in = _moved_in(area_ids, on)
    holding = area_ids
    if moved_in:
        more = _read(select(*columns).where(_among(Case.id, "cases")), cases=sorted(moved_in)).all()
        case_rows += more
        person.update(moved_in)
        holding = sorted(wanted | {r[1] for r in more})
    homes = _residences(set(person.values()), on)
    # Side tables of every case held by these areas (a case held here that counts elsewhere is
    # dropped below): grouped per case in one pass each, ordered by case in SQL.
    statuses: dict[int, list[rules.StatusEvent]] = {}
    event, previous, history = rules.StatusEvent, None, []
    for case_id, status, start, months, reported_on in _read(select(
            StatusChange.case_id, StatusChange.status, StatusChange.start, StatusChange.sentence_months,
            StatusChange.reported_on).where(_among(StatusChange.area_id)).order_by(
            StatusChange.case_id, StatusChange.start, StatusChange.id), area_ids=holding):
        if case_id == previous:  # one list per case, filled in order (a third cheaper than groupby)
            history.append(event(status, start, months, reported_on))
        else:
            statuses[case_id] = history = [event(status, start, months, reported_on)]
            previous = case_id
    day = itemgetter(1)
    relapses = {case_id: tuple(map(day, rows)) for case_id, rows in groupby(_read(select(
        Relapse.case_id, Relapse.day).where(_among(Relapse.area_id)).order_by(Relapse.case_id),
        area_ids=holding).all(), itemgetter(0))}
    helpers = dict(_read(select(Aftercare.case_id, Aftercare.assigned_on).where(
        _among(Aftercare.area_id)), area_ids=holding).all())
    visits = {case_id: tuple(map(day, rows)) for case_id, rows in groupby(_read(select(
        Aftercare.case_id, Visit.day).join(Visit, Visit.aftercare_id == Aftercare.id).where(
        _among(Visit.area_id)).order_by(Aftercare.case_id), area_ids=holding).all(), itemgetter(0))}
    twice = {p for p, n in Counter(person.values()).items() if n > 1}  # people with several cases
    best: dict[tuple, tuple] = {}  # (area, person) → (preference, case id) among their cases
    out: dict[int, list[rules.CaseFacts]] = {a: [] for a in area_ids}
    elsewhere: dict[int, set[int]] = {}
    facts, none, counting_area = rules.CaseFacts, (), rules.counting_area
    for case_id, held_in, registered_on, clean_since, lives, _ref in case_rows:
        if case_id in person:
            area_id, lives = counting_area(held_in, homes.get(person[case_id], none))
        else:  # reduced after monitoring: no reference left, it stays where it is held
            area_id = held_in
        if area_id not in wanted:
            continue
        if twice and person.get(case_id) in twice:
            key, preference = (area_id, person[case_id]), (area_id == held_in, registered_on, case_id)
            if key in best and best[key][0] > preference:
                continue
            if key in best:  # this case replaces the one counted so far
                dropped = best[key][1]
                out[area_id] = [f for f in out[area_id] if f.ref != dropped]
                elsewhere.get(area_id, set()).discard(dropped)
            best[key] = (preference, case_id)
        if area_id != held_in:
            elsewhere.setdefault(area_id, set()).add(case_id)
        out[area_id].append(facts(case_id, registered_on, statuses.get(case_id, none), clean_since,
                                  relapses.get(case_id, none), lives, helpers.get(case_id),
                                  visits.get(case_id, none)))
    return out, elsewhere


def summarise_areas(areas: list[Area], on: dt.date) -> dict[int, tuple[str, rules.Summary | None]]:
    """(mode, summary) of each area on ``on``; aggregate mode uses the latest report from 1 January
    to ``on`` (a report of an earlier year would pass last year's "new this year" and "relapses this
    year" off as this year's), and with none the summary is None (``no_counts_message``).
    In aggregate mode the incidents are the larger of the count typed into the report and the
    incidents recorded in the year: the officer may have typed a recorded incident (so no sum), and
    an evaluation never counts fewer than are on record.
    A fixed number of reads whatever the number of areas, columns only (no ORM entities)."""
    ids = [_area_id(a) for a in areas]
    _flush_pending()
    modes = dict(_read(select(AreaPlan.area_id, AreaPlan.mode).where(_among(AreaPlan.area_id)),
                       area_ids=ids).all())
    aggregate_ids = [i for i in ids if modes.get(i) == "aggregate"]
    named = [i for i in ids if modes.get(i, "named") == "named"]
    out: dict[int, tuple[str, rules.Summary | None]] = {i: ("aggregate", None) for i in aggregate_ids}
    if aggregate_ids:
        recorded = incidents_in_year(aggregate_ids, on)
        for area_id, counts in _read(select(AggregateReport.area_id, AggregateReport.counts).where(
                _among(AggregateReport.area_id), AggregateReport.on_date >= dt.date(on.year, 1, 1),
                AggregateReport.on_date <= on).order_by(
                AggregateReport.on_date), area_ids=aggregate_ids):
            summary = rules.Summary(**{k: int(counts.get(k, 0)) for k in rules.Summary.COUNT_FIELDS})
            summary.incidents = max(summary.incidents, recorded.get(area_id, 0))
            out[area_id] = ("aggregate", summary)
    if named:
        with bulk_allocation():
            facts, elsewhere = load_facts(named, on)
            incidents = incidents_in_year(named, on)
            limits = limits_for_areas([_AreaRef(i) for i in named])
            for area_id in named:
                summary = rules.summarise(facts[area_id], on, incidents.get(area_id, 0), limits[area_id])
                if area_id in elsewhere:
                    _hide_held_elsewhere(summary, elsewhere[area_id])
                out[area_id] = ("named", summary)
    return out


def no_counts_message(on: dt.date):
    """What the page, the dashboard and the API say for an aggregate area without counts for the
    year of ``on``."""
    return _l("Counts for this year (%(year)s) have not been entered yet.", year=on.year)


def _hide_held_elsewhere(summary: rules.Summary, held_elsewhere: set[int]) -> None:
    """The count moves with the person, the record does not: a case held by another area's officer
    is counted here but left out of the people behind the counts (only its holder reads it)."""
    summary.people = {key: kept for key, refs in summary.people.items()
                      if (kept := [r for r in refs if r not in held_elsewhere])}


def summarise_area(area: Area, on: dt.date) -> tuple[str, rules.Summary | None]:
    return summarise_areas([area], on)[_area_id(area)]


def evaluate_area(account, area: Area, on: dt.date, *, save: bool = False):
    """Evaluate ``area`` on ``on``: (mode, summary, evaluation). One audit entry per computation."""
    mode, summary = summarise_area(area, on)
    evaluation = rules.evaluate(summary, on) if summary is not None else None
    audit(account, "drugfree.evaluated", "Area", area.id, module=MODULE, area_id=area.id,
          restricted_to=AUDIT_PERMISSION,
          changes={"on_date": on.isoformat(), "mode": mode,
                   "meets": evaluation.meets if evaluation else None})
    if save and evaluation is not None:
        db.session.add(EvaluationRecord(area_id=area.id, on_date=on, mode=mode, meets=evaluation.meets,
                                        result=public_result(summary, evaluation, 1), by_id=account.id))
        db.session.flush()
    return mode, summary, evaluation


def public_result(summary: rules.Summary, evaluation: rules.Evaluation, cell: int) -> dict:
    """The evaluation without names, small counts suppressed (``cell`` = 1 keeps every count)."""
    def show(value):
        return rules.suppress(value, cell) if isinstance(value, int) else value

    suppressed_any = False
    checks = []
    for check in evaluation.checks:
        counts = {k: show(v) for k, v in check.counts.items()}
        suppressed_any = suppressed_any or counts != check.counts
        checks.append({"code": check.code, "passed": check.passed, "counts": counts})
    indicators = {}
    denominators = {"execution_rate": summary.orders_due, "control_rate": summary.monitored,
                    "consolidation_rate": summary.former, "relapse_rate": summary.monitored_start_this_year}
    for name, value in evaluation.indicators.items():
        hidden = 0 < denominators[name] < cell
        indicators[name] = None if hidden or value is None else round(value, 4)
    return {"on_date": evaluation.on.isoformat(), "meets": evaluation.meets, "checks": checks,
            "indicators": indicators, "suppressed": suppressed_any, "min_cell": cell}


def failed_checks(record: EvaluationRecord) -> list[str]:
    """Codes of the checks that did not hold in a saved evaluation."""
    return [c["code"] for c in (record.result or {}).get("checks", []) if not c.get("passed")]


def evaluations_of(area: Area, limit: int = 20) -> list[EvaluationRecord]:
    return list(db.session.scalars(select(EvaluationRecord).where(EvaluationRecord.area_id == area.id).order_by(
        EvaluationRecord.on_date.desc(), EvaluationRecord.id.desc()).limit(limit)))


def education_count(area: Area, on: dt.date) -> tuple[int, int]:
    """(events, participants) of drug-prevention education in the year up to ``on``."""
    rows = db.session.execute(select(ActivityCount.events, ActivityCount.participants).where(
        ActivityCount.area_id == area.id, ActivityCount.day >= dt.date(on.year, 1, 1),
        ActivityCount.day <= on)).all()
    return sum(r[0] for r in rows), sum(r[1] for r in rows)


def record_activity(scope, tags, day: dt.date, count: int) -> None:
    """Keep anonymous participation counts of drug-prevention education per area."""
    if "drug_prevention" not in (tags or ()) or scope is None:
        return
    area_id = getattr(scope, "area_id", None)
    if area_id is None:
        return
    row = db.session.scalar(select(ActivityCount).where(ActivityCount.area_id == area_id, ActivityCount.day == day))
    if row is None:
        row = ActivityCount(area_id=area_id, day=day, events=0, participants=0)
        db.session.add(row)
    row.events += 1
    row.participants += max(int(count or 0), 0)
    db.session.flush()


# ---------------------------------------------------------------- export and reduction

EXPORT_COLUMNS = ("case_id", "name", "id_number", "legal_basis", "registered_on", "status", "status_since",
                  "clean_since", "category")


def export_named(account, area: Area, on: dt.date) -> str:
    """CSV of the area's named cases, for the officer only; the export is audited."""
    if not may_see_named(account, area) or not can(account, EXPORT, area=area):
        raise Forbidden()
    cases = load_cases([area.id])
    facts = {f.ref: f for f in facts_of(cases, on)}
    limits = limits_for(area)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    for c in cases:
        event = rules.status_on(facts[c.id], on)
        writer.writerow([c.id, c.name or "", c.id_number or "", c.legal_basis, c.registered_on.isoformat(),
                         event.status if event else "", event.start.isoformat() if event else "",
                         c.clean_since.isoformat() if c.clean_since else "",
                         rules.category(facts[c.id], on, limits) or ""])
    audit(account, "drugfree.exported", "Case", None, module=MODULE, area_id=area.id,
          restricted_to=AUDIT_PERMISSION, changes={"rows": len(cases), "on_date": on.isoformat()})
    return buf.getvalue()


def reduce_after_monitoring(on: dt.date, area_ids: list[int] | None = None) -> int:
    """Mark when monitoring ended for good and, ``drugfree.reduce_after_days`` later, drop the named
    detail: name, document number, person reference, details and notes. Returns how many cases were
    reduced. The dates and statuses the statistics need stay.

    Monitoring ends for good at 3 years clean (stable) or at death (the start of the *dead* status),
    whichever came first. People abroad, sentenced, missing or moved out may come back and stay
    in full."""
    stmt = select(Case).where(Case.reduced_at.is_(None))
    if area_ids is not None:
        stmt = stmt.where(Case.area_id.in_(area_ids))
    cases = list(db.session.scalars(stmt.options(selectinload(Case.statuses), selectinload(Case.relapses),
                                                 selectinload(Case.aftercare).selectinload(Aftercare.visits))))
    reduced = 0
    refs = [_AreaRef(i) for i in {c.area_id for c in cases}]
    by_area = limits_for_areas(refs)
    waits = get_settings_for_areas(["drugfree.reduce_after_days"], refs)["drugfree.reduce_after_days"]
    for fact, case in zip(facts_of(cases, on), cases, strict=True):
        limits = by_area[case.area_id]
        category = rules.category(fact, on, limits)
        if category not in (rules.STABLE, rules.DEAD):
            continue
        start = rules.clean_start(fact, on)
        clean_by = rules.add_years(start, limits.clean_years) if start is not None else None
        if category == rules.STABLE:
            ended = clean_by
        else:
            died = rules.status_on(fact, on).start
            ended = died if clean_by is None else min(died, clean_by)
        if case.monitoring_ended_on != ended:
            case.monitoring_ended_on = ended
        if on < ended + dt.timedelta(days=int(waits[case.area_id])):
            continue
        case.lives_in_area = fact.lives_in_area
        case.name = case.id_number = case.person_ref = case.details = None
        case.name_index = case.id_number_index = case.person_index = None
        for row in case.statuses:
            row.note = None
        for row in case.relapses:
            row.note = None
        if case.aftercare is not None:
            case.aftercare.helper = "-"
            for visit in case.aftercare.visits:
                visit.note = None
        case.reduced_at = utcnow()
        reduced += 1
    db.session.flush()
    return reduced


def standards_notice_body(area: Area, evaluation: rules.Evaluation | None, labels: dict, meets_text: str,
                          not_yet_text: str, standards_text: str) -> str:
    """The text posted on the notice board: the standards and the area's status, never names."""
    lines = [standards_text, ""]
    if evaluation is not None:
        lines.append(f"{area.name}: {meets_text if evaluation.meets else not_yet_text}")
        for check in evaluation.checks:
            lines.append(f"- {labels.get(check.code, check.code)}: {'✓' if check.passed else '✗'}")
    return "\n".join(lines)


def details_json(details: dict | None) -> str | None:
    return json.dumps(details, ensure_ascii=False) if details else None


# The messages of rules.contradictions(), so the catalogue carries them.
_CONTRADICTION_MESSAGES = (
    _l("Must not be negative."), _l("More stable than former users."), _l("More stable than ever registered."),
    _l("Registered must equal current + former + excluded."),
    _l("More returnees with aftercare than returnees."), _l("More returnees than people under monitoring."),
    _l("More missing than people under monitoring."), _l("More new users than ever registered."),
    _l("More orders reported in time than orders due."),
)
