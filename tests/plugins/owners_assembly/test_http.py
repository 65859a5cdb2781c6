import datetime as dt

from sqlalchemy import func, select

from core.testing import assert_envelope
from plugins.owners_assembly import services as svc
from plugins.owners_assembly.models import AgendaItem, Ballot, Meeting
from tests.plugins.owners_assembly.conftest import entry_of


def owner_account(make, person):
    return make.account(person=person)


def test_owner_votes_online_through_the_api_and_may_change_until_close(estate, open_meeting, make, client,
                                                                      api_headers, db):
    m, item = open_meeting.meeting, open_meeting.ordinary
    headers = api_headers(owner_account(make, estate.a))
    entry = entry_of(m, estate.a)
    body = {"item_id": item.id, "roll_entry_id": entry.id, "choice": "agree"}
    resp = client.post(f"/api/v1/owners-assembly/meetings/{m.id}/ballots", json=body, headers=headers)
    assert resp.status_code == 201 and resp.json["choice"] == "agree"
    resp = client.post(f"/api/v1/owners-assembly/meetings/{m.id}/ballots", json={**body, "choice": "abstain"},
                       headers=headers)
    assert resp.status_code == 201 and resp.json["changes"] == 1
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_ballot_bad_input(estate, open_meeting, make, client, api_headers, db):
    m, item = open_meeting.meeting, open_meeting.ordinary
    url = f"/api/v1/owners-assembly/meetings/{m.id}/ballots"
    a_headers = api_headers(owner_account(make, estate.a))
    entry_a, entry_b = entry_of(m, estate.a), entry_of(m, estate.b)
    # someone not on the roll (an owner of another community cannot even see the meeting)
    outsider = make.account(person=make.owner())
    assert_envelope(client.post(url, json={"item_id": item.id, "roll_entry_id": entry_a.id, "choice": "agree"},
                                headers=api_headers(outsider)), 404)
    # voting for another owner's entry without a written proxy
    assert_envelope(client.post(url, json={"item_id": item.id, "roll_entry_id": entry_b.id, "choice": "agree"},
                                headers=a_headers), 403, "no_authorisation")
    # wrong types, missing fields, unknown choice, unknown ids, malformed JSON
    assert_envelope(client.post(url, json={"item_id": "x", "roll_entry_id": entry_a.id, "choice": "agree"},
                                headers=a_headers), 422)
    assert_envelope(client.post(url, json={"item_id": item.id}, headers=a_headers), 422)
    assert_envelope(client.post(url, json={"item_id": item.id, "roll_entry_id": entry_a.id, "choice": "yes"},
                                headers=a_headers), 422)
    assert_envelope(client.post(url, json={"item_id": 9999, "roll_entry_id": entry_a.id, "choice": "agree"},
                                headers=a_headers), 404)
    assert_envelope(client.post(url, data="{", content_type="application/json", headers=a_headers), 400,
                    "invalid_json")
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_ballot_after_close_is_refused(estate, open_meeting, make, client, api_headers, db):
    m, item = open_meeting.meeting, open_meeting.ordinary
    svc.close_meeting(estate.committee, m, now=m.closes_at)
    resp = client.post(f"/api/v1/owners-assembly/meetings/{m.id}/ballots", headers=api_headers(
        owner_account(make, estate.a)), json={"item_id": item.id, "roll_entry_id": entry_of(m, estate.a).id,
                                              "choice": "agree"})
    assert_envelope(resp, 409, "voting_closed")


def test_meeting_and_items_through_the_api(estate, make, client, api_headers, db):
    headers = api_headers(estate.committee)
    now = dt.datetime.now(dt.UTC)
    body = {"community_id": estate.community.id, "title": "API 会议", "cutoff_date": now.date().isoformat(),
            "opens_at": (now + dt.timedelta(days=20)).isoformat(), "closes_at": (now + dt.timedelta(days=25)).isoformat()}
    resp = client.post("/api/v1/owners-assembly/meetings", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    mid = resp.json["id"]
    items = f"/api/v1/owners-assembly/meetings/{mid}/items"
    assert_envelope(client.post(items, json={"title": "无类别"}, headers=headers), 422)
    assert_envelope(client.post(items, json={"title": "x" * 201, "decision_class": "ordinary"}, headers=headers), 422)
    assert client.post(items, json={"title": "事项", "decision_class": "special"}, headers=headers).status_code == 201
    assert db.session.scalar(select(func.count()).select_from(AgendaItem)) == 1
    # impossible dates: closing before opening
    bad = {**body, "closes_at": (now + dt.timedelta(days=19)).isoformat()}
    assert_envelope(client.post("/api/v1/owners-assembly/meetings", json=bad, headers=headers), 422)
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_roles_that_must_be_refused(estate, open_meeting, make, client, api_headers, db):
    m = open_meeting.meeting
    body = {"community_id": estate.community.id, "title": "x", "cutoff_date": "2026-01-01",
            "opens_at": "2027-01-01T00:00:00+00:00", "closes_at": "2027-01-02T00:00:00+00:00"}
    owner = owner_account(make, estate.a)
    assert_envelope(client.post("/api/v1/owners-assembly/meetings", json=body, headers=api_headers(owner)), 403)
    assert_envelope(client.post("/api/v1/owners-assembly/meetings", json=body, headers=api_headers(estate.clerk)),
                    403)
    other = make.account("manager", make.community(), username="other_mgr")
    assert_envelope(client.get(f"/api/v1/owners-assembly/meetings/{m.id}", headers=api_headers(other)), 404)
    assert client.get(f"/api/v1/owners-assembly/meetings/{m.id}", headers=api_headers(owner)).status_code == 200
    roll = client.get(f"/api/v1/owners-assembly/meetings/{m.id}/roll", headers=api_headers(owner)).json
    assert roll["total"] == 5 and set(roll["items"][0]) == {"id", "name", "units", "area", "heads"}


def test_staff_of_another_community_cannot_enter_paper_ballots(estate, open_meeting, make, client, login_as, db):
    m, item = open_meeting.meeting, open_meeting.ordinary
    login_as("staff", make.community())
    resp = client.post(f"/owners-assembly/meetings/{m.id}/paper-ballots",
                       data={"roll_entry_id": entry_of(m, estate.d).id, "item_id": item.id, "choice": "agree",
                             "ballot_number": "P-9"}, headers={"Accept": "application/json"})
    assert_envelope(resp, 403)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_paper_ballot_pages_with_second_person(estate, open_meeting, make, client, login_as, db):
    m, item = open_meeting.meeting, open_meeting.ordinary
    login_as(estate.clerk)
    data = {"roll_entry_id": entry_of(m, estate.d).id, "item_id": item.id, "choice": "agree", "ballot_number": "P-1"}
    assert client.post(f"/owners-assembly/meetings/{m.id}/paper-ballots", data=data).status_code == 302
    ballot = db.session.scalar(select(Ballot))
    resp = client.post(f"/owners-assembly/meetings/{m.id}/ballots/{ballot.id}/confirm")
    assert resp.status_code == 403  # the same person
    login_as(estate.clerk2)
    assert client.post(f"/owners-assembly/meetings/{m.id}/ballots/{ballot.id}/confirm").status_code == 302
    db.session.refresh(ballot)
    assert ballot.confirmed_by_id == estate.clerk2.id
    # a second paper ballot for the same entry
    resp = client.post(f"/owners-assembly/meetings/{m.id}/paper-ballots", data={**data, "ballot_number": "P-2"})
    assert resp.status_code == 409


def test_meeting_pages_render_and_notice_too_short_is_a_form_error(estate, make, client, login_as, db):
    login_as(estate.committee)
    now = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)
    resp = client.post(f"/owners-assembly/communities/{estate.community.id}/meetings/new", data={
        "title": "页面会议", "kind": "regular", "form": "online", "cutoff_date": now.date().isoformat(),
        "opens_at": (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")})
    assert resp.status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert client.post(f"/owners-assembly/meetings/{meeting.id}/items",
                       data={"title": "事项", "decision_class": "ordinary", "kind": "resolution"}).status_code == 302
    resp = client.post(f"/owners-assembly/meetings/{meeting.id}/publish")
    assert resp.status_code == 422 and "15" in resp.get_data(as_text=True)
    db.session.refresh(meeting)
    assert meeting.status == "draft"
    assert client.get("/owners-assembly/").status_code == 200
    assert client.get(f"/owners-assembly/meetings/{meeting.id}").status_code == 200


def test_portal_vote_and_result_pages(estate, open_meeting, make, client, login_as, db):
    m = open_meeting.meeting
    login_as(owner_account(make, estate.b))
    page = client.get(f"/portal/assembly/meetings/{m.id}")
    assert page.status_code == 200 and "续聘物业" in page.get_data(as_text=True)
    entry = entry_of(m, estate.b)
    resp = client.post(f"/portal/assembly/meetings/{m.id}", data={
        "roll_entry_id": entry.id, f"item-{open_meeting.ordinary.id}": "agree",
        f"item-{open_meeting.special.id}": "disagree"})
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 2
    resp = client.post(f"/portal/assembly/meetings/{m.id}", data={"roll_entry_id": entry_of(m, estate.a).id,
                                                                  f"item-{open_meeting.ordinary.id}": "agree"})
    assert resp.status_code == 403
    assert client.get("/portal/assembly/").status_code == 200


def test_core_runs_with_the_plugin_disabled_after_use(estate, open_meeting, make_app, make, db):
    svc.cast_ballot(estate.a, open_meeting.meeting, open_meeting.ordinary,
                    entry_of(open_meeting.meeting, estate.a), "agree")
    db.session.commit()
    app = make_app({"DISABLED_PLUGINS": ["owners_assembly"]})
    assert "owners_assembly" not in {i.name for i in app.extensions["jiayuan.plugins"]}
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/portal/assembly/").status_code == 404  # its pages are gone, its data stays
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1
    assert "/api/v1/owners-assembly/meetings" not in client.get("/api/v1/openapi.json").get_json()["paths"]


def _portal_card(html, endpoint_path):
    """The portal home card that links to ``endpoint_path``."""
    return next(card for card in html.split('<section class="card portal-section')[1:] if endpoint_path in card)


def test_portal_home_flags_a_meeting_waiting_for_the_owners_vote(estate, open_meeting, make, client, login_as, db):
    m = open_meeting.meeting
    assert svc.portal_summary(estate.b) == {"to_vote": 1, "upcoming": 0}
    assert svc.portal_summary(estate.b, now=m.opens_at - dt.timedelta(hours=1)) == {"to_vote": 0, "upcoming": 1}
    assert svc.portal_summary(estate.b, now=m.closes_at) == {"to_vote": 0, "upcoming": 0}
    login_as(owner_account(make, estate.b))
    card = _portal_card(client.get("/portal/?lang=en").get_data(as_text=True), "/portal/assembly/")
    assert card.startswith(" attention") and "1 meeting(s) wait for your vote" in card
    client.post(f"/portal/assembly/meetings/{m.id}", data={
        "roll_entry_id": entry_of(m, estate.b).id, f"item-{open_meeting.ordinary.id}": "agree"})
    assert svc.portal_summary(estate.b) == {"to_vote": 0, "upcoming": 0}
    card = _portal_card(client.get("/portal/?lang=en").get_data(as_text=True), "/portal/assembly/")
    assert not card.startswith(" attention") and "wait for your vote" not in card
    assert svc.portal_summary(estate.c)["to_vote"] == 1  # a neighbour who has not voted still sees it


def test_dashboard_card_shows_turnout_so_far_against_the_quorum(estate, open_meeting, make, client, login_as, db):
    m = open_meeting.meeting
    # by hand: the roll is A (180 m², 1 head), B 90, C 70, D 60 and the developer (170, 1): 570 m², 5 heads
    assert (m.total_area, m.total_heads) == (57000, 5)
    for person in (estate.a, estate.b):
        svc.cast_ballot(person, m, open_meeting.ordinary, entry_of(m, person), "agree")
    svc.cast_ballot(estate.a, m, open_meeting.special, entry_of(m, estate.a), "agree")  # A counts once
    [row] = svc.open_meetings_turnout(estate.community.id)
    assert (row["area"], row["heads"], row["quorum"]) == ("47.37%", "40.00%", False)  # 270/570, 2/5
    login_as(estate.committee)
    html = client.get(f"/communities/{estate.community.id}/dashboard?lang=en").get_data(as_text=True)
    assert f'data-meeting="{m.id}"' in html and "47.37% of the area, 40.00% of the owners" in html
    for person in (estate.c, estate.d):
        svc.cast_ballot(person, m, open_meeting.ordinary, entry_of(m, person), "disagree")
    [row] = svc.open_meetings_turnout(estate.community.id)
    assert (row["area"], row["heads"], row["quorum"]) == ("70.18%", "80.00%", True)  # 400/570, 4/5
    login_as(make.account("manager", make.community()))  # another community's manager
    assert client.get(f"/communities/{estate.community.id}/dashboard").status_code == 403


def test_election_without_eligible_candidate_is_refused_in_the_users_language(estate, client, login_as, db):
    now = svc.utcnow()
    meeting = svc.create_meeting(estate.committee, estate.community, title="换届会议", kind="regular", form="online",
                                 cutoff_date=now.date(), opens_at=now + dt.timedelta(days=20),
                                 closes_at=now + dt.timedelta(days=25))
    svc.add_item(estate.committee, meeting, title="选举业主委员会", decision_class="ordinary", kind="election",
                 seats=5)
    db.session.commit()
    login_as(estate.committee)
    url = f"/owners-assembly/meetings/{meeting.id}/publish"
    zh = assert_envelope(client.post(url, headers={"Accept": "application/json", "Accept-Language": "zh-CN"}), 422)
    assert zh["fields"] == {"items": ["选举业主委员会：没有符合条件的候选人。"]}
    en = assert_envelope(client.post(url, headers={"Accept": "application/json", "Accept-Language": "en"}), 422)
    assert en["fields"] == {"items": ["选举业主委员会: no eligible candidate."]}
    db.session.refresh(meeting)
    assert meeting.status == "draft"


def test_ballot_from_an_account_without_an_owner_is_refused_in_chinese(estate, open_meeting, make, client,
                                                                       api_headers):
    m, item = open_meeting.meeting, open_meeting.ordinary
    headers = {**api_headers(estate.committee), "Accept-Language": "zh-CN"}
    body = {"item_id": item.id, "roll_entry_id": entry_of(m, estate.a).id, "choice": "agree"}
    err = assert_envelope(client.post(f"/api/v1/owners-assembly/meetings/{m.id}/ballots", json=body,
                                      headers=headers), 403, "not_an_owner")
    assert err["message"] == "只有业主可以在线表决。"
