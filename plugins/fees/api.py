"""The fees API under /api/v1/fees: items, price notice, billing runs, bills, payments, arrears."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import select

import core
from core import ApiBlueprint, Invalid, NotFound, api_auth, current_account, db, page_of, page_schema
from plugins.fees import services as svc
from plugins.fees.models import Bill, BillingRun
from plugins.fees.schemas import (
    FeeArrearsSchema,
    FeeBillArgs,
    FeeBillSchema,
    FeeCallbackResultSchema,
    FeeCallbackSchema,
    FeeFundFileSchema,
    FeeFundFormSchema,
    FeeFundLineArgs,
    FeeFundLineSchema,
    FeeFundPlanSchema,
    FeeItemInSchema,
    FeeItemSchema,
    FeePaymentInSchema,
    FeePaymentSchema,
    FeeRunInSchema,
    FeeRunSchema,
)

blp = ApiBlueprint("fees_api", __name__, description="Fees: items, price notices, billing runs, bills, payments")


def community_for(cid: int, permission: str):
    community = db.session.get(core.Community, cid)
    if community is None:
        raise NotFound()
    core.require(current_account(), permission, community=community)
    return community


@blp.route("/communities/<int:cid>/items")
@blp.response(200, FeeItemSchema(many=True))
@api_auth
def items(cid):
    c = community_for(cid, "fees.bill.read")
    return svc.community_items(c.id)


@blp.route("/communities/<int:cid>/items", methods=["POST"])
@blp.arguments(FeeItemInSchema)
@blp.response(201, FeeItemSchema)
@api_auth
def item_create(data, cid):
    c = community_for(cid, "fees.item.manage")
    item = svc.create_item(current_account(), c, data)
    db.session.commit()
    return item


@blp.route("/communities/<int:cid>/price-notice", methods=["POST"])
@blp.response(201, FeeItemSchema(many=True))
@api_auth
def price_notice(cid):
    c = community_for(cid, "fees.item.manage")
    svc.publish_price_notice(current_account(), c)
    db.session.commit()
    return svc.posted_items(c.id)


@blp.route("/communities/<int:cid>/runs", methods=["POST"])
@blp.arguments(FeeRunInSchema)
@blp.response(201, FeeRunSchema)
@api_auth
def run_preview(data, cid):
    c = community_for(cid, "fees.run.manage")
    run = svc.preview_run(current_account(), c, data["period"], data.get("due_date"))
    db.session.commit()
    return run


@blp.route("/communities/<int:cid>/runs/<int:run_id>/confirm", methods=["POST"])
@blp.response(200, FeeRunSchema)
@api_auth
def run_confirm(cid, run_id):
    c = community_for(cid, "fees.run.manage")
    run = db.session.get(BillingRun, run_id)
    if run is None or run.community_id != c.id:
        raise NotFound()
    svc.confirm_run(current_account(), run, c, on_chunk=db.session.commit)
    db.session.commit()
    return run


@blp.route("/communities/<int:cid>/bills")
@blp.arguments(FeeBillArgs, location="query")
@blp.response(200, page_schema(FeeBillSchema))
@api_auth
def bills(args, cid):
    c = community_for(cid, "fees.bill.read")
    stmt = select(Bill).where(Bill.community_id == c.id)
    if args.get("period"):
        stmt = stmt.where(Bill.period == args["period"])
    return page_of(stmt.order_by(Bill.id), args)


@blp.route("/communities/<int:cid>/bills/<int:bill_id>")
@blp.response(200, FeeBillSchema)
@api_auth
def bill(cid, bill_id):
    c = community_for(cid, "fees.bill.read")
    b = db.session.get(Bill, bill_id)
    if b is None or b.community_id != c.id:
        raise NotFound()
    return b


@blp.route("/communities/<int:cid>/payments", methods=["POST"])
@blp.arguments(FeePaymentInSchema)
@blp.response(201, FeePaymentSchema)
@api_auth
def payment(data, cid):
    c = community_for(cid, "fees.payment.record")
    unit = bill_ = None
    if data.get("bill_id") is not None:
        bill_ = db.session.get(Bill, data["bill_id"])
        if bill_ is None or bill_.community_id != c.id:
            raise Invalid(fields={"bill_id": [_("No such bill in this community.")]})
    elif data.get("unit_id") is not None:
        unit = db.session.get(core.Unit, data["unit_id"])
        if unit is None or unit.community_id != c.id:
            raise Invalid(fields={"unit_id": [_("No such unit in this community.")]})
    else:
        raise Invalid(fields={"unit_id": [_("This field is required.")]})
    key = data.get("idempotency_key") or request.headers.get("Idempotency-Key")
    p = svc.record_payment(current_account(), c, unit=unit, bill=bill_, amount=data["amount"],
                           method=data["method"], reference=data.get("reference"), idempotency_key=key)
    db.session.commit()
    return p


@blp.route("/providers/<name>/callback", methods=["POST"])
@blp.arguments(FeeCallbackSchema)
@blp.response(200, FeeCallbackResultSchema)
def provider_callback(data, name):
    """Callback of an online payment provider (the provider authenticates it in ``verify``)."""
    providers = {}
    for mapping in core.collect("payment_providers"):
        providers.update(mapping)
    provider = providers.get(name)
    if provider is None or not provider.online:
        raise NotFound()
    reference, amount, status = provider.verify(request)
    payment, outcome = svc.provider_callback(reference or data["reference"], amount, status)
    db.session.commit()
    return {"payment": payment, "outcome": outcome}


@blp.route("/communities/<int:cid>/arrears")
@blp.response(200, FeeArrearsSchema(many=True))
@api_auth
def arrears(cid):
    c = community_for(cid, "fees.bill.read")
    return svc.arrears(c.id)


@blp.route("/communities/<int:cid>/fund-statements", methods=["POST"])
@blp.arguments(FeeFundFormSchema, location="form")
@blp.arguments(FeeFundFileSchema, location="files")
@blp.response(201, FeeFundPlanSchema)
@blp.alt_response(200, schema=FeeFundPlanSchema, description="dry_run: what the import would do")
@api_auth
def fund_statement(form, files, cid):
    """Import a maintenance fund statement (专项维修资金) from its holder: all rows or none; rows
    already imported are recognised and skipped. A bad row gives 422 ``import_invalid`` with every
    problem under ``problems``."""
    c = community_for(cid, "fees.disclosure.manage")
    upload = files["file"]
    data = upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    if len(data) > current_app.config["UPLOAD_MAX_BYTES"]:
        raise Invalid(fields={"file": [_("The upload is too large.")]})
    plan, record = svc.import_fund_statement(current_account(), c, data, upload.filename or "",
                                             holder=form["holder"], dry_run=form["dry_run"])
    if record is None:
        return {**plan.summary(), "import_id": None}, 200
    db.session.commit()
    return {**plan.summary(), "import_id": record.id}, 201


@blp.route("/communities/<int:cid>/fund-lines")
@blp.arguments(FeeFundLineArgs, location="query")
@blp.response(200, FeeFundLineSchema(many=True))
@api_auth
def fund_lines(args, cid):
    """The maintenance fund's movements as imported from the holder's statements, oldest first."""
    c = community_for(cid, "fees.disclosure.read")
    return svc.fund_lines(c.id, args["year"])
