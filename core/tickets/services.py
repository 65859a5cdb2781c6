"""Ticket rules: categories and profiles, creation, the workflow engine, dispatch, SLA clocks,
ratings and 回访, attachments. Plain functions that take the acting account explicitly, flush but
never commit, and call the ticket hooks after the change.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import defer, joinedload, load_only

from core.audit.services import record as audit
from core.auth.models import Account, Role
from core.auth.permissions import can, person_unit_ids
from core.database import db, utcnow
from core.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from core.notifications.services import accounts_with_role, notify
from core.places.models import Building, Community, Unit
from core.plugins import collect, hook
from core.settings.services import get as get_setting
from core.settings.services import lookup as lookup_setting
from core.tickets import workflows
from core.tickets.models import (
    GradeProfile,
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketBreach,
    TicketCallback,
    TicketCategory,
    TicketComment,
    TicketHold,
    TicketRating,
    TicketTeam,
    TicketTransition,
)

CHANNELS = ("portal", "phone", "api", "reception", "staff")
CLOCKS = ("response", "arrival", "resolution")
CLOCK_STAMP = {"response": "responded_at", "arrival": "arrived_at", "resolution": "resolved_at"}
# Reasons of assignments made by the system (a manager's reassignment keeps the words typed).
ASSIGNMENT_REASONS = {"steward": _l("the building's steward, on submission"), "dispatch": _l("dispatched")}
CALLBACK_OUTCOMES = {
    "resolved": _l("Owner reached: problem solved"),
    "explained": _l("Owner reached: explained, owner accepts"),
    "follow_up": _l("Owner reached: follow-up work needed"),
    "unreachable": _l("Owner unreachable after repeated tries"),
}

# ---------------------------------------------------------------------------------------------
# Grade profile and categories
# ---------------------------------------------------------------------------------------------

PROFILE_SOURCE = "物业服务等级标准（试行，2004）普通住宅小区一级"


def profile_for(community: Community, create: bool = True) -> GradeProfile | None:
    """The community's grade-standard profile; the level-1 defaults (DOMAIN.md §1) when new."""
    prof = db.session.scalar(select(GradeProfile).where(GradeProfile.community_id == community.id))
    if prof is None and create:
        prof = GradeProfile(area_id=community.area_id, community_id=community.id, name="一级服务标准",
                            level=1, source=PROFILE_SOURCE, hotline_24h=True, emergency_arrival_minutes=30,
                            repair_response_minutes=30, satisfaction_target_pct=80, surveys_per_year=1)
        db.session.add(prof)
        db.session.flush()
    return prof


REPAIR_STEPS = ["接听登记：记录业主、房号、问题与联系方式", "15分钟内电话回复业主并约定上门时间",
                "派单给维修人员", "上门：出示工作证、穿鞋套、先说明收费标准", "维修并测试",
                "清理现场", "业主确认签字"]


def default_categories(profile: GradeProfile) -> list[dict]:
    """The seven standard categories, with targets taken from the profile where it sets them."""
    r = profile.repair_response_minutes
    return [
        {"code": "in_unit_repair", "name": "户内维修", "workflow": "repair", "response_minutes": r,
         "arrival_minutes": 240, "resolution_minutes": 960, "priority": 3, "procedure": REPAIR_STEPS},
        {"code": "common_repair", "name": "公共区域维修", "workflow": "repair", "response_minutes": r,
         "arrival_minutes": 480, "resolution_minutes": 2400, "priority": 3, "procedure": REPAIR_STEPS},
        {"code": "emergency_repair", "name": "紧急维修", "workflow": "repair", "response_minutes": 10,
         "arrival_minutes": profile.emergency_arrival_minutes, "resolution_minutes": 240, "priority": 1,
         "around_the_clock": True,
         "procedure": ["24小时热线接听并登记", "立即通知值班维修人员", "30分钟内到场", "先止损（关阀、断电、隔离）",
                       "抢修", "报告经理", "业主确认"]},
        {"code": "complaint", "name": "投诉", "workflow": "repair", "response_minutes": 60,
         "arrival_minutes": None, "resolution_minutes": 1440, "priority": 2,
         "procedure": ["登记投诉内容", "当日联系业主核实", "交责任部门处理", "处理结果告知业主", "回访"]},
        {"code": "enquiry", "name": "咨询", "workflow": "enquiry", "response_minutes": 60, "arrival_minutes": None,
         "resolution_minutes": 480, "priority": 4, "procedure": ["接听登记", "查询规定或资料", "答复业主"]},
        {"code": "renovation", "name": "装修审批", "workflow": "renovation", "response_minutes": 480,
         "arrival_minutes": None, "resolution_minutes": 2400, "priority": 3,
         "procedure": ["收取装修申请、图纸与装修管理服务协议", "审核图纸（承重墙、管线、外立面）",
                       "书面批复并告知装修须知与条件", "收取装修押金并办理施工人员出入证", "巡查施工",
                       "竣工验收", "退还押金或记录违规"]},
        {"code": "cleaning", "name": "保洁", "workflow": "repair", "response_minutes": 60, "arrival_minutes": 240,
         "resolution_minutes": 480, "priority": 3,
         "procedure": ["登记位置与问题", "通知保洁班组", "到场清洁", "拍照回传", "业主确认"]},
    ]


def ensure_categories(community: Community) -> None:
    """Create the standard categories and those plugins offer (``ticket_categories``) once."""
    have = set(db.session.scalars(select(TicketCategory.code).where(TicketCategory.community_id == community.id)))
    wanted = []
    if not have:
        prof = profile_for(community)
        wanted = [(d, "core") for d in default_categories(prof)]
    known_workflows = workflows.all_workflows()
    for offered in collect("ticket_categories", community=community):
        if offered.get("code") and offered["code"] not in have:
            wf = offered.get("workflow", "repair")
            wanted.append(({**offered, "workflow": wf if wf in known_workflows else "repair"},
                           offered.get("origin", "plugin")))
    for i, (d, origin) in enumerate(wanted):
        if d["code"] in have:
            continue
        have.add(d["code"])
        db.session.add(TicketCategory(
            # plugins may offer lazily translated names: store them as text in the default language
            area_id=community.area_id, community_id=community.id, code=d["code"], name=str(d["name"]),
            workflow=d["workflow"], procedure=[str(step) for step in d.get("procedure", [])],
            response_minutes=d.get("response_minutes"), arrival_minutes=d.get("arrival_minutes"),
            resolution_minutes=d.get("resolution_minutes"), priority=d.get("priority", 3),
            around_the_clock=bool(d.get("around_the_clock", False)), origin=origin, sort_order=(i + 1) * 10))
    if wanted:
        db.session.flush()


def categories(community: Community, active_only: bool = True) -> list[TicketCategory]:
    ensure_categories(community)
    stmt = select(TicketCategory).where(TicketCategory.community_id == community.id)
    if active_only:
        stmt = stmt.where(TicketCategory.active.is_(True))
    return list(db.session.scalars(stmt.order_by(TicketCategory.sort_order, TicketCategory.id)))


def category_names(community: Community) -> dict[str, str]:
    """Code → name of the community's categories, inactive ones included, for pages that show a
    category by its code (reads only)."""
    return dict(db.session.execute(select(TicketCategory.code, TicketCategory.name)
                                   .where(TicketCategory.community_id == community.id)).all())


CATEGORY_FIELDS = ("name", "workflow", "procedure", "response_minutes", "arrival_minutes", "resolution_minutes",
                   "priority", "around_the_clock", "active", "sort_order")


def update_category(actor, category: TicketCategory, data: dict) -> TicketCategory:
    community = db.session.get(Community, category.community_id)
    if not can(actor, "tickets.configure", community=community):
        raise Forbidden()
    if "workflow" in data and data["workflow"] not in workflows.all_workflows():
        raise Invalid(fields={"workflow": [_("Unknown workflow.")]})
    for key in CATEGORY_FIELDS:
        if key in data:
            setattr(category, key, data[key])
    db.session.flush()
    return category


def create_category(actor, community: Community, data: dict) -> TicketCategory:
    if not can(actor, "tickets.configure", community=community):
        raise Forbidden()
    ensure_categories(community)
    if db.session.scalar(select(TicketCategory.id).where(TicketCategory.community_id == community.id,
                                                         TicketCategory.code == data["code"])):
        raise Invalid(fields={"code": [_("This code is already used in this community.")]})
    if data.get("workflow", "repair") not in workflows.all_workflows():
        raise Invalid(fields={"workflow": [_("Unknown workflow.")]})
    cat = TicketCategory(area_id=community.area_id, community_id=community.id, code=data["code"],
                         name=data["name"], workflow=data.get("workflow", "repair"), origin="core")
    db.session.add(cat)
    for key in CATEGORY_FIELDS:
        if key in data and key not in ("name", "workflow"):
            setattr(cat, key, data[key])
    db.session.flush()
    return cat


def update_profile(actor, community: Community, data: dict) -> GradeProfile:
    if not can(actor, "tickets.configure", community=community):
        raise Forbidden()
    prof = profile_for(community)
    for key in ("name", "level", "source", "hotline_24h", "emergency_arrival_minutes", "repair_response_minutes",
                "satisfaction_target_pct", "surveys_per_year", "note"):
        if key in data:
            setattr(prof, key, data[key])
    # the emergency category follows the profile's arrival promise
    emergency = db.session.scalar(select(TicketCategory).where(TicketCategory.community_id == community.id,
                                                               TicketCategory.code == "emergency_repair"))
    if emergency is not None and "emergency_arrival_minutes" in data:
        emergency.arrival_minutes = prof.emergency_arrival_minutes
    db.session.flush()
    return prof


# ---------------------------------------------------------------------------------------------
# SLA clocks: the one place that turns targets into deadlines (through core.calendar)
# ---------------------------------------------------------------------------------------------


def working_calendar(community: Community | None):
    from core.calendar.services import load_calendar

    return load_calendar(community=community)


def calendar_warnings(community: Community | None) -> list[str]:
    """Warnings of the working calendar (e.g. a year whose adjusted working days are unknown)."""
    return [str(w) for w in working_calendar(community).warnings()]


def deadline(start: dt.datetime, minutes: int | None, around_the_clock: bool, cal) -> dt.datetime | None:
    """When a target of ``minutes`` that starts at ``start`` falls due.

    Around-the-clock categories count every minute; the others count working minutes of the
    community's calendar (holidays and 调休 included), so a ticket created out of hours starts on the
    next working minute.
    """
    if minutes is None:
        return None
    if around_the_clock:
        return start + dt.timedelta(minutes=minutes)
    from core.calendar.services import add_working_minutes

    return add_working_minutes(start, minutes, cal)


def paused_minutes(paused_at: dt.datetime, resumed_at: dt.datetime, around_the_clock: bool, cal) -> int:
    if around_the_clock:
        return max(0, int((resumed_at - paused_at).total_seconds() // 60))
    from core.calendar.services import working_minutes_between

    return working_minutes_between(paused_at, resumed_at, cal)


def extended(due: dt.datetime, paused_at: dt.datetime, resumed_at: dt.datetime, around_the_clock: bool,
             cal) -> dt.datetime:
    """A deadline pushed back by exactly the time (working time, unless around the clock) on hold."""
    if around_the_clock:
        return due + (resumed_at - paused_at)
    from core.calendar.services import extend_for_pause

    return extend_for_pause(due, paused_at, resumed_at, cal)


def set_deadlines(ticket: Ticket, category: TicketCategory, start: dt.datetime, cal,
                  clocks: Iterable[str] = CLOCKS) -> None:
    minutes = {"response": category.response_minutes, "arrival": category.arrival_minutes,
               "resolution": category.resolution_minutes}
    for clock in clocks:
        setattr(ticket, f"{clock}_due_at", deadline(start, minutes[clock], ticket.around_the_clock, cal))


# ---------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------


def is_staff(account, community: Community) -> bool:
    return can(account, "tickets.handle", community=community)


def is_reporter(account, ticket: Ticket) -> bool:
    """The owner or resident side of a ticket: its reporter, or a person of its unit."""
    person_id = getattr(account, "person_id", None)
    if person_id is None:
        return False
    if ticket.reporter_person_id == person_id:
        return True
    return ticket.unit_id is not None and ticket.unit_id in person_unit_ids(person_id)


def can_see(account, ticket: Ticket) -> bool:
    community = db.session.get(Community, ticket.community_id)
    return can(account, "tickets.read", community=community) or is_reporter(account, ticket)


# Ticket columns that no reading view shows nor checks access by (bookkeeping and the deposit's
# payment references); read-only views leave them unloaded, to load on first use if ever needed.
_NOT_READ = (Ticket.created_by_id, Ticket.cancelled_at, Ticket.escalated_at, Ticket.deposit_charge_ref,
             Ticket.deposit_paid_at, Ticket.deposit_refund_ref, Ticket.created_at, Ticket.updated_at)


@functools.cache
def _visible_statement(read_only: bool = False):
    """The ticket with the community its scope check reads (into the identity map, so ``can_see``
    does not query again) and the category every answer names: one round trip, built once. A
    read-only view loads only what reading needs; the rest would load on first use."""
    community, category = Community, joinedload(Ticket.category)
    options = [category]
    if read_only:
        options = [*(defer(c) for c in _NOT_READ), load_only(Community.id, Community.area_id, Community.company_id),
                   category.load_only(TicketCategory.code)]
    return (select(Ticket, community).join(Community, Community.id == Ticket.community_id)
            .options(*options).where(Ticket.id == bindparam("ticket_id")))


def get_visible(account, ticket_id: int) -> Ticket:
    """The ticket if ``account`` may see it; 404 otherwise (its existence is not revealed)."""
    stmt = _visible_statement(bool(db.session.info.get("read_only")))
    row = db.session.execute(stmt, {"ticket_id": ticket_id}).one_or_none()
    if row is None or not can_see(account, row.Ticket):
        raise NotFound()
    return row.Ticket


def visible_tickets_stmt(account):
    """A select of the tickets ``account`` may see: by community grants, or an owner's own units."""
    from core.auth.permissions import visible_community_ids

    stmt = select(Ticket)
    ids = visible_community_ids(account, "tickets.read")
    if ids is None:
        return stmt
    conds = []
    if ids:
        conds.append(Ticket.community_id.in_(ids))
    if account.person_id is not None:
        units = person_unit_ids(account.person_id)
        conds.append(Ticket.reporter_person_id == account.person_id)
        if units:
            conds.append(Ticket.unit_id.in_(units))
    if not conds:
        return stmt.where(False)
    from sqlalchemy import or_

    return stmt.where(or_(*conds))


# ---------------------------------------------------------------------------------------------
# Attachments: checked by content, never by the name or the declared type
# ---------------------------------------------------------------------------------------------

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (JPEG, PNG, GIF, WebP, PDF), or None."""
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass
class Upload:
    filename: str
    data: bytes


IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def check_upload(up: Upload, allowed=IMAGE_TYPES, field: str = "photos") -> str:
    """The real content type of one uploaded file, after checking its size and its bytes.

    Too large → 413 ``too_large``; not one of ``allowed`` by content → 415 ``unsupported_media_type``,
    each naming ``field`` in the error envelope. Shared by every area that takes photos.
    """
    max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
    if len(up.data) > max_bytes:
        raise AppError(_("%(name)s is larger than %(mb)s MB.", name=up.filename, mb=max_bytes // (1024 * 1024)),
                       status=413, code="too_large",
                       fields={field: [_("%(name)s is too large.", name=up.filename)]})
    kind = sniff(up.data)
    if kind not in allowed:
        raise AppError(_("%(name)s is not a photo (JPEG, PNG, GIF or WebP).", name=up.filename), status=415,
                       code="unsupported_media_type",
                       fields={field: [_("%(name)s is not an accepted file type.", name=up.filename)]})
    return kind


def check_uploads(uploads: list[Upload], workflow: str, existing: int, community: Community) -> list[tuple]:
    """Validate every file before anything is written: count, size and type by content."""
    limit = get_setting("tickets.max_attachments", community=community)
    if existing + len(uploads) > limit:
        raise Invalid(_("At most %(n)s files per ticket.", n=limit),
                      fields={"photos": [_("At most %(n)s files per ticket.", n=limit)]})
    allowed = IMAGE_TYPES | {"application/pdf"} if workflow == "renovation" else IMAGE_TYPES  # plans
    return [(up, check_upload(up, allowed)) for up in uploads]


def _store_uploads(actor, ticket: Ticket, checked: list[tuple]) -> list[TicketAttachment]:
    rows = []
    for up, kind in checked:
        name = (up.filename or "photo").replace("/", "_").replace("\\", "_")[-200:]
        rows.append(TicketAttachment(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                                     uploaded_by_id=getattr(actor, "id", None), filename=name, content_type=kind,
                                     size=len(up.data), sha256=hashlib.sha256(up.data).hexdigest(), data=up.data))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def add_attachments(actor, ticket: Ticket, uploads: list[Upload]) -> list[TicketAttachment]:
    if not (is_reporter(actor, ticket) or is_staff(actor, db.session.get(Community, ticket.community_id))):
        raise Forbidden()
    community = db.session.get(Community, ticket.community_id)
    existing = db.session.scalar(select(func.count(TicketAttachment.id))
                                 .where(TicketAttachment.ticket_id == ticket.id)) or 0
    checked = check_uploads(uploads, ticket.workflow, existing, community)
    return _store_uploads(actor, ticket, checked)


# ---------------------------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------------------------


def _number(now: dt.datetime) -> str:
    return f"T{now:%y%m%d}-{secrets.token_hex(3).upper()}"


def create_ticket(actor, *, community: Community, unit: Unit | None, category_code: str, title: str,
                  description: str = "", channel: str = "staff", reporter_person=None,
                  attachments: Iterable[Upload] = (), details: dict | None = None,
                  now: dt.datetime | None = None) -> Ticket:
    """Open a ticket in ``community``: for an owner through the portal or API, or entered by staff
    (a phone call, a reception day). Goes to the building's steward; flags repeats; sets deadlines.

    :param actor: the acting ``Account`` (staff with ``tickets.handle``, or the owner/resident of
        ``unit``), or ``None`` for system use (demo data, imports).
    :param category_code: the code of one of the community's categories (422 when unknown there).
    :raises Invalid: unknown category, unit outside the community, empty title, bad channel.
    :raises Forbidden: the actor may not open tickets for that unit.
    """
    now = now or utcnow()
    errors: dict[str, list] = {}
    if channel not in CHANNELS:
        errors["channel"] = [_("Unknown channel.")]
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    elif len(title) > 200:
        errors["title"] = [_("Longer than the maximum of %(n)s characters.", n=200)]
    if unit is not None and unit.community_id != community.id:
        errors["unit"] = [_("This unit is not in the community.")]
    category = None
    if category_code:
        ensure_categories(community)
        category = db.session.scalar(select(TicketCategory).where(
            TicketCategory.community_id == community.id, TicketCategory.code == category_code,
            TicketCategory.active.is_(True)))
    if category is None:
        errors["category"] = [_("No such category in this community.")]
    if errors:
        raise Invalid(fields=errors)

    staff = actor is None or is_staff(actor, community)
    if not staff:
        person_id = getattr(actor, "person_id", None)
        if person_id is None or unit is None or unit.id not in person_unit_ids(person_id):
            raise Forbidden()
        if reporter_person is None:
            reporter_person = actor.person
    uploads = list(attachments)
    checked = check_uploads(uploads, category.workflow, 0, community) if uploads else []

    wf = workflows.get(category.workflow)
    building = db.session.get(Building, unit.building_id) if unit is not None else None
    cal = None if category.around_the_clock else working_calendar(community)
    ticket = Ticket(area_id=community.area_id, community_id=community.id, unit_id=unit.id if unit else None,
                    building_id=building.id if building else None, category_id=category.id, number=_number(now),
                    workflow=wf.code, status=wf.initial, priority=category.priority, title=title.strip(),
                    description=(description or "").strip(), channel=channel,
                    around_the_clock=category.around_the_clock,
                    reporter_person_id=reporter_person.id if reporter_person is not None else None,
                    created_by_id=getattr(actor, "id", None), opened_at=now, created_at=now,
                    assignee_id=building.steward_id if building else None, details=dict(details or {}),
                    steps_done=[], paused_minutes=0)
    set_deadlines(ticket, category, now, cal)
    if unit is not None:
        window = get_setting("tickets.repeat_window_days", community=community)
        previous = db.session.scalar(
            select(Ticket.id).where(Ticket.unit_id == unit.id, Ticket.category_id == category.id,
                                    Ticket.opened_at >= now - dt.timedelta(days=window),
                                    Ticket.status != "cancelled")
            .order_by(Ticket.opened_at.desc()).limit(1))
        if previous is not None:
            ticket.is_repeat, ticket.repeat_of_id = True, previous
    db.session.add(ticket)
    db.session.flush()
    db.session.add(TicketTransition(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                                    action="create", from_status=None, to_status=ticket.status,
                                    actor_id=getattr(actor, "id", None), at=now, note=channel))
    if ticket.assignee_id is not None:
        db.session.add(TicketAssignment(area_id=ticket.area_id, community_id=ticket.community_id,
                                        ticket_id=ticket.id, assignee_id=ticket.assignee_id,
                                        actor_id=getattr(actor, "id", None), reason="steward", at=now))
    if checked:
        _store_uploads(actor, ticket, checked)
    db.session.flush()
    audit(actor, "ticket.create", "Ticket", ticket.id, module="tickets", area_id=ticket.area_id,
          community_id=ticket.community_id)
    hook().ticket_created(ticket=ticket)
    if ticket.assignee_id is not None and ticket.assignee_id != getattr(actor, "id", None):
        steward = db.session.get(Account, ticket.assignee_id)
        if steward is not None:
            _notify([steward], _("New ticket %(n)s: %(t)s", n=ticket.number, t=ticket.title), ticket)
    return ticket


# ---------------------------------------------------------------------------------------------
# The workflow engine
# ---------------------------------------------------------------------------------------------


def _actor_kind(actor, ticket: Ticket, community: Community) -> set[str]:
    kinds = set()
    if actor is None:
        kinds.add("system")
        return kinds
    if is_staff(actor, community):
        kinds.add("staff")
    if is_reporter(actor, ticket):
        kinds.add("owner")
    return kinds


def _may(t: workflows.Transition, kinds: set[str]) -> bool:
    if "system" in kinds:
        return True
    if t.by == "any":
        return bool(kinds & {"staff", "owner"})
    return t.by in kinds


def allowed_actions(actor, ticket: Ticket) -> list[workflows.Transition]:
    """Transitions ``actor`` may take now (system-only ones excluded for people)."""
    community = db.session.get(Community, ticket.community_id)
    kinds = _actor_kind(actor, ticket, community)
    wf = workflows.get(ticket.workflow)
    return [t for t in wf.allowed(ticket.status) if _may(t, kinds) and (t.by != "system" or actor is None)]


def _notify(accounts, subject: str, ticket: Ticket, body: str = "", link: str | None = None) -> None:
    if link is None and has_request_context():
        try:
            link = url_for("tickets.detail", ticket_id=ticket.id, _external=True)
        except Exception:  # noqa: BLE001 - a link is a convenience, never a reason to fail
            link = None
    notify([a for a in accounts if a is not None], subject, body, link, module="tickets")


def reporter_accounts(ticket: Ticket) -> list[Account]:
    if ticket.reporter_person_id is None:
        return []
    return list(db.session.scalars(select(Account).where(Account.person_id == ticket.reporter_person_id,
                                                         Account.active.is_(True))))


def transition(actor, ticket: Ticket, action: str, *, note: str | None = None, assignee_id: int | None = None,
               team_id: int | None = None, workers: str | None = None, now: dt.datetime | None = None) -> Ticket:
    """Take ``action`` on ``ticket``. Invalid from the current state → 409 naming the allowed ones.

    Records who and when, writes the audit log, notifies the reporter and fires
    ``ticket_status_changed``. Every check runs before anything changes.
    """
    now = now or utcnow()
    community = db.session.get(Community, ticket.community_id)
    wf = workflows.get(ticket.workflow)
    kinds = _actor_kind(actor, ticket, community)
    t = wf.transition(action)
    if t is None or ticket.status not in t.sources:
        allowed = [x.code for x in allowed_actions(actor, ticket)]
        raise Conflict(_("“%(a)s” is not possible while the ticket is “%(s)s”.", a=action,
                         s=wf.states.get(ticket.status, ticket.status)),
                       code="invalid_transition", extra={"allowed": allowed})
    if not _may(t, kinds) or (t.by == "system" and actor is not None):
        if not kinds:
            raise NotFound()
        raise Forbidden()
    note = (note or "").strip() or None
    if t.needs_note and not note:
        raise Invalid(fields={"note": [_("Please give a reason.")]})
    # checks of the effects, before any change
    if "callback_required" in t.effects:
        threshold = get_setting("tickets.callback_threshold", community=community)
        if ticket.rating_score is not None and ticket.rating_score <= threshold and not ticket.callback_done:
            raise Conflict(_("A rating of %(n)s or below needs a 回访 record before the ticket can close.",
                             n=threshold), code="callback_required", extra={"allowed": ["callback"]})
    if "reopen" in t.effects:
        window = get_setting("tickets.reopen_window_days", community=community)
        resolved_at = ticket.resolved_at or ticket.closed_at
        if resolved_at is None or now - resolved_at > dt.timedelta(days=window):
            raise Conflict(_("The reopen window of %(n)s days has passed; please open a new ticket.", n=window),
                           code="reopen_window_passed", extra={"allowed": []})
    if action == "dispatch":
        _check_assignee(community, assignee_id, team_id)
    charge_ref = None
    if "request_deposit" in t.effects and ticket.deposit_charge_ref is None:
        charge_ref = _request_deposit(ticket, community)

    old = ticket.status
    cal = None if ticket.around_the_clock else working_calendar(community)
    if action == "dispatch":
        _assign(actor, ticket, assignee_id, team_id, note or "dispatch", now)
    for stamp in t.stamps:
        if getattr(ticket, stamp) is None:
            setattr(ticket, stamp, now)
    if "hold" in t.effects:
        ticket.paused_at = now
        db.session.add(TicketHold(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                                  reason=note, paused_at=now))
    if "resume" in t.effects and ticket.paused_at is not None:
        _resume(ticket, now, cal)
    if "reopen" in t.effects:
        ticket.reopened_count += 1
        ticket.resolved_at = ticket.closed_at = None
        ticket.resolution_breached = False
        category = db.session.get(TicketCategory, ticket.category_id)
        set_deadlines(ticket, category, now, cal, clocks=("resolution",))
    if charge_ref is not None:
        ticket.deposit_charge_ref = charge_ref
    if "request_deposit" in t.effects:
        details = dict(ticket.details or {})
        if workers:
            details["worker_passes"] = [w.strip() for w in workers.replace("，", ",").split(",") if w.strip()]
        details["deposit"] = "requested" if ticket.deposit_charge_ref else "offline"
        ticket.details = details
    if "release_deposit" in t.effects and ticket.deposit_charge_ref and not ticket.deposit_refund_ref:
        ticket.deposit_refund_ref = hook().refund_requested(charge_ref=ticket.deposit_charge_ref,
                                                            reason=f"renovation {ticket.number} passed inspection")
    if action == "record_violations":
        details = dict(ticket.details or {})
        details["violations"] = [*details.get("violations", []), {"at": now.isoformat(), "note": note}]
        ticket.details = details
    if action in ("approve", "reject"):
        details = dict(ticket.details or {})
        details["decision"] = note
        ticket.details = details
    ticket.status = t.target
    db.session.add(TicketTransition(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                                    action=action, from_status=old, to_status=t.target,
                                    actor_id=getattr(actor, "id", None), at=now, note=note))
    late = _late_clocks(ticket, t.stamps)
    db.session.flush()
    audit(actor, f"ticket.{action}", "Ticket", ticket.id, module="tickets", area_id=ticket.area_id,
          community_id=ticket.community_id, changes={"status": [old, t.target]})
    for clock in late:
        _breach(ticket, clock, community, now, escalate=False)
    hook().ticket_status_changed(ticket=ticket, old_status=old, new_status=t.target, actor=actor)
    _notify_status(actor, ticket, wf, community)
    return ticket


def _late_clocks(ticket: Ticket, stamps: tuple[str, ...]) -> list[str]:
    out = []
    for clock, stamp in CLOCK_STAMP.items():
        due = getattr(ticket, f"{clock}_due_at")
        met = getattr(ticket, stamp)
        if stamp in stamps and due is not None and met is not None and met > due \
                and not getattr(ticket, f"{clock}_breached"):
            out.append(clock)
    return out


def _notify_status(actor, ticket: Ticket, wf: workflows.Workflow, community: Community) -> None:
    label = str(wf.states.get(ticket.status, ticket.status))
    subject = _("Ticket %(n)s is now: %(s)s", n=ticket.number, s=label)
    recipients = [a for a in reporter_accounts(ticket) if a.id != getattr(actor, "id", None)]
    if recipients:
        link = None
        body = ticket.title
        if ticket.status in wf.rateable and ticket.rating_score is None and ticket.reporter_person_id:
            link = rating_link(ticket, ticket.reporter_person_id)
            body += "\n" + _("Please rate the service (1–5): %(link)s", link=link)
        _notify(recipients, subject, ticket, body, link=link)
    if ticket.assignee_id and ticket.assignee_id != getattr(actor, "id", None) and ticket.status not in wf.final:
        _notify([db.session.get(Account, ticket.assignee_id)], subject, ticket)


def _resume(ticket: Ticket, now: dt.datetime, cal) -> None:
    paused_at = ticket.paused_at
    hold = db.session.scalar(select(TicketHold).where(TicketHold.ticket_id == ticket.id,
                                                      TicketHold.resumed_at.is_(None)).order_by(TicketHold.id.desc()))
    minutes = paused_minutes(paused_at, now, ticket.around_the_clock, cal)
    for clock, stamp in CLOCK_STAMP.items():
        due = getattr(ticket, f"{clock}_due_at")
        if due is not None and getattr(ticket, stamp) is None:
            setattr(ticket, f"{clock}_due_at", extended(due, paused_at, now, ticket.around_the_clock, cal))
    ticket.paused_minutes = (ticket.paused_minutes or 0) + minutes
    ticket.paused_at = None
    if hold is not None:
        hold.resumed_at, hold.paused_minutes = now, minutes


# ---------------------------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------------------------


def _check_assignee(community: Community, assignee_id: int | None, team_id: int | None) -> None:
    if assignee_id is None and team_id is None:
        raise Invalid(fields={"assignee_id": [_("Choose a staff member or a team.")]})
    if assignee_id is not None:
        account = db.session.get(Account, assignee_id)
        if account is None or not can(account, "tickets.handle", community=community):
            raise Invalid(fields={"assignee_id": [_("This person does not handle tickets in this community.")]})
    if team_id is not None:
        team = db.session.get(TicketTeam, team_id)
        if team is None or team.community_id != community.id:
            raise Invalid(fields={"team_id": [_("No such team in this community.")]})


def _assign(actor, ticket: Ticket, assignee_id, team_id, reason: str, now: dt.datetime) -> None:
    if assignee_id is None and team_id is not None:  # a team's ticket is in its leader's hands
        assignee_id = db.session.get(TicketTeam, team_id).leader_id
    ticket.assignee_id, ticket.team_id = assignee_id, team_id
    db.session.add(TicketAssignment(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                                    assignee_id=assignee_id, team_id=team_id, actor_id=getattr(actor, "id", None),
                                    reason=reason, at=now))


def reassign(actor, ticket: Ticket, *, assignee_id: int | None, team_id: int | None = None, reason: str,
             now: dt.datetime | None = None) -> Ticket:
    """Hand a ticket to someone else (status unchanged); the reason is required and kept."""
    now = now or utcnow()
    community = db.session.get(Community, ticket.community_id)
    if not can(actor, "tickets.dispatch", community=community):
        raise Forbidden()
    wf = workflows.get(ticket.workflow)
    if ticket.status in wf.final:
        raise Conflict(_("A closed ticket cannot be reassigned."), code="ticket_closed", extra={"allowed": []})
    if not (reason or "").strip():
        raise Invalid(fields={"reason": [_("Please give a reason.")]})
    _check_assignee(community, assignee_id, team_id)
    _assign(actor, ticket, assignee_id, team_id, reason.strip(), now)
    db.session.flush()
    audit(actor, "ticket.reassign", "Ticket", ticket.id, module="tickets", area_id=ticket.area_id,
          community_id=ticket.community_id, changes={"assignee_id": assignee_id, "reason": reason})
    if assignee_id:
        _notify([db.session.get(Account, assignee_id)],
                _("Ticket %(n)s was assigned to you: %(t)s", n=ticket.number, t=ticket.title), ticket, reason)
    return ticket


def create_team(actor, community: Community, name: str, member_ids: Iterable[int] = (),
                leader_id: int | None = None) -> TicketTeam:
    """A team tickets can be dispatched to (e.g. the maintenance crew); members must handle tickets here."""
    team = TicketTeam(area_id=community.area_id, community_id=community.id)
    _fill_team(actor, community, team, name, member_ids, leader_id)
    db.session.add(team)
    db.session.flush()
    return team


def update_team(actor, team: TicketTeam, name: str, member_ids: Iterable[int] = (),
                leader_id: int | None = None) -> TicketTeam:
    """Rename a team or change its leader and members; tickets already dispatched to it keep their assignee."""
    community = db.session.get(Community, team.community_id)
    _fill_team(actor, community, team, name, member_ids, leader_id)
    db.session.flush()
    return team


def _fill_team(actor, community: Community, team: TicketTeam, name: str, member_ids: Iterable[int],
               leader_id: int | None) -> None:
    if not can(actor, "tickets.configure", community=community):
        raise Forbidden()
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Invalid(fields={"name": [_("This field is required.")]})
    clash = select(TicketTeam.id).where(TicketTeam.community_id == community.id, TicketTeam.name == name)
    if team.id is not None:
        clash = clash.where(TicketTeam.id != team.id)
    if db.session.scalar(clash):
        raise Invalid(fields={"name": [_("This name is already used in this community.")]})
    members = sorted(set(member_ids) | ({leader_id} if leader_id is not None else set()))
    if members:
        handlers = {a.id for a in staff_choices(community)}
        if not set(members) <= handlers:
            raise Invalid(fields={"member_ids": [_("This person does not handle tickets in this community.")]})
    team.name, team.leader_id, team.member_ids = name, leader_id, members


def teams(community: Community) -> list[TicketTeam]:
    return list(db.session.scalars(select(TicketTeam).where(TicketTeam.community_id == community.id)
                                   .order_by(TicketTeam.name)))


def workload(community: Community) -> list[dict]:
    """Open tickets per assignee in a community (one grouped query)."""
    open_states = _open_states()
    rows = db.session.execute(
        select(Account.id, Account.display_name, func.count(Ticket.id))
        .join(Ticket, Ticket.assignee_id == Account.id)
        .where(Ticket.community_id == community.id, Ticket.status.in_(open_states))
        .group_by(Account.id, Account.display_name).order_by(func.count(Ticket.id).desc())).all()
    return [{"account_id": r[0], "name": r[1], "open": r[2]} for r in rows]


def portal_summary(person) -> dict[str, int]:
    """For the portal home: the person's requests still being worked on, and those resolved and
    waiting for their rating (one query)."""
    from sqlalchemy import case, or_

    wf_map = workflows.all_workflows()
    done = {s for wf in wf_map.values() for s in (*wf.final, *wf.resolved)}
    working = sorted({s for wf in wf_map.values() for s in wf.states} - done)
    rateable = sorted({s for wf in wf_map.values() for s in wf.rateable})
    units = person_unit_ids(person.id)
    mine = or_(Ticket.reporter_person_id == person.id, Ticket.unit_id.in_(units)) if units \
        else Ticket.reporter_person_id == person.id
    in_progress, to_rate = db.session.execute(select(
        func.count(case((Ticket.status.in_(working), 1))),
        func.count(case((Ticket.status.in_(rateable) & Ticket.rating_score.is_(None), 1)))).where(mine)).one()
    return {"in_progress": in_progress, "to_rate": to_rate}


def needs_callback_filter(threshold: int):
    """Tickets rated at or below ``threshold`` whose 回访 is not recorded yet."""
    return Ticket.rating_score.is_not(None) & (Ticket.rating_score <= threshold) & Ticket.callback_done.is_(False)


def today_counts(community: Community, now: dt.datetime | None = None) -> dict[str, int]:
    """What needs the office today in one community (one query): new requests not yet accepted,
    open tickets, open tickets past a deadline (paused ones excepted), low ratings awaiting 回访."""
    from sqlalchemy import case, or_

    now = now or utcnow()
    wf_map = workflows.all_workflows()
    initial = sorted({wf.initial for wf in wf_map.values()})
    late = or_(*[(getattr(Ticket, f"{c}_due_at") < now) & getattr(Ticket, s).is_(None) for c, s in CLOCK_STAMP.items()])
    running = Ticket.status.in_(_running(wf_map)) & Ticket.paused_at.is_(None)
    threshold = get_setting("tickets.callback_threshold", community=community)
    row = db.session.execute(select(
        func.count(case((Ticket.status.in_(initial), 1))),
        func.count(case((Ticket.status.in_(_open_states()), 1))),
        func.count(case((running & late, 1))),
        func.count(case((needs_callback_filter(threshold), 1))),
    ).where(Ticket.community_id == community.id)).one()
    return dict(zip(("new", "open", "overdue", "callback"), row, strict=True))


def _open_states() -> list[str]:
    states = set()
    for wf in workflows.all_workflows().values():
        states.update(s for s in wf.states if s not in wf.final)
    return sorted(states)


def staff_choices(community: Community) -> list[Account]:
    seen = {}
    for role in (Role.staff, Role.manager):
        for a in accounts_with_role(role, community=community):
            seen[a.id] = a
    return sorted(seen.values(), key=lambda a: a.display_name)


# ---------------------------------------------------------------------------------------------
# Procedure steps, comments
# ---------------------------------------------------------------------------------------------


def tick_step(actor, ticket: Ticket, index: int, done: bool = True) -> Ticket:
    community = db.session.get(Community, ticket.community_id)
    if not is_staff(actor, community):
        raise Forbidden()
    category = db.session.get(TicketCategory, ticket.category_id)
    if not 0 <= index < len(category.procedure or []):
        raise Invalid(fields={"step": [_("No such step.")]})
    steps = set(ticket.steps_done or [])
    steps.add(index) if done else steps.discard(index)
    ticket.steps_done = sorted(steps)
    db.session.flush()
    return ticket


def add_comment(actor, ticket: Ticket, body: str, internal: bool = False) -> TicketComment:
    community = db.session.get(Community, ticket.community_id)
    staff = is_staff(actor, community)
    if not (staff or is_reporter(actor, ticket)):
        raise Forbidden()
    body = (body or "").strip()
    if not body:
        raise Invalid(fields={"body": [_("This field is required.")]})
    if len(body) > 4000:
        raise Invalid(fields={"body": [_("Longer than the maximum of %(n)s characters.", n=4000)]})
    comment = TicketComment(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                            author_id=actor.id, author_name=actor.display_name, body=body,
                            internal=bool(internal and staff))
    db.session.add(comment)
    db.session.flush()
    if not comment.internal:
        others = reporter_accounts(ticket) if staff else [db.session.get(Account, ticket.assignee_id)
                                                         if ticket.assignee_id else None]
        others = [a for a in others if a is not None and a.id != actor.id]
        if others:
            _notify(others, _("New comment on ticket %(n)s", n=ticket.number), ticket, body[:500])
    return comment


# ---------------------------------------------------------------------------------------------
# Ratings and 回访
# ---------------------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tickets.rating")


def rating_token(ticket: Ticket, person_id: int) -> str:
    return _serializer().dumps({"t": ticket.id, "p": person_id})


def rating_link(ticket: Ticket, person_id: int) -> str | None:
    token = rating_token(ticket, person_id)
    if has_request_context():
        return url_for("tickets.rate_by_link", token=token, _external=True)
    return f"/tickets/rate/{token}"


def ticket_from_token(token: str) -> tuple[Ticket, int]:
    """The ticket and person a rating link is for; 410 when expired, 400 when tampered."""
    try:
        data, _ts = _serializer().loads(token, return_timestamp=True)
    except SignatureExpired:
        raise AppError(_("This rating link has expired."), status=410, code="link_expired") from None
    except BadSignature:
        raise AppError(_("This rating link is not valid."), status=400, code="invalid_link") from None
    ticket = db.session.get(Ticket, data.get("t")) if isinstance(data, dict) else None
    if ticket is None:
        raise AppError(_("This rating link is not valid."), status=400, code="invalid_link")
    community = db.session.get(Community, ticket.community_id)
    days = get_setting("tickets.rating_link_days", community=community)
    if utcnow() - _ts.astimezone(dt.UTC) > dt.timedelta(days=days):
        raise AppError(_("This rating link has expired."), status=410, code="link_expired")
    return ticket, data.get("p")


def rate(actor, ticket: Ticket, score, comment: str | None = None, *, channel: str = "portal",
         person_id: int | None = None, now: dt.datetime | None = None) -> TicketRating:
    """The owner's rating, 1–5, once per ticket, after resolution.

    ``actor`` is the owner's account (portal, API); for a signed link pass ``actor=None`` and the
    ``person_id`` the link was made for.
    """
    now = now or utcnow()
    if actor is not None:
        if not is_reporter(actor, ticket):
            raise Forbidden(_("Only the owner who reported the ticket may rate it."))
        person_id = actor.person_id
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise Invalid(fields={"score": [_("Choose a rating from 1 to 5.")]})
    if comment and len(comment) > 2000:
        raise Invalid(fields={"comment": [_("Longer than the maximum of %(n)s characters.", n=2000)]})
    wf = workflows.get(ticket.workflow)
    if ticket.rating_score is not None or db.session.scalar(
            select(TicketRating.id).where(TicketRating.ticket_id == ticket.id)):
        raise Conflict(_("This ticket has already been rated."), code="already_rated", extra={"allowed": []})
    if ticket.status not in wf.rateable:
        raise Conflict(_("A ticket can be rated once it is resolved."), code="not_resolved", extra={"allowed": []})
    rating = TicketRating(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                          score=score, comment=(comment or "").strip() or None, person_id=person_id,
                          account_id=getattr(actor, "id", None), channel=channel, at=now)
    db.session.add(rating)
    ticket.rating_score = score
    db.session.flush()
    audit(actor, "ticket.rate", "Ticket", ticket.id, module="tickets", area_id=ticket.area_id,
          community_id=ticket.community_id, changes={"score": score})
    hook().ticket_rated(ticket=ticket, rating=rating)
    community = db.session.get(Community, ticket.community_id)
    if score <= get_setting("tickets.callback_threshold", community=community):
        staff = [db.session.get(Account, ticket.assignee_id)] if ticket.assignee_id else []
        _notify(staff, _("Ticket %(n)s was rated %(s)s: a 回访 is needed", n=ticket.number, s=score), ticket,
                rating.comment or "")
    return rating


def record_callback(actor, ticket: Ticket, *, outcome: str, attempts: int = 1, note: str | None = None,
                    now: dt.datetime | None = None) -> TicketCallback:
    """Record a 回访. 'Unreachable' needs the set number of tries (3 by default)."""
    now = now or utcnow()
    community = db.session.get(Community, ticket.community_id)
    if not can(actor, "tickets.callback", community=community):
        raise Forbidden()
    if outcome not in CALLBACK_OUTCOMES:
        raise Invalid(fields={"outcome": [_("Must be one of: %(choices)s.", choices=", ".join(CALLBACK_OUTCOMES))]})
    try:
        attempts = int(attempts)
    except (TypeError, ValueError):
        attempts = 0
    if attempts < 1 or attempts > 20:
        raise Invalid(fields={"attempts": [_("Out of the allowed range: %(rule)s.", rule="1–20")]})
    tries = get_setting("tickets.callback_tries", community=community)
    if outcome == "unreachable" and attempts < tries:
        raise Invalid(fields={"attempts": [_("Try at least %(n)s times before recording the owner as unreachable.",
                                             n=tries)]})
    wf = workflows.get(ticket.workflow)
    if ticket.status not in wf.resolved:
        raise Conflict(_("A 回访 follows the resolution of a ticket."), code="not_resolved", extra={"allowed": []})
    cb = TicketCallback(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                        staff_id=actor.id, outcome=outcome, attempts=attempts, note=(note or "").strip() or None,
                        at=now)
    db.session.add(cb)
    ticket.callback_done = True
    db.session.flush()
    audit(actor, "ticket.callback", "Ticket", ticket.id, module="tickets", area_id=ticket.area_id,
          community_id=ticket.community_id, changes={"outcome": outcome})
    return cb


# ---------------------------------------------------------------------------------------------
# Renovation deposit (through the fees plugin when present)
# ---------------------------------------------------------------------------------------------


def _request_deposit(ticket: Ticket, community: Community) -> str | None:
    from core.people.models import Person

    payer = db.session.get(Person, ticket.reporter_person_id) if ticket.reporter_person_id else None
    if payer is None:
        return None
    amount = get_setting("tickets.renovation_deposit", community=community)
    item = get_setting("tickets.renovation_deposit_item", community=community)
    try:
        return hook().charge_requested(payer=payer, payee=community, item_code=item, amount=amount,
                                       source={"module": "tickets", "id": ticket.id})
    except ValueError as exc:
        raise Conflict(_("The renovation deposit is not on the community's posted price notice."),
                       code="deposit_not_posted", extra={"allowed": [], "detail": str(exc)}) from None


def deposit_settled(charge_ref: str, now: dt.datetime | None = None) -> Ticket | None:
    ticket = db.session.scalar(select(Ticket).where(Ticket.deposit_charge_ref == charge_ref))
    if ticket is not None and ticket.deposit_paid_at is None:
        ticket.deposit_paid_at = now or utcnow()
        details = dict(ticket.details or {})
        details["deposit"] = "paid"
        ticket.details = details
        db.session.flush()
    return ticket


# ---------------------------------------------------------------------------------------------
# SLA check, overdue and at-risk lists, auto-close
# ---------------------------------------------------------------------------------------------


def _running(wf_map) -> list[str]:
    out = set()
    for wf in wf_map.values():
        out.update(s for s in wf.states if s not in wf.final and s not in wf.on_hold)
    return sorted(out)


def overdue_clocks(ticket: Ticket, now: dt.datetime) -> list[str]:
    """Clocks of ``ticket`` past their deadline and not met (a paused ticket's clocks stand still)."""
    if ticket.paused_at is not None:
        return []
    out = []
    for clock, stamp in CLOCK_STAMP.items():
        due = getattr(ticket, f"{clock}_due_at")
        if due is not None and getattr(ticket, stamp) is None and due < now:
            out.append(clock)
    return out


def _breach(ticket: Ticket, clock: str, community: Community, now: dt.datetime, escalate: bool = True,
            managers: list | None = None) -> None:
    setattr(ticket, f"{clock}_breached", True)
    db.session.add(TicketBreach(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                                clock=clock, due_at=getattr(ticket, f"{clock}_due_at"), detected_at=now,
                                escalated=escalate))
    db.session.flush()
    hook().ticket_sla_breached(ticket=ticket, clock=clock)
    if escalate:
        ticket.escalated_at = ticket.escalated_at or now
        label = {"response": _("response"), "arrival": _("arrival on site"), "resolution": _("resolution")}[clock]
        if managers is None:
            managers = accounts_with_role(Role.manager, community=community)
        notify(managers, _("Ticket %(n)s missed its %(c)s deadline", n=ticket.number, c=label),
               ticket.title, module="tickets")


def check_sla(now: dt.datetime | None = None, community_ids: Iterable[int] | None = None) -> list[tuple[int, str]]:
    """Mark every missed, not yet marked deadline; fire ``ticket_sla_breached``; escalate to the
    community manager. Returns ``[(ticket_id, clock)]`` newly breached."""
    from sqlalchemy import or_

    now = now or utcnow()
    wf_map = workflows.all_workflows()
    conds = []
    for clock, stamp in CLOCK_STAMP.items():
        due = getattr(Ticket, f"{clock}_due_at")
        conds.append((due < now) & getattr(Ticket, stamp).is_(None) & getattr(Ticket, f"{clock}_breached").is_(False))
    stmt = select(Ticket).where(Ticket.status.in_(_running(wf_map)), Ticket.paused_at.is_(None), or_(*conds))
    if community_ids is not None:
        stmt = stmt.where(Ticket.community_id.in_(list(community_ids)))
    tickets = list(db.session.scalars(stmt))
    if not tickets:
        return []
    communities = {c.id: c for c in db.session.scalars(
        select(Community).where(Community.id.in_({t.community_id for t in tickets})))}
    managers = {cid: accounts_with_role(Role.manager, community=c) for cid, c in communities.items()}
    found = []
    for ticket in tickets:
        for clock in overdue_clocks(ticket, now):
            if not getattr(ticket, f"{clock}_breached"):
                _breach(ticket, clock, communities[ticket.community_id], now, managers=managers[ticket.community_id])
                found.append((ticket.id, clock))
    db.session.flush()
    return found


def check_sla_job(app) -> str:
    found = check_sla()
    return f"{len(found)} deadline(s) newly missed"


def sla_lists(community_ids: set[int] | None, now: dt.datetime | None = None) -> dict[str, list]:
    """Open tickets overdue and at risk (due within the at-risk margin), nearest deadline first."""
    from sqlalchemy import or_

    now = now or utcnow()
    wf_map = workflows.all_workflows()
    margin = lookup_setting("tickets.at_risk_minutes")  # each community may set its own
    horizon = now + dt.timedelta(minutes=max(margin.values))
    conds = [(getattr(Ticket, f"{c}_due_at") < horizon) & getattr(Ticket, s).is_(None)
             for c, s in CLOCK_STAMP.items()]
    stmt = select(Ticket).where(Ticket.status.in_(_running(wf_map)), Ticket.paused_at.is_(None), or_(*conds))
    if community_ids is not None:
        stmt = stmt.where(Ticket.community_id.in_(community_ids or {-1}))
    overdue, at_risk = [], []
    for t in db.session.scalars(stmt.order_by(Ticket.id).limit(2000)):
        due = next_due(t)
        if due is None:
            continue
        if due < now:
            overdue.append(t)
        elif due < now + dt.timedelta(minutes=margin(t.community_id, t.area_id)):
            at_risk.append(t)
    key = next_due
    return {"overdue": sorted(overdue, key=key), "at_risk": sorted(at_risk, key=key)}


def next_due(ticket: Ticket) -> dt.datetime | None:
    dues = [getattr(ticket, f"{c}_due_at") for c, s in CLOCK_STAMP.items()
            if getattr(ticket, f"{c}_due_at") is not None and getattr(ticket, s) is None]
    return min(dues) if dues else None


def auto_close(now: dt.datetime | None = None) -> list[int]:
    """Close resolved tickets left unrated for the set number of days (per community)."""
    now = now or utcnow()
    wf_map = workflows.all_workflows()
    closable = sorted({s for wf in wf_map.values() if wf.transition("auto_close")
                       for s in wf.transition("auto_close").sources})
    longest = 90
    candidates = list(db.session.scalars(select(Ticket).where(
        Ticket.status.in_(closable), Ticket.rating_score.is_(None), Ticket.resolved_at.is_not(None),
        Ticket.resolved_at < now - dt.timedelta(days=1)).order_by(Ticket.id)))
    if not candidates:
        return []
    days = lookup_setting("tickets.auto_close_days")
    closed = []
    for t in candidates:
        if now - t.resolved_at >= dt.timedelta(days=min(days(t.community_id, t.area_id), longest)):
            transition(None, t, "auto_close", now=now)
            closed.append(t.id)
    return closed


def auto_close_job(app) -> str:
    return f"{len(auto_close())} ticket(s) closed automatically"


# ---------------------------------------------------------------------------------------------
# Reading helpers for pages and the API
# ---------------------------------------------------------------------------------------------


def timeline(ticket: Ticket, include_internal: bool) -> list[dict]:
    """Transitions, comments, assignments, holds and 回访 of a ticket, oldest first."""
    items: list[dict] = []
    names = {}
    trans = db.session.scalars(select(TicketTransition).where(TicketTransition.ticket_id == ticket.id)).all()
    comments = db.session.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket.id)).all()
    assigns = db.session.scalars(select(TicketAssignment).where(TicketAssignment.ticket_id == ticket.id)).all()
    callbacks = db.session.scalars(select(TicketCallback).where(TicketCallback.ticket_id == ticket.id)).all() \
        if include_internal else []
    ids = {x.actor_id for x in trans} | {x.assignee_id for x in assigns} | {x.staff_id for x in callbacks}
    ids.discard(None)
    if ids:
        names = dict(db.session.execute(select(Account.id, Account.display_name).where(Account.id.in_(ids))).all())
    wf = workflows.get(ticket.workflow)
    for t in trans:
        items.append({"at": t.at, "kind": "status", "status": t.to_status,
                      "label": str(wf.states.get(t.to_status, t.to_status)), "action": t.action,
                      "who": names.get(t.actor_id, ""), "note": t.note if t.action != "create" else None})
    for c in comments:
        if c.internal and not include_internal:
            continue
        items.append({"at": c.created_at, "kind": "comment", "who": c.author_name, "note": c.body,
                      "internal": c.internal})
    if include_internal:
        for a in assigns:
            items.append({"at": a.at, "kind": "assignment", "who": names.get(a.assignee_id, ""),
                          "note": str(ASSIGNMENT_REASONS.get(a.reason, a.reason))})
        for cb in callbacks:
            items.append({"at": cb.at, "kind": "callback", "who": names.get(cb.staff_id, ""),
                          "note": f"{CALLBACK_OUTCOMES[cb.outcome]} ×{cb.attempts}" + (f" — {cb.note}" if cb.note
                                                                                       else "")})
    return sorted(items, key=lambda i: i["at"])
