"""API schemas of the fees plugin. Money goes in and out as strings ("903.75"): exact, never floats."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class FeeItemInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(required=True)
    rate = fields.String(required=True)
    unit_label = fields.String(load_default="")
    pricing_type = fields.String(load_default="market")
    guided_base = fields.String(load_default=None, allow_none=True)
    guided_min = fields.String(load_default=None, allow_none=True)
    guided_max = fields.String(load_default=None, allow_none=True)
    handling_fee = fields.String(load_default="0")
    legal_basis = fields.String(load_default="")
    service_content = fields.String(load_default="")
    billing_method = fields.String(load_default="")
    payer = fields.String(load_default="")
    payee = fields.String(load_default="company")
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(load_default=None, allow_none=True)


class FeeItemSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    rate = fields.String()
    unit_label = fields.String()
    pricing_type = fields.String()
    effective_from = fields.Date()
    effective_to = fields.Date(allow_none=True)


class FeeRunInSchema(Schema):
    period = fields.String(required=True)
    due_date = fields.Date(load_default=None, allow_none=True)


class FeeRunSchema(Schema):
    id = fields.Integer()
    period = fields.String()
    status = fields.String()
    preview = fields.Dict()
    due_date = fields.Date()
    bills_created = fields.Integer()
    lines_created = fields.Integer()


class FeeLineSchema(Schema):
    item_id = fields.Integer()
    calculation = fields.String()
    base_amount = fields.String()
    adjustment = fields.String()
    amount = fields.String()


class FeeBillSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    unit_id = fields.Integer(allow_none=True)
    period = fields.String()
    payer_name = fields.String()
    total = fields.String()
    paid = fields.String()
    status = fields.String()
    due_date = fields.Date()
    lines = fields.List(fields.Nested(FeeLineSchema))


class FeeBillArgs(Schema):
    period = fields.String(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class FeePaymentInSchema(Schema):
    unit_id = fields.Integer(load_default=None, allow_none=True)
    bill_id = fields.Integer(load_default=None, allow_none=True)
    amount = fields.Raw(required=True)
    method = fields.String(required=True)
    reference = fields.String(load_default=None, allow_none=True)
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))


class FeePaymentSchema(Schema):
    id = fields.Integer()
    receipt_number = fields.String()
    amount = fields.String()
    credit = fields.String()
    method = fields.String()
    status = fields.String()
    reference = fields.String(allow_none=True)


class FeeCallbackSchema(Schema):
    reference = fields.String(required=True)
    amount = fields.Raw(required=True)
    status = fields.String(load_default="paid")


class FeeCallbackResultSchema(Schema):
    payment = fields.Nested(FeePaymentSchema)
    outcome = fields.String()


class FeeArrearsSchema(Schema):
    unit_id = fields.Integer()
    payer_name = fields.String()
    amount = fields.String()
    bills = fields.Integer()
    oldest_due = fields.Date()


class FeeFundFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "The holder's statement, .xlsx or .csv"})


class FeeFundFormSchema(Schema):
    holder = fields.String(load_default="", validate=validate.Length(max=120),
                           metadata={"description": "Who holds the fund and issued the statement"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Check and preview; write nothing"})


class FeeFundPlanSchema(Schema):
    import_id = fields.Integer(allow_none=True)
    rows = fields.Integer()
    new = fields.Integer()
    already_imported = fields.Integer()
    total_in = fields.String()
    total_out = fields.String()
    opening_balance = fields.String(allow_none=True)
    closing_balance = fields.String(allow_none=True)


class FeeFundLineArgs(Schema):
    year = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=2000, max=2100))


class FeeFundLineSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    description = fields.String()
    amount_in = fields.String()
    amount_out = fields.String()
    balance = fields.String()
    import_id = fields.Integer()
