"""Pages of the security_guard plugin: thin — parse, call a service, commit, render."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from core import (
    Account,
    AppError,
    Community,
    Forbidden,
    NotFound,
    Unit,
    can,
    db,
    person_unit_ids,
    require,
    utcnow,
)
from core import visible_community_ids as visible
from plugins.security_guard import models as m
from plugins.security_guard import services
from plugins.security_guard.forms import (
    AttendanceForm,
    CandidateForm,
    CourseForm,
    GateForm,
    InterviewForm,
    MoveForm,
    PlanForm,
    QuestionForm,
    RouteForm,
    SessionForm,
    VisitorForm,
)

bp = Blueprint("security_guard", __name__, url_prefix="/security_guard", template_folder="templates")


def _communities(permission: str) -> list[Community]:
    ids = visible(current_user, permission)
    stmt = select(Community).order_by(Community.name)
    if ids is not None:
        stmt = stmt.where(Community.id.in_(ids))
    return list(db.session.scalars(stmt))


def _saved(form, save) -> int | None:
    """Run ``save()`` and commit; on a refused change roll back, show why on the form, return the status."""
    try:
        save()
    except AppError as exc:
        db.session.rollback()
        _form_errors(form, exc)
        if not exc.fields:
            form.form_errors.append(str(exc.message))
        return exc.status
    db.session.commit()
    return None


def _form_errors(form, exc: AppError) -> None:
    for name, msgs in exc.fields.items():
        target = getattr(form, name, None)
        if target is not None:
            target.errors = list(target.errors or []) + [str(x) for x in msgs]
        else:
            form.form_errors.extend(str(x) for x in msgs)


# -- selection -------------------------------------------------------------------------------


@bp.route("/candidates")
@login_required
def candidates():
    ids = visible(current_user, "security_guard.candidates.read")
    if ids is not None and not ids:
        raise Forbidden()
    stmt = select(m.GuardCandidate).order_by(m.GuardCandidate.id.desc()).limit(200)
    if ids is not None:
        stmt = stmt.where(m.GuardCandidate.community_id.in_(ids))
    status = request.args.get("status")
    if status in services.PIPELINE:
        stmt = stmt.where(m.GuardCandidate.status == status)
    rows = db.session.scalars(stmt).all()
    funnel_stmt = select(m.GuardCandidate.status, func.count()).group_by(m.GuardCandidate.status)
    if ids is not None:
        funnel_stmt = funnel_stmt.where(m.GuardCandidate.community_id.in_(ids))
    funnel = dict(db.session.execute(funnel_stmt).all())
    return render_template("security_guard/candidates.html", rows=rows, funnel=funnel, status=status,
                           labels=services.STATUS_LABELS)


@bp.route("/candidates/new", methods=["GET", "POST"])
@login_required
def candidate_new():
    communities = _communities("security_guard.candidates.write")
    if not communities:
        raise Forbidden()
    form = CandidateForm()
    form.community_id.choices = [SelectChoice(c.id, c.name) for c in communities]
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k != "csrf_token"}
        data["exam_score"] = form.exam_score.data
        for key in ("certificate_verify_method", "vetting_outcome"):
            data[key] = data[key] or None
        try:
            data["revocations"] = [dt.date.fromisoformat(x.strip()) for x in (form.revocations.data or "").split(",")
                                   if x.strip()]
        except ValueError:
            form.revocations.errors = [_("Dates as YYYY-MM-DD, separated by commas.")]
        else:
            try:
                candidate = services.create_candidate(current_user, data)
            except AppError as exc:
                db.session.rollback()
                _form_errors(form, exc)
            else:
                db.session.commit()
                return redirect(url_for(".candidate", candidate_id=candidate.id))
    status = 422 if request.method == "POST" else 200
    return render_template("security_guard/candidate_form.html", form=form), status


@bp.route("/candidates/<int:candidate_id>")
@login_required
def candidate(candidate_id):
    c = services.get_candidate(current_user, candidate_id)
    community = db.session.get(Community, c.community_id)
    return render_template("security_guard/candidate.html", c=c, community=community, move_form=MoveForm(),
                           interview_form=InterviewForm(), allowed=services.allowed_moves(c.status),
                           labels=services.STATUS_LABELS,
                           average=services.interview_average([i.score for i in c.interviews]),
                           can_interview=can(current_user, "security_guard.interview", community=community))


@bp.route("/candidates/<int:candidate_id>/move", methods=["POST"])
@login_required
def candidate_move(candidate_id):
    c = services.get_candidate(current_user, candidate_id, "security_guard.candidates.write")
    form = MoveForm()
    if not form.validate_on_submit():
        abort(422)
    try:
        result = services.move_candidate(current_user, c, form.to.data, form.reason.data, form.username.data or None)
    except AppError as exc:
        db.session.rollback()
        msgs = [f"{k}: {v[0]}" for k, v in exc.fields.items()] or [str(exc.message)]
        flash(str(exc.message) + " " + "; ".join(msgs), "error")
        return redirect(url_for(".candidate", candidate_id=candidate_id))
    db.session.commit()
    if result["account"] is not None:
        flash(_("Guard account %(u)s created; initial password: %(p)s (shown once).",
                u=result["account"].username, p=result["password"]), "success")
    return redirect(url_for(".candidate", candidate_id=candidate_id))


@bp.route("/candidates/<int:candidate_id>/interview", methods=["POST"])
@login_required
def candidate_interview(candidate_id):
    c = services.get_candidate(current_user, candidate_id, "security_guard.interview")
    form = InterviewForm()
    if not form.validate_on_submit():
        abort(422)
    try:
        services.add_interview(current_user, c, form.score.data, form.comment.data)
    except AppError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
    return redirect(url_for(".candidate", candidate_id=candidate_id))


# -- training --------------------------------------------------------------------------------


@bp.route("/training", methods=["GET", "POST"])
@login_required
def training():
    ids = visible(current_user, "security_guard.training.read")
    if ids is not None and not ids:
        raise Forbidden()
    form, status = _session_form(), 200
    if form is not None and form.validate_on_submit():
        starts = form.starts_at.data.replace(tzinfo=services.SHANGHAI)
        try:
            services.schedule_session(current_user, form.community_id.data, form.course_id.data, current_user.id,
                                      starts, form.trainee_ids.data, location=form.location.data or None)
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc.message))
            form.form_errors.extend(str(x) for msgs in exc.fields.values() for x in msgs)
            status = exc.status
        else:
            db.session.commit()
            flash(_("The session is on the calendar."), "success")
            return redirect(url_for(".training"))
    elif request.method == "POST":
        status = 422 if form is not None else 403
        if form is None:
            raise Forbidden()
    sessions = select(m.TrainingSession).order_by(m.TrainingSession.starts_at.desc()).limit(100)
    guards = select(m.Guard).order_by(m.Guard.id).limit(500)
    if ids is not None:
        sessions = sessions.where(m.TrainingSession.community_id.in_(ids))
        guards = guards.where(m.Guard.community_id.in_(ids))
    guard_rows = db.session.scalars(guards).all()
    progress = services.progress_of([g.account_id for g in guard_rows]) if guard_rows else {}
    due = services.reassessments_due(ids, dt.date.today())
    return render_template("security_guard/training.html", sessions=db.session.scalars(sessions).all(),
                           guards=guard_rows, progress=progress, due=due, level_names=services.LEVEL_NAMES,
                           form=form), status


def _session_form():
    """The scheduling form for holders of training.manage (None for read-only users)."""
    communities = _communities("security_guard.training.manage")
    if not communities:
        return None
    form = SessionForm()
    form.community_id.choices = [SelectChoice(c.id, c.name) for c in communities]
    form.course_id.choices = [SelectChoice(c.id, f"{c.title} ({c.hours})")
                              for c in db.session.scalars(services.in_organisation(
                                  current_user, select(m.Course).order_by(m.Course.title), m.Course))]
    guards = db.session.execute(select(m.Guard.account_id, Account.display_name)
                                .join(Account, Account.id == m.Guard.account_id)
                                .where(m.Guard.community_id.in_([c.id for c in communities]))
                                .order_by(Account.display_name).limit(1000)).all()
    form.trainee_ids.choices = [SelectChoice(a, n) for a, n in guards]
    return form


# -- courses, plans and the register of a session ---------------------------------------------


@bp.route("/courses")
@login_required
def courses():
    require(current_user, "security_guard.training.read")
    stmt = services.in_organisation(current_user, select(m.Course).order_by(m.Course.title), m.Course)
    return render_template("security_guard/courses.html", rows=db.session.scalars(stmt).all(),
                           rules=services.training_rules(),
                           can_manage=can(current_user, "security_guard.training.manage"))


@bp.route("/courses/new", methods=["GET", "POST"], defaults={"course_id": None})
@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@login_required
def course_form(course_id):
    require(current_user, "security_guard.training.manage")
    course = services.get_course(current_user, course_id) if course_id else None
    form = CourseForm(obj=course)
    status = 200
    if form.validate_on_submit():
        def save():
            if course is None:
                services.create_course(current_user, form.title.data, form.kind.data, form.hours.data)
            else:
                services.update_course(current_user, course, form.title.data, form.kind.data, form.hours.data)
        status = _saved(form, save)
        if status is None:
            flash(_("The course is saved."), "success")
            return redirect(url_for(".courses"))
    elif request.method == "POST":
        status = 422
    return render_template("security_guard/course_form.html", form=form, course=course), status


@bp.route("/plans")
@login_required
def plans():
    require(current_user, "security_guard.training.read")
    stmt = services.in_organisation(current_user, select(m.Plan).order_by(m.Plan.name), m.Plan)
    return render_template("security_guard/plans.html", rows=db.session.scalars(stmt).all(),
                           default_hours=services.training_rules().entry_plan_hours,
                           can_manage=can(current_user, "security_guard.training.manage"))


@bp.route("/plans/new", methods=["GET", "POST"], defaults={"plan_id": None})
@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
@login_required
def plan_form(plan_id):
    require(current_user, "security_guard.training.manage")
    plan = services.get_plan(current_user, plan_id) if plan_id else None
    form = PlanForm(obj=plan)
    default_hours = services.training_rules().entry_plan_hours
    if plan is None and request.method == "GET":
        form.target_hours.data = default_hours
    status = 200
    if form.validate_on_submit():
        def save():
            if plan is None:
                services.create_plan(current_user, form.name.data, form.role.data, form.target_hours.data)
            else:
                services.update_plan(current_user, plan, form.name.data, form.role.data, form.target_hours.data)
        status = _saved(form, save)
        if status is None:
            flash(_("The plan is saved."), "success")
            return redirect(url_for(".plans"))
    elif request.method == "POST":
        status = 422
    return render_template("security_guard/plan_form.html", form=form, plan=plan,
                           default_hours=default_hours), status


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def session_attendance(session_id):
    session = db.session.get(m.TrainingSession, session_id)
    if session is None:
        raise NotFound()
    community = db.session.get(Community, session.community_id)
    require(current_user, "security_guard.training.read", community=community)
    manage = can(current_user, "security_guard.training.manage", community=community)
    rows = sorted(session.attendance, key=lambda a: a.account_id)
    names = dict(db.session.execute(select(Account.id, Account.display_name)
                                    .where(Account.id.in_([a.account_id for a in rows]))).all()) if rows else {}
    form = AttendanceForm()
    form.present.choices = [SelectChoice(a.account_id, names.get(a.account_id, a.account_id)) for a in rows]
    on_it = [a.account_id for a in rows] or [0]
    others = db.session.execute(
        select(m.Guard.account_id, Account.display_name).join(Account, Account.id == m.Guard.account_id)
        .where(m.Guard.community_id == session.community_id, m.Guard.account_id.not_in(on_it))
        .order_by(Account.display_name).limit(1000)).all()
    form.walk_ins.choices = [SelectChoice(a, n) for a, n in others]
    status = 200
    if request.method == "POST":
        if not manage:
            raise Forbidden()
        if form.validate_on_submit():
            ticked, walk_ins = set(form.present.data or []), form.walk_ins.data or []
            status = _saved(form, lambda: services.record_attendance(
                current_user, session, {a.account_id: a.account_id in ticked for a in rows}, walk_ins))
            if status is None:
                flash(_("The register is saved: %(n)s present.", n=len(ticked) + len(set(walk_ins))), "success")
                return redirect(url_for(".session_attendance", session_id=session.id))
        else:
            status = 422
    elif rows:
        form.present.data = [a.account_id for a in rows if a.present]
    return render_template("security_guard/attendance.html", session=session, rows=rows, names=names,
                           rules=services.training_rules(community),
                           form=form if manage else None), status


# -- the question bank -----------------------------------------------------------------------


def _question_values(form) -> dict | None:
    """The form's answer in the service's shape; None (with the field's error) when it cannot be read."""
    kind = form.kind.data
    options = [line.strip() for line in (form.options.data or "").splitlines() if line.strip()]
    raw = (form.correct.data or "").strip().lower()
    correct = None
    if kind in ("single", "multiple"):
        try:
            picked = [int(x) for x in raw.replace("，", ",").split(",") if x.strip()]
        except ValueError:
            picked = None
        if not picked or any(not 1 <= n <= len(options) for n in picked) or (kind == "single" and len(picked) > 1):
            form.correct.errors = [_("Give the number of a right option, from 1 to %(n)s (several, with commas, "
                                     "for a multiple choice).", n=len(options))]
            return None
        # options are numbered from 1 on the page and from 0 in the answer key the exam marks against
        keys = sorted({str(n - 1) for n in picked}, key=int)
        correct = keys if kind == "multiple" else keys[0]
    elif kind == "true_false":
        if raw not in ("true", "false", "对", "错"):
            form.correct.errors = [_("Answer true or false.")]
            return None
        correct, options = raw in ("true", "对"), []
    else:
        options = []
    return {"kind": kind, "text": form.text.data.strip(), "options": options, "correct": correct,
            "points": form.points.data, "level": form.level.data}


def _correct_for_form(q: m.Question) -> str:
    if q.kind == "true_false":
        return "true" if q.correct else "false"
    if q.kind in ("single", "multiple") and q.correct is not None:
        picked = q.correct if isinstance(q.correct, list) else [q.correct]
        return ",".join(str(int(x) + 1) for x in picked)
    return ""


@bp.route("/questions")
@login_required
def questions():
    require(current_user, "security_guard.exams.manage")
    stmt = services.in_organisation(current_user, select(m.Question), m.Question)
    level = request.args.get("level", type=int)
    if level in services.LEVELS:
        stmt = stmt.where(m.Question.level == level)
    rows = db.session.scalars(stmt.order_by(m.Question.level.desc(), m.Question.id).limit(500)).all()
    return render_template("security_guard/questions.html", rows=rows, level=level,
                           level_names=services.LEVEL_NAMES, answer=_correct_for_form)


@bp.route("/questions/new", methods=["GET", "POST"], defaults={"question_id": None})
@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def question_form(question_id):
    require(current_user, "security_guard.exams.manage")
    q = services.get_question(current_user, question_id) if question_id else None
    form = QuestionForm(obj=q)
    if q is not None and request.method == "GET":
        form.options.data = "\n".join(q.options or [])
        form.correct.data = _correct_for_form(q)
    status = 200
    if form.validate_on_submit() and (values := _question_values(form)) is not None:
        def save():
            if q is None:
                services.create_question(current_user, **values)
            else:
                services.update_question(current_user, q, **values)
        status = _saved(form, save)
        if status is None:
            flash(_("The question is saved."), "success")
            return redirect(url_for(".questions"))
    elif request.method == "POST":
        status = 422
    return render_template("security_guard/question_form.html", form=form, question=q), status


# -- assessment (phone-sized pages for guards) -----------------------------------------------


@bp.route("/exams")
@login_required
def my_exams():
    if not can(current_user, "security_guard.exams.take"):
        raise Forbidden()
    exams = db.session.scalars(select(m.Exam).order_by(m.Exam.level.desc(), m.Exam.id)).all()
    attempts = db.session.scalars(select(m.Attempt).where(m.Attempt.account_id == current_user.id)
                                  .order_by(m.Attempt.id.desc())).all()
    certs = {c.attempt_id: c for c in db.session.scalars(
        select(m.Certificate).where(m.Certificate.account_id == current_user.id))}
    return render_template("security_guard/my_exams.html", exams=exams, attempts=attempts, certs=certs,
                           level_names=services.LEVEL_NAMES)


@bp.route("/exams/<int:exam_id>/start", methods=["POST"])
@login_required
def exam_start(exam_id):
    attempt = services.start_attempt(current_user, exam_id)
    db.session.commit()
    return redirect(url_for(".attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id):
    row = db.session.get(m.Attempt, attempt_id)
    if row is None or row.account_id != current_user.id:
        raise NotFound()
    questions = services.exam_questions(row.exam)
    error = None
    if request.method == "POST" and row.submitted_at is None:
        answers = {}
        for q in questions:
            key = f"q{q.id}"
            if q.kind == "multiple":
                values = request.form.getlist(key)
                if values:
                    answers[str(q.id)] = values
            elif q.kind == "true_false":
                if key in request.form:
                    answers[str(q.id)] = request.form[key] == "true"
            elif q.kind == "single" and key in request.form:
                answers[str(q.id)] = request.form[key]
        try:
            services.submit_attempt(current_user, row, answers)
        except AppError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            return redirect(url_for(".attempt", attempt_id=row.id))
    cert = db.session.scalar(select(m.Certificate).where(m.Certificate.attempt_id == row.id))
    remaining = max(0, int((row.deadline_at - utcnow()).total_seconds()))
    return render_template("security_guard/attempt.html", attempt=row, questions=questions, cert=cert,
                           remaining=remaining, error=error), (409 if error else 200)


@bp.route("/certificates/<number>")
@login_required
def certificate(number):
    cert = services.verify_certificate(number)
    if cert.account_id != current_user.id:
        require(current_user, "security_guard.training.read", community=db.session.get(Community, cert.community_id))
    return render_template("security_guard/certificate.html", cert=cert, level_names=services.LEVEL_NAMES)


@bp.route("/verify")
def verify():
    """Public: anyone may check that a certificate number is genuine."""
    number = (request.args.get("number") or "").strip()
    cert = error = None
    status = 200
    if number:
        try:
            cert = services.verify_certificate(number)
        except NotFound:
            error, status = _("No certificate has this number."), 404
    return render_template("security_guard/verify.html", number=number, cert=cert, error=error,
                           level_names=services.LEVEL_NAMES), status


# -- gate log: owners pre-register visitors in the portal ------------------------------------


@bp.route("/visitors", methods=["GET", "POST"])
@login_required
def visitors():
    person = current_user.person
    if person is None:
        raise Forbidden()
    unit_ids = person_unit_ids(person.id)
    if not unit_ids:
        raise Forbidden()
    units = db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.id))
    form = VisitorForm()
    form.unit_id.choices = [SelectChoice(u.id, f"{u.building.name}-{u.number}") for u in units]
    if form.validate_on_submit():
        try:
            services.preregister_visit(person, form.unit_id.data, form.visitor_name.data, form.expected_on.data,
                                       form.plate.data or None)
        except AppError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("The gate knows your visitor is coming."), "success")
            return redirect(url_for(".visitors"))
    mine = db.session.scalars(select(m.GateVisit).where(m.GateVisit.preregistered_by_id == person.id)
                              .order_by(m.GateVisit.id.desc()).limit(20)).all()
    status = 422 if request.method == "POST" else 200
    return render_template("security_guard/visitors.html", form=form, visits=mine), status


# -- dashboard -------------------------------------------------------------------------------


def _dashboard_data():
    ids = visible(current_user, "security_guard.dashboard")
    if ids is not None and not ids:
        raise Forbidden()
    figures = services.dashboard(ids)
    stmt = select(Community.id, Community.name)
    if ids is not None:
        stmt = stmt.where(Community.id.in_(ids))
    names = dict(db.session.execute(stmt).all())
    for cid in names:
        figures.setdefault(cid, dict.fromkeys(services.DASHBOARD_KEYS, 0))
    return figures, names


@bp.route("/dashboard")
@login_required
def dashboard():
    figures, names = _dashboard_data()
    return render_template("security_guard/dashboard.html", figures=figures, names=names, ratio=services.ratio,
                           level_names=services.LEVEL_NAMES, statuses=services.STATUS_LABELS)


@bp.route("/dashboard.xlsx")
@login_required
def dashboard_export():
    figures, names = _dashboard_data()
    body = services.export_dashboard(figures, names)
    return body, 200, {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       "Content-Disposition": "attachment; filename=guards-dashboard.xlsx"}


# -- gate log (phone-sized, for guards at the gate) ------------------------------------------


@bp.route("/gate", methods=["GET", "POST"])
@login_required
def gate():
    communities = _communities("security_guard.gate.log")
    if not communities:
        raise Forbidden()
    form = GateForm()
    form.community_id.choices = [SelectChoice(c.id, c.name) for c in communities]
    status = 200
    if form.validate_on_submit():
        try:
            services.log_visit(current_user, form.community_id.data, form.visitor_name.data or None,
                               form.plate.data or None)
        except AppError as exc:
            db.session.rollback()
            _form_errors(form, exc)
            status = exc.status
        else:
            db.session.commit()
            return redirect(url_for(".gate"))
    elif request.method == "POST":
        status = 422
    ids = [c.id for c in communities]
    today = dt.date.today()
    expected = db.session.scalars(select(m.GateVisit).where(
        m.GateVisit.community_id.in_(ids), m.GateVisit.in_at.is_(None), m.GateVisit.expected_on == today)).all()
    inside = db.session.scalars(select(m.GateVisit).where(
        m.GateVisit.community_id.in_(ids), m.GateVisit.in_at.is_not(None), m.GateVisit.out_at.is_(None))
        .order_by(m.GateVisit.in_at.desc()).limit(200)).all()
    return render_template("security_guard/gate.html", form=form, expected=expected, inside=inside), status


@bp.route("/gate/<int:visit_id>/<any(arrive, leave):what>", methods=["POST"])
@login_required
def gate_move(visit_id, what):
    visit = db.session.get(m.GateVisit, visit_id)
    if visit is None:
        raise NotFound()
    try:
        (services.log_arrival if what == "arrive" else services.log_exit)(current_user, visit)
    except AppError as exc:
        if exc.status == 403:
            raise
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
    return redirect(url_for(".gate"))


# -- patrol routes ---------------------------------------------------------------------------


@bp.route("/routes")
@login_required
def routes():
    ids = visible(current_user, "security_guard.duty.manage")
    if ids is not None and not ids:
        raise Forbidden()
    stmt = select(m.PatrolRoute).order_by(m.PatrolRoute.community_id, m.PatrolRoute.name).limit(500)
    if ids is not None:
        stmt = stmt.where(m.PatrolRoute.community_id.in_(ids))
    rows = db.session.scalars(stmt).all()
    names = dict(db.session.execute(select(Community.id, Community.name)
                                    .where(Community.id.in_({r.community_id for r in rows}))).all()) if rows else {}
    counts = dict(db.session.execute(
        select(m.Checkpoint.route_id, func.count()).where(m.Checkpoint.route_id.in_([r.id for r in rows]))
        .group_by(m.Checkpoint.route_id)).all()) if rows else {}
    return render_template("security_guard/routes.html", rows=rows, names=names, counts=counts)


@bp.route("/routes/new", methods=["GET", "POST"], defaults={"route_id": None})
@bp.route("/routes/<int:route_id>", methods=["GET", "POST"])
@login_required
def route_form(route_id):
    route = services.get_route(current_user, route_id) if route_id else None
    form = RouteForm(obj=route)
    if route is None:
        communities = _communities("security_guard.duty.manage")
        if not communities:
            raise Forbidden()
        form.community_id.choices = [SelectChoice(c.id, c.name) for c in communities]
    else:
        del form.community_id
        if request.method == "GET":
            form.checkpoints.data = "\n".join(cp.name for cp in route.checkpoints)
    status = 200
    if form.validate_on_submit():
        names = [line.strip() for line in form.checkpoints.data.splitlines() if line.strip()]
        if too_long := [n for n in names if len(n) > 120]:
            form.checkpoints.errors = [_("A checkpoint name has at most 120 characters: %(name)s",
                                         name=too_long[0][:20] + "…")]
            status = 422
        else:
            def save():
                if route is None:
                    services.create_route(current_user, form.community_id.data, form.name.data.strip(), names)
                else:
                    services.update_route(current_user, route, form.name.data.strip(), names)
            status = _saved(form, save)
            if status is None:
                flash(_("The route is saved."), "success")
                return redirect(url_for(".routes"))
    elif request.method == "POST":
        status = 422
    return render_template("security_guard/route_form.html", form=form, route=route), status
