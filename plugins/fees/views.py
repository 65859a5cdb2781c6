"""Pages of the fees plugin: back office under /fees/c/<community>, public price notices, portal."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import time
from decimal import Decimal
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

import core
from core import Forbidden, Invalid, NotFound, db
from plugins.fees import services as svc
from plugins.fees.forms import (
    LABELS,
    FundConfirmForm,
    FundUploadForm,
    ItemForm,
    LedgerForm,
    PaymentForm,
    ReasonForm,
    RunForm,
    SharedCostForm,
)
from plugins.fees.models import (
    Allocation,
    Bill,
    BillingRun,
    BillLine,
    Demand,
    Disclosure,
    FeeChange,
    FeeItem,
    FundImport,
    Payment,
    Reading,
    SharedCost,
)

bp = Blueprint("fees", __name__, url_prefix="/fees", template_folder="templates")


@bp.context_processor
def _labels():
    return {"labels": LABELS}


def community_for(cid: int, permission: str):
    community = db.session.get(core.Community, cid)
    if community is None:
        raise NotFound()
    core.require(current_user, permission, community=community)
    return community


def _form_errors(form, exc: Invalid) -> None:
    for name, messages in exc.fields.items():
        target = getattr(form, name, None)
        if target is not None:
            target.errors = list(target.errors or []) + list(messages)
        else:
            for m in messages:
                flash(f"{name}: {m}", "error")


@bp.route("/")
@login_required
def index():
    ids = core.visible_community_ids(current_user, "fees.bill.read")
    stmt = select(core.Community).order_by(core.Community.name)
    if ids is not None:
        stmt = stmt.where(core.Community.id.in_(ids))
    return render_template("fees/index.html", communities=db.session.scalars(stmt).all())


@bp.route("/c/<int:cid>/")
@login_required
def community(cid):
    c = community_for(cid, "fees.bill.read")
    runs = db.session.scalars(select(BillingRun).where(BillingRun.community_id == c.id)
                              .order_by(BillingRun.id.desc()).limit(20)).all()
    return render_template("fees/community.html", c=c, items=svc.community_items(c.id, include_void=True),
                           notice=svc.current_price_notice(c.id), runs=runs, contract=svc.get_contract(c),
                           run_form=RunForm(), payment_form=PaymentForm(), shared_form=SharedCostForm(),
                           can_manage=core.can(current_user, "fees.item.manage", community=c),
                           can_run=core.can(current_user, "fees.run.manage", community=c),
                           can_pay=core.can(current_user, "fees.payment.record", community=c))


@bp.route("/c/<int:cid>/items/new", methods=["GET", "POST"])
@login_required
def item_new(cid):
    c = community_for(cid, "fees.item.manage")
    form = ItemForm()
    if form.validate_on_submit():
        try:
            item = svc.create_item(current_user, c, {f.name: f.data for f in form if f.name != "csrf_token"})
            db.session.commit()
            flash(_("Fee item %(code)s added.", code=item.code), "success")
            return redirect(url_for("fees.community", cid=c.id))
        except Invalid as exc:
            db.session.rollback()
            _form_errors(form, exc)
    return render_template("fees/item_form.html", c=c, form=form), (422 if form.errors else 200)


@bp.route("/c/<int:cid>/items/<int:item_id>/void", methods=["POST"])
@login_required
def item_void(cid, item_id):
    c = community_for(cid, "fees.item.manage")
    item = db.session.get(FeeItem, item_id)
    if item is None or item.community_id != c.id:
        raise NotFound()
    svc.void_item(current_user, item, request.form.get("reason", ""))
    db.session.commit()
    return redirect(url_for("fees.community", cid=c.id))


@bp.route("/c/<int:cid>/contract", methods=["POST"])
@login_required
def contract(cid):
    c = community_for(cid, "fees.item.manage")
    f = request.form
    svc.set_contract(current_user, c, model=f.get("model", ""), commission_percent=f.get("commission_percent"),
                     commission_fixed=f.get("commission_fixed"), late_fee_daily_rate=f.get("late_fee_daily_rate") or "0",
                     late_fee_reason=f.get("late_fee_reason"))
    db.session.commit()
    flash(_("Contract saved."), "success")
    return redirect(url_for("fees.community", cid=c.id))


@bp.route("/c/<int:cid>/notice", methods=["POST"])
@login_required
def notice_publish(cid):
    c = community_for(cid, "fees.item.manage")
    day = core.parse_date(request.form.get("effective_from"), "effective_from")
    svc.publish_price_notice(current_user, c, day)
    db.session.commit()
    flash(_("Price notice published."), "success")
    return redirect(url_for("fees.community", cid=c.id))


def _public_notice(cid):
    c = db.session.get(core.Community, cid)
    if c is None:
        raise NotFound()
    notice = svc.current_price_notice(c.id)
    if notice is None:
        raise NotFound(_("No price notice is posted for this community."))
    items = db.session.scalars(select(FeeItem).where(FeeItem.id.in_(notice.item_ids))
                               .order_by(FeeItem.code, FeeItem.effective_from)).all()
    return c, notice, items


@bp.route("/notice/<int:cid>")
def notice_public(cid):
    c, notice, items = _public_notice(cid)
    return render_template("fees/notice.html", c=c, notice=notice, items=items, printable=False)


@bp.route("/notice/<int:cid>/print")
def notice_print(cid):
    c, notice, items = _public_notice(cid)
    return render_template("fees/notice.html", c=c, notice=notice, items=items, printable=True)


@bp.route("/c/<int:cid>/shared", methods=["POST"])
@login_required
def shared_cost(cid):
    c = community_for(cid, "fees.run.manage")
    form = SharedCostForm()
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    item = db.session.get(FeeItem, form.item_id.data)
    if item is None or item.community_id != c.id or item.kind != "shared":
        raise Invalid(fields={"item_id": [_("Choose a shared-cost item of this community.")]})
    period = svc.checked(svc.parse_period, form.period.data)
    total = svc.checked(svc.parse_amount, form.total.data, "total")
    existing = db.session.scalar(select(SharedCost).where(
        SharedCost.community_id == c.id, SharedCost.item_id == item.id, SharedCost.period == period.code,
        SharedCost.voided_at.is_(None)))
    if existing is not None:
        raise core.Conflict(_("A shared cost is already entered for this item and period."))
    db.session.add(SharedCost(area_id=c.area_id, community_id=c.id, item_id=item.id, period=period.code,
                              total=total, description=form.description.data or ""))
    db.session.commit()
    flash(_("Shared cost entered."), "success")
    return redirect(url_for("fees.community", cid=c.id))


@bp.route("/c/<int:cid>/shared/<int:sid>")
@login_required
def shared_split(cid, sid):
    """The published split of a shared cost: every unit's part, summing exactly to the total."""
    c = community_for(cid, "fees.bill.read")
    cost = db.session.get(SharedCost, sid)
    if cost is None or cost.community_id != c.id:
        raise NotFound()
    rows = db.session.execute(select(core.Unit, BillLine.amount, BillLine.calculation).join(
        BillLine, BillLine.unit_id == core.Unit.id).where(
        BillLine.item_id == cost.item_id, BillLine.period == cost.period, BillLine.voided_at.is_(None))
        .order_by(core.Unit.building_id, core.Unit.number)).all()
    return render_template("fees/shared.html", c=c, cost=cost, rows=rows,
                           total=sum((r[1] for r in rows), Decimal("0.00")))


@bp.route("/c/<int:cid>/readings", methods=["POST"])
@login_required
def readings(cid):
    """Import readings as lines of ``unit_id,quantity`` for one metered item and period."""
    c = community_for(cid, "fees.run.manage")
    item = db.session.get(FeeItem, request.form.get("item_id", type=int) or 0)
    if item is None or item.community_id != c.id or item.kind not in ("metered", "utility"):
        raise Invalid(fields={"item_id": [_("Choose a metered item of this community.")]})
    period = svc.checked(svc.parse_period, request.form.get("period", ""))
    parsed, errors = {}, []
    for n, line in enumerate((request.form.get("rows") or "").splitlines(), 1):
        if not line.strip():
            continue
        try:
            unit_id, qty = line.split(",")
            parsed[int(unit_id)] = svc.parse_amount(qty.strip(), "rows", places=3)
        except (ValueError, svc.RuleError):
            errors.append(str(n))
    units = set(db.session.scalars(select(core.Unit.id).where(core.Unit.community_id == c.id,
                                                              core.Unit.id.in_(parsed))))
    errors += [str(u) for u in parsed if u not in units]
    if errors or not parsed:
        raise Invalid(fields={"rows": [_("Bad lines or units: %(n)s", n=", ".join(errors) or "-")]})
    have = {r.unit_id: r for r in db.session.scalars(select(Reading).where(
        Reading.item_id == item.id, Reading.period == period.code, Reading.unit_id.in_(parsed)))}
    for unit_id, qty in parsed.items():
        if unit_id in have:
            have[unit_id].quantity = qty
        else:
            db.session.add(Reading(area_id=c.area_id, community_id=c.id, unit_id=unit_id, item_id=item.id,
                                   period=period.code, quantity=qty))
    db.session.commit()
    flash(_("%(n)s readings saved.", n=len(parsed)), "success")
    return redirect(url_for("fees.community", cid=c.id))


@bp.route("/c/<int:cid>/tenant-payers", methods=["POST"])
@login_required
def tenant_payer(cid):
    """The lease makes a tenant pay the unit's fees for a span of dates."""
    c = community_for(cid, "fees.run.manage")
    f = request.form
    unit = db.session.get(core.Unit, f.get("unit_id", type=int) or 0)
    if unit is None or unit.community_id != c.id:
        raise Invalid(fields={"unit_id": [_("No such unit in this community.")]})
    try:
        start = dt.date.fromisoformat(f.get("start_date", ""))
        end = dt.date.fromisoformat(f["end_date"]) if f.get("end_date") else None
    except ValueError:
        raise Invalid(fields={"start_date": [_("Not a valid date.")]}) from None
    svc.set_tenant_payer(current_user, c, unit, f.get("person_id", type=int) or 0, start, end,
                         f.get("lease_clause", ""))
    db.session.commit()
    flash(_("The tenant pays from %(day)s.", day=start), "success")
    return redirect(url_for("fees.community", cid=c.id))


@bp.route("/c/<int:cid>/runs", methods=["POST"])
@login_required
def run_preview(cid):
    c = community_for(cid, "fees.run.manage")
    form = RunForm()
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    run = svc.preview_run(current_user, c, form.period.data, form.due_date.data)
    db.session.commit()
    return redirect(url_for("fees.run", cid=c.id, run_id=run.id))


@bp.route("/c/<int:cid>/runs/<int:run_id>")
@login_required
def run(cid, run_id):
    c = community_for(cid, "fees.run.manage")
    r = db.session.get(BillingRun, run_id)
    if r is None or r.community_id != c.id:
        raise NotFound()
    return render_template("fees/run.html", c=c, run=r)


@bp.route("/c/<int:cid>/runs/<int:run_id>/confirm", methods=["POST"])
@login_required
def run_confirm(cid, run_id):
    c = community_for(cid, "fees.run.manage")
    r = db.session.get(BillingRun, run_id)
    if r is None or r.community_id != c.id:
        raise NotFound()
    result = svc.confirm_run(current_user, r, c, on_chunk=db.session.commit)
    db.session.commit()
    flash(_("%(b)s bills and %(l)s lines issued.", b=result["bills"], l=result["lines"]), "success")
    return redirect(url_for("fees.bills", cid=c.id, period=r.period))


@bp.route("/c/<int:cid>/bills")
@login_required
def bills(cid):
    c = community_for(cid, "fees.bill.read")
    period = request.args.get("period") or None
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = select(Bill).where(Bill.community_id == c.id)
    if period:
        stmt = stmt.where(Bill.period == period)
    stmt = stmt.order_by(Bill.period.desc(), Bill.unit_id, Bill.id)
    result = core.page_of(stmt, {"page": page, "per_page": 50})
    units = _units({b.unit_id for b in result["items"]})
    return render_template("fees/bills.html", c=c, page=result, units=units, period=period or "")


def _units(ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(select(core.Unit.id, core.Building.name, core.Unit.number).join(core.Building)
                              .where(core.Unit.id.in_(ids))).all()
    return {i: f"{b}-{n}" for i, b, n in rows}


def _bill_context(bill):
    allocations = db.session.execute(select(Payment, func.sum(Allocation.amount)).join(Allocation).where(
        Allocation.bill_id == bill.id).group_by(Payment.id)).all()
    return {"bill": bill, "allocations": allocations, "units": _units({bill.unit_id}),
            "replacement": db.session.scalar(select(Bill).where(Bill.replaces_id == bill.id))}


@bp.route("/c/<int:cid>/bills/<int:bill_id>")
@login_required
def bill(cid, bill_id):
    c = community_for(cid, "fees.bill.read")
    b = db.session.get(Bill, bill_id)
    if b is None or b.community_id != c.id:
        raise NotFound()
    return render_template("fees/bill.html", c=c, portal=False, form=ReasonForm(),
                           can_void=core.can(current_user, "fees.bill.void", community=c), **_bill_context(b))


@bp.route("/c/<int:cid>/bills/<int:bill_id>/void", methods=["POST"])
@login_required
def bill_void(cid, bill_id):
    c = community_for(cid, "fees.bill.void")
    b = db.session.get(Bill, bill_id)
    if b is None or b.community_id != c.id:
        raise NotFound()
    new = svc.void_and_reissue(current_user, b, c, request.form.get("reason", ""))
    db.session.commit()
    flash(_("Bill voided and reissued as %(n)s.", n=new.number), "success")
    return redirect(url_for("fees.bill", cid=c.id, bill_id=new.id))


@bp.route("/c/<int:cid>/payments", methods=["POST"])
@login_required
def payment_new(cid):
    c = community_for(cid, "fees.payment.record")
    form = PaymentForm()
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    unit = db.session.get(core.Unit, form.unit_id.data)
    if unit is None or unit.community_id != c.id:
        raise Invalid(fields={"unit_id": [_("No such unit in this community.")]})
    p = svc.record_payment(current_user, c, unit=unit, amount=form.amount.data, method=form.method.data,
                           reference=form.reference.data, idempotency_key=form.idempotency_key.data)
    db.session.commit()
    flash(_("Payment recorded: receipt %(n)s.", n=p.receipt_number), "success")
    return redirect(url_for("fees.receipt", cid=c.id, payment_id=p.id))


@bp.route("/c/<int:cid>/refund-credit", methods=["POST"])
@login_required
def refund_credit(cid):
    """Refund a unit's prepayment credit (the months not yet served)."""
    c = community_for(cid, "fees.bill.void")
    unit = db.session.get(core.Unit, request.form.get("unit_id", type=int) or 0)
    if unit is None or unit.community_id != c.id:
        raise Invalid(fields={"unit_id": [_("No such unit in this community.")]})
    total = svc.refund_credit(current_user, c, unit, request.form.get("reason", ""))
    db.session.commit()
    flash(_("Refunded %(amount)s yuan of prepayment.", amount=total), "success")
    return redirect(url_for("fees.community", cid=c.id))


@bp.route("/c/<int:cid>/payments/<int:payment_id>/receipt")
@login_required
def receipt(cid, payment_id):
    c = community_for(cid, "fees.bill.read")
    p = db.session.get(Payment, payment_id)
    if p is None or p.community_id != c.id:
        raise NotFound()
    return render_template("fees/receipt.html", c=c, p=p, units=_units({p.unit_id}))


@bp.route("/c/<int:cid>/arrears")
@login_required
def arrears(cid):
    c = community_for(cid, "fees.bill.read")
    rows = svc.arrears(c.id)
    demands = db.session.scalars(select(Demand).where(Demand.community_id == c.id)
                                 .order_by(Demand.id.desc()).limit(50)).all()
    return render_template("fees/arrears.html", c=c, rows=rows, units=_units({r["unit_id"] for r in rows}),
                           demands=demands, can_demand=core.can(current_user, "fees.demand.issue", community=c))


@bp.route("/c/<int:cid>/arrears/<int:unit_id>/demand", methods=["POST"])
@login_required
def demand_new(cid, unit_id):
    c = community_for(cid, "fees.demand.issue")
    unit = db.session.get(core.Unit, unit_id)
    if unit is None or unit.community_id != c.id:
        raise NotFound()
    d = svc.issue_demand(current_user, c, unit)
    db.session.commit()
    return redirect(url_for("fees.demand", cid=c.id, demand_id=d.id))


@bp.route("/c/<int:cid>/demands/<int:demand_id>")
@login_required
def demand(cid, demand_id):
    c = community_for(cid, "fees.bill.read")
    d = db.session.get(Demand, demand_id)
    if d is None or d.community_id != c.id:
        raise NotFound()
    bills_ = db.session.scalars(select(Bill).where(Bill.id.in_(d.bill_ids)).order_by(Bill.due_date)).all()
    return render_template("fees/demand.html", c=c, d=d, bills=bills_, units=_units({d.unit_id}))


@bp.route("/c/<int:cid>/changes", methods=["GET", "POST"])
@login_required
def changes(cid):
    """Fee changes: propose (costing, posted at least 30 days ahead, the owners asked), see their state."""
    c = community_for(cid, "fees.item.manage")
    if request.method == "POST":
        f = request.form
        try:
            day = dt.date.fromisoformat(f.get("takes_effect", ""))
        except ValueError:
            raise Invalid(fields={"takes_effect": [_("Not a valid date.")]}) from None
        svc.propose_fee_change(current_user, c, item_code=f.get("item_code", ""), new_rate=f.get("new_rate"),
                               takes_effect=day, costing=f.get("costing", ""))
        db.session.commit()
        flash(_("Fee change posted on the notice board."), "success")
        return redirect(url_for("fees.changes", cid=c.id))
    rows = db.session.scalars(select(FeeChange).where(FeeChange.community_id == c.id)
                              .order_by(FeeChange.id.desc())).all()
    return render_template("fees/changes.html", c=c, changes=rows,
                           min_day=dt.date.today() + dt.timedelta(
                               days=core.get_setting("fees.fee_change_notice_days", community=c)))


def _change(c, change_id):
    change = db.session.get(FeeChange, change_id)
    if change is None or change.community_id != c.id:
        raise NotFound()
    return change


@bp.route("/c/<int:cid>/changes/<int:change_id>/decision", methods=["POST"])
@login_required
def change_decision(cid, change_id):
    """Enter the owners' decision by hand (when the owners' assembly plugin is absent)."""
    c = community_for(cid, "fees.item.manage")
    change = _change(c, change_id)
    passed = request.form.get("passed")
    if passed not in ("yes", "no"):
        raise Invalid(fields={"passed": [_("Must be one of: %(choices)s.", choices="yes, no")]})
    if not request.form.get("note", "").strip():
        raise Invalid(fields={"note": [_("This field is required.")]})
    svc.record_decision(change, passed == "yes", request.form["note"])
    db.session.commit()
    return redirect(url_for("fees.changes", cid=c.id))


@bp.route("/c/<int:cid>/changes/<int:change_id>/apply", methods=["POST"])
@login_required
def change_apply(cid, change_id):
    c = community_for(cid, "fees.item.manage")
    svc.apply_fee_change(current_user, _change(c, change_id), c)
    db.session.commit()
    flash(_("The new rate is in force from its date; post the price notice again."), "success")
    return redirect(url_for("fees.community", cid=c.id))


# ---------------------------------------------------------------------------------------------
# Disclosure
# ---------------------------------------------------------------------------------------------


@bp.route("/disclosures")
@login_required
def disclosures():
    ids = core.visible_community_ids(current_user, "fees.disclosure.read")
    stmt = select(core.Community).order_by(core.Community.name)
    if ids is not None:
        stmt = stmt.where(core.Community.id.in_(ids))
    return render_template("fees/disclosures.html", communities=db.session.scalars(stmt).all(),
                           year=dt.date.today().year)


@bp.route("/c/<int:cid>/disclosure/<int:year>")
@login_required
def disclosure(cid, year):
    c = community_for(cid, "fees.disclosure.read")
    published = db.session.scalars(select(Disclosure).where(Disclosure.community_id == c.id, Disclosure.year == year)
                                   .order_by(Disclosure.version.desc())).all()
    figures = svc.disclosure_figures(c, year)
    return render_template("fees/disclosure.html", c=c, year=year, figures=figures, published=published,
                           form=LedgerForm(), can_manage=core.can(current_user, "fees.disclosure.manage", community=c),
                           printable=request.args.get("print") == "1")


@bp.route("/c/<int:cid>/disclosure/<int:year>/entries", methods=["POST"])
@login_required
def ledger_new(cid, year):
    c = community_for(cid, "fees.disclosure.manage")
    form = LedgerForm()
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    svc.add_ledger_entry(current_user, c, year=year, kind=form.kind.data, label=form.label.data,
                         amount=form.amount.data, source=form.source.data)
    db.session.commit()
    return redirect(url_for("fees.disclosure", cid=c.id, year=year))


@bp.route("/c/<int:cid>/disclosure/<int:year>/publish", methods=["POST"])
@login_required
def disclosure_publish(cid, year):
    c = community_for(cid, "fees.disclosure.manage")
    svc.publish_disclosure(current_user, c, year)
    db.session.commit()
    flash(_("Disclosure published on the notice board."), "success")
    return redirect(url_for("fees.disclosure", cid=c.id, year=year))


@bp.route("/c/<int:cid>/disclosure/<int:year>.xlsx")
@login_required
def disclosure_xlsx(cid, year):
    from openpyxl import Workbook

    c = community_for(cid, "fees.disclosure.read")
    f = svc.disclosure_figures(c, year)
    wb = Workbook()
    ws = wb.active
    ws.title = str(year)
    ws.append([c.name, _("Fee disclosure"), year])
    sections = [(_("Fee income"), [(r["item"], r["amount"]) for r in f["income"]]),
                (_("Expenses by cost item"), [(r["label"], r["amount"]) for r in f["expenses"]]),
                (_("Income from common parts"), [(r["label"], r["amount"]) for r in f["common_income"]]),
                (_("Reasonable costs of common parts"), [(r["label"], r["amount"]) for r in f["common_costs"]]),
                (_("Maintenance fund movements"), [(r["label"], r["amount"]) for r in f["fund_movements"]])]
    for title, rows in sections:
        ws.append([])
        ws.append([title])
        for label, amount in rows:
            ws.append([label, Decimal(amount)])
    ws.append([])
    ws.append([_("Common-part net belonging to the owners"), Decimal(f["common_net_owners"])])
    ws.append([_("Maintenance fund balance"), Decimal(f["fund_balance"])])
    if f["commission"] is not None:
        ws.append([_("Commission (酬金)"), Decimal(f["commission"])])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return send_file(buf, as_attachment=True, download_name=f"disclosure-{c.id}-{year}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# ---------------------------------------------------------------------------------------------
# Portal: the owner's own bills, payments and receipts
# ---------------------------------------------------------------------------------------------


def _portal_scope():
    person = getattr(current_user, "person", None)
    if person is None:
        raise Forbidden()
    return person, core.person_unit_ids(person.id)


def _portal_bill(bill_id):
    person, unit_ids = _portal_scope()
    b = db.session.get(Bill, bill_id)
    if b is None or not (b.unit_id in unit_ids or b.payer_person_id == person.id):
        raise NotFound()
    return person, b


@bp.route("/portal")
@login_required
def portal():
    person, unit_ids = _portal_scope()
    stmt = select(Bill).where(Bill.voided_at.is_(None))
    stmt = stmt.where((Bill.unit_id.in_(unit_ids)) | (Bill.payer_person_id == person.id))
    bills_ = db.session.scalars(stmt.order_by(Bill.period.desc(), Bill.id.desc()).limit(100)).all()
    payments = db.session.scalars(select(Payment).where(Payment.unit_id.in_(unit_ids), Payment.status == "succeeded")
                                  .order_by(Payment.id.desc()).limit(50)).all() if unit_ids else []
    balance = sum((b.balance for b in bills_ if b.refunded_at is None), Decimal("0.00"))
    credit = svc.units_credit(unit_ids) if unit_ids else Decimal("0.00")
    return render_template("fees/portal.html", bills=bills_, payments=payments, balance=balance, credit=credit,
                           units=_units({b.unit_id for b in bills_}))


@bp.route("/portal/bills/<int:bill_id>")
@login_required
def portal_bill(bill_id):
    _person, b = _portal_bill(bill_id)
    c = db.session.get(core.Community, b.community_id)
    return render_template("fees/bill.html", c=c, portal=True, form=None, can_void=False, **_bill_context(b))


@bp.route("/portal/bills/<int:bill_id>/pay", methods=["POST"])
@login_required
def portal_pay(bill_id):
    """Start an online payment of the bill's balance (the simulated provider completes at once in
    demos and tests; a real provider would redirect to its page and call back)."""
    from plugins.fees.providers import SimulatedProvider

    _person, b = _portal_bill(bill_id)
    c = db.session.get(core.Community, b.community_id)
    if b.voided_at is not None:
        raise core.Conflict(_("This bill is void; pay its replacement."), extra={"allowed": []})
    if b.balance <= 0:
        raise core.Conflict(_("This bill is already paid."), extra={"allowed": []})
    key = request.form.get("idempotency_key") or None
    ref = SimulatedProvider.new_reference()
    p = svc.record_payment(current_user, c, bill=b, amount=b.balance, method="online", reference=ref,
                           idempotency_key=key, provider="simulated", pending=True)
    if p.status == "pending":
        svc.provider_callback(p.reference, p.amount, "paid")
    db.session.commit()
    return redirect(url_for("fees.portal_receipt", payment_id=p.id))


@bp.route("/portal/receipts/<int:payment_id>")
@login_required
def portal_receipt(payment_id):
    person, unit_ids = _portal_scope()
    p = db.session.get(Payment, payment_id)
    if p is None or not (p.unit_id in unit_ids or p.payer_key == f"p:{person.id}"):
        raise NotFound()
    c = db.session.get(core.Community, p.community_id)
    return render_template("fees/receipt.html", c=c, p=p, units=_units({p.unit_id}), portal=True)


# ---------------------------------------------------------------------------------------------
# Maintenance fund (专项维修资金) statements: upload → preview (per-row report) → confirm
# ---------------------------------------------------------------------------------------------


def _fund_upload_dir() -> Path:
    folder = Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "fees_fund"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 86_400  # previews never confirmed are kept a day
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
    return folder


@bp.route("/c/<int:cid>/fund")
@login_required
def fund(cid):
    c = community_for(cid, "fees.disclosure.read")
    year = request.args.get("year", type=int)
    lines = svc.fund_lines(c.id, year)
    imports = db.session.scalars(select(FundImport).where(FundImport.community_id == c.id)
                                 .order_by(FundImport.id.desc()).limit(50)).all()
    can_manage = core.can(current_user, "fees.disclosure.manage", community=c)
    return render_template("fees/fund.html", c=c, lines=lines, imports=imports, year=year,
                           form=FundUploadForm() if can_manage else None)


@bp.route("/c/<int:cid>/fund/template.csv")
@login_required
def fund_template(cid):
    community_for(cid, "fees.disclosure.read")
    return send_file(io.BytesIO(svc.fund_statement_template()), as_attachment=True,
                     download_name="fund-statement.csv", mimetype="text/csv")


@bp.route("/c/<int:cid>/fund/import", methods=["POST"])
@login_required
def fund_import(cid):
    c = community_for(cid, "fees.disclosure.manage")
    form = FundUploadForm()
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    storage = form.file.data
    data = storage.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    name = storage.filename or ""
    if len(data) > current_app.config["UPLOAD_MAX_BYTES"]:
        raise Invalid(fields={"file": [_("The upload is too large.")]})
    holder = form.holder.data or ""
    try:
        plan, _record = svc.import_fund_statement(current_user, c, data, name, holder=holder, dry_run=True)
    except core.ImportRefused as exc:
        return render_template("fees/fund_preview.html", c=c, filename=name, problems=exc.problems[:500],
                               problem_count=len(exc.problems), summary=None, confirm=None), 422
    token = f"{secrets.token_urlsafe(18)}.{name.rsplit('.', 1)[-1].lower()}"
    (_fund_upload_dir() / token).write_bytes(data)
    return render_template("fees/fund_preview.html", c=c, filename=name, problems=[], problem_count=0,
                           summary=plan.summary(), new=plan.new[:200],
                           confirm=FundConfirmForm(formdata=None, token=token, holder=holder))


@bp.route("/c/<int:cid>/fund/import/confirm", methods=["POST"])
@login_required
def fund_import_confirm(cid):
    c = community_for(cid, "fees.disclosure.manage")
    form = FundConfirmForm()
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    path = _fund_upload_dir() / form.token.data
    if not path.is_file():
        flash(_("This preview has expired; upload the file again."), "warning")
        return redirect(url_for("fees.fund", cid=c.id))
    try:
        plan, _record = svc.import_fund_statement(current_user, c, path.read_bytes(), path.name,
                                                  holder=form.holder.data or "")
    except core.ImportRefused as exc:  # the records changed since the preview
        db.session.rollback()
        return render_template("fees/fund_preview.html", c=c, filename=path.name, problems=exc.problems[:500],
                               problem_count=len(exc.problems), summary=None, confirm=None), 422
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(_("Statement imported: %(new)s new movements, %(old)s already on record.",
            new=len(plan.new), old=len(plan.rows) - len(plan.new)), "success")
    return redirect(url_for("fees.fund", cid=c.id))
