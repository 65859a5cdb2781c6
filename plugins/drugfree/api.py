"""Drug-free API: the area evaluation (aggregates for everyone allowed, people for the officer),
named case records for the officer only (every read and every refusal audited), aggregate entry."""

from __future__ import annotations

from core import ApiBlueprint, Area, Forbidden, NotFound, api_auth, current_account, db
from plugins.drugfree import rules, services
from plugins.drugfree.models import Case
from plugins.drugfree.schemas import (
    AggregateSchema,
    CaseCreateSchema,
    CaseListArgs,
    CaseListSchema,
    CaseSchema,
    EvaluationSchema,
    HelperSchema,
    HistoryEntrySchema,
    OnDateArgs,
    RelapseSchema,
    SavedSchema,
    StatusSchema,
    VisitSchema,
)

blp = ApiBlueprint("drugfree_api", __name__, url_prefix="/api/v1/drugfree",
                   description="Drug-free community (无毒社区): evaluation, case records, aggregate counts")


def _area(area_id: int) -> Area:
    area = db.session.get(Area, area_id)
    if area is None:
        raise NotFound()
    return area


def _refuse(account, what, entity_id, area_id):
    db.session.rollback()
    services.record_refusal(account, what, entity_id, area_id)
    db.session.commit()
    raise Forbidden()


def _officer(account, area: Area, what="Case", entity_id=None):
    if not services.may_see_named(account, area):
        _refuse(account, what, entity_id, area.id)


def _case(account, case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound()
    _officer(account, db.session.get(Area, case.area_id), "Case", case.id)
    services.audit_read(account, "Case", case.id, case.area_id)
    return case


def _dump(case: Case, on=None) -> dict:
    on = on or services.today()
    area = db.session.get(Area, case.area_id)
    fact = services.facts_of([case], on)[0]
    return {"id": case.id, "area_id": case.area_id, "name": case.name, "id_number": case.id_number,
            "legal_basis": case.legal_basis, "registered_on": case.registered_on, "last_use_on": case.last_use_on,
            "clean_since": case.clean_since, "category": rules.category(fact, on, services.limits_for(area)),
            "statuses": case.statuses, "relapses": case.relapses, "demo": case.demo,
            "reduced": case.reduced_at is not None}


@blp.route("/areas/<int:area_id>/evaluation")
@api_auth
@blp.arguments(OnDateArgs, location="query")
@blp.response(200, EvaluationSchema)
def evaluation(args, area_id):
    """The area's result on a date: "meets" or not, each check with its counts, the indicators.

    Anyone allowed the aggregates gets counts with small cells suppressed; the officer gets the
    exact counts and the case ids behind each. Each computation is audited once."""
    account = current_account()
    area = _area(area_id)
    if not services.may_see_aggregates(account, area):
        raise Forbidden()
    on = args["on_date"] or services.today()
    named = services.may_see_named(account, area)
    mode, summary, result = services.evaluate_area(account, area, on)
    db.session.commit()
    if result is None:
        return {"area_id": area.id, "mode": mode, "on_date": on.isoformat(), "meets": None, "checks": [],
                "indicators": {}, "suppressed": False, "min_cell": services.min_cell(area), "people": None,
                "no_result": {"code": "no_counts_this_year", "message": str(services.no_counts_message(on))}}
    body = services.public_result(summary, result, 1 if named else services.min_cell(area))
    return {**body, "area_id": area.id, "mode": mode, "no_result": None,
            "people": summary.people if named and mode == "named" else None}


@blp.route("/areas/<int:area_id>/evaluations")
@api_auth(read_only=True)
@blp.response(200, HistoryEntrySchema(many=True))
def history(area_id):
    """The area's saved evaluations, latest first: date, mode, result and the checks that did not hold
    (no counts, no names), for anyone allowed the aggregates."""
    account = current_account()
    area = _area(area_id)
    if not services.may_see_aggregates(account, area):
        raise Forbidden()
    return [{"on_date": h.on_date, "mode": h.mode, "meets": h.meets, "created_at": h.created_at,
             "failed": services.failed_checks(h)}
            for h in services.evaluations_of(area)]


@blp.route("/areas/<int:area_id>/cases")
@api_auth
@blp.arguments(CaseListArgs, location="query")
@blp.response(200, CaseListSchema)
def list_cases(args, area_id):
    """The area's named cases (officer only; audited)."""
    account = current_account()
    area = _area(area_id)
    _officer(account, area)
    cases = services.find_cases(account, area, id_number=args["id_number"])
    on = services.today()
    items = [_dump(c, on) for c in cases]
    db.session.commit()
    return {"items": items}


@blp.route("/areas/<int:area_id>/cases", methods=["POST"])
@api_auth
@blp.arguments(CaseCreateSchema)
@blp.response(201, CaseSchema)
def create_case(args, area_id):
    """Open a case for a resident of the area (a legal basis is required)."""
    account = current_account()
    area = _area(area_id)
    _officer(account, area)
    case = services.create_case(account, area, **args)
    db.session.commit()
    return _dump(case)


@blp.route("/cases/<int:case_id>")
@api_auth
@blp.response(200, CaseSchema)
def get_case(case_id):
    """One named case (its area's officer only; the read and any refusal are audited)."""
    account = current_account()
    case = _case(account, case_id)
    db.session.commit()
    return _dump(case)


@blp.route("/cases/<int:case_id>/statuses", methods=["POST"])
@api_auth
@blp.arguments(StatusSchema)
@blp.response(201, StatusSchema)
def add_status(args, case_id):
    """Add a status change (not in the future; custodial statuses need their length)."""
    account = current_account()
    row = services.add_status(account, _case(account, case_id), **args)
    db.session.commit()
    return row


@blp.route("/cases/<int:case_id>/relapses", methods=["POST"])
@api_auth
@blp.arguments(RelapseSchema)
@blp.response(201, RelapseSchema)
def add_relapse(args, case_id):
    """Record a relapse (resets clean time)."""
    account = current_account()
    row = services.add_relapse(account, _case(account, case_id), **args)
    db.session.commit()
    return row


@blp.route("/cases/<int:case_id>/aftercare", methods=["PUT"])
@api_auth
@blp.arguments(HelperSchema)
@blp.response(200, SavedSchema)
def assign_helper(args, case_id):
    """Assign the 接茬帮教 helper."""
    account = current_account()
    row = services.assign_helper(account, _case(account, case_id), **args)
    db.session.commit()
    return row


@blp.route("/cases/<int:case_id>/visits", methods=["POST"])
@api_auth
@blp.arguments(VisitSchema)
@blp.response(201, VisitSchema)
def add_visit(args, case_id):
    """Record an aftercare visit."""
    account = current_account()
    row = services.add_visit(account, _case(account, case_id), **args)
    db.session.commit()
    return row


@blp.route("/areas/<int:area_id>/aggregates", methods=["POST"])
@api_auth
@blp.arguments(AggregateSchema)
@blp.response(201, SavedSchema)
def save_aggregate(args, area_id):
    """Aggregate mode: counts per category on a date; contradictory counts are refused whole (422)."""
    account = current_account()
    area = _area(area_id)
    _officer(account, area, "AggregateReport")
    on_date, source = args.pop("on_date"), args.pop("source")
    row = services.save_aggregate(account, area, on_date=on_date, counts=args, source=source)
    db.session.commit()
    return row
