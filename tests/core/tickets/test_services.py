"""Ticket rules at the service level: creation, the workflow engine, SLA clocks, ratings and 回访."""

import datetime as dt
import types

import pytest
from sqlalchemy import func, select

from core.errors import AppError, Conflict, Forbidden, Invalid
from core.tickets import services
from core.tickets.models import (
    Ticket,
    TicketAttachment,
    TicketBreach,
    TicketCallback,
    TicketCategory,
    TicketRating,
    TicketTransition,
)
from core.tickets.services import Upload

from .conftest import JPEG, PNG, WED_10

M = dt.timedelta(minutes=1)


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def walk(ticket, actor, *actions, start=WED_10, step=M * 5, **kw):
    now = start
    for action in actions:
        now += step
        extra = {"assignee_id": actor.id} if action == "dispatch" else {}
        note = "reason" if action in ("hold", "reopen", "answer", "approve", "reject", "record_violations") else None
        services.transition(actor, ticket, action, now=now, note=note, **extra, **kw)
    return now


# --- categories and profiles ---------------------------------------------------------------


def test_standard_categories_come_from_the_grade_profile(scene, db):
    prof = services.profile_for(scene.community)
    prof.emergency_arrival_minutes = 25
    cats = {c.code: c for c in services.categories(scene.community)}
    core_codes = {code for code, c in cats.items() if c.origin == "core"}
    assert core_codes == {"in_unit_repair", "common_repair", "emergency_repair", "complaint", "enquiry",
                          "renovation", "cleaning"}
    assert cats["emergency_repair"].arrival_minutes == 25
    assert cats["emergency_repair"].around_the_clock is True
    assert cats["renovation"].workflow == "renovation"
    assert all(cats[code].procedure for code in core_codes)
    services.categories(scene.community)  # idempotent
    assert count(db, TicketCategory) == len(cats)


def test_profile_edit_moves_the_emergency_promise(scene, db):
    services.categories(scene.community)
    services.update_profile(scene.manager, scene.community, {"emergency_arrival_minutes": 20})
    cat = db.session.scalar(select(TicketCategory).where(TicketCategory.code == "emergency_repair"))
    assert cat.arrival_minutes == 20
    with pytest.raises(Forbidden):
        services.update_profile(scene.staff, scene.community, {"emergency_arrival_minutes": 5})


def test_plugin_categories_are_added(plugin_app, make, db):
    from core import hookimpl

    plugin = types.ModuleType("gardening")
    plugin.PLUGIN_NAME = "gardening"

    @hookimpl
    def ticket_categories(community):
        return [{"code": "tree_pruning", "name": "树木修剪", "workflow": "repair", "response_minutes": 120,
                 "resolution_minutes": 4800, "around_the_clock": False}]

    plugin.ticket_categories = ticket_categories
    other = plugin_app([plugin])
    community = make.community()
    db.session.commit()
    with other.app_context():
        from core.database import db as handle

        c = handle.session.get(type(community), community.id)
        codes = {x.code: x for x in services.categories(c)}
        assert codes["tree_pruning"].origin == "plugin"
        handle.session.commit()


# --- creation ------------------------------------------------------------------------------


def test_new_ticket_goes_to_the_steward_with_deadlines(scene, new_ticket, db):
    t = new_ticket("emergency_repair")
    assert t.assignee_id == scene.steward.id
    assert t.status == "submitted" and t.reporter_person_id == scene.owner_person.id
    assert t.response_due_at == WED_10 + 10 * M  # around the clock: plain minutes
    assert t.arrival_due_at == WED_10 + 30 * M
    assert t.resolution_due_at == WED_10 + 240 * M
    assert count(db, TicketTransition) == 1


def test_working_time_ticket_made_on_a_saturday_starts_monday(scene, new_ticket):
    saturday = dt.datetime(2026, 11, 7, 4, 0, tzinfo=dt.UTC)
    t = new_ticket("in_unit_repair", now=saturday)
    # Monday 9 Nov 08:30 Shanghai (00:30 UTC) is the next working minute; plus the 30-minute target
    assert t.response_due_at == dt.datetime(2026, 11, 9, 1, 0, tzinfo=dt.UTC)


def test_repeat_within_window_is_flagged(scene, new_ticket):
    first = new_ticket()
    second = new_ticket(now=WED_10 + dt.timedelta(days=29))
    third = new_ticket(now=WED_10 + dt.timedelta(days=29 + 31))
    assert not first.is_repeat
    assert second.is_repeat and second.repeat_of_id == first.id
    assert not third.is_repeat
    other_category = new_ticket("cleaning", now=WED_10 + dt.timedelta(days=1))
    assert not other_category.is_repeat


def test_category_from_another_community_is_refused(scene, make, new_ticket, db):
    elsewhere = make.community()
    cat = TicketCategory(area_id=elsewhere.area_id, community_id=elsewhere.id, code="only_there", name="x",
                         workflow="repair", procedure=[])
    db.session.add(cat)
    db.session.flush()
    with pytest.raises(Invalid) as err:
        new_ticket("only_there")
    assert "category" in err.value.fields
    assert count(db, Ticket) == 0


def test_unit_of_another_community_and_a_stranger_are_refused(scene, make, db):
    other_unit = make.unit()
    with pytest.raises(Invalid) as err:
        services.create_ticket(scene.staff, community=scene.community, unit=other_unit,
                               category_code="in_unit_repair", title="x", channel="phone")
    assert "unit" in err.value.fields
    stranger = make.account(person=make.person())
    with pytest.raises(Forbidden):
        services.create_ticket(stranger, community=scene.community, unit=scene.unit,
                               category_code="in_unit_repair", title="x", channel="portal")
    assert count(db, Ticket) == 0


def test_staff_enter_a_phone_call_for_an_owner(scene, db):
    t = services.create_ticket(scene.staff, community=scene.community, unit=scene.unit, category_code="complaint",
                               title="楼道噪音", channel="phone", reporter_person=scene.owner_person, now=WED_10)
    assert t.channel == "phone" and t.created_by_id == scene.staff.id
    assert t.reporter_person_id == scene.owner_person.id
    assert t.arrival_due_at is None


@pytest.mark.parametrize("uploads, status", [
    ([Upload("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024))], 413),
    ([Upload("note.txt", b"hello, not an image")], 415),
    ([Upload("fake.jpg", b"MZ\x90\x00 windows exe")], 415),
    ([Upload(f"p{i}.png", PNG) for i in range(6)], 422),
])
def test_bad_uploads_leave_nothing_written(scene, new_ticket, db, uploads, status):
    with pytest.raises(AppError) as err:
        new_ticket(attachments=uploads)
    assert err.value.status == status
    assert count(db, Ticket) == 0 and count(db, TicketAttachment) == 0


def test_photos_are_stored_by_content_type(scene, new_ticket, db):
    t = new_ticket(attachments=[Upload("a.png", PNG), Upload("b.jpeg", JPEG)])
    rows = db.session.scalars(select(TicketAttachment).where(TicketAttachment.ticket_id == t.id)).all()
    assert sorted(r.content_type for r in rows) == ["image/jpeg", "image/png"]
    with pytest.raises(Invalid):
        services.add_attachments(scene.owner, t, [Upload(f"{i}.png", PNG) for i in range(4)])


# --- the workflow engine -------------------------------------------------------------------


def test_full_repair_lifecycle_records_who_and_when(scene, new_ticket, db, app):
    seen = []

    class Probe:
        @staticmethod
        def ticket_status_changed(ticket, old_status, new_status, actor):
            seen.append((old_status, new_status))

    from core import hookimpl

    Probe.ticket_status_changed = hookimpl(Probe.ticket_status_changed)
    pm = app.extensions["jiayuan.pm"]
    pm.register(Probe, name="probe-status")
    try:
        t = new_ticket()
        end = walk(t, scene.staff, "accept", "dispatch", "arrive", "start", "resolve")
    finally:
        pm.unregister(name="probe-status")
    assert t.status == "resolved"
    assert t.responded_at == WED_10 + 5 * M and t.arrived_at == WED_10 + 15 * M and t.resolved_at == end
    assert seen[-1] == ("in_progress", "resolved") and len(seen) == 5
    rows = db.session.scalars(select(TicketTransition).where(TicketTransition.ticket_id == t.id)
                              .order_by(TicketTransition.id)).all()
    assert [r.action for r in rows] == ["create", "accept", "dispatch", "arrive", "start", "resolve"]
    assert all(r.actor_id == scene.staff.id for r in rows[1:])


def test_invalid_transition_names_the_allowed_ones(scene, new_ticket, db):
    t = new_ticket()
    with pytest.raises(Conflict) as err:
        services.transition(scene.staff, t, "resolve", now=WED_10)
    assert err.value.code == "invalid_transition"
    assert set(err.value.extra["allowed"]) == {"accept", "dispatch", "cancel"}
    assert t.status == "submitted" and count(db, TicketTransition) == 1


def test_owner_may_cancel_before_work_but_not_accept(scene, new_ticket):
    t = new_ticket()
    with pytest.raises(Forbidden):
        services.transition(scene.owner, t, "accept", now=WED_10)
    services.transition(scene.owner, t, "cancel", now=WED_10 + M)
    assert t.status == "cancelled"
    t2 = new_ticket()
    walk(t2, scene.staff, "accept", "dispatch", "arrive")
    with pytest.raises(Conflict):
        services.transition(scene.owner, t2, "cancel", now=WED_10 + M * 30)


def test_dispatch_needs_a_handler_of_this_community(scene, make, new_ticket):
    t = new_ticket()
    outsider = make.account("staff", make.community())
    with pytest.raises(Invalid):
        services.transition(scene.manager, t, "dispatch", assignee_id=outsider.id, now=WED_10)
    with pytest.raises(Invalid):
        services.transition(scene.manager, t, "dispatch", now=WED_10)
    assert t.status == "submitted"


def test_reassignment_needs_a_reason(scene, new_ticket):
    t = new_ticket()
    walk(t, scene.staff, "accept", "dispatch")
    with pytest.raises(Invalid):
        services.reassign(scene.manager, t, assignee_id=scene.steward.id, reason=" ")
    services.reassign(scene.manager, t, assignee_id=scene.steward.id, reason="李师傅请假")
    assert t.assignee_id == scene.steward.id
    load = {w["account_id"]: w["open"] for w in services.workload(scene.community)}
    assert load == {scene.steward.id: 1}
    with pytest.raises(Forbidden):
        services.reassign(scene.owner, t, assignee_id=scene.staff.id, reason="x")


def test_hold_and_resume_extend_by_exactly_the_paused_time(scene, new_ticket):
    t = new_ticket("emergency_repair")
    walk(t, scene.staff, "accept", "dispatch", "arrive", "start", step=M)
    due = t.resolution_due_at
    services.transition(scene.staff, t, "hold", note="等配件", now=WED_10 + 10 * M)
    assert services.check_sla(now=WED_10 + dt.timedelta(days=1)) == []  # paused clocks stand still
    services.transition(scene.staff, t, "resume", now=WED_10 + 10 * M + dt.timedelta(hours=3))
    assert t.resolution_due_at == due + dt.timedelta(hours=3)
    assert t.paused_minutes == 180


def test_hold_over_a_weekend_extends_by_working_time_only(scene, new_ticket):
    t = new_ticket("in_unit_repair")  # Wed 10:00
    walk(t, scene.staff, "accept", "dispatch", "arrive", "start", step=M)
    due = t.resolution_due_at
    friday_17 = dt.datetime(2026, 11, 6, 9, 0, tzinfo=dt.UTC)
    monday_10 = dt.datetime(2026, 11, 9, 2, 0, tzinfo=dt.UTC)
    services.transition(scene.staff, t, "hold", note="等业主", now=friday_17)
    services.transition(scene.staff, t, "resume", now=monday_10)
    assert t.paused_minutes == 120  # Fri 17:00–17:30 and Mon 08:30–10:00
    assert t.resolution_due_at > due


def test_reopen_within_window_and_refused_after(scene, new_ticket):
    t = new_ticket()
    end = walk(t, scene.staff, "accept", "dispatch", "arrive", "start", "resolve")
    services.transition(scene.owner, t, "reopen", note="又漏了", now=end + dt.timedelta(days=6))
    assert t.status == "reopened" and t.reopened_count == 1 and t.resolved_at is None
    later = walk(t, scene.staff, "start", "resolve", start=end + dt.timedelta(days=6))
    with pytest.raises(Conflict) as err:
        services.transition(scene.owner, t, "reopen", note="again", now=later + dt.timedelta(days=7, minutes=1))
    assert err.value.code == "reopen_window_passed"
    assert t.status == "resolved"


# --- ratings and 回访 ----------------------------------------------------------------------


def test_rating_rules(scene, make, new_ticket, db):
    t = new_ticket()
    with pytest.raises(Conflict) as err:
        services.rate(scene.owner, t, 5)
    assert err.value.code == "not_resolved"
    walk(t, scene.staff, "accept", "dispatch", "arrive", "start", "resolve")
    neighbour = make.account(person=make.owner(make.unit(scene.building)))
    with pytest.raises(Forbidden):
        services.rate(neighbour, t, 5)
    with pytest.raises(Invalid):
        services.rate(scene.owner, t, 6)
    services.rate(scene.owner, t, 4, "不错")
    with pytest.raises(Conflict) as err:
        services.rate(scene.owner, t, 5)
    assert err.value.code == "already_rated"
    assert count(db, TicketRating) == 1 and t.rating_score == 4
    services.transition(scene.owner, t, "close", now=WED_10 + dt.timedelta(hours=2))
    assert t.status == "closed"


def test_low_rating_needs_a_callback_before_closing(scene, new_ticket, db):
    t = new_ticket()
    end = walk(t, scene.staff, "accept", "dispatch", "arrive", "start", "resolve")
    services.rate(scene.owner, t, 2, "太慢")
    with pytest.raises(Conflict) as err:
        services.transition(scene.staff, t, "close", now=end + M)
    assert err.value.code == "callback_required"
    with pytest.raises(Invalid):  # unreachable needs three tries
        services.record_callback(scene.staff, t, outcome="unreachable", attempts=2)
    services.record_callback(scene.staff, t, outcome="unreachable", attempts=3, note="三次未接")
    services.transition(scene.staff, t, "close", now=end + 2 * M)
    assert t.status == "closed" and count(db, TicketCallback) == 1


def test_rating_link_round_trip_tampered_and_expired(scene, new_ticket, app):
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    t = new_ticket()
    token = services.rating_token(t, scene.owner_person.id)
    assert services.ticket_from_token(token) == (t, scene.owner_person.id)
    with pytest.raises(AppError) as err:
        services.ticket_from_token(token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    assert err.value.status == 400

    class OldSigner(TimestampSigner):
        def get_timestamp(self):
            return int((dt.datetime.now(dt.UTC) - dt.timedelta(days=15)).timestamp())

    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="tickets.rating", signer=OldSigner).dumps({"t": t.id, "p": scene.owner_person.id})
    with pytest.raises(AppError) as err:
        services.ticket_from_token(old)
    assert err.value.status == 410


def test_unrated_resolved_tickets_close_after_the_set_days(scene, new_ticket):
    t = new_ticket()
    end = walk(t, scene.staff, "accept", "dispatch", "arrive", "start", "resolve")
    assert services.auto_close(now=end + dt.timedelta(days=6)) == []
    assert services.auto_close(now=end + dt.timedelta(days=7, minutes=1)) == [t.id]
    assert t.status == "closed"


# --- SLA check -----------------------------------------------------------------------------


def test_check_sla_marks_breaches_once_and_escalates(scene, new_ticket, db, app):
    from core.notifications.models import Notification

    breached = []

    class Probe:
        pass

    from core import hookimpl

    @hookimpl
    def ticket_sla_breached(ticket, clock):
        breached.append((ticket.id, clock))

    Probe.ticket_sla_breached = staticmethod(ticket_sla_breached)
    pm = app.extensions["jiayuan.pm"]
    pm.register(Probe, name="probe-sla")
    try:
        t = new_ticket("emergency_repair")
        assert services.check_sla(now=WED_10 + 5 * M) == []
        found = services.check_sla(now=WED_10 + 11 * M)
        assert found == [(t.id, "response")]
        assert services.check_sla(now=WED_10 + 12 * M) == []
        found = services.check_sla(now=WED_10 + 31 * M)
        assert found == [(t.id, "arrival")]
    finally:
        pm.unregister(name="probe-sla")
    assert breached == [(t.id, "response"), (t.id, "arrival")]
    assert t.response_breached and t.escalated_at is not None
    assert count(db, TicketBreach) == 2
    notes = db.session.scalars(select(Notification).where(Notification.account_id == scene.manager.id)).all()
    assert len(notes) == 2


def test_late_stamp_counts_as_breach_without_the_check(scene, new_ticket):
    t = new_ticket("emergency_repair")
    services.transition(scene.staff, t, "accept", now=WED_10 + 15 * M)
    assert t.response_breached


def test_overdue_and_at_risk_lists(scene, new_ticket):
    late = new_ticket("emergency_repair", now=WED_10 - dt.timedelta(hours=1))
    soon = new_ticket("emergency_repair", now=WED_10 - 5 * M, title="另一件")
    fine = new_ticket("in_unit_repair", title="第三件")
    lists = services.sla_lists({scene.community.id}, now=WED_10)
    assert [t.id for t in lists["overdue"]] == [late.id]
    assert soon.id in [t.id for t in lists["at_risk"]]
    assert fine.id in [t.id for t in lists["at_risk"]]  # 30 minutes left, within the 60-minute margin



def test_each_community_keeps_its_own_at_risk_margin_and_auto_close_days(scene, new_ticket, make, db):
    from core.settings.services import set_value

    fine = new_ticket("in_unit_repair", title="第三件")  # 30 minutes left on its response clock
    other = make.community(area=scene.community.area)
    set_value(scene.manager, "tickets.at_risk_minutes", "20", "community", scene.community.id)
    set_value(scene.manager, "tickets.at_risk_minutes", "45", "area", scene.community.area_id)
    lists = services.sla_lists({scene.community.id}, now=WED_10)
    assert fine.id not in [t.id for t in lists["at_risk"]]  # the community's 20 minutes, not the area's 45
    set_value(scene.manager, "tickets.at_risk_minutes", "40", "community", scene.community.id)
    assert fine.id in [t.id for t in services.sla_lists(None, now=WED_10)["at_risk"]]
    assert services.sla_lists({other.id}, now=WED_10) == {"overdue": [], "at_risk": []}

    end = walk(fine, scene.staff, "accept", "dispatch", "arrive", "start", "resolve")
    set_value(scene.manager, "tickets.auto_close_days", "3", "community", scene.community.id)
    assert services.auto_close(now=end + dt.timedelta(days=2)) == []
    assert services.auto_close(now=end + dt.timedelta(days=3, minutes=1)) == [fine.id]


# --- renovation ----------------------------------------------------------------------------


def _fees_plugin(calls):
    from core import hookimpl

    plugin = types.ModuleType("fakefees")
    plugin.PLUGIN_NAME = "fakefees"

    @hookimpl
    def charge_requested(payer, payee, item_code, amount, source):
        calls.append(("charge", item_code, amount))
        return "CHG-1"

    @hookimpl
    def refund_requested(charge_ref, reason):
        calls.append(("refund", charge_ref))
        return "RF-1"

    plugin.charge_requested, plugin.refund_requested = charge_requested, refund_requested
    return plugin


@pytest.mark.parametrize("with_fees", [True, False])
def test_renovation_through_review_works_and_inspection(scene, plugin_app, db, with_fees):
    from decimal import Decimal

    calls = []
    other = plugin_app([_fees_plugin(calls)] if with_fees else [])
    db.session.commit()
    with other.app_context():
        from core.database import db as handle
        from core.tickets.hooks import charge_settled

        s = handle.session
        community, unit = s.get(type(scene.community), scene.community.id), s.get(type(scene.unit), scene.unit.id)
        owner, staff = s.get(type(scene.owner), scene.owner.id), s.get(type(scene.staff), scene.staff.id)
        t = services.create_ticket(owner, community=community, unit=unit, category_code="renovation",
                                   title="厨卫改造", channel="portal", now=WED_10,
                                   attachments=[Upload("plan.pdf", b"%PDF-1.7 plan")], details={"agreement": True})
        walk(t, staff, "review", "approve")
        services.transition(staff, t, "start_works", workers="张三, 李四", now=WED_10 + dt.timedelta(days=1))
        assert t.details["worker_passes"] == ["张三", "李四"]
        if with_fees:
            assert t.deposit_charge_ref == "CHG-1" and calls[0] == ("charge", "renovation_deposit",
                                                                     Decimal("2000.00"))
            charge_settled(charge_ref="CHG-1")
            assert t.deposit_paid_at is not None
        else:
            assert t.deposit_charge_ref is None and t.details["deposit"] == "offline"
        services.transition(owner, t, "request_inspection", now=WED_10 + dt.timedelta(days=20))
        services.transition(staff, t, "record_violations", note="封闭阳台未报批", now=WED_10 + dt.timedelta(days=21))
        services.transition(staff, t, "rectified", now=WED_10 + dt.timedelta(days=25))
        services.transition(staff, t, "pass_inspection", now=WED_10 + dt.timedelta(days=26))
        assert t.status == "closed" and len(t.details["violations"]) == 1
        assert t.deposit_refund_ref == ("RF-1" if with_fees else None)
        s.commit()


def test_a_plugin_adds_a_workflow_and_a_category_using_it(plugin_app, scene, db):
    import core

    wf = core.Workflow(
        code="lost_found", name="失物招领", initial="logged",
        states={"logged": "已登记", "returned": "已归还"},
        transitions=(core.WorkflowTransition("return", "归还", ("logged",), "returned", stamps=("resolved_at",)),),
        rateable=("returned",), final=("returned",), resolved=("returned",))
    plugin = types.ModuleType("lostfound")
    plugin.PLUGIN_NAME = "lostfound"

    @core.hookimpl
    def ticket_workflows():
        return {"lost_found": wf, "repair": wf}  # a built-in code is never replaced

    @core.hookimpl
    def ticket_categories(community):
        return [{"code": "lost_item", "name": "失物", "workflow": "lost_found", "response_minutes": 60,
                 "resolution_minutes": 600}]

    plugin.ticket_workflows, plugin.ticket_categories = ticket_workflows, ticket_categories
    other = plugin_app([plugin])
    db.session.commit()
    with other.app_context():
        from core.database import db as handle

        s = handle.session
        community, owner = s.get(type(scene.community), scene.community.id), s.get(type(scene.owner), scene.owner.id)
        staff = s.get(type(scene.staff), scene.staff.id)
        t = services.create_ticket(owner, community=community, unit=s.get(type(scene.unit), scene.unit.id),
                                   category_code="lost_item", title="捡到钥匙", channel="portal", now=WED_10)
        assert t.workflow == "lost_found" and t.status == "logged"
        with pytest.raises(Conflict) as err:
            services.transition(staff, t, "accept", now=WED_10)
        assert err.value.extra["allowed"] == ["return"]
        services.transition(staff, t, "return", now=WED_10 + M)
        assert t.status == "returned" and t.resolved_at == WED_10 + M
        assert services.workflows.get("repair").code == "repair"
        assert services.workflows.get("repair").initial == "submitted"
        s.commit()
