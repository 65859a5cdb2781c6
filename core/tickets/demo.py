"""Demo data: a year of tickets in the three demo communities, with realistic timings, ratings,
回访 and repeats, so the quality dashboard and scorecard have something to show. Bulk inserts.

Idempotent: nothing is added when demo tickets (numbers starting with ``D``) exist.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select

from core.auth.models import Account
from core.database import utcnow
from core.people.models import Ownership
from core.places.models import Building, Community, Unit
from core.tickets import services, workflows
from core.tickets.models import Ticket, TicketAssignment, TicketCallback, TicketRating, TicketTransition

DEMO_COMMUNITIES = ("阳光花园", "翠湖苑", "春晖家园")
PER_DAY = {"阳光花园": 7, "翠湖苑": 5, "春晖家园": 4}
MIX = [("in_unit_repair", 34), ("common_repair", 14), ("emergency_repair", 5), ("complaint", 9),
       ("enquiry", 22), ("renovation", 4), ("cleaning", 12)]
TITLES = {
    "in_unit_repair": ["厨房水龙头漏水", "卫生间下水堵塞", "入户门锁损坏", "客厅灯不亮", "热水器不出热水", "窗户关不严"],
    "common_repair": ["电梯按钮失灵", "楼道灯不亮", "单元门禁坏了", "地库积水", "消防通道门闭门器坏"],
    "emergency_repair": ["水管爆裂", "电梯困人", "整层停电", "燃气味道很重"],
    "complaint": ["楼上装修噪音", "垃圾清运不及时", "地库车位被占", "宠物粪便无人清理", "保安态度不好"],
    "enquiry": ["物业费缴费方式", "停车卡办理", "快递柜位置", "装修时间规定", "门禁卡补办"],
    "renovation": ["厨卫改造申请", "全屋翻新申请", "阳台封闭申请"],
    "cleaning": ["楼道有垃圾", "电梯轿厢脏", "绿化带杂物", "地库油污"],
}
SCORES = [(5, 55), (4, 28), (3, 9), (2, 5), (1, 3)]
# The history written from a ticket's time stamps, in each workflow's own steps (an enquiry is
# answered, not accepted and resolved: the timeline names each step in the workflow's words).
HISTORY_STEPS = {
    "repair": (("responded_at", "accept", "accepted"), ("arrived_at", "arrive", "on_site"),
               ("resolved_at", "resolve", "resolved"), ("closed_at", "close", "closed"),
               ("cancelled_at", "cancel", "cancelled")),
    "enquiry": (("resolved_at", "answer", "answered"), ("closed_at", "close", "closed"),
                ("cancelled_at", "cancel", "cancelled")),
    "renovation": (("responded_at", "review", "under_review"), ("resolved_at", "approve", "approved"),
                   ("closed_at", "pass_inspection", "closed"), ("cancelled_at", "cancel", "cancelled")),
}


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


def load(session) -> None:
    if session.scalar(select(Ticket.id).where(Ticket.number.like("D%")).limit(1)) is not None:
        return
    communities = session.scalars(select(Community).where(Community.name.in_(DEMO_COMMUNITIES))
                                  .order_by(Community.id)).all()
    if not communities:
        return
    rng = random.Random(4)
    now = utcnow().replace(second=0, microsecond=0)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    first_day = (now - dt.timedelta(days=365)).astimezone(shanghai).date()
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=shanghai).astimezone(dt.UTC)
    seq = 0
    for community in communities:
        seq = _community(session, community, rng, start, now, seq)
    session.flush()


def _community(session, community: Community, rng: random.Random, start, now, seq: int) -> int:
    cats = {c.code: c for c in services.categories(community)}
    cal = services.working_calendar(community)
    units = session.execute(
        select(Unit.id, Unit.building_id, Ownership.person_id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Unit.community_id == community.id, Ownership.person_id.is_not(None))
        .order_by(Unit.id)).all()
    if not units:
        return seq
    stewards = dict(session.execute(select(Building.id, Building.steward_id)
                                    .where(Building.community_id == community.id)).all())
    staff = [a.id for a in services.staff_choices(community)]
    manager = session.scalar(select(Account.id).where(Account.username.in_(("manager", "manager_b", "company")))
                             .order_by(Account.id))
    buildings = sorted(set(stewards))
    # one building is served a little worse, so the equal-service report has something to show
    slow_building = buildings[-1] if buildings else None

    tickets, history, ratings, callbacks, assigns = [], [], [], [], []
    last_seen: dict[tuple[int, int], dt.datetime] = {}
    window = dt.timedelta(days=30)
    days = (now - start).days
    for day in range(days):
        for _n in range(rng.randint(max(1, PER_DAY[community.name] - 3), PER_DAY[community.name] + 3)):
            seq += 1
            code = _pick(rng, MIX)
            cat = cats[code]
            unit_id, building_id, person_id = rng.choice(units)
            hour = _pick(rng, [(8, 8), (9, 14), (10, 14), (11, 10), (14, 12), (15, 12), (16, 10), (19, 8),
                               (21, 5), (2, 1)])
            opened = start + dt.timedelta(days=day, hours=hour, minutes=rng.randint(0, 59))
            if opened >= now - dt.timedelta(minutes=30):
                continue
            slow = 1.6 if building_id == slow_building else 1.0
            atc = cat.around_the_clock
            wf = workflows.get(cat.workflow)

            def due(minutes, _opened=opened, _atc=atc):
                return services.deadline(_opened, minutes, _atc, cal)

            def after(minutes, _opened=opened, _atc=atc):
                return services.deadline(_opened, max(1, int(minutes)), _atc, cal)

            row = {
                "area_id": community.area_id, "community_id": community.id, "building_id": building_id,
                "unit_id": unit_id, "category_id": cat.id, "number": f"D{opened:%y%m%d}-{seq:05d}",
                "workflow": wf.code, "priority": cat.priority, "title": rng.choice(TITLES[code]), "description": "",
                "channel": _pick(rng, [("portal", 55), ("phone", 35), ("reception", 5), ("api", 5)]),
                "around_the_clock": atc, "reporter_person_id": person_id, "created_by_id": None,
                "assignee_id": stewards.get(building_id) or (rng.choice(staff) if staff else None), "team_id": None,
                "opened_at": opened, "created_at": opened, "updated_at": opened,
                "response_due_at": due(cat.response_minutes), "arrival_due_at": due(cat.arrival_minutes),
                "resolution_due_at": due(cat.resolution_minutes), "paused_minutes": 0, "reopened_count": 0,
                "steps_done": [], "details": {}, "is_repeat": False, "callback_done": False,
                "response_breached": False, "arrival_breached": False, "resolution_breached": False,
            }
            key = (unit_id, cat.id)
            if key in last_seen and opened - last_seen[key] <= window:
                row["is_repeat"] = True
            last_seen[key] = opened
            if rng.random() < 0.03:
                row.update(status="cancelled", cancelled_at=opened + dt.timedelta(minutes=rng.randint(5, 120)))
            else:
                resp = after(rng.lognormvariate(0, 0.6) * (cat.response_minutes or 30) * 0.5 * slow)
                row["responded_at"] = resp
                arrive = None
                if cat.arrival_minutes:
                    arrive = after(rng.lognormvariate(0, 0.5) * cat.arrival_minutes * 0.55 * slow)
                    arrive = max(arrive, resp)
                    row["arrived_at"] = arrive
                resolve = after(rng.lognormvariate(0, 0.5) * (cat.resolution_minutes or 480) * 0.5 * slow)
                resolve = max(resolve, arrive or resp)
                if resolve > now:
                    row["status"] = "in_progress" if wf.code == "repair" else wf.initial
                    row["arrived_at"] = arrive if arrive and arrive < now else None
                    if resp > now:
                        row["responded_at"] = None
                        row["status"] = wf.initial
                else:
                    row["resolved_at"] = resolve
                    final = {"repair": "closed", "enquiry": "closed", "renovation": "closed"}[wf.code]
                    rated = rng.random() < 0.62 and wf.rateable
                    score = _pick(rng, SCORES) if rated else None
                    if score is not None and building_id == slow_building and rng.random() < 0.25:
                        score = max(1, score - 2)
                    closed_at = resolve + dt.timedelta(days=rng.randint(1, 7))
                    if closed_at > now:
                        row["status"] = wf.resolved[0] if wf.rateable else final
                        closed_at = None
                    else:
                        row["status"] = final
                    row["closed_at"] = closed_at
                    if score is not None:
                        row["rating_score"] = score
                        ratings.append({"area_id": community.area_id, "community_id": community.id,
                                        "ticket_number": row["number"], "score": score,
                                        "comment": None if score >= 4 else rng.choice(["太慢了", "没修好", "态度一般"]),
                                        "person_id": person_id, "channel": rng.choice(["portal", "link"]),
                                        "at": resolve + dt.timedelta(hours=rng.randint(1, 30))})
                        if score <= 3 and (closed_at is not None or rng.random() < 0.5):
                            row["callback_done"] = True
                            outcome = _pick(rng, [("resolved", 50), ("explained", 30), ("follow_up", 10),
                                                  ("unreachable", 10)])
                            callbacks.append({"area_id": community.area_id, "community_id": community.id,
                                              "ticket_number": row["number"], "staff_id": row["assignee_id"],
                                              "outcome": outcome, "attempts": 3 if outcome == "unreachable" else 1,
                                              "note": None, "at": resolve + dt.timedelta(days=1)})
                    if wf.code == "renovation" and row["status"] == "closed":
                        row["details"] = {"deposit": "offline", "worker_passes": ["施工队"]}
            for clock, stamp in services.CLOCK_STAMP.items():
                d, met = row.get(f"{clock}_due_at"), row.get(stamp)
                row[f"{clock}_breached"] = bool(d and ((met and met > d) or (not met and d < now)))
            tickets.append(row)
    rows_by_number = _bulk_tickets(session, tickets)
    for row in tickets:
        tid = rows_by_number[row["number"]]
        base = {"area_id": row["area_id"], "community_id": row["community_id"], "ticket_id": tid}
        history.append({**base, "action": "create", "from_status": None, "to_status": "submitted",
                        "actor_id": None, "at": row["opened_at"], "note": row["channel"]})
        last = "submitted"
        for stamp, action, to in HISTORY_STEPS[row["workflow"]]:
            if row.get(stamp):
                history.append({**base, "action": action, "from_status": last, "to_status": to,
                                "actor_id": row["assignee_id"], "at": row[stamp], "note": None})
                last = to
        if row["assignee_id"]:
            assigns.append({**base, "assignee_id": row["assignee_id"], "team_id": None, "actor_id": manager,
                            "reason": "steward", "at": row["opened_at"]})
    for extra in (ratings, callbacks):
        for r in extra:
            r["ticket_id"] = rows_by_number[r.pop("ticket_number")]
    for model, rows in ((TicketTransition, history), (TicketAssignment, assigns), (TicketRating, ratings),
                        (TicketCallback, callbacks)):
        if rows:
            stamp = utcnow()
            session.execute(insert(model), [{"created_at": r.get("at", stamp), "updated_at": stamp, **r}
                                            for r in rows])
    return seq


def _bulk_tickets(session, tickets: list[dict]) -> dict[str, int]:
    keys = ("responded_at", "arrived_at", "resolved_at", "closed_at", "cancelled_at", "rating_score")
    rows = [{**{k: None for k in keys}, **t} for t in tickets]
    if rows:
        session.execute(insert(Ticket), rows)
    numbers = [t["number"] for t in tickets]
    out: dict[str, int] = {}
    for i in range(0, len(numbers), 900):
        chunk = numbers[i:i + 900]
        out.update(dict(session.execute(select(Ticket.number, Ticket.id).where(Ticket.number.in_(chunk))).all()))
    return out
