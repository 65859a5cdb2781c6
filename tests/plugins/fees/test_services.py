"""Fee services over the database: items, notices, billing runs, payments, charges."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import Conflict, Invalid
from plugins.fees import services as svc
from plugins.fees.models import Bill, BillLine, Payment


def _run(c, period="2026-Q1"):
    run = svc.preview_run(None, c, period)
    svc.confirm_run(None, run, c)
    return run


def test_item_rules(setup, db, make):
    c, _units, _owners, _item = setup()
    base = {"code": "X", "name": "x", "kind": "fixed", "rate": "10", "effective_from": dt.date(2026, 1, 1)}
    with pytest.raises(Invalid) as exc:
        svc.create_item(None, c, {**base, "code": "SVC", "kind": "service", "rate": "3"})
    assert "effective_from" in exc.value.fields  # overlaps the live SVC
    svc.create_item(None, c, {**base, "code": "SVC", "rate": "3", "effective_from": dt.date(2025, 1, 1),
                              "effective_to": dt.date(2025, 12, 31)})
    for bad in ({"rate": "-1"}, {"rate": "abc"}, {"rate": "1,234.5"}, {"kind": "bogus"},
                {"effective_to": dt.date(2025, 1, 1)}, {"kind": "utility", "handling_fee": "0.5"},
                {"pricing_type": "government_guided", "guided_min": "1", "guided_max": "5", "rate": "6"}):
        with pytest.raises(Invalid):
            svc.create_item(None, c, {**base, **bad})


def test_run_refuses_unposted_items(setup):
    c, *_ = setup(post=False)
    with pytest.raises(Conflict) as exc:
        svc.preview_run(None, c, "2026-Q1")
    assert exc.value.code == "not_posted"


def test_quarterly_run_lines_show_their_calculation(setup, db):
    c, units, owners, _item = setup()
    run = svc.preview_run(None, c, "2026-Q1")
    assert run.preview["lines"] == 3 and run.preview["new_lines"] == 3
    svc.confirm_run(None, run, c)
    line = db.session.scalar(select(BillLine).where(BillLine.unit_id == units[0].id))
    assert line.amount == Decimal("903.75")
    assert line.calculation == "120.50 m² × 2.50 元/m²/月 × 3 月 = 903.75"
    bill = db.session.get(Bill, line.bill_id)
    assert bill.payer_person_id == owners[0].id and bill.total == Decimal("903.75")
    assert run.preview["total"] == str(sum(b.total for b in db.session.scalars(select(Bill))))


def test_confirm_twice_and_rerun_change_nothing(setup, db):
    c, *_ = setup()
    run = _run(c)
    before = db.session.scalar(select(func.count(BillLine.id)))
    svc.confirm_run(None, run, c)
    again = _run(c)
    assert again.preview["new_lines"] == 0 and again.lines_created == 0
    assert db.session.scalar(select(func.count(BillLine.id))) == before
    assert db.session.scalar(select(func.count(Bill.id))) == 3


def test_resume_after_a_crash_finishes_without_duplicates(setup, db):
    c, units, *_ = setup(n_units=5)
    run = svc.preview_run(None, c, "2026-Q1")

    class Crash(Exception):
        pass

    calls = []

    def crash_after_first_chunk():
        db.session.commit()
        calls.append(1)
        if len(calls) == 1:
            raise Crash

    with pytest.raises(Crash):
        svc.confirm_run(None, run, c, chunk_size=2, on_chunk=crash_after_first_chunk)
    db.session.rollback()
    assert db.session.scalar(select(func.count(BillLine.id))) == 2  # the first chunk was kept
    svc.confirm_run(None, run, c, chunk_size=2)
    assert db.session.scalar(select(func.count(BillLine.id))) == 5
    assert run.status == "confirmed"


def test_database_refuses_a_second_live_line(setup, db):
    c, units, *_ = setup(n_units=1)
    _run(c)
    line = db.session.scalar(select(BillLine))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(BillLine(area_id=line.area_id, community_id=line.community_id, bill_id=line.bill_id,
                                unit_id=line.unit_id, item_id=line.item_id, period=line.period,
                                payer_key=line.payer_key, quantity=1, rate=1, base_amount=1, amount=1,
                                calculation="x"))
        db.session.flush()


def test_proration_when_delivered_and_sold(setup, db, make):
    c, units, owners, _item = setup(n_units=2)
    units[0].delivered_on = dt.date(2026, 2, 17)
    from core import Ownership

    own = db.session.scalar(select(Ownership).where(Ownership.unit_id == units[1].id))
    own.end_date = dt.date(2026, 1, 31)
    buyer = make.person()
    db.session.add(Ownership(area_id=units[1].area_id, community_id=c.id, unit_id=units[1].id, person_id=buyer.id,
                             start_date=dt.date(2026, 2, 1)))
    db.session.flush()
    _run(c)
    lines = {(ln.unit_id, ln.payer_key): ln for ln in db.session.scalars(select(BillLine))}
    delivered = lines[(units[0].id, f"p:{owners[0].id}")]
    assert delivered.amount == svc.fen(Fraction(Decimal("120.50")) * Fraction(5, 2) * (Fraction(12, 28) + 1))
    assert "12/28" in delivered.calculation or "1+12/28" in delivered.calculation or "1.4286" not in ""
    seller = lines[(units[1].id, f"p:{owners[1].id}")]
    bought = lines[(units[1].id, f"p:{buyer.id}")]
    assert seller.amount == svc.fen(Decimal("121.50") * Decimal("2.5"))
    assert bought.amount == svc.fen(Decimal("121.50") * Decimal("2.5") * 2)
    assert db.session.scalar(select(func.count(Bill.id)).where(Bill.unit_id == units[1].id)) == 2


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(areas=st.lists(st.decimals(min_value=Decimal("10"), max_value=Decimal("300"), places=2), min_size=1,
                      max_size=4),
       rate=st.decimals(min_value=Decimal("0.5"), max_value=Decimal("9"), places=2),
       delivered=st.integers(0, 89))
def test_every_stored_line_equals_its_recomputation(db, make, areas, rate, delivered):
    c = make.community()
    b = make.building(c)
    q = svc.parse_period("2026-Q1")
    units = [make.unit(b, building_area=a, delivered_on=q.start + dt.timedelta(days=delivered)) for a in areas]
    for u in units:
        make.owner(u)
    svc.create_item(None, c, {"code": "SVC", "name": "s", "kind": "service", "rate": str(rate),
                              "effective_from": dt.date(2026, 1, 1)})
    svc.publish_price_notice(None, c, dt.date(2026, 1, 1))
    run = _run(c)
    by_unit = {ln.unit_id: ln for ln in db.session.scalars(select(BillLine).where(BillLine.community_id == c.id))}
    for u in units:
        months = svc.billed_months(q, u.delivered_on)
        assert by_unit[u.id].amount == svc.fen(Fraction(u.building_area) * Fraction(rate) * months)
    total = db.session.scalar(select(func.count(BillLine.id)).where(BillLine.community_id == c.id))
    svc.confirm_run(None, run, c)
    _run(c)
    assert db.session.scalar(select(func.count(BillLine.id)).where(BillLine.community_id == c.id)) == total


def test_shared_cost_split_sums_to_total(setup, db):
    from plugins.fees.models import SharedCost

    c, units, *_ = setup(n_units=3, post=False)
    item = svc.create_item(None, c, {"code": "ELEC", "name": "公共电费", "kind": "shared", "rate": "0",
                                     "effective_from": dt.date(2026, 1, 1)})
    svc.publish_price_notice(None, c, dt.date(2026, 1, 1))
    db.session.add(SharedCost(area_id=c.area_id, community_id=c.id, item_id=item.id, period="2026-Q1",
                              total=Decimal("1000.00")))
    db.session.flush()
    _run(c)
    parts = db.session.scalars(select(BillLine.amount).where(BillLine.item_id == item.id)).all()
    assert sum(parts) == Decimal("1000.00") and len(parts) == 3


def test_void_and_reissue_keeps_history_and_moves_payment(setup, db):
    c, units, *_ = setup(n_units=1)
    _run(c)
    bill = db.session.scalar(select(Bill))
    svc.record_payment(None, c, unit=units[0], amount="500", method="cash", idempotency_key="k1")
    units[0].building_area = Decimal("100.00")
    new = svc.void_and_reissue(None, bill, c, "surveyed area corrected")
    assert bill.voided_at and bill.void_reason == "surveyed area corrected"
    assert new.total == Decimal("750.00") and new.paid == Decimal("500.00") and new.replaces_id == bill.id
    assert db.session.scalar(select(func.count(BillLine.id))) == 2  # the voided line stays
    with pytest.raises(Conflict):
        svc.void_and_reissue(None, bill, c, "again")
    with pytest.raises(Invalid):
        svc.void_and_reissue(None, new, c, " ")
    with pytest.raises(Conflict):
        svc.record_payment(None, c, bill=bill, amount="1", method="cash")


def test_payments_oldest_first_idempotent_and_prepayment_cap(setup, db):
    from core import Setting  # noqa: F401  (the setting is declared by the plugin)
    from core.settings.services import set_value

    c, units, *_ = setup(n_units=1)
    _run(c, "2026-01")
    _run(c, "2026-02")
    first, second = db.session.scalars(select(Bill).order_by(Bill.period)).all()
    p = svc.record_payment(None, c, unit=units[0], amount="400.00", method="bank", idempotency_key="same")
    assert first.paid == first.total and second.paid == Decimal("400.00") - first.total
    again = svc.record_payment(None, c, unit=units[0], amount="400.00", method="bank", idempotency_key="same")
    assert again.id == p.id and db.session.scalar(select(func.count(Payment.id))) == 1
    with pytest.raises(Conflict):
        svc.record_payment(None, c, unit=units[0], amount="401.00", method="bank", idempotency_key="same")
    set_value(None, "fees.prepayment_cap_months", 2, "community", c.id)
    monthly = svc.monthly_fee(units[0].id)
    assert monthly == Decimal("301.25")
    with pytest.raises(Invalid):
        svc.record_payment(None, c, unit=units[0], amount=str(second.balance + monthly * 2 + 1), method="cash")
    ok = svc.record_payment(None, c, unit=units[0], amount=str(second.balance + monthly * 2), method="cash")
    assert ok.credit == monthly * 2
    assert svc.refund_credit(None, c, units[0], "moved out") == monthly * 2
    for bad in ("-5", "0", "abc", "1,234.5"):
        with pytest.raises(Invalid):
            svc.record_payment(None, c, unit=units[0], amount=bad, method="cash")


def test_online_callback_duplicate_and_late(setup, db):
    c, units, *_ = setup(n_units=1)
    _run(c, "2026-01")
    bill = db.session.scalar(select(Bill))
    p = svc.record_payment(None, c, bill=bill, amount=str(bill.total), method="online", reference="SIM1",
                           provider="simulated", pending=True)
    assert p.status == "pending" and bill.paid == 0
    assert svc.provider_callback("SIM1", str(bill.total))[1] == "ok"
    assert svc.provider_callback("SIM1", str(bill.total))[1] == "duplicate"
    assert bill.paid == bill.total
    p2 = svc.record_payment(None, c, unit=units[0], amount="10", method="online", reference="SIM2",
                            provider="simulated", pending=True)
    svc.cancel_pending(None, p2, "timed out")
    _payment, outcome = svc.provider_callback("SIM2", "10")
    assert outcome == "late" and p2.status == "succeeded" and p2.credit == Decimal("10.00")


def test_charge_requested_contract(setup, db, app, make):
    from core import hook

    c, units, owners, _item = setup(n_units=1, post=False)
    svc.create_item(None, c, {"code": "RENO", "name": "装修押金", "kind": "per_job", "rate": "2000",
                              "effective_from": dt.date(2026, 1, 1)})
    svc.publish_price_notice(None, c, dt.date(2026, 1, 1))
    with pytest.raises(ValueError):
        hook().charge_requested(payer=owners[0], payee=c, item_code="NOPE", amount=Decimal(1), source={})
    with pytest.raises(ValueError):
        hook().charge_requested(payer=owners[0], payee=c, item_code="RENO", amount=Decimal(-1), source={})
    other = make.community()
    with pytest.raises(ValueError):
        hook().charge_requested(payer=owners[0], payee=other, item_code="RENO", amount=Decimal(1), source={})
    ref = hook().charge_requested(payer=owners[0], payee=c, item_code="RENO", amount=Decimal("2000"),
                                  source={"module": "renovation", "id": 3})
    bill = svc.bill_by_number(ref)
    assert bill.kind == "charge" and bill.total == Decimal("2000.00")
    settled = []

    class Listener:
        from core import hookimpl

        @hookimpl
        def charge_settled(self, charge_ref):
            settled.append(charge_ref)

    pm = app.extensions["jiayuan.pm"]
    listener = Listener()
    pm.register(listener)
    try:
        svc.record_payment(None, c, bill=bill, amount="2000", method="cash")
    finally:
        pm.unregister(listener)
    assert settled == [ref]
    refund = hook().refund_requested(charge_ref=ref, reason="deposit returned")
    assert refund.startswith("TK") and bill.status == "refunded"
    assert hook().refund_requested(charge_ref="XX1", reason="x") is None


def test_arrears_demand_and_reminders(setup, db, make):
    c, units, owners, _item = setup(n_units=2)
    from core import Account  # noqa: F401

    make.account(person=owners[0])
    _run(c, "2026-01")
    rows = svc.arrears(c.id, on=dt.date(2030, 1, 1))
    assert len(rows) == 2 and rows[0]["amount"] == Decimal("301.25")
    with pytest.raises(Conflict):
        svc.issue_demand(None, c, make.unit(make.building(c)))
    d = svc.issue_demand(None, c, units[0])
    assert d.amount == Decimal("301.25") and d.number.startswith("CG")
    manager = make.account("manager", c)
    assert svc.send_reminders(on=dt.date(2030, 1, 1)) == 2
    assert svc.send_reminders(on=dt.date(2030, 1, 2)) == 0
    from core.notifications.models import Notification

    notes = db.session.scalars(select(Notification).where(Notification.account_id == manager.id)).all()
    assert len(notes) == 1 and notes[0].link.endswith("/arrears")


def test_late_fee_contract_needs_settings_and_reason(setup, db):
    from core.settings.services import set_value

    c, *_ = setup(n_units=1)
    with pytest.raises(Invalid):
        svc.set_contract(None, c, model="lump_sum", late_fee_daily_rate="0.0003")
    set_value(None, "fees.late_fees_enabled", True, "community", c.id)
    set_value(None, "fees.late_fee_reference_rate", "0.03", "community", c.id)
    with pytest.raises(Invalid):
        svc.set_contract(None, c, model="lump_sum", late_fee_daily_rate="0.0003")
    svc.set_contract(None, c, model="lump_sum", late_fee_daily_rate="0.0003", late_fee_reason="contract §9")
    svc.set_contract(None, c, model="lump_sum", late_fee_daily_rate="0.0001")
    with pytest.raises(Invalid):
        svc.set_contract(None, c, model="commission")


def test_disclosure_figures_and_publish(setup, db):
    c, units, *_ = setup(n_units=1)
    svc.set_contract(None, c, model="commission", commission_percent="10")
    _run(c, "2026-01")
    svc.record_payment(None, c, unit=units[0], amount="100", method="cash")
    svc.add_ledger_entry(None, c, year=2026, kind="expense", label="保洁", amount="200")
    svc.add_ledger_entry(None, c, year=2026, kind="common_income", label="广告", amount="500")
    svc.add_ledger_entry(None, c, year=2026, kind="common_cost", label="广告位维护", amount="50")
    svc.add_ledger_entry(None, c, year=2026, kind="fund_movement", label="电梯维修", amount="-1000")
    with pytest.raises(Invalid):
        svc.add_ledger_entry(None, c, year=2026, kind="expense", label="x", amount="-1")
    f = svc.disclosure_figures(c, 2026)
    assert f["income_total"] == "301.25" and f["collected"] == "100.00"
    assert f["common_net_owners"] == "450.00" and f["commission"] == "20.00"
    assert f["fund_movements"][0]["amount"] == "-1000.00"
    d = svc.publish_disclosure(None, c, 2026)
    assert d.version == 1 and d.notice_id


def test_fee_change_needs_posting_and_decision(setup, db):
    c, *_ = setup(n_units=1)
    with pytest.raises(Invalid):
        svc.propose_fee_change(None, c, item_code="SVC", new_rate="2.8", takes_effect=dt.date.today(),
                               costing="测算")
    change = svc.propose_fee_change(None, c, item_code="SVC", new_rate="2.8",
                                    takes_effect=dt.date.today() + dt.timedelta(days=31), costing="测算")
    with pytest.raises(Conflict):
        svc.apply_fee_change(None, change, c)
    svc.record_decision(change, True, "entered by hand")
    new = svc.apply_fee_change(None, change, c)
    assert new.rate == Decimal("2.8") and new.effective_from == change.takes_effect


def test_tenant_pays_where_the_lease_says_so(setup, db, make):
    c, units, owners, _item = setup(n_units=1)
    tenant = make.resident(units[0], kind="tenant")
    with pytest.raises(Invalid):
        svc.set_tenant_payer(None, c, units[0], owners[0].id, dt.date(2026, 2, 1), None, "§5")  # not a tenant
    with pytest.raises(Invalid):
        svc.set_tenant_payer(None, c, units[0], tenant.id, dt.date(2026, 2, 1), None, " ")
    svc.set_tenant_payer(None, c, units[0], tenant.id, dt.date(2026, 2, 1), dt.date(2026, 2, 28), "租赁合同第5条")
    with pytest.raises(Invalid):
        svc.set_tenant_payer(None, c, units[0], tenant.id, dt.date(2026, 2, 15), None, "again")
    _run(c)
    by_payer = {ln.payer_key: ln for ln in db.session.scalars(select(BillLine))}
    assert by_payer[f"p:{tenant.id}"].amount == Decimal("301.25")
    assert by_payer[f"p:{owners[0].id}"].amount == Decimal("602.50")
    assert db.session.scalar(select(func.count(Bill.id))) == 2


def test_vacancy_discount_and_fee_adjustments(setup, db, app, make):
    from core import hookimpl
    from core.settings.services import set_value

    c = make.community()
    vacant = make.unit(make.building(c), building_area=Decimal("100.00"))
    make.owner(vacant, lives_there=False)
    svc.create_item(None, c, {"code": "SVC", "name": "s", "kind": "service", "rate": "2.00",
                              "effective_from": dt.date(2026, 1, 1)})
    svc.publish_price_notice(None, c, dt.date(2026, 1, 1))
    set_value(None, "fees.vacancy_discount_percent", "30", "community", c.id)

    class Discount:
        @hookimpl
        def fee_adjustments(self, bill_line):
            return [{"amount": Decimal("-10"), "reason": "elderly discount"}]

    pm = app.extensions["jiayuan.pm"]
    plugin = Discount()
    pm.register(plugin)
    try:
        _run(c, "2026-01")
    finally:
        pm.unregister(plugin)
    line = db.session.scalar(select(BillLine))
    assert line.base_amount == Decimal("200.00")
    assert line.adjustment == Decimal("-70.00") and line.amount == Decimal("130.00")
    assert "elderly discount" in line.adjustment_reason


def test_decision_recorded_hook_settles_a_fee_change(setup, db, app):
    from core import hook, hookimpl

    c, *_ = setup(n_units=1)

    class Assembly:
        @hookimpl
        def decision_required(self, community, subject, decision_class):
            return "AGENDA-7"

    pm = app.extensions["jiayuan.pm"]
    plugin = Assembly()
    pm.register(plugin)
    try:
        change = svc.propose_fee_change(None, c, item_code="SVC", new_rate="2.8",
                                        takes_effect=dt.date.today() + dt.timedelta(days=45), costing="测算")
    finally:
        pm.unregister(plugin)
    assert change.decision_ref == "AGENDA-7"
    hook().decision_recorded(decision={"community_id": c.id, "ref": "AGENDA-7", "passed": False})
    assert change.decision_passed is False


def test_yearly_disclosure_job(setup, db):
    from plugins.fees.models import Disclosure

    c, *_ = setup(n_units=1)
    _run(c, "2026-01")
    assert svc.yearly_disclosures(on=dt.date(2027, 1, 5)) == 1
    assert svc.yearly_disclosures(on=dt.date(2027, 1, 6)) == 0
    assert db.session.scalar(select(Disclosure.year)) == 2026


def test_portal_and_dashboard_summaries_by_hand(setup, db, make):
    c, units, owners, _item = setup(n_units=2)
    _run(c, "2026-01")
    _run(c, "2026-02")
    svc.record_payment(None, c, unit=units[0], amount=Decimal("301.25"), method="cash")  # unit 0's January
    other, other_units, _o, _i = setup(n_units=1)
    _run(other, "2026-01")  # another community's bills count nowhere here
    # by hand: 120.50 m² × 2.50 = 301.25 and 121.50 m² × 2.50 = 303.75 a month, two months each
    f = svc.community_summary(c.id, 2026, on=dt.date(2030, 1, 1))
    assert (f["billed"], f["collected"], f["rate"]) == (Decimal("1210.00"), Decimal("301.25"), Decimal("24.9"))
    assert (f["overdue"], f["overdue_units"]) == (Decimal("908.75"), 2)
    assert svc.community_summary(c.id, 2025)["billed"] == Decimal("0.00")
    assert svc.community_summary(c.id, 2025)["rate"] is None
    assert svc.portal_summary(owners[0], on=dt.date(2030, 1, 1)) == {"due": Decimal("301.25"),
                                                                   "overdue": Decimal("301.25")}
    assert svc.portal_summary(owners[1], on=dt.date(2025, 12, 1)) == {"due": Decimal("607.50"),
                                                                    "overdue": Decimal("0.00")}
    bill = db.session.scalars(select(Bill).where(Bill.unit_id == units[1].id)).first()
    svc.void_and_reissue(None, bill, c, "面积有误")  # the void one and its replacement are owed once
    assert svc.portal_summary(owners[1], on=dt.date(2025, 12, 1))["due"] == Decimal("607.50")


def test_price_notice_reads_in_chinese(setup, db):
    """The posted price notice is one message per item, so Chinese words and punctuation throughout."""
    from core.notices.models import Notice

    c, *_ = setup()
    body = db.session.scalar(select(Notice.body).where(Notice.community_id == c.id, Notice.kind == "price"))
    assert "物业服务费 [SVC] 2.50 元/m²/月 — 市场调节价；自 2026-01-01 起；收费依据：物业服务收费管理办法；" in body
    assert "from" not in body
