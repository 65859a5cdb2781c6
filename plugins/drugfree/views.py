"""Drug-free pages: the area evaluation (everyone allowed sees aggregates, the officer also the
people behind each count), case records for the officer, aggregate entry, plan, 上墙 posting."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core import (
    Area,
    Forbidden,
    Invalid,
    NotFound,
    Person,
    blind_index,
    db,
    mask,
    parse_date,
    publish_notice,
    visible_area_ids,
    visible_community_ids,
)
from plugins.drugfree import forms, labels, rules, services

bp = Blueprint("drugfree", __name__, url_prefix="/drugfree", template_folder="templates")

def _area(area_id: int) -> Area:
    area = db.session.get(Area, area_id)
    if area is None:
        raise NotFound()
    return area


def refuse(what: str, entity_id, area_id: int | None):
    """A refused attempt at named data: audited (committed on its own), then 403."""
    db.session.rollback()
    services.record_refusal(current_user, what, entity_id, area_id)
    db.session.commit()
    raise Forbidden()


def _officer(area: Area, what: str = "Area", entity_id=None) -> None:
    if not services.may_see_named(current_user, area):
        refuse(what, entity_id if entity_id is not None else area.id, area.id)


def _on_date() -> dt.date:
    return parse_date(request.args.get("on"), "on", services.today())


def dashboard_checks(area: Area, on_date: dt.date) -> list[dict]:
    """``compliance_checks``: the area's result without names, small counts suppressed."""
    if db.session.get(Area, area.id) is None:
        return []
    _mode, summary, evaluation = services.evaluate_area(current_user if _has_user() else None, area, on_date)
    if evaluation is None:
        return [{"code": "drugfree.no_data", "title": str(_l("Drug-free community")), "passed": None,
                 "detail": str(services.no_counts_message(on_date))}]
    result = services.public_result(summary, evaluation, services.min_cell(area))
    out = [{"code": "drugfree.overall", "title": str(_l("Drug-free community (无毒社区)")),
            "passed": evaluation.meets, "detail": str(_l("Meets the standard") if evaluation.meets else
                                                      _l("Not yet"))}]
    for row in labels.check_rows(result, services.limits_for(area)):
        out.append({**row, "code": f"drugfree.{row['code']}"})
    return out


def _has_user() -> bool:
    try:
        return current_user.is_authenticated
    except Exception:  # outside a request (CLI, jobs)
        return False


@bp.route("/")
@login_required
def index():
    ids = visible_area_ids(current_user, services.AGGREGATE)
    stmt = select(Area).order_by(Area.name)
    if ids is not None:
        communities = visible_community_ids(current_user, services.AGGREGATE)
        if communities:
            from core import Community

            ids = set(ids) | set(db.session.scalars(select(Community.area_id).where(Community.id.in_(communities))))
        stmt = stmt.where(Area.id.in_(ids or {-1}))
    areas = db.session.scalars(stmt).all()
    if not areas:
        raise Forbidden()
    if len(areas) == 1:
        return redirect(url_for("drugfree.area", area_id=areas[0].id))
    return render_template("drugfree/index.html", areas=areas)


@bp.route("/areas/<int:area_id>")
@login_required
def area(area_id: int):
    area = _area(area_id)
    if not services.may_see_aggregates(current_user, area):
        raise Forbidden()
    on = _on_date()
    named = services.may_see_named(current_user, area)
    mode, summary, evaluation = services.evaluate_area(current_user, area, on)
    result = people = None
    if evaluation is not None:
        result = services.public_result(summary, evaluation, 1 if named else services.min_cell(area))
        if named and mode == "named":
            people = summary.people
    db.session.commit()  # the evaluation's audit entry
    plan = services.plan_of(area)
    events, participants = services.education_count(area, on)
    limits = services.limits_for(area)
    return render_template(
        "drugfree/area.html", area=area, on=on, mode=mode, result=result,
        checks=labels.check_rows(result, limits) if result else [], people=people, named=named, plan=plan,
        history=services.evaluations_of(area), events=events, participants=participants,
        indicator_labels=labels.indicator_rows(limits), people_labels=labels.render(labels.PEOPLE_LABELS, limits),
        track_labels=forms.TRACK_LABELS, no_counts=services.no_counts_message(on),
        mode_labels=forms.MODE_LABELS, plan_form=forms.PlanForm(obj=plan, formdata=None),
        incident_form=forms.IncidentForm(formdata=None), min_cell=services.min_cell(area))


@bp.route("/areas/<int:area_id>/evaluate", methods=["POST"])
@login_required
def evaluate(area_id: int):
    area = _area(area_id)
    _officer(area)
    on = _on_date()
    _mode, _summary, evaluation = services.evaluate_area(current_user, area, on, save=True)
    db.session.commit()
    flash(_("Evaluation saved.") if evaluation else str(services.no_counts_message(on)), "success")
    return redirect(url_for("drugfree.area", area_id=area.id, on=on.isoformat()))


@bp.route("/areas/<int:area_id>/plan", methods=["POST"])
@login_required
def plan(area_id: int):
    area = _area(area_id)
    _officer(area)
    form = forms.PlanForm()
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    services.set_plan(current_user, area, mode=form.mode.data, track=form.track.data,
                      target_year=form.target_year.data, plan=form.plan.data)
    db.session.commit()
    flash(_("Plan saved."), "success")
    return redirect(url_for("drugfree.area", area_id=area.id))


@bp.route("/areas/<int:area_id>/incidents", methods=["POST"])
@login_required
def incident(area_id: int):
    area = _area(area_id)
    _officer(area)
    form = forms.IncidentForm()
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    services.add_incident(current_user, area, kind=form.kind.data, day=form.day.data, note=form.note.data)
    db.session.commit()
    flash(_("Incident recorded."), "success")
    return redirect(url_for("drugfree.area", area_id=area.id))


@bp.route("/areas/<int:area_id>/publish", methods=["POST"])
@login_required
def publish(area_id: int):
    """上墙: post the standards and the area's status (never names) on the notice board."""
    area = _area(area_id)
    _officer(area)
    on = services.today()
    _mode, _summary, evaluation = services.evaluate_area(current_user, area, on)
    limits = services.limits_for(area)
    body = services.standards_notice_body(area, evaluation, labels.render(labels.CHECK_LABELS, limits),
                                          _("meets the standard"), _("not yet"), labels.standards_text(limits))
    publish_notice(current_user, title=_("Drug-free community standards and status (%(area)s)", area=area.name),
                   body=body, area_id=area.id, kind="posted_rules", source_module="drugfree",
                   source_ref=f"area:{area.id}:{on.isoformat()}")
    db.session.commit()
    flash(_("Posted on the notice board."), "success")
    return redirect(url_for("drugfree.area", area_id=area.id))


@bp.route("/areas/<int:area_id>/cases", methods=["GET", "POST"])
@login_required
def cases(area_id: int):
    area = _area(area_id)
    _officer(area, "Case", None)
    form = forms.CaseForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            number = form.id_number.data.strip().upper()
            person_id = db.session.scalar(select(Person.id).where(
                Person.id_number_index == blind_index(number, "person.id_number")))
            try:
                case = services.create_case(
                    current_user, area, person_id=person_id or 0, legal_basis=form.legal_basis.data,
                    registered_on=form.registered_on.data, last_use_on=form.last_use_on.data,
                    clean_since=form.clean_since.data, details=form.details.data)
            except Invalid as exc:
                db.session.rollback()
                for name, messages in exc.fields.items():
                    target = form.id_number if name == "person_id" else getattr(form, name, None)
                    if target is not None:
                        target.errors = list(target.errors) + [str(m) for m in messages]
                status = 422
            else:
                db.session.commit()
                flash(_("Case opened."), "success")
                return redirect(url_for("drugfree.case", case_id=case.id))
        else:
            status = 422
    rows = services.find_cases(current_user, area, id_number=request.args.get("id_number") or None)
    on = services.today()
    facts = {f.ref: f for f in services.facts_of(rows, on)}
    limits = services.limits_for(area)
    listing = [{"case": c, "category": rules.category(facts[c.id], on, limits),
                "status": rules.status_on(facts[c.id], on)} for c in rows]
    db.session.commit()  # the read's audit entry
    return render_template("drugfree/cases.html", area=area, listing=listing, form=form, mask=mask,
                           status_labels=forms.STATUS_LABELS,
                           category_labels=labels.render(labels.CATEGORY_LABELS, limits)), status


def _case_or_refuse(case_id: int):
    case = db.session.get(services.Case, case_id)
    if case is None:
        raise NotFound()
    area = db.session.get(Area, case.area_id)
    _officer(area, "Case", case.id)
    services.audit_read(current_user, "Case", case.id, case.area_id)
    return case, area


@bp.route("/cases/<int:case_id>")
@login_required
def case(case_id: int):
    case, area = _case_or_refuse(case_id)
    db.session.commit()
    return _render_case(case, area)


def _render_case(case, area, status: int = 200, **form_overrides):
    on = services.today()
    fact = services.facts_of([case], on)[0]
    limits = services.limits_for(area)
    ctx = {
        "status_form": forms.StatusForm(formdata=None), "clean_form": forms.CleanForm(formdata=None),
        "relapse_form": forms.RelapseForm(formdata=None), "helper_form": forms.HelperForm(formdata=None),
        "visit_form": forms.VisitForm(formdata=None), **form_overrides}
    return render_template(
        "drugfree/case.html", case=case, area=area, category=rules.category(fact, on, limits),
        aftercare_problem=rules.aftercare_problem(fact, on, limits),
        reporting=rules.reporting_state(fact, on, limits), returned_on=rules.returned_on(fact, on),
        status_labels=forms.STATUS_LABELS, legal_labels=forms.LEGAL_BASIS_LABELS,
        category_labels=labels.render(labels.CATEGORY_LABELS, limits),
        reporting_labels=labels.render(labels.REPORTING_LABELS, limits),
        aftercare_labels=labels.render(labels.AFTERCARE_LABELS, limits), figures=labels.figures(limits),
        **ctx), status


def _case_post(case_id: int, form_cls, form_key: str, apply):
    case, area = _case_or_refuse(case_id)
    form = form_cls()
    if form.validate_on_submit():
        try:
            apply(case, form)
        except Invalid as exc:
            db.session.rollback()
            case, area = _case_or_refuse(case_id)
            for name, messages in exc.fields.items():
                target = getattr(form, name, None)
                if target is not None:
                    target.errors = list(target.errors) + [str(m) for m in messages]
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("drugfree.case", case_id=case.id))
    db.session.commit()  # the read's audit entry
    return _render_case(case, area, 422, **{form_key: form})


@bp.route("/cases/<int:case_id>/statuses", methods=["POST"])
@login_required
def add_status(case_id: int):
    return _case_post(case_id, forms.StatusForm, "status_form", lambda c, f: services.add_status(
        current_user, c, status=f.status.data, start=f.start.data, sentence_months=f.sentence_months.data,
        reported_on=f.reported_on.data, note=f.note.data))


@bp.route("/cases/<int:case_id>/clean", methods=["POST"])
@login_required
def set_clean(case_id: int):
    return _case_post(case_id, forms.CleanForm, "clean_form",
                      lambda c, f: services.set_clean_since(current_user, c, f.clean_since.data))


@bp.route("/cases/<int:case_id>/relapses", methods=["POST"])
@login_required
def add_relapse(case_id: int):
    return _case_post(case_id, forms.RelapseForm, "relapse_form",
                      lambda c, f: services.add_relapse(current_user, c, day=f.day.data, note=f.note.data))


@bp.route("/cases/<int:case_id>/helper", methods=["POST"])
@login_required
def assign_helper(case_id: int):
    return _case_post(case_id, forms.HelperForm, "helper_form", lambda c, f: services.assign_helper(
        current_user, c, helper=f.helper.data, assigned_on=f.assigned_on.data))


@bp.route("/cases/<int:case_id>/visits", methods=["POST"])
@login_required
def add_visit(case_id: int):
    return _case_post(case_id, forms.VisitForm, "visit_form",
                      lambda c, f: services.add_visit(current_user, c, day=f.day.data, note=f.note.data))


@bp.route("/areas/<int:area_id>/aggregate", methods=["GET", "POST"])
@login_required
def aggregate(area_id: int):
    area = _area(area_id)
    _officer(area)
    form = forms.AggregateForm()
    for name, text in labels.render(forms.COUNT_LABELS, services.limits_for(area)).items():
        getattr(form, name).label.text = text
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            counts = {k: getattr(form, k).data for k in rules.Summary.COUNT_FIELDS}
            try:
                services.save_aggregate(current_user, area, on_date=form.on_date.data, counts=counts,
                                        source=form.source.data)
            except Invalid as exc:
                db.session.rollback()
                for name, messages in exc.fields.items():
                    target = getattr(form, name, None)
                    if target is not None:
                        target.errors = list(target.errors) + [str(m) for m in messages]
                status = 422
            else:
                db.session.commit()
                flash(_("Counts saved."), "success")
                return redirect(url_for("drugfree.area", area_id=area.id, on=form.on_date.data.isoformat()))
        else:
            status = 422
    return render_template("drugfree/aggregate.html", area=area, form=form,
                           count_fields=rules.Summary.COUNT_FIELDS), status


@bp.route("/areas/<int:area_id>/export.csv")
@login_required
def export(area_id: int):
    area = _area(area_id)
    _officer(area, "Case", None)
    body = services.export_named(current_user, area, services.today())
    db.session.commit()
    return Response("\ufeff" + body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=drugfree-area-{area.id}.csv", "Cache-Control": "no-store"})
