"""Candidates through the API: entry, eligibility reasons, pipeline, acceptance, refusals."""

from sqlalchemy import func, select

from core import Account, Person
from core.testing import assert_envelope
from plugins.security_guard import models as m

from .conftest import API, candidate_payload


def test_manager_enters_an_eligible_candidate(client, db, place, manager, api_headers):
    resp = client.post(f"{API}/candidates", json=candidate_payload(place[0]), headers=api_headers(manager))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "applied" and body["eligible"] is True
    assert {c["code"] for c in body["eligibility"]} >= {"age", "education", "health", "guard_exam"}
    person = db.session.get(Person, body["person_id"])
    assert person.name == "王建国"


def test_under_18_is_entered_but_fails_the_age_criterion_with_a_reason(client, place, manager, api_headers):
    import datetime as dt

    born = dt.date.today().replace(year=dt.date.today().year - 17)
    resp = client.post(f"{API}/candidates", json=candidate_payload(place[0], birth_date=born.isoformat()),
                       headers=api_headers(manager))
    body = resp.get_json()
    age = next(c for c in body["eligibility"] if c["code"] == "age")
    assert body["eligible"] is False and age["passed"] is False and "18" in age["reason"]


def test_missing_guard_exam_fails_screening_with_the_reason(client, db, place, manager, api_headers):
    headers = api_headers(manager)
    resp = client.post(f"{API}/candidates", json=candidate_payload(place[0], exam_score=None), headers=headers)
    cid = resp.get_json()["id"]
    err = assert_envelope(client.post(f"{API}/candidates/{cid}/moves", json={"to": "screened"}, headers=headers),
                          422, "invalid")
    assert "guard_exam" in err["fields"]
    assert db.session.get(m.GuardCandidate, cid).status == "applied"


def test_a_criminal_record_field_is_refused_and_nothing_is_written(client, db, place, manager, api_headers):
    for field in ("criminal_record", "fingerprints"):
        resp = client.post(f"{API}/candidates", json=candidate_payload(place[0], **{field: "x"}),
                           headers={**api_headers(manager), "Accept-Language": "en"})
        err = assert_envelope(resp, 422, "invalid")
        assert "the police vet them" in err["fields"][field][0]
    assert db.session.scalar(select(func.count()).select_from(m.GuardCandidate)) == 0
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_bad_inputs_are_422(client, place, manager, api_headers):
    headers = api_headers(manager)
    for bad in ({"education": "phd"}, {"exam_score": 101}, {"birth_date": "not-a-date"},
                {"vetting_outcome": "maybe"}, {"community_id": 99999}):
        assert_envelope(client.post(f"{API}/candidates", json=candidate_payload(place[0], **bad), headers=headers), 422)
    payload = candidate_payload(place[0])
    del payload["name"]
    assert_envelope(client.post(f"{API}/candidates", json=payload, headers=headers), 422)


def test_refused_roles(client, make, place, api_headers):
    community, other = place
    for account in (make.account("guard", community), make.account("staff", community),
                    make.account("manager", other), make.account("auditor", community)):
        resp = client.post(f"{API}/candidates", json=candidate_payload(community), headers=api_headers(account))
        assert_envelope(resp, 403, "forbidden")
    assert_envelope(client.post(f"{API}/candidates", json=candidate_payload(community)), 401)


def test_full_pipeline_to_a_guard_account(client, db, make, place, manager, api_headers):
    headers = api_headers(manager)
    cid = client.post(f"{API}/candidates", json=candidate_payload(place[0]), headers=headers).get_json()["id"]
    # interviewing before screening is a state conflict naming the allowed moves
    err = assert_envelope(client.post(f"{API}/candidates/{cid}/moves", json={"to": "interviewed"}, headers=headers),
                          409, "conflict")
    assert client.post(f"{API}/candidates/{cid}/moves", json={"to": "screened"}, headers=headers).status_code == 200
    assert err  # (409 above)
    # moving to interviewed needs a score
    assert_envelope(client.post(f"{API}/candidates/{cid}/moves", json={"to": "interviewed"}, headers=headers), 422)
    staff = make.account("staff", place[0])
    resp = client.post(f"{API}/candidates/{cid}/interviews", json={"score": 82, "comment": "稳重"},
                       headers=api_headers(staff))
    assert resp.status_code == 201
    assert_envelope(client.post(f"{API}/candidates/{cid}/interviews", json={"score": 120}, headers=headers), 422)
    assert client.post(f"{API}/candidates/{cid}/moves", json={"to": "interviewed"}, headers=headers).status_code == 200
    # accepting needs a reason
    assert_envelope(client.post(f"{API}/candidates/{cid}/moves", json={"to": "accepted"}, headers=headers), 422)
    resp = client.post(f"{API}/candidates/{cid}/moves",
                       json={"to": "accepted", "reason": "面试优秀", "username": "wangjg"}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["username"] == "wangjg" and body["password"]
    account = db.session.scalar(select(Account).where(Account.username == "wangjg"))
    assert "guard" in account.roles
    guard = db.session.scalar(select(m.Guard).where(m.Guard.account_id == account.id))
    assert guard.community_id == place[0].id and guard.level == 5
    # finished: no further move
    err = assert_envelope(client.post(f"{API}/candidates/{cid}/moves", json={"to": "rejected", "reason": "x"},
                                      headers=headers), 409)
    assert err["message"]


def test_rejection_with_reason(client, place, manager, api_headers):
    headers = api_headers(manager)
    cid = client.post(f"{API}/candidates", json=candidate_payload(place[0], exam_score=40),
                      headers=headers).get_json()["id"]
    resp = client.post(f"{API}/candidates/{cid}/moves", json={"to": "rejected", "reason": "考试未通过"},
                       headers=headers)
    assert resp.status_code == 200
    assert resp.get_json()["candidate"]["decision_reason"] == "考试未通过"


def test_list_is_scoped_to_visible_communities(client, make, place, manager, api_headers):
    community, other = place
    client.post(f"{API}/candidates", json=candidate_payload(community), headers=api_headers(manager))
    other_manager = make.account("manager", other)
    client.post(f"{API}/candidates", json=candidate_payload(other, name="李四"), headers=api_headers(other_manager))
    items = client.get(f"{API}/candidates", headers=api_headers(manager)).get_json()["items"]
    assert [i["name"] for i in items] == ["王建国"]
    cid = client.get(f"{API}/candidates", headers=api_headers(other_manager)).get_json()["items"][0]["id"]
    assert_envelope(client.get(f"{API}/candidates/{cid}", headers=api_headers(manager)), 403)
    assert_envelope(client.get(f"{API}/candidates/99999", headers=api_headers(manager)), 404)
    assert_envelope(client.get(f"{API}/candidates?status=bogus", headers=api_headers(manager)), 422)
