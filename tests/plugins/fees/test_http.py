"""Pages and API of the fees plugin: happy paths, bad input, refused roles, other communities."""

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from core.testing import assert_envelope
from plugins.fees import services as svc
from plugins.fees.models import Bill, BillLine, FeeItem, Payment

ITEM = {"code": "PARK", "name": "停车费", "kind": "parking", "rate": "150", "effective_from": "2026-01-01"}


def test_api_item_create_and_bad_input(setup, client, make, api_headers, db):
    c, *_ = setup(n_units=1)
    h = api_headers(make.account("manager", c))
    resp = client.post(f"/api/v1/fees/communities/{c.id}/items", json=ITEM, headers=h)
    assert resp.status_code == 201, resp.get_json()
    for bad, field in (({"rate": "-1"}, "rate"), ({"rate": "1,234.5"}, "rate"), ({"rate": "abc"}, "rate"),
                       ({"code": "PARK2", "kind": "utility", "handling_fee": "1"}, "handling_fee"),
                       ({"code": "G", "pricing_type": "government_guided", "guided_min": "1", "guided_max": "2"},
                        "rate"),
                       ({"code": "PARK"}, "effective_from"),
                       ({"code": "D", "effective_from": "2026-02-30"}, "effective_from")):
        err = assert_envelope(client.post(f"/api/v1/fees/communities/{c.id}/items", json={**ITEM, **bad},
                                          headers=h), 422)
        assert field in err["fields"], (bad, err)
    assert db.session.scalar(select(func.count(FeeItem.id))) == 2  # nothing half-written


def test_api_refuses_roles_and_other_communities(setup, client, make, api_headers):
    c, *_ = setup(n_units=1)
    other = make.community()
    for role in ("staff", "guard", "committee_member", "auditor"):
        h = api_headers(make.account(role, c))
        assert_envelope(client.post(f"/api/v1/fees/communities/{c.id}/items", json=ITEM, headers=h), 403)
    h = api_headers(make.account("manager", other))
    assert_envelope(client.post(f"/api/v1/fees/communities/{c.id}/runs", json={"period": "2026-Q1"}, headers=h), 403)
    assert_envelope(client.get(f"/api/v1/fees/communities/{c.id}/bills", headers=h), 403)
    assert_envelope(client.get(f"/api/v1/fees/communities/{c.id}/bills"), 401)
    assert_envelope(client.get("/api/v1/fees/communities/999999/bills", headers=h), 404)


def test_api_run_bills_and_payments(setup, client, make, api_headers, db):
    c, units, *_ = setup(n_units=2)
    other = make.community()
    other_unit = make.unit(make.building(other))
    h = api_headers(make.account("manager", c))
    assert_envelope(client.post(f"/api/v1/fees/communities/{c.id}/runs", json={"period": "2026-13"}, headers=h), 422)
    run = client.post(f"/api/v1/fees/communities/{c.id}/runs", json={"period": "2026-Q1"}, headers=h).get_json()
    assert run["status"] == "preview" and run["preview"]["total"] == "1815.00"
    for _ in range(2):
        resp = client.post(f"/api/v1/fees/communities/{c.id}/runs/{run['id']}/confirm", headers=h)
        assert resp.status_code == 200 and resp.get_json()["status"] == "confirmed"
    assert db.session.scalar(select(func.count(BillLine.id))) == 2
    page = client.get(f"/api/v1/fees/communities/{c.id}/bills?period=2026-Q1", headers=h).get_json()
    assert page["total"] == 2 and page["items"][0]["lines"][0]["calculation"].endswith("= 903.75")
    pay = {"unit_id": units[0].id, "amount": "100.00", "method": "cash", "idempotency_key": "dup-1"}
    first = client.post(f"/api/v1/fees/communities/{c.id}/payments", json=pay, headers=h)
    second = client.post(f"/api/v1/fees/communities/{c.id}/payments", json=pay, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    for bad in ({"amount": "-5"}, {"amount": "1,234.5"}, {"amount": "abc"}, {"method": "barter"},
                {"unit_id": other_unit.id}, {"unit_id": None}):
        assert_envelope(client.post(f"/api/v1/fees/communities/{c.id}/payments",
                                    json={**pay, "idempotency_key": None, **bad}, headers=h), 422)
    staff = api_headers(make.account("staff", c))
    assert client.post(f"/api/v1/fees/communities/{c.id}/payments", json={**pay, "idempotency_key": "s"},
                       headers=staff).status_code == 201
    assert_envelope(client.post(f"/api/v1/fees/communities/{c.id}/runs", json={"period": "2026-Q2"},
                                headers=staff), 403)
    arrears = client.get(f"/api/v1/fees/communities/{c.id}/arrears", headers=h)
    assert arrears.status_code == 200


def test_payment_on_a_voided_bill_is_refused(setup, client, make, api_headers, db):
    c, units, *_ = setup(n_units=1)
    run = svc.preview_run(None, c, "2026-Q1")
    svc.confirm_run(None, run, c)
    bill = db.session.scalar(select(Bill))
    svc.void_and_reissue(None, bill, c, "wrong area")
    h = api_headers(make.account("manager", c))
    assert_envelope(client.post(f"/api/v1/fees/communities/{c.id}/payments",
                                json={"bill_id": bill.id, "amount": "1", "method": "cash"}, headers=h), 409, "bill_void")


def test_simulated_provider_callback(setup, client, db):
    c, units, *_ = setup(n_units=1)
    run = svc.preview_run(None, c, "2026-01")
    svc.confirm_run(None, run, c)
    bill = db.session.scalar(select(Bill))
    svc.record_payment(None, c, bill=bill, amount=str(bill.total), method="online", reference="SIMX",
                       provider="simulated", pending=True)
    body = {"reference": "SIMX", "amount": str(bill.total)}
    assert client.post("/api/v1/fees/providers/simulated/callback", json=body).get_json()["outcome"] == "ok"
    assert client.post("/api/v1/fees/providers/simulated/callback", json=body).get_json()["outcome"] == "duplicate"
    assert_envelope(client.post("/api/v1/fees/providers/offline/callback", json=body), 404)
    assert_envelope(client.post("/api/v1/fees/providers/simulated/callback", json={**body, "reference": "NO"}), 404)
    assert_envelope(client.post("/api/v1/fees/providers/simulated/callback", json={**body, "amount": "-1"}), 422)


def test_pages_manager_flow(setup, client, login_as, db):
    c, units, *_ = setup(n_units=2, post=False)
    login_as("manager", c)
    assert client.get(f"/fees/c/{c.id}/").status_code == 200
    resp = client.post(f"/fees/c/{c.id}/items/new", data={**ITEM, "pricing_type": "market", "payee": "company"})
    assert resp.status_code == 302
    bad = client.post(f"/fees/c/{c.id}/items/new", data={**ITEM, "code": "P2", "rate": "-3", "pricing_type": "market",
                                                          "payee": "company"})
    assert bad.status_code == 422 and "has-error" in bad.get_data(as_text=True)
    assert client.post(f"/fees/c/{c.id}/notice", data={"effective_from": "2026-01-01"}).status_code == 302
    public = client.get(f"/fees/notice/{c.id}")
    text = public.get_data(as_text=True)
    assert public.status_code == 200 and "12315" in text and "停车费" in text
    assert client.get(f"/fees/notice/{c.id}/print").status_code == 200
    resp = client.post(f"/fees/c/{c.id}/runs", data={"period": "2026-Q1"})
    assert resp.status_code == 302
    run_page = client.get(resp.headers["Location"])
    assert "1815.00" in run_page.get_data(as_text=True)
    confirm = client.post(resp.headers["Location"] + "/confirm")
    assert confirm.status_code == 302
    assert client.get(f"/fees/c/{c.id}/bills?period=2026-Q1").status_code == 200
    bill = db.session.scalar(select(Bill))
    assert "= 903.75" in client.get(f"/fees/c/{c.id}/bills/{bill.id}").get_data(as_text=True)
    pay = client.post(f"/fees/c/{c.id}/payments", data={"unit_id": units[0].id, "amount": "903.75",
                                                        "method": "cash"})
    assert pay.status_code == 302 and "receipt" in pay.headers["Location"]
    assert "SJ" in client.get(pay.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/fees/c/{c.id}/arrears").status_code == 200
    assert client.get(f"/fees/c/{c.id}/disclosure/2026").status_code == 200
    assert client.get(f"/fees/c/{c.id}/disclosure/2026.xlsx").status_code == 200
    assert client.post(f"/fees/c/{c.id}/disclosure/2026/publish").status_code == 302


def test_pages_refuse_roles(setup, client, login_as, make):
    c, *_ = setup(n_units=1)
    login_as("staff", c)
    assert client.get(f"/fees/c/{c.id}/").status_code == 200
    assert client.post(f"/fees/c/{c.id}/runs", data={"period": "2026-Q1"}).status_code == 403
    assert client.get(f"/fees/c/{c.id}/items/new").status_code == 403
    other = make.community()
    assert client.get(f"/fees/c/{other.id}/").status_code == 403
    login_as("committee_member", c)
    assert client.get(f"/fees/c/{c.id}/bills").status_code == 403
    assert client.get(f"/fees/c/{c.id}/disclosure/2026").status_code == 200


def test_portal_owner_sees_pays_and_prints(setup, client, login_as, make, db):
    c, units, owners, _item = setup(n_units=2)
    run = svc.preview_run(None, c, "2026-Q1")
    svc.confirm_run(None, run, c)
    login_as(make.account(person=owners[0]))
    page = client.get("/fees/portal")
    assert page.status_code == 200 and "903.75" in page.get_data(as_text=True)
    mine = db.session.scalar(select(Bill).where(Bill.unit_id == units[0].id))
    theirs = db.session.scalar(select(Bill).where(Bill.unit_id == units[1].id))
    assert "= 903.75" in client.get(f"/fees/portal/bills/{mine.id}").get_data(as_text=True)
    assert client.get(f"/fees/portal/bills/{theirs.id}").status_code == 404
    assert client.post(f"/fees/portal/bills/{theirs.id}/pay").status_code == 404
    paid = client.post(f"/fees/portal/bills/{mine.id}/pay", data={"idempotency_key": "portal-1"})
    assert paid.status_code == 302
    receipt = client.get(paid.headers["Location"])
    assert receipt.status_code == 200 and "903.75" in receipt.get_data(as_text=True)
    assert db.session.get(Bill, mine.id).paid == Decimal("903.75")
    assert client.post(f"/fees/portal/bills/{mine.id}/pay").status_code == 409


def test_charge_unposted_item_and_amounts(setup, db, app):
    from core import hook

    c, units, owners, _item = setup(n_units=1)
    assert hook().charge_requested(payer=owners[0], payee=c, item_code="SVC", amount=Decimal("1"),
                                   source={"module": "t"}).startswith("ZD")
    db.session.flush()
    assert dt.date.today()


def test_core_runs_with_the_plugin_disabled_and_its_data_kept(setup, make_app, make, db):
    c, units, *_ = setup(n_units=1)
    run = svc.preview_run(None, c, "2026-Q1")
    svc.confirm_run(None, run, c)
    manager = make.account("manager", c)
    db.session.commit()
    off = make_app({"DISABLED_PLUGINS": ["fees"]})
    assert "fees" not in {i.name for i in off.extensions["jiayuan.plugins"]}
    client = off.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(manager.id)
    assert client.get("/").status_code == 200
    assert client.get(f"/fees/c/{c.id}/").status_code == 404
    with off.app_context():
        from core import hook

        assert hook().charge_requested(payer=None, payee=c, item_code="SVC", amount=Decimal(1), source={}) is None
    assert db.session.scalar(select(func.count(Bill.id))) == 1


def test_fee_change_pages(setup, client, login_as, db, make):
    from plugins.fees.models import FeeChange

    c, *_ = setup(n_units=1)
    login_as("manager", c)
    later = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    soon = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    assert client.get(f"/fees/c/{c.id}/changes").status_code == 200
    base = {"item_code": "SVC", "new_rate": "2.80", "takes_effect": later, "costing": "人工成本上涨测算"}
    assert client.post(f"/fees/c/{c.id}/changes", data={**base, "takes_effect": soon}).status_code == 422
    assert client.post(f"/fees/c/{c.id}/changes", data={**base, "new_rate": "-1"}).status_code == 422
    assert client.post(f"/fees/c/{c.id}/changes", data={**base, "takes_effect": "2026-02-30"}).status_code == 422
    assert client.post(f"/fees/c/{c.id}/changes", data={**base, "costing": ""}).status_code == 422
    assert client.post(f"/fees/c/{c.id}/changes", data=base).status_code == 302
    change = db.session.scalar(select(FeeChange))
    assert client.post(f"/fees/c/{c.id}/changes/{change.id}/apply").status_code == 409
    assert client.post(f"/fees/c/{c.id}/changes/{change.id}/decision", data={"passed": "maybe",
                                                                            "note": "x"}).status_code == 422
    assert client.post(f"/fees/c/{c.id}/changes/{change.id}/decision",
                       data={"passed": "yes", "note": "业主大会表决通过"}).status_code == 302
    assert client.post(f"/fees/c/{c.id}/changes/{change.id}/apply").status_code == 302
    assert db.session.scalar(select(func.count(FeeItem.id)).where(FeeItem.code == "SVC")) == 2
    login_as("staff", c)
    assert client.post(f"/fees/c/{c.id}/changes", data=base).status_code == 403
    other = make.community()
    login_as("manager", other)
    assert client.post(f"/fees/c/{c.id}/changes/{change.id}/apply").status_code == 403


def test_refund_of_prepayment_credit_page(setup, client, login_as, db, make):
    c, units, *_ = setup(n_units=1)
    run = svc.preview_run(None, c, "2026-01")
    svc.confirm_run(None, run, c)
    svc.record_payment(None, c, unit=units[0], amount="1000", method="cash")
    login_as("staff", c)
    assert client.post(f"/fees/c/{c.id}/refund-credit", data={"unit_id": units[0].id, "reason": "x"}).status_code == 403
    login_as("manager", c)
    other_unit = make.unit(make.building(make.community()))
    assert client.post(f"/fees/c/{c.id}/refund-credit",
                       data={"unit_id": other_unit.id, "reason": "x"}).status_code == 422
    assert client.post(f"/fees/c/{c.id}/refund-credit", data={"unit_id": units[0].id, "reason": ""}).status_code == 422
    assert client.post(f"/fees/c/{c.id}/refund-credit",
                       data={"unit_id": units[0].id, "reason": "moved out"}).status_code == 302
    assert svc.unit_credit(units[0].id) == 0
    assert client.post(f"/fees/c/{c.id}/refund-credit",
                       data={"unit_id": units[0].id, "reason": "again"}).status_code == 409


def test_chinese_back_office_shows_fee_settings_permissions_and_jobs_in_chinese(setup, client, login_as, app):
    from flask_babel import force_locale

    from core.auth.permissions import all_permissions
    from plugins.fees import jobs, permissions, settings_schema

    c, *_ = setup(n_units=1)
    login_as("manager", c)
    page = client.get(f"/settings/?scope_type=community&scope_id={c.id}&lang=zh").get_data(as_text=True)
    for setting in settings_schema():
        with app.test_request_context("/?lang=zh"), force_locale("zh"):
            label, source = str(setting.label), str(setting.source)
        with app.test_request_context("/?lang=en"), force_locale("en"):
            english = str(setting.label)
        assert label != english and label in page and source in page, setting.key
        assert english not in page, setting.key
    declared = all_permissions()
    with app.test_request_context("/?lang=zh"), force_locale("zh"):
        for key, spec in permissions().items():
            assert str(declared[key]["label"]) == str(spec["label"])
            assert not str(spec["label"]).isascii(), key
        assert all(not str(job.description).isascii() for job in jobs())


def test_dashboard_and_portal_cards(setup, client, make, login_as, db):
    c, units, owners, _item = setup(n_units=2)
    run = svc.preview_run(None, c, "2026-01")
    svc.confirm_run(None, run, c)  # due in 2026: overdue today
    login_as(make.account("manager", c))
    html = client.get(f"/communities/{c.id}/dashboard?lang=en").get_data(as_text=True)
    card = html.split('class="fees-widget"', 1)[1].split("</ul>", 1)[0]
    # by hand: 301.25 + 303.75 billed, nothing paid, both units overdue
    assert "<b>605.00</b>" in card and 'data-count="overdue" class="warn"' in card and "2 unit(s)" in card
    login_as(make.account("committee_member", c))  # sees the dashboard, not the bills
    assert "fees-widget" not in client.get(f"/communities/{c.id}/dashboard").get_data(as_text=True)
    login_as(make.account(person=owners[0]))
    portal = client.get("/portal/?lang=en").get_data(as_text=True)
    fees_card = next(x for x in portal.split('<section class="card portal-section')[1:] if "/fees/portal" in x)
    assert fees_card.startswith(" attention") and "301.25 yuan to pay, of which 301.25 yuan overdue" in fees_card


def test_refused_amounts_are_explained_in_the_users_language(setup, client, make, api_headers):
    c, units, *_ = setup(n_units=1)
    h = {**api_headers(make.account("manager", c)), "Accept-Language": "zh-CN"}
    for amount in ("abc", None, "NaN", "0"):
        pay = {"unit_id": units[0].id, "amount": amount, "method": "cash"}
        err = assert_envelope(client.post(f"/api/v1/fees/communities/{c.id}/payments", json=pay, headers=h), 422)
        message = err["fields"]["amount"][0]
        assert message.isascii() is False, message


def test_portal_shows_the_credit_of_all_the_owners_units(setup, client, make, login_as):
    c, units, owners, _item = setup(n_units=2)
    make.owner(units[1], person=owners[0], lives_there=False)  # the owner holds both units
    run = svc.preview_run(None, c, "2026-01")
    svc.confirm_run(None, run, c)
    for unit in units:  # by hand: 400 − 301.25 = 98.75 and 400 − 303.75 = 96.25 left as credit
        svc.record_payment(None, c, unit=unit, amount=Decimal("400.00"), method="cash")
    assert svc.units_credit([u.id for u in units]) == Decimal("195.00")
    login_as(make.account(person=owners[0]))
    page = client.get("/fees/portal?lang=en").get_data(as_text=True)
    assert "Prepayment credit" in page and "195.00" in page


def test_an_id_beyond_the_databases_integers_in_a_form_is_refused_not_a_crash(setup, client, login_as, db):
    c, units, *_ = setup(n_units=1)
    login_as("manager", c)
    huge = 2 ** 70
    for path, data in ((f"/fees/c/{c.id}/refund-credit", {"unit_id": huge, "reason": "x"}),
                       (f"/fees/c/{c.id}/payments", {"unit_id": huge, "amount": "10", "method": "cash",
                                                     "idempotency_key": "k-huge"})):
        resp = client.post(path, data=data, headers={"Accept": "application/json"})
        assert resp.status_code == 422, (path, resp.status_code)
        assert resp.get_json()["error"]["code"] == "invalid"
    assert client.get(f"/fees/c/{c.id}", follow_redirects=True).status_code == 200  # the session is usable
