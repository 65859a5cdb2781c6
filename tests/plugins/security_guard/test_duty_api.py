"""Patrol rounds, incidents (with the ticket adapter), the gate log and owners' ratings."""

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import func, select

import core
from core.testing import assert_envelope
from plugins.security_guard import models as m
from plugins.security_guard import services

from .conftest import API


def _route(client, manager, community, api_headers):
    return client.post(f"{API}/routes", json={"community_id": community.id, "name": "夜巡",
                                              "checkpoints": ["东门", "车库", "北门"]},
                       headers=api_headers(manager)).get_json()


def test_a_round_with_a_missed_checkpoint(client, place, manager, guard_of, api_headers):
    route = _route(client, manager, place[0], api_headers)
    gh = api_headers(guard_of(place[0]))
    rnd = client.post(f"{API}/rounds", json={"route_id": route["id"]}, headers=gh).get_json()
    first, second, third = (c["id"] for c in route["checkpoints"])
    assert client.post(f"{API}/rounds/{rnd['id']}/checkins", json={"checkpoint_id": first},
                       headers=gh).status_code == 201
    assert client.post(f"{API}/rounds/{rnd['id']}/checkins", json={"checkpoint_id": third},
                       headers=gh).status_code == 201
    assert_envelope(client.post(f"{API}/rounds/{rnd['id']}/checkins", json={"checkpoint_id": third}, headers=gh),
                    409)
    done = client.post(f"{API}/rounds/{rnd['id']}/finish", headers=gh).get_json()
    assert done["missed"] == [second]
    assert_envelope(client.post(f"{API}/rounds/{rnd['id']}/checkins", json={"checkpoint_id": second}, headers=gh),
                    409)


def test_a_guard_of_community_a_cannot_patrol_community_b(client, db, place, make, guard_of, api_headers):
    community_a, community_b = place
    route_b = _route(client, make.account("manager", community_b), community_b, api_headers)
    gh = api_headers(guard_of(community_a))
    assert_envelope(client.post(f"{API}/rounds", json={"route_id": route_b["id"]}, headers=gh), 403)
    assert db.session.scalar(select(func.count()).select_from(m.PatrolRound)) == 0
    # nor check in on someone else's round, nor at a checkpoint of another route
    rnd = client.post(f"{API}/rounds", json={"route_id": route_b["id"]},
                      headers=api_headers(guard_of(community_b))).get_json()
    assert_envelope(client.post(f"{API}/rounds/{rnd['id']}/checkins",
                                json={"checkpoint_id": route_b["checkpoints"][0]["id"]}, headers=gh), 403)
    other_guard_b = guard_of(community_b)
    assert_envelope(client.post(f"{API}/rounds/{rnd['id']}/checkins",
                                json={"checkpoint_id": route_b["checkpoints"][0]["id"]},
                                headers=api_headers(other_guard_b)), 403)


def test_bad_patrol_inputs(client, place, manager, guard_of, api_headers):
    mh = api_headers(manager)
    assert_envelope(client.post(f"{API}/routes", json={"community_id": place[0].id, "name": "x", "checkpoints": []},
                                headers=mh), 422)
    assert_envelope(client.post(f"{API}/routes", json={"community_id": 99999, "name": "x", "checkpoints": ["a"]},
                                headers=mh), 422)
    guard = guard_of(place[0])
    assert_envelope(client.post(f"{API}/routes", json={"community_id": place[0].id, "name": "x",
                                                       "checkpoints": ["a"]}, headers=api_headers(guard)), 403)
    route = _route(client, manager, place[0], api_headers)
    gh = api_headers(guard)
    rid = client.post(f"{API}/rounds", json={"route_id": route["id"]}, headers=gh).get_json()["id"]
    assert_envelope(client.post(f"{API}/rounds/{rid}/checkins", json={"checkpoint_id": 99999}, headers=gh), 422)
    assert_envelope(client.post(f"{API}/rounds/99999/checkins", json={"checkpoint_id": 1}, headers=gh), 404)
    assert_envelope(client.post(f"{API}/rounds", json={"route_id": 99999}, headers=gh), 404)
    assert_envelope(client.post(f"{API}/rounds", json={"route_id": route["id"]}, headers=mh), 403)


def test_incident_without_a_ticket_service_keeps_the_incident(client, place, guard_of, api_headers, monkeypatch):
    monkeypatch.delattr(core, "create_ticket", raising=False)
    gh = api_headers(guard_of(place[0]))
    body = client.post(f"{API}/incidents", json={"community_id": place[0].id, "description": "东门护栏损坏"},
                       headers=gh).get_json()
    assert body["id"] and body["ticket_id"] is None
    assert_envelope(client.post(f"{API}/incidents", json={"community_id": place[0].id, "description": ""},
                                headers=gh), 422)
    assert_envelope(client.post(f"{API}/incidents", json={"community_id": place[1].id, "description": "x"},
                                headers=gh), 403)


def test_incident_opens_a_ticket_when_core_offers_create_ticket(client, place, guard_of, api_headers, monkeypatch):
    calls = []

    def fake_create_ticket(actor, **kw):
        calls.append(kw)
        return SimpleNamespace(id=4242)

    monkeypatch.setattr(core, "create_ticket", fake_create_ticket, raising=False)
    gh = api_headers(guard_of(place[0]))
    body = client.post(f"{API}/incidents", json={"community_id": place[0].id, "description": "电梯困人"},
                       headers=gh).get_json()
    assert body["ticket_id"] == 4242
    assert calls[0]["category"] == services.GUARD_TICKET_CATEGORY


def test_owners_ratings_come_from_rated_guard_service_tickets(db, place):
    community = place[0]
    ticket = SimpleNamespace(id=7, category="security_guard.service", area_id=community.area_id,
                             community_id=community.id)
    core.hook().ticket_rated(ticket=ticket, rating=SimpleNamespace(score=5))
    core.hook().ticket_rated(ticket=ticket, rating=SimpleNamespace(score=5))  # once per ticket
    other = SimpleNamespace(id=8, category="repair", area_id=community.area_id, community_id=community.id)
    core.hook().ticket_rated(ticket=other, rating=SimpleNamespace(score=1))
    assert [r.score for r in db.session.scalars(select(m.Rating))] == [5]


def test_gate_log_in_and_out(client, place, manager, guard_of, api_headers):
    gh = api_headers(guard_of(place[0]))
    v = client.post(f"{API}/visits", json={"community_id": place[0].id, "plate": "沪A 12345"}, headers=gh).get_json()
    assert v["plate"] == "沪A12345" and v["in_at"]
    assert client.post(f"{API}/visits/{v['id']}/out", headers=gh).get_json()["out_at"]
    assert_envelope(client.post(f"{API}/visits/{v['id']}/out", headers=gh), 409)
    assert_envelope(client.post(f"{API}/visits", json={"community_id": place[0].id}, headers=gh), 422)
    assert_envelope(client.post(f"{API}/visits", json={"community_id": place[1].id, "visitor_name": "张三"},
                                headers=gh), 403)


def test_owner_preregisters_a_visitor_in_the_portal(client, db, make, login_as):
    unit = make.unit()
    owner = login_as("owner", unit)
    page = client.get("/security_guard/visitors")
    assert page.status_code == 200
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    resp = client.post("/security_guard/visitors", data={"unit_id": unit.id, "visitor_name": "赵六",
                                                         "expected_on": tomorrow})
    assert resp.status_code == 302
    visit = db.session.scalar(select(m.GateVisit))
    assert visit.unit_id == unit.id and visit.preregistered_by_id == owner.person_id
    other_unit = make.unit()
    resp = client.post("/security_guard/visitors", data={"unit_id": other_unit.id, "visitor_name": "x",
                                                         "expected_on": tomorrow})
    assert resp.status_code == 422
    resp = client.post("/security_guard/visitors", data={"unit_id": unit.id, "visitor_name": "x",
                                                         "expected_on": "2020-01-01"})
    assert resp.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(m.GateVisit)) == 1


def test_a_back_office_account_without_a_home_cannot_preregister(client, place, login_as):
    login_as("guard", place[0])
    assert client.get("/security_guard/visitors").status_code == 403


def test_owners_rate_the_guard_service_once_a_month(client, db, make, place, manager, api_headers):
    community = place[0]
    owner = make.account(person=make.owner(make.unit(building=make.building(community=community))))
    oh = api_headers(owner)
    resp = client.post(f"{API}/ratings", json={"community_id": community.id, "score": 5}, headers=oh)
    assert resp.status_code == 201 and resp.get_json()["period"] == dt.date.today().strftime("%Y-%m")
    assert_envelope(client.post(f"{API}/ratings", json={"community_id": community.id, "score": 4}, headers=oh),
                    409, "already_rated")
    assert_envelope(client.post(f"{API}/ratings", json={"community_id": community.id, "score": 6}, headers=oh), 422)
    assert_envelope(client.post(f"{API}/ratings", json={"community_id": place[1].id, "score": 3}, headers=oh), 403)
    assert_envelope(client.post(f"{API}/ratings", json={"community_id": community.id, "score": 3},
                                headers=api_headers(manager)), 403)
    assert services.dashboard({community.id})[community.id]["ratings"] == 1


def test_the_portal_home_links_to_visitors(client, make, login_as):
    login_as("owner", make.unit())
    assert "/security_guard/visitors" in client.get("/portal/").get_data(as_text=True)
