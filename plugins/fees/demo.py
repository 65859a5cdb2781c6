"""Demo data for the fees plugin: a year of bills, payments, arrears, the maintenance fund's statements
and a published disclosure for each demo community. Idempotent: a community that already has fee
items is left alone."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

import core
from plugins.fees import services as svc
from plugins.fees.models import Allocation, Bill, FeeItem, Payment, SharedCost

COMMUNITIES = ("阳光花园", "翠湖苑", "春晖家园")
PERIODS = ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")

# The maintenance fund (专项维修资金) as its holder's statements show it: the balance carried into 2025
# (what is left of the owners' first deposits after earlier repairs), and each community's repairs.
FUND_HOLDER = "市住房专项维修资金管理中心"
FUND_OPENING = {"阳光花园": "4386512.37", "翠湖苑": "2318904.62", "春晖家园": "2095377.18"}
FUND_REPAIRS = {
    "阳光花园": ((dt.date(2025, 7, 18), "2栋、6栋屋面防水维修", "86400.00"),
             (dt.date(2026, 4, 23), "雨污水管网改造（首期款）", "132600.00")),
    "翠湖苑": ((dt.date(2025, 8, 6), "消防水泵及控制柜更换", "48750.00"),
            (dt.date(2026, 5, 14), "4栋外墙空鼓脱落修缮", "63280.00")),
    "春晖家园": ((dt.date(2025, 10, 9), "1-3栋电梯曳引钢丝绳更换", "57900.00"),
             (dt.date(2026, 6, 2), "地下车库顶板渗漏维修", "41360.00")),
}
# first deposits of units the developer sold late (the buyer pays in when the sale is registered)
FUND_DEPOSITS = ((dt.date(2025, 5, 20), "新售房屋首期交存（3户）", "21480.00"),
                 (dt.date(2026, 3, 10), "新售房屋首期交存（2户）", "14630.00"))
FUND_RATE = Decimal("0.0115")  # yearly, on the fund's agreed-deposit account; credited quarterly


def load(session) -> None:
    communities = session.scalars(select(core.Community).where(core.Community.name.in_(COMMUNITIES))).all()
    done = set(session.scalars(select(FeeItem.community_id).where(FeeItem.code == "SVC")))
    for c in communities:
        if c.id not in done:
            _community(session, c)


def _community(session, c) -> None:
    start = dt.date(2025, 10, 1)
    items = [
        {"code": "SVC", "name": "物业服务费", "kind": "service", "rate": "2.30", "unit_label": "元/m²/月",
         "pricing_type": "government_guided", "guided_base": "2.00", "guided_min": "1.60", "guided_max": "2.40",
         "legal_basis": "《物业服务收费管理办法》；市发改委住宅物业服务收费指导标准",
         "service_content": "二级服务标准：保洁、秩序维护、绿化养护、共用设施设备维修养护",
         "billing_method": "按建筑面积按月计收，按季度缴纳", "payer": "业主"},
        {"code": "PARK", "name": "地下车位服务费", "kind": "parking", "rate": "80", "unit_label": "元/个/月",
         "legal_basis": "市场调节价，业主大会决定", "billing_method": "按车位按月计收", "payer": "车位业主"},
        {"code": "ELEC", "name": "公共照明电费分摊", "kind": "shared", "rate": "0", "unit_label": "元",
         "legal_basis": "《民法典》第283条，按专有部分面积分摊", "billing_method": "按实际电费按专有面积分摊",
         "payer": "全体业主"},
        {"code": "REPAIR", "name": "户内维修（便民服务）", "kind": "per_job", "rate": "50", "unit_label": "元/次",
         "legal_basis": "保底微利，明码标价", "billing_method": "按次", "payer": "委托人"},
    ]
    for data in items:
        svc.create_item(None, c, {**data, "effective_from": start})
    svc.set_contract(None, c, model="commission" if c.name == "翠湖苑" else "lump_sum",
                     commission_percent="10" if c.name == "翠湖苑" else None)
    svc.publish_price_notice(None, c, start)
    elec = session.scalar(select(FeeItem).where(FeeItem.community_id == c.id, FeeItem.code == "ELEC"))
    rng = random.Random(c.id)
    for period in PERIODS:
        session.add(SharedCost(area_id=c.area_id, community_id=c.id, item_id=elec.id, period=period,
                               total=Decimal(rng.randint(900000, 1500000)) / 100, description="公共区域照明、电梯用电"))
    session.flush()
    for period in PERIODS:
        p = svc.parse_period(period)
        run = svc.preview_run(None, c, period, p.start + dt.timedelta(days=30))
        svc.confirm_run(None, run, c)
    _payments(session, c, rng)
    for label, amount in (("保洁服务", "286000"), ("秩序维护", "412000"), ("绿化养护", "98000"),
                          ("共用设施设备维修养护", "153000"), ("管理人员工资", "260000")):
        svc.add_ledger_entry(None, c, year=2026, kind="expense", label=label, amount=amount, source="账簿")
        svc.add_ledger_entry(None, c, year=2026, kind="budget", label=label, amount=str(int(amount) * 105 // 100))
    svc.add_ledger_entry(None, c, year=2026, kind="common_income", label="电梯广告", amount="36000", source="广告合同")
    svc.add_ledger_entry(None, c, year=2026, kind="common_income", label="地面临时停车", amount="54000", source="停车系统")
    svc.add_ledger_entry(None, c, year=2026, kind="common_cost", label="停车管理人工及设备", amount="21000")
    _fund(c)
    svc.publish_disclosure(None, c, 2026)


def _fund(c) -> None:
    """Two yearly statements from the fund's holder (2025, and 2026 to the third quarter), imported
    through the statement import so that they are checked and reconciled like an uploaded file."""
    if c.name not in FUND_OPENING:
        return
    moves = [(day, text, Decimal(amount), svc.ZERO) for day, text, amount in FUND_DEPOSITS]
    moves += [(day, text, svc.ZERO, Decimal(amount)) for day, text, amount in FUND_REPAIRS[c.name]]
    # interest for the quarter to the 20th, credited on the 21st of its last month
    credited = [dt.date(2025, m, 21) for m in (3, 6, 9, 12)] + [dt.date(2026, m, 21) for m in (3, 6, 9)]
    moves += [(day, "结息", None, svc.ZERO) for day in credited]
    balance = Decimal(FUND_OPENING[c.name])
    rows = {2025: [], 2026: []}
    for day, text, amount_in, amount_out in sorted(moves, key=lambda m: m[0]):
        if amount_in is None:
            amount_in = svc.fen(balance * FUND_RATE / 4)
        balance += amount_in - amount_out
        rows[day.year].append(f"{day.isoformat()},{text},{amount_in or ''},{amount_out or ''},{balance}")
    for year, lines in rows.items():
        data = "\n".join(["日期,摘要,收入,支出,余额", *lines, ""]).encode()
        svc.import_fund_statement(None, c, data, f"专项维修资金对账单{year}.csv", holder=FUND_HOLDER)


def _payments(session, c, rng) -> None:
    """Most bills paid in full by bank or cash; some partly; a few not at all (the arrears)."""
    bills = session.execute(select(Bill.id, Bill.unit_id, Bill.payer_key, Bill.payer_name, Bill.total).where(
        Bill.community_id == c.id, Bill.kind == "periodic").order_by(Bill.id)).all()
    now = core.utcnow()
    pays, paid = [], []
    for bill_id, unit_id, key, name, total in bills:
        roll = rng.random()
        amount = total if roll < 0.85 else (total / 2).quantize(Decimal("0.01")) if roll < 0.92 else None
        if not amount:
            continue
        pays.append({"area_id": c.area_id, "community_id": c.id, "unit_id": unit_id, "payer_key": key,
                     "payer_name": name, "amount": amount, "credit": Decimal(0),
                     "method": rng.choice(("bank", "cash", "online")), "provider": "offline",
                     "reference": f"DEMO{bill_id}", "idempotency_key": f"demo-{bill_id}", "status": "succeeded",
                     "received_at": now, "created_at": now, "updated_at": now})
        paid.append((bill_id, amount))
    if not pays:
        return
    ids = session.execute(insert(Payment).returning(Payment.id, sort_by_parameter_order=True), pays).scalars().all()
    session.execute(insert(Allocation), [{"payment_id": pid, "bill_id": bid, "amount": amt, "created_at": now,
                                          "updated_at": now} for pid, (bid, amt) in zip(ids, paid, strict=True)])

    session.execute(update(Bill.__table__).where(Bill.__table__.c.id == bindparam("b_id")).values(
        paid=bindparam("amt", type_=core.Money())), [{"b_id": bid, "amt": amt} for bid, amt in paid])
    session.flush()
