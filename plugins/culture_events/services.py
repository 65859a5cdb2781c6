"""Rules of community culture: who may join what, places and waiting lists, check-in, festivals, reports.

Services take the acting account (or person) explicitly, flush and never commit, and call hooks
after the change. Pure rules (ages, windows, festivals) are plain functions without the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from lunardate import LunarDate
from sqlalchemy import and_, case, func, or_, select, update

from core import (
    Building,
    Community,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Person,
    Residency,
    Unit,
    Upload,
    audit,
    can,
    check_upload,
    db,
    get_setting,
    hook,
    person_unit_ids,
    publish_notice,
    require,
    utcnow,
)

from .models import (
    Club,
    ClubAttendance,
    ClubMember,
    ClubSession,
    Event,
    EventPhoto,
    EventStatus,
    Organiser,
    Poll,
    PollVote,
    Recurrence,
    Registration,
    RegStatus,
    Venue,
    VenueBooking,
)

MODULE = "culture_events"
TZ = ZoneInfo("Asia/Shanghai")

AGE_GROUPS = ("children", "youth", "adults", "elderly")
TARGETS = (*AGE_GROUPS, "all")
FUNCTION_TAGS = ("guiding", "conduct", "cohesion", "recreation", "encouragement", "reform")
FUNCTION_LABELS = {
    "guiding": _l("Guiding (引导)"), "conduct": _l("Rules and conduct (约束)"),
    "cohesion": _l("Bringing together (凝聚)"), "recreation": _l("Recreation (娱乐)"),
    "encouragement": _l("Encouraging (激励)"), "reform": _l("Countering superstition and ills (改造)"),
}
AGE_LABELS = {"children": _l("Children"), "youth": _l("Youth"), "adults": _l("Adults"),
              "elderly": _l("Elderly"), "all": _l("Everyone")}
REG_STATUS_LABELS = {"confirmed": _l("Confirmed"), "waiting": _l("On the waiting list"),
                     "cancelled": _l("Cancelled")}
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


# ---------------------------------------------------------------------------------------------
# Age groups (pure)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeLimits:
    """Where the groups begin; defaults from the settings declared in ``settings_schema``."""

    child_under: int = 14  # PIPL art. 28/31: personal information of minors under 14
    adult_from: int = 18  # Civil Code art. 17
    youth_to: int = 35  # 中长期青年发展规划: youth are 14 to 35
    elderly_from: int = 60  # 老年人权益保障法 art. 2

    @classmethod
    def for_scope(cls, community=None, area=None) -> AgeLimits:
        def get(name):
            return int(get_setting(f"culture_events.{name}", community=community, area=area))

        return cls(get("child_under"), get("adult_from"), get("youth_to"), get("elderly_from"))


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years on ``day`` (a person born on 29 February turns a year older on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def eligible_groups(age: int, limits: AgeLimits = AgeLimits()) -> set[str]:
    """Every target group a person of ``age`` belongs to (youth and adults overlap)."""
    groups = {"all"}
    if age < limits.child_under:
        groups.add("children")
    if limits.child_under <= age <= limits.youth_to:
        groups.add("youth")
    if age >= limits.adult_from:
        groups.add("adults")
    if age >= limits.elderly_from:
        groups.add("elderly")
    return groups


def report_group(age: int | None, limits: AgeLimits = AgeLimits()) -> str:
    """One group per person for reports: children, youth, adults (after youth), elderly."""
    if age is None:
        return "unknown"
    if age < limits.child_under:
        return "children"
    if age <= limits.youth_to:
        return "youth"
    if age < limits.elderly_from:
        return "adults"
    return "elderly"


def check_age(birth: dt.date | None, day: dt.date, targets: list[str], limits: AgeLimits = AgeLimits()) -> None:
    """Raise ``Invalid`` unless a person born on ``birth`` is in one of ``targets`` on ``day``."""
    if "all" in targets:
        return
    if birth is None:
        raise Invalid(_l("The register has no date of birth for this person."),
                      fields={"person_id": [_l("No date of birth in the register.")]})
    if not eligible_groups(age_on(birth, day), limits) & set(targets):
        raise Invalid(_l("This event is not for this person's age group."), code="age_group",
                      fields={"person_id": [_l("Not in the event's age groups.")]})


def needs_guardian(birth: dt.date | None, day: dt.date, limits: AgeLimits = AgeLimits()) -> bool:
    return birth is not None and age_on(birth, day) < limits.child_under


def window_state(opens: dt.datetime, closes: dt.datetime, now: dt.datetime) -> str:
    """``not_open`` before ``opens``, ``open`` until ``closes`` (exclusive), then ``closed``."""
    if now < opens:
        return "not_open"
    if now >= closes:
        return "closed"
    return "open"


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


# ---------------------------------------------------------------------------------------------
# Festival planner (pure)
# ---------------------------------------------------------------------------------------------

# code, Chinese name, lunar (month, day) or None, solar (month, day) or None, age groups, function tags
FESTIVALS = (
    ("spring", "春节", (1, 1), None, ["all"], ["cohesion", "recreation"]),
    ("lantern", "元宵", (1, 15), None, ["all"], ["recreation", "cohesion"]),
    ("childrens_day", "儿童节", None, (6, 1), ["children"], ["recreation", "guiding"]),
    ("dragon_boat", "端午", (5, 5), None, ["all"], ["cohesion", "guiding"]),
    ("mid_autumn", "中秋", (8, 15), None, ["all"], ["cohesion", "recreation"]),
    ("double_ninth", "重阳", (9, 9), None, ["elderly"], ["encouragement", "cohesion"]),
    ("christmas", "圣诞", None, (12, 25), ["children", "youth"], ["recreation"]),
)
FESTIVAL_IDEAS = {
    "spring": _l("New Year couplets and a neighbours' gathering; visit elderly people living alone."),
    "lantern": _l("Lantern riddles and tangyuan for families."),
    "childrens_day": _l("Games and a talent show for children; guardians' consent needed."),
    "dragon_boat": _l("Zongzi making; a talk on tradition."),
    "mid_autumn": _l("Mooncakes and a family evening in the square."),
    "double_ninth": _l("九九登高: an outing and a health check for the elderly."),
    "christmas": _l("A party for children and young people."),
}


def festival_date(code: str, year: int) -> dt.date:
    for c, _name, lunar, solar, _groups, _tags in FESTIVALS:
        if c == code:
            if lunar:
                return LunarDate(year, *lunar).to_solar_date()
            return dt.date(year, *solar)
    raise KeyError(code)


def upcoming_festivals(today: dt.date, days: int = 365) -> list[dict]:
    """Festivals from ``today`` (inclusive) for ``days`` days, soonest first, with suggestions."""
    out = []
    for year in (today.year, today.year + 1):
        for code, name, _lunar, _solar, groups, tags in FESTIVALS:
            day = festival_date(code, year)
            if today <= day < today + dt.timedelta(days=days):
                out.append({"code": code, "name": name, "date": day, "age_groups": groups,
                            "function_tags": tags, "idea": FESTIVAL_IDEAS[code],
                            "days_away": (day - today).days})
    return sorted(out, key=lambda f: f["date"])


# ---------------------------------------------------------------------------------------------
# Scope helpers
# ---------------------------------------------------------------------------------------------


def _scope_kwargs(event_or_thing) -> dict:
    if event_or_thing.community_id is not None:
        return {"community": db.session.get(Community, event_or_thing.community_id)}
    from core import Area

    return {"area": db.session.get(Area, event_or_thing.area_id)}


def require_on(account, permission: str, thing) -> None:
    require(account, permission, **_scope_kwargs(thing))


def can_on(account, permission: str, thing) -> bool:
    return can(account, permission, **_scope_kwargs(thing))


def limits_for(thing) -> AgeLimits:
    return AgeLimits.for_scope(**_scope_kwargs(thing))


def _parse_list(value, allowed, field) -> str:
    items = value if isinstance(value, list | tuple) else [v for v in str(value or "").split(",")]
    items = [str(i).strip() for i in items if str(i).strip()]
    bad = [i for i in items if allowed is not None and i not in allowed]
    if bad:
        raise Invalid(fields={field: [_l("Unknown value: %(v)s", v=", ".join(bad))]})
    return ",".join(dict.fromkeys(items))


def _aware(value, field):
    if value is None:
        raise Invalid(fields={field: [_l("This field is required.")]})
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(fields={field: [_l("Not a valid date and time.")]}) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=TZ)
    return value.astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------------
# Venues and bookings
# ---------------------------------------------------------------------------------------------


def create_venue(actor, community, name: str, capacity: int | None = None) -> Venue:
    require(actor, "culture_events.venue.manage", community=community)
    if not (name or "").strip():
        raise Invalid(fields={"name": [_l("This field is required.")]})
    if capacity is not None and capacity < 1:
        raise Invalid(fields={"capacity": [_l("Must be at least 1.")]})
    venue = Venue(area_id=community.area_id, community_id=community.id, name=name.strip(), capacity=capacity)
    db.session.add(venue)
    db.session.flush()
    return venue


def clashes(venue_id: int, starts: dt.datetime, ends: dt.datetime, exclude_event_id=None) -> list[VenueBooking]:
    stmt = select(VenueBooking).where(VenueBooking.venue_id == venue_id, VenueBooking.cancelled_at.is_(None),
                                      VenueBooking.starts_at < ends, VenueBooking.ends_at > starts)
    if exclude_event_id is not None:
        stmt = stmt.where(or_(VenueBooking.event_id.is_(None), VenueBooking.event_id != exclude_event_id))
    return list(db.session.scalars(stmt))


def book_venue(actor, venue: Venue, starts, ends, purpose: str, event: Event | None = None) -> VenueBooking:
    """Hold ``venue``; an overlap with a live booking is refused (409 with the clashing times)."""
    if event is None:
        require_on(actor, "culture_events.venue.manage", venue)
    starts, ends = _aware(starts, "starts_at"), _aware(ends, "ends_at")
    if ends <= starts:
        raise Invalid(fields={"ends_at": [_l("Must be after the start.")]})
    # serialise bookings of one venue (row lock on PostgreSQL, write lock on SQLite)
    db.session.execute(update(Venue).where(Venue.id == venue.id).values(active=Venue.active))
    found = clashes(venue.id, starts, ends, exclude_event_id=event.id if event is not None else None)
    if found:
        raise Conflict(_l("The venue is already booked at that time."), code="venue_clash",
                       extra={"clashes": [{"starts_at": b.starts_at.isoformat(), "ends_at": b.ends_at.isoformat(),
                                           "purpose": b.purpose} for b in found]})
    booking = VenueBooking(area_id=venue.area_id, venue_id=venue.id, event_id=event.id if event else None,
                           purpose=purpose or (event.title if event else ""), starts_at=starts, ends_at=ends,
                           booked_by_id=getattr(actor, "id", None))
    db.session.add(booking)
    db.session.flush()
    return booking


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------

EVENT_FIELDS = ("title", "description", "venue_id", "starts_at", "ends_at", "age_groups", "capacity",
                "registration_opens_at", "registration_closes_at", "recurrence", "recurrence_until",
                "function_tags", "topic_tags", "fee", "fee_item_code", "festival", "organiser")


def _clean_event(data: dict, area_id: int, community_id: int | None) -> dict:
    out: dict = {}
    errors: dict = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = [_l("This field is required.")]
    out["title"] = title[:200]
    out["description"] = data.get("description") or ""
    try:
        starts = _aware(data.get("starts_at"), "starts_at")
        ends = _aware(data.get("ends_at"), "ends_at")
    except Invalid as exc:
        raise Invalid(fields={**errors, **exc.fields}) from None
    if ends <= starts:
        errors["ends_at"] = [_l("The event must end after it starts.")]
    out["starts_at"], out["ends_at"] = starts, ends
    opens = _aware(data["registration_opens_at"], "registration_opens_at") if data.get(
        "registration_opens_at") else utcnow()
    closes = _aware(data["registration_closes_at"], "registration_closes_at") if data.get(
        "registration_closes_at") else starts
    if closes <= opens:
        errors["registration_closes_at"] = [_l("Registration must close after it opens.")]
    if closes > ends:
        errors["registration_closes_at"] = [_l("Registration must close before the event ends.")]
    out["registration_opens_at"], out["registration_closes_at"] = opens, closes
    try:
        capacity = int(data.get("capacity"))
        if capacity < 1:
            raise ValueError
        out["capacity"] = capacity
    except (TypeError, ValueError):
        errors["capacity"] = [_l("Must be a whole number of at least 1.")]
    for key, allowed in (("age_groups", TARGETS), ("function_tags", FUNCTION_TAGS), ("topic_tags", None)):
        try:
            out[key] = _parse_list(data.get(key, "all" if key == "age_groups" else ""), allowed, key)
        except Invalid as exc:
            errors.update(exc.fields)
    if not out.get("age_groups") and "age_groups" not in errors:
        out["age_groups"] = "all"
    try:
        out["recurrence"] = Recurrence(data.get("recurrence") or "none")
    except ValueError:
        errors["recurrence"] = [_l("Unknown value: %(v)s", v=data.get("recurrence"))]
    until = data.get("recurrence_until")
    if isinstance(until, str) and until:
        try:
            until = dt.date.fromisoformat(until)
        except ValueError:
            errors["recurrence_until"] = [_l("Not a valid date.")]
    out["recurrence_until"] = until or None
    if out.get("recurrence") not in (None, Recurrence.none) and not out["recurrence_until"]:
        errors["recurrence_until"] = [_l("A repeating event needs an end date.")]
    fee = data.get("fee")
    if fee not in (None, "", 0, "0"):
        try:
            fee = Decimal(str(fee))
            if not fee.is_finite() or fee < 0:
                raise ValueError
        except (ValueError, ArithmeticError):
            errors["fee"] = [_l("Not a valid amount.")]
            fee = None
        if fee and not (data.get("fee_item_code") or "").strip():
            errors["fee_item_code"] = [_l("A fee needs the fee item code of the posted price notice.")]
        out["fee"] = fee or None
    else:
        out["fee"] = None
    out["fee_item_code"] = (data.get("fee_item_code") or "").strip() or None
    out["festival"] = data.get("festival") or None
    try:
        out["organiser"] = Organiser(data.get("organiser") or (
            "property_company" if community_id else "residents_committee"))
    except ValueError:
        errors["organiser"] = [_l("Unknown value: %(v)s", v=data.get("organiser"))]
    venue_id = data.get("venue_id")
    if venue_id not in (None, "", 0):
        venue = db.session.get(Venue, int(venue_id)) if str(venue_id).isdigit() else None
        if venue is None or venue.area_id != area_id or (
                community_id is not None and venue.community_id not in (None, community_id)):
            errors["venue_id"] = [_l("Not a venue of this community.")]
        out["venue_id"] = venue.id if venue else None
    else:
        out["venue_id"] = None
    if errors:
        raise Invalid(fields=errors)
    return out


def _occurrences(starts, ends, recurrence, until) -> list[tuple[dt.datetime, dt.datetime]]:
    if recurrence == Recurrence.none or until is None:
        return [(starts, ends)]
    out = []
    s, e, n = starts, ends, 0
    while local_day(s) <= until and n < 53:
        out.append((s, e))
        n += 1
        if recurrence == Recurrence.weekly:
            s, e = starts + dt.timedelta(weeks=n), ends + dt.timedelta(weeks=n)
        else:
            local = starts.astimezone(TZ)
            month = local.month - 1 + n
            try:
                moved = local.replace(year=local.year + month // 12, month=month % 12 + 1)
            except ValueError:  # no such day this month (e.g. 31st): skip it
                s = starts + dt.timedelta(days=40 * n)
                continue
            s = moved.astimezone(dt.UTC)
            e = s + (ends - starts)
    return out


def create_event(actor, data: dict, community=None, area=None) -> list[Event]:
    """Plan an event of ``community`` (or of a whole ``area``); repeats make one event per date.

    :return: the events created (one unless it repeats); the venue is booked for each.
    """
    if community is None and area is None:
        raise Invalid(fields={"community_id": [_l("This field is required.")]})
    require(actor, "culture_events.event.manage", community=community, area=area if community is None else None)
    area_id = community.area_id if community is not None else area.id
    clean = _clean_event(data, area_id, community.id if community is not None else None)
    opens_lead = clean["starts_at"] - clean["registration_opens_at"]
    closes_lead = clean["starts_at"] - clean["registration_closes_at"]
    occurrences = _occurrences(clean["starts_at"], clean["ends_at"], clean["recurrence"], clean["recurrence_until"])
    if clean["venue_id"]:
        for starts, ends in occurrences:  # refuse before writing anything
            if clashes(clean["venue_id"], starts, ends):
                raise Conflict(_l("The venue is already booked at that time."), code="venue_clash",
                               extra={"starts_at": starts.isoformat()})
    events = []
    series_id = None
    for starts, ends in _occurrences(clean["starts_at"], clean["ends_at"], clean["recurrence"],
                                     clean["recurrence_until"]):
        values = {**clean, "starts_at": starts, "ends_at": ends,
                  "registration_opens_at": min(starts - opens_lead, clean["registration_opens_at"])
                  if series_id is None else starts - opens_lead,
                  "registration_closes_at": starts - closes_lead}
        event = Event(area_id=area_id, community_id=community.id if community is not None else None,
                      created_by_id=actor.id, series_id=series_id, **values)
        db.session.add(event)
        db.session.flush()
        if series_id is None and clean["recurrence"] != Recurrence.none:
            series_id = event.series_id = event.id
        if event.venue_id:
            book_venue(actor, db.session.get(Venue, event.venue_id), starts, ends, event.title, event=event)
        events.append(event)
    audit(actor, "event.create", "Event", events[0].id, module=MODULE, area_id=area_id,
          community_id=events[0].community_id)
    return events


def update_event(actor, event: Event, data: dict) -> Event:
    """Change an event; capacity may not drop below the confirmed places, a rise promotes waiters."""
    require_on(actor, "culture_events.event.manage", event)
    if event.status == EventStatus.cancelled:
        raise Conflict(_l("The event is cancelled."), extra={"allowed": []})
    current = {k: getattr(event, k) for k in EVENT_FIELDS}
    current["recurrence"], current["recurrence_until"] = Recurrence.none, None
    clean = _clean_event({**current, **data}, event.area_id, event.community_id)
    clean.pop("recurrence"), clean.pop("recurrence_until")
    locked = lock_event(event.id)
    confirmed = count_confirmed(event.id)
    if clean["capacity"] < confirmed:
        raise Conflict(_l("Capacity cannot be lower than the %(n)s places already confirmed.", n=confirmed),
                       code="capacity_below_confirmed", fields={"capacity": [_l("At least %(n)s.", n=confirmed)]})
    moved = (clean["starts_at"], clean["ends_at"], clean["venue_id"]) != (
        locked.starts_at, locked.ends_at, locked.venue_id)
    for key, value in clean.items():
        setattr(locked, key, value)
    if moved:
        db.session.execute(update(VenueBooking).where(VenueBooking.event_id == event.id,
                                                        VenueBooking.cancelled_at.is_(None))
                           .values(cancelled_at=utcnow()))
        if locked.venue_id:
            book_venue(actor, db.session.get(Venue, locked.venue_id), locked.starts_at, locked.ends_at,
                       locked.title, event=locked)
    db.session.flush()
    _promote(locked)
    return locked


def cancel_event(actor, event: Event, reason: str) -> Event:
    require_on(actor, "culture_events.event.manage", event)
    if event.status == EventStatus.cancelled:
        raise Conflict(_l("The event is already cancelled."), extra={"allowed": []})
    if not (reason or "").strip():
        raise Invalid(fields={"reason": [_l("This field is required.")]})
    event.status = EventStatus.cancelled
    db.session.execute(update(VenueBooking).where(VenueBooking.event_id == event.id,
                                                    VenueBooking.cancelled_at.is_(None)).values(cancelled_at=utcnow()))
    db.session.flush()
    audit(actor, "event.cancel", "Event", event.id, module=MODULE, changes={"reason": reason},
          area_id=event.area_id, community_id=event.community_id)
    return event


def announce_event(actor, event: Event):
    """Post the event on the core notice board (owner portal) until it starts."""
    require_on(actor, "culture_events.event.manage", event)
    when = event.starts_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    return publish_notice(actor, title=event.title, body=f"{when}\n{event.description}", area_id=event.area_id,
                          community_id=event.community_id, kind="event", expire_at=event.ends_at,
                          source_module=MODULE, source_ref=str(event.id))


# ---------------------------------------------------------------------------------------------
# Registration: households, places and the waiting list
# ---------------------------------------------------------------------------------------------


def lock_event(event_id: int) -> Event:
    """Take the event's row lock for the rest of the transaction (places are counted under it).

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite ignores FOR UPDATE, so a write to the row first
    takes the database's write lock, which serialises concurrent registrations just the same.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Event).where(Event.id == event_id).values(lock_seq=Event.lock_seq + 1))
    event = db.session.scalar(select(Event).where(Event.id == event_id).with_for_update()
                              .execution_options(populate_existing=True))
    if event is None:
        raise NotFound()
    return event


def count_confirmed(event_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.event_id == event_id, Registration.status == RegStatus.confirmed))


def scope_unit_ids(event_or_thing, unit_ids: set[int]) -> list[int]:
    """Which of ``unit_ids`` lie in the event's community (or area)."""
    if not unit_ids:
        return []
    stmt = select(Unit.id).where(Unit.id.in_(unit_ids))
    if event_or_thing.community_id is not None:
        stmt = stmt.where(Unit.community_id == event_or_thing.community_id)
    else:
        stmt = stmt.where(Unit.area_id == event_or_thing.area_id)
    return sorted(db.session.scalars(stmt))


def household(person: Person, day: dt.date | None = None) -> list[Person]:
    """The person and everyone currently living with them (a landlord's tenants are not household)."""
    day = day or dt.date.today()

    def current():
        return and_(or_(Residency.start_date.is_(None), Residency.start_date <= day),
                    or_(Residency.end_date.is_(None), Residency.end_date >= day))

    units = select(Residency.unit_id).where(Residency.person_id == person.id, current())
    stmt = (select(Person).join(Residency, Residency.person_id == Person.id)
            .where(Residency.unit_id.in_(units), current()).distinct())
    members = {p.id: p for p in db.session.scalars(stmt)}
    members.setdefault(person.id, person)
    return sorted(members.values(), key=lambda p: (p.id != person.id, p.id))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def register(by: Person, event: Event, person: Person | None = None, *, guardian_consent: bool = False,
             photo_consent: bool = False, now: dt.datetime | None = None) -> Registration:
    """Register ``person`` (``by`` themself or a household member) for ``event``.

    Confirmed while places remain, else on the waiting list. Children under the configured age
    need ``guardian_consent`` from an adult of their household (``by``); ``photo_consent`` is part
    of that consent. Places are counted under the event's row lock, so none is ever oversold.
    """
    now = now or utcnow()
    person = person or by
    day = local_day(event.starts_at)
    limits = limits_for(event)
    if person.id != by.id and person.id not in {p.id for p in household(by, local_day(now))}:
        raise Forbidden(_l("You can register only yourself and members of your household."))
    units = scope_unit_ids(event, person_unit_ids(person.id, local_day(now)))
    if not units:
        raise Forbidden(_l("This event is for residents of its community."), code="not_resident")
    if event.status != EventStatus.published:
        raise Conflict(_l("The event is cancelled."), code="event_cancelled", extra={"allowed": []})
    state = window_state(event.registration_opens_at, event.registration_closes_at, now)
    if state == "not_open":
        raise Conflict(_l("Registration has not opened yet."), code="registration_not_open")
    if state == "closed":
        raise Conflict(_l("Registration has closed."), code="registration_closed")
    check_age(person.birth_date, day, event.age_group_list, limits)
    child = needs_guardian(person.birth_date, day, limits)
    if child:
        if not guardian_consent:
            raise Invalid(_l("A guardian's consent is needed for a child under %(n)s.", n=limits.child_under),
                          code="guardian_consent", fields={"guardian_consent": [_l("A guardian must consent.")]})
        if by.id == person.id or by.birth_date is None or age_on(by.birth_date, local_day(now)) < limits.adult_from:
            raise Forbidden(_l("Only an adult of the household can consent for a child."), code="guardian_required")
    locked = lock_event(event.id)
    existing = db.session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                             Registration.person_id == person.id))
    if existing is not None and existing.status != RegStatus.cancelled:
        raise Conflict(_l("This person is already registered."), code="duplicate_registration",
                       extra={"allowed": []})
    status = RegStatus.confirmed if count_confirmed(event.id) < locked.capacity else RegStatus.waiting
    reg = existing or Registration(event_id=event.id, person_id=person.id, area_id=event.area_id,
                                   community_id=event.community_id, checkin_code=new_code())
    reg.status = status
    reg.unit_id = units[0]
    reg.registered_by_id = by.id
    reg.age_group = report_group(age_on(person.birth_date, day) if person.birth_date else None, limits)
    reg.waiting_since = now
    reg.cancelled_at = None
    reg.guardian_id = by.id if child else None
    reg.guardian_consent = bool(child and guardian_consent)
    reg.photo_consent = bool(photo_consent) if child else True
    if existing is None:
        db.session.add(reg)
    db.session.flush()
    if status == RegStatus.confirmed:
        _charge(reg, locked, by)
    return reg


def _charge(reg: Registration, event: Event, payer: Person) -> None:
    if not event.fee or reg.charge_ref:
        return
    community = db.session.get(Community, event.community_id) if event.community_id else None
    if community is None:
        raise Conflict(_l("Fees can be charged only for events of one community."), code="fee_unavailable")
    try:
        ref = hook().charge_requested(payer=payer, payee=community, item_code=event.fee_item_code,
                                      amount=event.fee, source={"module": MODULE, "id": reg.id})
    except ValueError:
        raise Invalid(_l("The fee item is not on the community's posted price notice."),
                      fields={"fee_item_code": [_l("Not on the price notice.")]}) from None
    if ref is None:
        # our rule: a paid event is not run without the fees plugin (no unrecorded cash)
        raise Conflict(_l("Fees cannot be collected now; registration for this paid event is closed."),
                       code="fee_unavailable")
    reg.charge_ref = ref


def settle_charge(charge_ref: str) -> None:
    db.session.execute(update(Registration).where(Registration.charge_ref == charge_ref).values(paid=True))


def _promote(event: Event) -> list[Registration]:
    """Fill free places from the waiting list, first come first served (caller holds the lock)."""
    free = event.capacity - count_confirmed(event.id)
    if free <= 0:
        return []
    waiting = db.session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.status == RegStatus.waiting)
        .order_by(Registration.waiting_since, Registration.id).limit(free)).all()
    for reg in waiting:
        reg.status = RegStatus.confirmed
    db.session.flush()
    if waiting:
        from core import Account, notify

        accounts = db.session.scalars(select(Account).where(
            Account.person_id.in_({r.registered_by_id or r.person_id for r in waiting}))).all()
        if accounts:
            notify(accounts, str(_l("You have a place: %(t)s", t=event.title)), module=MODULE)
        people = {p.id: p for p in db.session.scalars(select(Person).where(
            Person.id.in_({r.registered_by_id or r.person_id for r in waiting})))}
        for reg in waiting:
            _charge(reg, event, people.get(reg.registered_by_id or reg.person_id))
    return waiting


def may_act_for(person: Person, reg: Registration) -> bool:
    if reg.person_id == person.id or reg.registered_by_id == person.id:
        return True
    return reg.person_id in {p.id for p in household(person)}


def cancel_registration(by: Person, reg: Registration, now: dt.datetime | None = None) -> list[Registration]:
    """Cancel ``reg`` (own or the household's); a freed place goes to the first on the waiting list.

    :return: the registrations promoted.
    """
    if not may_act_for(by, reg):
        raise Forbidden(_l("This is someone else's registration."))
    if reg.status == RegStatus.cancelled:
        raise Conflict(_l("The registration is already cancelled."), extra={"allowed": []})
    if reg.checked_in_at is not None:
        raise Conflict(_l("Already checked in."), extra={"allowed": []})
    event = lock_event(reg.event_id)
    db.session.refresh(reg)
    was = reg.status
    reg.status = RegStatus.cancelled
    reg.cancelled_at = now or utcnow()
    db.session.flush()
    if reg.charge_ref:
        hook().refund_requested(charge_ref=reg.charge_ref, reason="registration cancelled")
    return _promote(event) if was == RegStatus.confirmed else []


# ---------------------------------------------------------------------------------------------
# Check-in, feedback, photos, attendance report
# ---------------------------------------------------------------------------------------------


def check_in(actor, event: Event, code: str, now: dt.datetime | None = None) -> Registration:
    """Staff check a person in by the code on their phone (or a registration found by search)."""
    require_on(actor, "culture_events.checkin", event)
    code = (code or "").strip().upper()
    if not code:
        raise Invalid(fields={"code": [_l("This field is required.")]})
    reg = db.session.scalar(select(Registration).where(Registration.checkin_code == code))
    if reg is None:
        raise Invalid(_l("Unknown code."), code="unknown_code", fields={"code": [_l("Unknown code.")]})
    if reg.event_id != event.id:
        raise Invalid(_l("This code is for another event."), code="other_event",
                      fields={"code": [_l("This code is for another event.")]})
    if reg.status != RegStatus.confirmed:
        raise Conflict(_l("This registration has no confirmed place."), code="not_confirmed",
                       extra={"allowed": []})
    if reg.checked_in_at is not None:
        raise Conflict(_l("Already checked in."), code="already_checked_in", extra={"allowed": []})
    now = now or utcnow()
    if local_day(now) != local_day(event.starts_at) and not (event.starts_at - dt.timedelta(hours=2) <= now
                                                               <= event.ends_at):
        raise Conflict(_l("Check-in is open on the day of the event."), code="not_event_day")
    reg.checked_in_at = now
    db.session.flush()
    audit(actor, "registration.check_in", "Registration", reg.id, module=MODULE, area_id=reg.area_id,
          community_id=reg.community_id)
    return reg


def search_registrations(actor, event: Event, q: str) -> list[Registration]:
    require_on(actor, "culture_events.checkin", event)
    q = (q or "").strip()
    stmt = (select(Registration).join(Person, Person.id == Registration.person_id)
            .where(Registration.event_id == event.id, Registration.status != RegStatus.cancelled))
    if q:
        stmt = stmt.where(or_(Person.name.contains(q), Registration.checkin_code == q.upper()))
    return list(db.session.scalars(stmt.order_by(Person.name).limit(50)))


def rate(by: Person, reg: Registration, rating, feedback: str = "", now=None) -> Registration:
    if reg.person_id != by.id and reg.registered_by_id != by.id:
        raise Forbidden(_l("This is someone else's registration."))
    now = now or utcnow()
    event = db.session.get(Event, reg.event_id)
    if now < event.ends_at:
        raise Conflict(_l("Feedback opens after the event."), code="too_early")
    if reg.checked_in_at is None:
        raise Conflict(_l("Only those who attended can rate the event."), code="not_attended")
    try:
        rating = int(rating)
        if not 1 <= rating <= 5:
            raise ValueError
    except (TypeError, ValueError):
        raise Invalid(fields={"rating": [_l("Must be between 1 and 5.")]}) from None
    reg.rating, reg.feedback = rating, (feedback or "").strip()[:2000] or None
    db.session.flush()
    return reg


def add_photo(actor, event: Event, url: str = "", caption: str = "", people_ids=(),
              upload: Upload | None = None) -> EventPhoto:
    """Add a photo, uploaded (``upload``, checked by its bytes) or kept elsewhere (``url``).

    A photo showing a child under the consent age whose guardian gave no photo consent is refused
    (PIPL art. 31), whichever way it comes.
    """
    require_on(actor, "culture_events.event.manage", event)
    url = (url or "").strip()
    if upload is None and not url:
        raise Invalid(fields={"photo": [_l("Upload a photo or give its address.")]})
    if len(url) > 400:
        raise Invalid(fields={"url": [_l("At most %(n)s characters.", n=400)]})
    if len(caption or "") > 200:
        raise Invalid(fields={"caption": [_l("At most %(n)s characters.", n=200)]})
    try:
        ids = {int(i) for i in people_ids}
    except (TypeError, ValueError):
        raise Invalid(fields={"people_ids": [_l("Not a valid choice.")]}) from None
    if ids:
        limits = limits_for(event)
        day = local_day(event.starts_at)
        shown = db.session.scalars(select(Person).where(Person.id.in_(ids))).all()
        if len(shown) != len(ids):
            raise Invalid(fields={"people_ids": [_l("Not a valid choice.")]})
        consent = {r.person_id: r.photo_consent for r in db.session.scalars(select(Registration).where(
            Registration.event_id == event.id, Registration.person_id.in_(ids)))}
        refused = [p.name for p in shown if needs_guardian(p.birth_date, day, limits) and not consent.get(p.id)]
        if refused:
            raise Invalid(_l("No guardian's consent to photos of a child (PIPL art. 31)."), code="photo_consent",
                          fields={"people_ids": [_l("No guardian's consent for %(n)s child(ren).", n=len(refused))]})
    photo = EventPhoto(area_id=event.area_id, event_id=event.id, url=url or None, caption=caption or "",
                       people_shown=",".join(str(i) for i in sorted(ids)))
    if upload is not None:
        kind = check_upload(upload, field="photo")
        photo.filename = (upload.filename or "photo").replace("/", "_").replace("\\", "_")[-200:]
        photo.content_type, photo.size, photo.data = kind, len(upload.data), upload.data
        photo.sha256 = hashlib.sha256(upload.data).hexdigest()
        photo.uploaded_by_id = getattr(actor, "id", None)
    db.session.add(photo)
    db.session.flush()
    return photo


def photo_for(actor, photo_id: int) -> EventPhoto:
    """An uploaded photo, for those who manage or check in at its event."""
    photo = db.session.get(EventPhoto, photo_id)
    if photo is None or photo.content_type is None:
        raise NotFound()
    event = db.session.get(Event, photo.event_id)
    if not (can_on(actor, "culture_events.event.manage", event) or can_on(actor, "culture_events.checkin", event)):
        raise Forbidden()
    return photo


def report_attendance(event: Event) -> int | None:
    """Once an event has ended, tell other plugins how many attended (counts, no names)."""
    if event.activity_reported or event.status != EventStatus.published:
        return None
    count = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.event_id == event.id, Registration.checked_in_at.is_not(None)))
    scope = db.session.get(Community, event.community_id) if event.community_id else None
    if scope is None:
        from core import Area

        scope = db.session.get(Area, event.area_id)
    event.activity_reported = True
    db.session.flush()
    hook().activity_recorded(scope=scope, tags=event.function_tag_list + event.topic_tag_list,
                             day=local_day(event.starts_at), count=count)
    return count


def report_ended_events(now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    events = db.session.scalars(select(Event).where(Event.ends_at <= now, Event.activity_reported.is_(False),
                                                    Event.status == EventStatus.published)).all()
    for event in events:
        report_attendance(event)
    return len(events)


# ---------------------------------------------------------------------------------------------
# Clubs and polls
# ---------------------------------------------------------------------------------------------


def create_club(actor, community, name: str, description: str = "", age_groups="all", schedule="") -> Club:
    require(actor, "culture_events.event.manage", community=community)
    if not (name or "").strip():
        raise Invalid(fields={"name": [_l("This field is required.")]})
    club = Club(area_id=community.area_id, community_id=community.id, name=name.strip(), description=description,
                age_groups=_parse_list(age_groups, TARGETS, "age_groups") or "all", schedule=schedule)
    db.session.add(club)
    db.session.flush()
    return club


def _enrol(club: Club, person: Person, leader: bool) -> ClubMember:
    """Make ``person`` a member: a resident of the club's community of an age the club is for."""
    if not scope_unit_ids(club, person_unit_ids(person.id)):
        raise Forbidden(_l("This club is for residents of its community."), code="not_resident")
    today = dt.date.today()
    check_age(person.birth_date, today, [g for g in club.age_groups.split(",") if g], limits_for(club))
    existing = db.session.scalar(select(ClubMember).where(ClubMember.club_id == club.id,
                                                          ClubMember.person_id == person.id))
    if existing is not None and existing.left_on is None:
        raise Conflict(_l("Already a member."), code="duplicate_member")
    member = existing or ClubMember(area_id=club.area_id, club_id=club.id, person_id=person.id)
    member.joined_on, member.left_on, member.is_leader = today, None, leader
    db.session.add(member)
    db.session.flush()
    return member


def join_club(by: Person, club: Club, person: Person | None = None, leader: bool = False) -> ClubMember:
    person = person or by
    if person.id != by.id and person.id not in {p.id for p in household(by)}:
        raise Forbidden(_l("You can register only yourself and members of your household."))
    return _enrol(club, person, leader)


def add_club_member(actor, club: Club, person: Person, leader: bool = False) -> ClubMember:
    """Staff enrol a resident (a phone call, a sign-up sheet), optionally as a leader."""
    require_on(actor, "culture_events.event.manage", club)
    if person.id in set(db.session.scalars(select(ClubMember.person_id).where(
            ClubMember.club_id == club.id, ClubMember.left_on.is_(None)))):
        raise Conflict(_l("Already a member."), code="duplicate_member")
    if not scope_unit_ids(club, person_unit_ids(person.id)):
        raise Invalid(fields={"person_id": [_l("This club is for residents of its community.")]})
    member = _enrol(club, person, leader)
    audit(actor, "club.member_add", "ClubMember", member.id, module=MODULE, area_id=club.area_id,
          community_id=club.community_id)
    return member


def set_club_leader(actor, member: ClubMember, leader: bool) -> ClubMember:
    club = db.session.get(Club, member.club_id)
    require_on(actor, "culture_events.event.manage", club)
    if member.left_on is not None:
        raise Conflict(_l("No longer a member."), code="not_member")
    member.is_leader = bool(leader)
    db.session.flush()
    return member


def remove_club_member(actor, member: ClubMember, on: dt.date | None = None) -> ClubMember:
    """A member leaves; the record stays (with the date) so past attendance keeps its name."""
    club = db.session.get(Club, member.club_id)
    require_on(actor, "culture_events.event.manage", club)
    if member.left_on is not None:
        raise Conflict(_l("No longer a member."), code="not_member")
    member.left_on, member.is_leader = on or dt.date.today(), False
    db.session.flush()
    audit(actor, "club.member_leave", "ClubMember", member.id, module=MODULE, area_id=club.area_id,
          community_id=club.community_id)
    return member


def find_residents(club_or_event, q: str, limit: int = 20) -> list[tuple[Person, str]]:
    """Current residents of the club's (or event's) community whose name contains ``q``, with their unit."""
    q = (q or "").strip()
    if not q:
        return []
    today = dt.date.today()
    stmt = (select(Person, Unit.number).join(Residency, Residency.person_id == Person.id)
            .join(Unit, Unit.id == Residency.unit_id)
            .where(Person.name.contains(q, autoescape=True),
                   or_(Residency.start_date.is_(None), Residency.start_date <= today),
                   or_(Residency.end_date.is_(None), Residency.end_date >= today)))
    if club_or_event.community_id is not None:
        stmt = stmt.where(Unit.community_id == club_or_event.community_id)
    else:
        stmt = stmt.where(Unit.area_id == club_or_event.area_id)
    seen: dict[int, tuple[Person, str]] = {}
    for person, number in db.session.execute(stmt.order_by(Person.name, Person.id).limit(limit * 3)):
        seen.setdefault(person.id, (person, number))
    return list(seen.values())[:limit]


def add_club_session(actor, club: Club, starts, ends, venue: Venue | None = None) -> ClubSession:
    require_on(actor, "culture_events.event.manage", club)
    starts, ends = _aware(starts, "starts_at"), _aware(ends, "ends_at")
    if ends <= starts:
        raise Invalid(fields={"ends_at": [_l("Must be after the start.")]})
    if venue is not None:
        book_venue(actor, venue, starts, ends, club.name)
    session = ClubSession(area_id=club.area_id, club_id=club.id, starts_at=starts, ends_at=ends,
                          venue_id=venue.id if venue else None)
    db.session.add(session)
    db.session.flush()
    return session


def record_club_attendance(actor, session: ClubSession, person_ids) -> int:
    club = db.session.get(Club, session.club_id)
    require_on(actor, "culture_events.checkin", club)
    members = set(db.session.scalars(select(ClubMember.person_id).where(
        ClubMember.club_id == club.id, ClubMember.left_on.is_(None))))
    try:
        wanted = {int(i) for i in person_ids}
    except (TypeError, ValueError):
        raise Invalid(fields={"person_ids": [_l("Not a valid choice.")]}) from None
    if not wanted:
        raise Invalid(fields={"person_ids": [_l("Choose at least one member.")]})
    if wanted - members:
        raise Invalid(fields={"person_ids": [_l("Not a member of the club.")]})
    already = set(db.session.scalars(select(ClubAttendance.person_id).where(ClubAttendance.session_id == session.id)))
    for pid in sorted(wanted - already):
        db.session.add(ClubAttendance(area_id=club.area_id, session_id=session.id, person_id=pid))
    db.session.flush()
    return len(wanted - already)


def create_poll(actor, community, question: str, options: list[str], closes_at=None) -> Poll:
    require(actor, "culture_events.event.manage", community=community)
    options = [o.strip() for o in options if o and o.strip()]
    errors = {}
    if not (question or "").strip():
        errors["question"] = [_l("This field is required.")]
    if len(options) < 2:
        errors["options"] = [_l("Give at least two options.")]
    if errors:
        raise Invalid(fields=errors)
    poll = Poll(area_id=community.area_id, community_id=community.id, question=question.strip(),
                options="\n".join(options), closes_at=_aware(closes_at, "closes_at") if closes_at else None)
    db.session.add(poll)
    db.session.flush()
    return poll


def vote(by: Person, poll: Poll, options: list[str], now=None) -> list[PollVote]:
    now = now or utcnow()
    if poll.closes_at is not None and now >= poll.closes_at:
        raise Conflict(_l("The poll has closed."), code="poll_closed")
    if not scope_unit_ids(poll, person_unit_ids(by.id)):
        raise Forbidden(_l("This poll is for residents of its community."), code="not_resident")
    chosen = [o for o in dict.fromkeys(options) if o]
    if not chosen or set(chosen) - set(poll.option_list):
        raise Invalid(fields={"options": [_l("Choose from the poll's options.")]})
    group = report_group(age_on(by.birth_date, local_day(now)) if by.birth_date else None, limits_for(poll))
    db.session.execute(PollVote.__table__.delete().where(PollVote.poll_id == poll.id, PollVote.person_id == by.id))
    votes = [PollVote(area_id=poll.area_id, poll_id=poll.id, person_id=by.id, option=o, age_group=group)
             for o in chosen]
    db.session.add_all(votes)
    db.session.flush()
    return votes


def poll_demand(poll: Poll) -> dict[str, dict[str, int]]:
    """``{option: {age_group: count}}`` for every option (zeros included)."""
    out = {o: dict.fromkeys((*AGE_GROUPS, "unknown"), 0) for o in poll.option_list}
    rows = db.session.execute(select(PollVote.option, PollVote.age_group, func.count())
                              .where(PollVote.poll_id == poll.id).group_by(PollVote.option, PollVote.age_group))
    for option, group, n in rows:
        out.setdefault(option, dict.fromkeys((*AGE_GROUPS, "unknown"), 0))[group] = n
    return out


# ---------------------------------------------------------------------------------------------
# Participation
# ---------------------------------------------------------------------------------------------


def _group_case(birth_col, day: dt.date, limits: AgeLimits):
    """SQL CASE giving the report group of a birth date on ``day`` (no per-row Python)."""

    def born_on_or_before(years: int):  # age >= years  <=>  birth <= day shifted back by years
        try:
            return day.replace(year=day.year - years)
        except ValueError:  # 29 February
            return day.replace(year=day.year - years, day=28)

    return case(
        (birth_col.is_(None), "unknown"),
        (birth_col > born_on_or_before(limits.child_under), "children"),
        (birth_col > born_on_or_before(limits.youth_to + 1), "youth"),
        (birth_col > born_on_or_before(limits.elderly_from), "adults"),
        else_="elderly",
    )


def participation(community_ids: list[int], since: dt.date, until: dt.date, on: dt.date | None = None,
                  limits: AgeLimits = AgeLimits()) -> dict:
    """Participation figures of the communities for events starting in [since, until].

    Rate = distinct attendees of a group / residents of that group living there on ``on``.
    """
    on = on or until
    start = dt.datetime.combine(since, dt.time(), TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), TZ).astimezone(dt.UTC)
    live = and_(Residency.community_id.in_(community_ids),
                or_(Residency.start_date.is_(None), Residency.start_date <= on),
                or_(Residency.end_date.is_(None), Residency.end_date >= on))
    group = _group_case(Person.birth_date, on, limits)
    residents_q = (select(Residency.community_id, Unit.building_id, group.label("g"),
                          func.count(func.distinct(Residency.person_id)))
                   .join(Person, Person.id == Residency.person_id).join(Unit, Unit.id == Residency.unit_id)
                   .where(live).group_by(Residency.community_id, Unit.building_id, group))
    attended = and_(Registration.checked_in_at.is_not(None), Registration.community_id.in_(community_ids))
    in_range = and_(Event.starts_at >= start, Event.starts_at < end)
    # De-duplicate the check-ins first (a person attends many events), then look up birth dates and
    # buildings for the far fewer distinct attendees: joining every check-in first costs twice as much.
    attendee_rows = (select(Registration.person_id, Registration.community_id, Registration.unit_id)
                     .join(Event, Event.id == Registration.event_id)
                     .where(attended, in_range).distinct().subquery())
    attendee_group = _group_case(Person.birth_date, on, limits)
    attendees_q = (select(attendee_rows.c.community_id, Unit.building_id, attendee_group.label("g"),
                          func.count(func.distinct(attendee_rows.c.person_id)))
                   .join(Person, Person.id == attendee_rows.c.person_id)
                   .join(Unit, Unit.id == attendee_rows.c.unit_id)
                   .group_by(attendee_rows.c.community_id, Unit.building_id, attendee_group))
    residents: dict = defaultdict(int)
    attendees: dict = defaultdict(int)
    for c, b, g, n in db.session.execute(residents_q):
        residents[(c, b, g)] += n
    for c, b, g, n in db.session.execute(attendees_q):
        attendees[(c, b, g)] += n

    def rollup(key_of):
        out: dict = defaultdict(lambda: {"residents": 0, "attendees": 0})
        for source, field in ((residents, "residents"), (attendees, "attendees")):
            for key, n in source.items():
                out[key_of(key)][field] += n
        for v in out.values():
            v["rate"] = round(v["attendees"] / v["residents"], 4) if v["residents"] else None
        return dict(out)

    by_group = rollup(lambda k: k[2])
    by_community = rollup(lambda k: k[0])
    by_building = rollup(lambda k: k[1])
    total = rollup(lambda k: "all").get("all", {"residents": 0, "attendees": 0, "rate": None})
    repeaters = (select(Registration.person_id).join(Event, Event.id == Registration.event_id)
                 .where(attended, in_range).group_by(Registration.person_id).having(func.count() >= 2).subquery())
    repeat = db.session.scalar(select(func.count()).select_from(repeaters)) or 0
    ranked = sorted(((k, v) for k, v in by_building.items() if v["residents"]),
                    key=lambda kv: (-(kv[1]["rate"] or 0), kv[0]))
    names = {}
    if by_building:
        names = dict(db.session.execute(select(Building.id, Building.name).where(Building.id.in_(by_building))).all())
    return {"total": total, "by_group": by_group, "by_community": by_community,
            "by_building": {names.get(k, k): v for k, v in by_building.items()},
            "repeat_participants": repeat,
            "most_reached": [names.get(k, k) for k, _v in ranked[:3]],
            "least_reached": [names.get(k, k) for k, _v in ranked[::-1][:3]]}


def events_by_tag_and_month(community_ids: list[int], since: dt.date, until: dt.date) -> dict:
    """``{(month 'YYYY-MM', function tag): number of events}`` for the communities."""
    start = dt.datetime.combine(since, dt.time(), TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), TZ).astimezone(dt.UTC)
    rows = db.session.execute(select(Event.starts_at, Event.function_tags).where(
        Event.community_id.in_(community_ids), Event.status == EventStatus.published,
        Event.starts_at >= start, Event.starts_at < end))
    out: dict = defaultdict(int)
    for starts, tags in rows:
        month = starts.astimezone(TZ).strftime("%Y-%m")
        for tag in [t for t in tags.split(",") if t] or ["untagged"]:
            out[(month, tag)] += 1
    return dict(out)


def care_needs_reach(community_ids: list[int], since: dt.date, until: dt.date) -> dict:
    """How many residents with recorded care needs attended anything: aggregate counts only."""
    start = dt.datetime.combine(since, dt.time(), TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), TZ).astimezone(dt.UTC)
    today = dt.date.today()
    with_needs = (select(func.count(func.distinct(Residency.person_id))).join(Person, Person.id == Residency.person_id)
                  .where(Residency.community_id.in_(community_ids), Person.care_needs.is_not(None),
                         or_(Residency.end_date.is_(None), Residency.end_date >= today)))
    reached = (select(func.count(func.distinct(Registration.person_id)))
               .join(Person, Person.id == Registration.person_id).join(Event, Event.id == Registration.event_id)
               .where(Registration.community_id.in_(community_ids), Registration.checked_in_at.is_not(None),
                      Person.care_needs.is_not(None), Event.starts_at >= start, Event.starts_at < end))
    total = db.session.scalar(with_needs) or 0
    hit = db.session.scalar(reached) or 0
    return {"residents": total, "reached": hit, "rate": round(hit / total, 4) if total else None}


def registration_counts(event_ids: list[int]) -> dict[int, dict[str, int]]:
    """``{event_id: {"confirmed", "waiting", "checked_in"}}`` in one query."""
    out = {i: {"confirmed": 0, "waiting": 0, "checked_in": 0} for i in event_ids}
    if not event_ids:
        return out
    rows = db.session.execute(select(Registration.event_id, Registration.status, func.count(),
                                     func.count(Registration.checked_in_at))
                              .where(Registration.event_id.in_(event_ids), Registration.status != RegStatus.cancelled)
                              .group_by(Registration.event_id, Registration.status))
    for event_id, status, n, checked in rows:
        out[event_id][str(status)] = n
        out[event_id]["checked_in"] += checked
    return out


def report_workbook(community, data: dict, care: dict, by_tag: dict) -> bytes:
    """The participation report as an Excel workbook (one sheet per table)."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "age groups"
    ws.append([str(_l("Age group")), str(_l("Residents")), str(_l("Attendees")), str(_l("Rate"))])
    for group in (*AGE_GROUPS, "unknown"):
        v = data["by_group"].get(group)
        if v:
            ws.append([str(AGE_LABELS.get(group, group)), v["residents"], v["attendees"], v["rate"]])
    t = data["total"]
    ws.append([str(_l("Total")), t["residents"], t["attendees"], t["rate"]])
    ws2 = wb.create_sheet("buildings")
    ws2.append([str(_l("Building")), str(_l("Residents")), str(_l("Attendees")), str(_l("Rate"))])
    for name, v in sorted(data["by_building"].items(), key=lambda kv: str(kv[0])):
        ws2.append([str(name), v["residents"], v["attendees"], v["rate"]])
    ws3 = wb.create_sheet("functions")
    ws3.append([str(_l("Month")), str(_l("Function")), str(_l("Events"))])
    for (month, tag), n in sorted(by_tag.items()):
        ws3.append([month, str(FUNCTION_LABELS.get(tag, tag)), n])
    ws4 = wb.create_sheet("summary")
    ws4.append([str(_l("Community")), community.name])
    ws4.append([str(_l("Repeat participants")), data["repeat_participants"]])
    ws4.append([str(_l("Residents with care needs")), care["residents"]])
    ws4.append([str(_l("Of them reached")), care["reached"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ics_text(value: str) -> str:
    return (value or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_fold(line: str) -> list[str]:
    """Fold a content line at 75 octets (RFC 5545 §3.1) without splitting a UTF-8 character."""
    out, current = [], ""
    for ch in line:
        limit = 75 if not out else 74
        if len((current + ch).encode()) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def icalendar(community, events: list[Event], host: str) -> str:
    """An RFC 5545 calendar of ``events`` (titles, times and venues; no personal data)."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    venues = {v.id: v.name for v in db.session.scalars(select(Venue).where(
        Venue.id.in_({e.venue_id for e in events if e.venue_id})))} if events else {}
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Jiayuan//culture_events//ZH", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_ics_text(community.name)}", "X-WR-TIMEZONE:Asia/Shanghai"]
    for e in events:
        lines += ["BEGIN:VEVENT", f"UID:culture-event-{e.id}@{host}", f"DTSTAMP:{stamp}",
                  f"DTSTART:{e.starts_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
                  f"DTEND:{e.ends_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}", f"SUMMARY:{_ics_text(e.title)}"]
        if e.description:
            lines.append(f"DESCRIPTION:{_ics_text(e.description)}")
        if e.venue_id:
            lines.append(f"LOCATION:{_ics_text(venues.get(e.venue_id, ''))}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(part for line in lines for part in _ics_fold(line)) + "\r\n"


def portal_summary(person, now: dt.datetime | None = None) -> dict:
    """For the portal home: the person's next event they hold a place at, and how many of their
    coming events still have them on the waiting list (one query)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Event.title, Event.starts_at, Registration.status).join(Event, Event.id == Registration.event_id)
        .where(Registration.person_id == person.id, Registration.status != RegStatus.cancelled,
               Event.status == EventStatus.published, Event.starts_at >= now)
        .order_by(Event.starts_at)).all()
    confirmed = [(title, starts) for title, starts, status in rows if status == RegStatus.confirmed]
    return {"next": confirmed[0] if confirmed else None,
            "waiting": sum(1 for *_x, status in rows if status == RegStatus.waiting)}
