"""Drug-free API schemas."""

from marshmallow import Schema, fields, validate

from plugins.drugfree import rules
from plugins.drugfree.models import LEGAL_BASES


class OnDateArgs(Schema):
    on_date = fields.Date(load_default=None, metadata={"description": "Evaluation date (default today, Asia/Shanghai)."})


class CheckSchema(Schema):
    code = fields.String()
    passed = fields.Boolean()
    counts = fields.Dict(metadata={"description": "Figures behind the decision; for anyone but the officer, "
                                                  "counts from 1 to min_cell-1 read \"<min_cell\"."})


class NoResultSchema(Schema):
    code = fields.String(metadata={"description": "no_counts_this_year: an area in aggregate mode has no counts "
                                                  "dated from 1 January to on_date."})
    message = fields.String()


class EvaluationSchema(Schema):
    area_id = fields.Integer()
    mode = fields.String()
    on_date = fields.String()
    meets = fields.Boolean(allow_none=True)
    checks = fields.List(fields.Nested(CheckSchema))
    indicators = fields.Dict()
    suppressed = fields.Boolean()
    min_cell = fields.Integer()
    people = fields.Dict(allow_none=True, metadata={"description": "Case ids behind each count (officer only)."})
    no_result = fields.Nested(NoResultSchema, allow_none=True,
                              metadata={"description": "Why meets is null and there are no checks; else null."})


class CaseCreateSchema(Schema):
    person_id = fields.Integer(required=True, metadata={"description": "The register's person id (encrypted at rest)."})
    legal_basis = fields.String(required=True, validate=validate.OneOf(LEGAL_BASES))
    registered_on = fields.Date(required=True)
    last_use_on = fields.Date(load_default=None, allow_none=True)
    clean_since = fields.Date(load_default=None, allow_none=True)
    details = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class StatusSchema(Schema):
    id = fields.Integer(dump_only=True)
    status = fields.String(required=True, validate=validate.OneOf(rules.STATUSES))
    start = fields.Date(required=True)
    sentence_months = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=600))
    reported_on = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class RelapseSchema(Schema):
    id = fields.Integer(dump_only=True)
    day = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class HelperSchema(Schema):
    helper = fields.String(required=True, validate=validate.Length(min=1, max=100))
    assigned_on = fields.Date(required=True)


class VisitSchema(Schema):
    id = fields.Integer(dump_only=True)
    day = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class CaseSchema(Schema):
    id = fields.Integer()
    area_id = fields.Integer()
    name = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True)
    legal_basis = fields.String()
    registered_on = fields.Date()
    last_use_on = fields.Date(allow_none=True)
    clean_since = fields.Date(allow_none=True)
    category = fields.String(allow_none=True)
    statuses = fields.List(fields.Nested(StatusSchema))
    relapses = fields.List(fields.Nested(RelapseSchema))
    demo = fields.Boolean()
    reduced = fields.Boolean()


class CaseListArgs(Schema):
    id_number = fields.String(load_default=None, validate=validate.Length(max=32))


class CaseListSchema(Schema):
    items = fields.List(fields.Nested(CaseSchema))


AggregateSchema = Schema.from_dict(
    {"on_date": fields.Date(required=True), "source": fields.String(load_default=None, allow_none=True,
                                                                    validate=validate.Length(max=200)),
     **{name: fields.Integer(load_default=0, validate=validate.Range(min=0, max=100000))
        for name in rules.Summary.COUNT_FIELDS}},
    name="DrugfreeAggregateSchema")


class HistoryEntrySchema(Schema):
    on_date = fields.Date()
    mode = fields.String()
    meets = fields.Boolean()
    failed = fields.List(fields.String(), metadata={"description": "Codes of the checks that did not hold."})
    saved_at = fields.DateTime(attribute="created_at")


class SavedSchema(Schema):
    id = fields.Integer()
