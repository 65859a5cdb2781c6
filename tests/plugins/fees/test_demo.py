"""The demo data of the fees plugin: the maintenance fund has a statement history that reconciles, and
the fund page and the year's disclosure show it."""

from decimal import Decimal

from sqlalchemy import func, select

from plugins.fees import demo
from plugins.fees import services as svc
from plugins.fees.models import Disclosure, FundImport, FundLine, LedgerEntry


def _demo_community(make, name):
    c = make.community(name=name)
    b = make.building(c)
    for i in range(3):
        make.owner(make.unit(b, building_area=Decimal("96.40") + i, exclusive_area=Decimal("82.10") + i))
    return c


def test_demo_fund_statements_reconcile_and_are_disclosed(make, db):
    c = _demo_community(make, "翠湖苑")
    demo.load(db.session)

    lines = svc.fund_lines(c.id)
    assert {ln.day.year for ln in lines} == {2025, 2026}
    assert any(ln.amount_out for ln in lines) and any(ln.amount_in for ln in lines)
    # every balance follows from the one before, starting from the balance carried into 2025
    balance = Decimal(demo.FUND_OPENING["翠湖苑"])
    for ln in lines:
        balance += ln.amount_in - ln.amount_out
        assert ln.balance == balance, ln.description
    imports = db.session.scalars(select(FundImport).where(FundImport.community_id == c.id)).all()
    assert sorted(i.added for i in imports) == sorted([len(svc.fund_lines(c.id, 2025)),
                                                      len(svc.fund_lines(c.id, 2026))])
    assert {i.holder for i in imports} == {demo.FUND_HOLDER}

    figures = svc.disclosure_figures(c, 2026)
    of_2026 = svc.fund_lines(c.id, 2026)
    assert figures["fund_balance"] == str(of_2026[-1].balance) == str(lines[-1].balance)
    # the year's movements are the statement's, once each: no figures typed in beside them
    assert [Decimal(m["amount"]) for m in figures["fund_movements"]] == \
        [ln.amount_in - ln.amount_out for ln in of_2026]
    assert not db.session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.community_id == c.id, LedgerEntry.kind.in_(("fund_balance", "fund_movement"))))
    # the disclosure the demo publishes was frozen after the statements were in
    published = db.session.scalar(select(Disclosure).where(Disclosure.community_id == c.id))
    assert published.figures["fund_balance"] == figures["fund_balance"]

    demo.load(db.session)  # idempotent
    assert db.session.scalar(select(func.count(FundLine.id))) == len(lines)


def test_demo_fund_shows_on_the_fund_page_and_the_disclosure(make, db, client, login_as):
    c = _demo_community(make, "阳光花园")
    demo.load(db.session)
    last = svc.fund_lines(c.id)[-1]
    repair_day, repair, repair_amount = demo.FUND_REPAIRS["阳光花园"][-1]

    login_as("manager", c)
    page = client.get(f"/fees/c/{c.id}/fund").get_data(as_text=True)
    assert repair in page and repair_amount in page and str(last.balance) in page
    assert "结息" in page and demo.FUND_HOLDER in page

    disclosure = client.get(f"/fees/c/{c.id}/disclosure/2026").get_data(as_text=True)
    assert f"{repair_day.isoformat()} {repair}" in disclosure and f"-{repair_amount}" in disclosure
    assert f"<th>{last.balance}</th>" in disclosure
