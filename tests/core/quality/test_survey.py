"""The annual satisfaction survey: one response per unit, results by building against the target."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.quality import services
from core.quality.models import SurveyResponse
from core.testing import assert_envelope


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=10_000))
def test_percent_is_bounded_and_exact(part, whole):
    part = min(part, whole)
    p = services.percent(part, whole)
    assert Decimal(0) <= p <= Decimal(100)
    assert abs(p - Decimal(part) * 100 / Decimal(whole)) <= Decimal("0.05")


def test_percent_edges():
    assert services.percent(0, 0) is None
    assert services.percent(4, 5) == Decimal("80.0")
    assert services.percent(2, 3) == Decimal("66.7")
    with pytest.raises(ValueError):
        services.percent(6, 5)


def test_meets_target_includes_the_bound():
    assert services.meets_target(Decimal("80.0"), Decimal(80)) is True
    assert services.meets_target(Decimal("79.9"), Decimal(80)) is False
    assert services.meets_target(None, Decimal(80)) is None


@pytest.fixture
def survey_setup(make, db):
    community = make.community()
    b1, b2 = make.building(community, name="1栋"), make.building(community, name="2栋")
    units = [make.unit(b1), make.unit(b1), make.unit(b2), make.unit(b2)]
    owners = [make.owner(u) for u in units]
    manager = make.account("manager", community)
    survey = services.create_survey(manager, community, year=2026, title="2026年度业主满意度调查",
                                    questions=[{"text": "总体服务", "kind": "rating"},
                                               {"text": "保洁", "kind": "rating"},
                                               {"text": "建议", "kind": "text"}])
    services.set_survey_status(manager, survey, "open")
    return {"community": community, "buildings": (b1, b2), "units": units, "owners": owners, "manager": manager,
            "survey": survey, "q": [q.id for q in survey.questions]}


def test_results_by_building_by_hand(survey_setup, make):
    s = survey_setup
    q1, q2, q3 = s["q"]
    ratings = [(5, 4), (3, 2), (4, 4), (5, 1)]  # building 1: units 0,1; building 2: units 2,3
    for owner, unit, (r1, r2) in zip(s["owners"], s["units"], ratings, strict=True):
        services.submit_response(owner, s["survey"], unit.id, {str(q1): r1, str(q2): r2, str(q3): "好"})
    res = services.survey_results(s["manager"], s["survey"])
    # by hand: building 1 → 5,4,3,2 → 2 of 4 satisfied = 50.0%; building 2 → 4,4,5,1 → 3 of 4 = 75.0%
    b1, b2 = res["buildings"]
    assert (b1["building"], b1["responses"], b1["rated"], b1["satisfied"], b1["satisfied_percent"]) == \
        ("1栋", 2, 4, 2, Decimal("50.0"))
    assert (b2["satisfied"], b2["satisfied_percent"], b2["average"]) == (3, Decimal("75.0"), Decimal("3.50"))
    assert res["satisfied_percent"] == Decimal("62.5") and res["target_percent"] == Decimal(80)
    assert res["meets_target"] is False and b1["meets_target"] is False
    assert res["responses"] == 4 and res["units"] == 4 and res["response_percent"] == Decimal("100.0")
    q_rows = {q["question_id"]: q for q in res["questions"]}
    assert q_rows[q1]["satisfied"] == 3 and q_rows[q2]["satisfied"] == 2 and q3 not in q_rows


def test_target_comes_from_the_setting(survey_setup):
    from core.settings.services import set_value

    s = survey_setup
    set_value(s["manager"], "quality.survey_target_percent", "60", "community", s["community"].id)
    services.submit_response(s["owners"][0], s["survey"], s["units"][0].id, {str(s["q"][0]): 4, str(s["q"][1]): 3})
    res = services.survey_results(s["manager"], s["survey"])
    assert res["target_percent"] == Decimal(60) and res["satisfied_percent"] == Decimal("50.0")
    assert res["meets_target"] is False


def test_empty_survey_has_no_rate(survey_setup):
    res = services.survey_results(survey_setup["manager"], survey_setup["survey"])
    assert res["satisfied_percent"] is None and res["meets_target"] is None and res["buildings"] == []


def test_one_response_per_unit(survey_setup, make, db):
    s = survey_setup
    answers = {str(s["q"][0]): 5, str(s["q"][1]): 5}
    services.submit_response(s["owners"][0], s["survey"], s["units"][0].id, answers)
    co_owner = make.owner(s["units"][0])  # another owner of the same unit
    with pytest.raises(Conflict) as exc:
        services.submit_response(co_owner, s["survey"], s["units"][0].id, answers)
    assert exc.value.code == "already_answered"
    assert db.session.query(SurveyResponse).count() == 1


@pytest.mark.parametrize("answers", [{}, {"0": 5}, {"Q1": 6}, {"Q1": 0}, {"Q1": "五"}, {"Q1": 4.5}, {"Q1": True}])
def test_bad_answers_are_invalid(survey_setup, answers, db):
    s = survey_setup
    answers = {k.replace("Q1", str(s["q"][0])): v for k, v in answers.items()}
    answers.setdefault(str(s["q"][1]), 4)
    with pytest.raises(Invalid):
        services.submit_response(s["owners"][0], s["survey"], s["units"][0].id, answers)
    assert db.session.query(SurveyResponse).count() == 0


def test_closed_or_draft_survey_refuses(survey_setup):
    s = survey_setup
    services.set_survey_status(s["manager"], s["survey"], "closed")
    with pytest.raises(Conflict):
        services.submit_response(s["owners"][0], s["survey"], s["units"][0].id, {str(s["q"][0]): 5})
    with pytest.raises(Conflict) as exc:
        services.set_survey_status(s["manager"], s["survey"], "open")
    assert exc.value.extra == {"allowed": []}


def test_survey_needs_a_rating_question(make):
    community = make.community()
    manager = make.account("manager", community)
    with pytest.raises(Invalid):
        services.create_survey(manager, community, year=2026, title="t", questions=[{"text": "意见", "kind": "text"}])


def test_other_community_unit_cannot_answer(survey_setup, make):
    unit = make.unit()
    with pytest.raises(NotFound):
        services.submit_response(make.owner(unit), survey_setup["survey"], unit.id, {})


def test_results_need_permission(survey_setup, make):
    with pytest.raises(Forbidden):
        services.survey_results(make.account("guard", survey_setup["community"]), survey_setup["survey"])


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


def test_api_second_response_is_409(survey_setup, client, api_headers, make, db):
    s = survey_setup
    acc = make.account(person=s["owners"][0])
    url = f"/api/v1/quality/surveys/{s['survey'].id}/responses"
    body = {"unit_id": s["units"][0].id, "answers": {str(s["q"][0]): 5, str(s["q"][1]): 4}}
    assert client.post(url, headers=api_headers(acc), json=body).status_code == 201
    assert_envelope(client.post(url, headers=api_headers(acc), json=body), 409, "already_answered")
    assert_envelope(client.post(url, headers=api_headers(acc), json={"unit_id": s["units"][1].id,
                                                                      "answers": body["answers"]}), 422)
    assert_envelope(client.post(url, headers=api_headers(acc), json={"unit_id": s["units"][0].id}), 422)
    assert db.session.query(SurveyResponse).count() == 1


def test_api_survey_create_results_and_roles(survey_setup, client, api_headers, make):
    s = survey_setup
    body = {"community_id": s["community"].id, "year": 2027, "title": "2027",
            "questions": [{"text": "总体", "kind": "rating"}]}
    resp = client.post("/api/v1/quality/surveys", headers=api_headers(s["manager"]), json=body)
    assert resp.status_code == 201 and resp.json["status"] == "draft"
    for role in ("staff", "committee_member", "rc_staff"):
        acc = make.account(role, s["community"])
        assert_envelope(client.post("/api/v1/quality/surveys", headers=api_headers(acc), json=body), 403)
    assert_envelope(client.post("/api/v1/quality/surveys", headers=api_headers(s["manager"]),
                                json={**body, "questions": [{"text": "x", "kind": "essay"}]}), 422)
    other = make.account("manager", make.community())
    assert_envelope(client.post("/api/v1/quality/surveys", headers=api_headers(other), json=body), 403)
    committee = make.account("committee_member", s["community"])
    resp = client.get(f"/api/v1/quality/surveys/{s['survey'].id}/results", headers=api_headers(committee))
    assert resp.status_code == 200 and resp.json["target_percent"] == "80"
    assert_envelope(client.get(f"/api/v1/quality/surveys/{s['survey'].id}/results", headers=api_headers(other)),
                    403)
    resp = client.post(f"/api/v1/quality/surveys/{s['survey'].id}/status", headers=api_headers(s["manager"]),
                       json={"status": "draft"})
    assert_envelope(resp, 409, "invalid_transition")
    owner_acc = make.account(person=s["owners"][0])
    listed = client.get("/api/v1/quality/surveys", headers=api_headers(owner_acc)).json
    assert [x["id"] for x in listed["items"]] == [s["survey"].id]


def test_pages(survey_setup, client, login_as, make):
    s = survey_setup
    login_as(s["manager"])
    cid = s["community"].id
    resp = client.post(f"/quality/communities/{cid}/surveys", data={
        "year": 2027, "title": "新调查", "rating_questions": "总体\n保安", "text_questions": "建议"})
    assert resp.status_code == 302
    assert client.get(resp.headers["Location"]).status_code == 200
    assert client.get(f"/quality/surveys/{s['survey'].id}").status_code == 200
    owner = make.account(person=s["owners"][0])
    login_as(owner)
    assert client.get("/quality/portal").status_code == 200
    page = client.get(f"/quality/portal/surveys/{s['survey'].id}")
    assert page.status_code == 200
    bad = client.post(f"/quality/portal/surveys/{s['survey'].id}", data={"unit_id": s["units"][0].id})
    assert bad.status_code == 422
    ok = client.post(f"/quality/portal/surveys/{s['survey'].id}", data={
        "unit_id": s["units"][0].id, f"q{s['q'][0]}": "5", f"q{s['q'][1]}": "4"})
    assert ok.status_code == 302
    assert client.get(f"/quality/surveys/{s['survey'].id}").status_code == 403  # owners have no results page


def test_the_grade_profile_target_wins_over_the_setting(survey_setup, db):
    from core.settings.services import set_value
    from core.tickets.services import profile_for

    s = survey_setup
    set_value(s["manager"], "quality.survey_target_percent", "60", "community", s["community"].id)
    profile_for(s["community"]).satisfaction_target_pct = 90
    db.session.flush()
    for owner, unit, score in ((s["owners"][0], s["units"][0], 5), (s["owners"][1], s["units"][1], 2)):
        services.submit_response(owner, s["survey"], unit.id, {str(s["q"][0]): score, str(s["q"][1]): score})
    res = services.survey_results(s["manager"], s["survey"])
    # 2 of 4 answers satisfied = 50%: short of the profile's 90 whatever the setting says
    assert res["target_percent"] == Decimal(90) and res["satisfied_percent"] == Decimal("50.0")
    assert res["meets_target"] is False


def test_portal_home_asks_for_the_open_survey_until_answered(survey_setup, make, client, login_as):
    s = survey_setup
    owner = s["owners"][0]
    login_as(make.account(person=owner))

    def card():
        html = client.get("/portal/?lang=en").get_data(as_text=True)
        return next(c for c in html.split('<section class="card portal-section')[1:] if "/quality/portal" in c)

    assert card().startswith(" attention") and "A satisfaction survey is waiting for your answer" in card()
    services.submit_response(owner, s["survey"], s["units"][0].id, {str(s["q"][0]): 4, str(s["q"][1]): 4})
    assert not card().startswith(" attention") and "waiting for your answer" not in card()
