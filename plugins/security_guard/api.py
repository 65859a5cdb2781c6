"""API of the security_guard plugin under /api/v1/security_guard."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import (
    ApiBlueprint,
    Forbidden,
    NotFound,
    PageArgs,
    api_auth,
    current_account,
    db,
    page_of,
    page_schema,
)
from core import visible_community_ids as visible
from plugins.security_guard import models as m
from plugins.security_guard import schemas as s
from plugins.security_guard import services

blp = ApiBlueprint("security_guard_api", __name__, url_prefix="/api/v1/security_guard",
                   description="Guards: selection, training, assessment, patrols, gate log")


def _get(model, obj_id):
    obj = db.session.get(model, obj_id)
    if obj is None:
        raise NotFound()
    return obj


# -- selection -------------------------------------------------------------------------------


@blp.route("/candidates", methods=["GET"])
@api_auth
@blp.arguments(s.CandidateListArgs, location="query")
@blp.response(200, page_schema(s.CandidateSchema))
def list_candidates(args):
    """Candidates in the communities you may see, newest first."""
    ids = visible(current_account(), "security_guard.candidates.read")
    stmt = select(m.GuardCandidate).order_by(m.GuardCandidate.id.desc())
    if ids is not None:
        stmt = stmt.where(m.GuardCandidate.community_id.in_(ids))
    if args.get("status"):
        stmt = stmt.where(m.GuardCandidate.status == args["status"])
    if args.get("community_id"):
        stmt = stmt.where(m.GuardCandidate.community_id == args["community_id"])
    return page_of(stmt, args)


@blp.route("/candidates", methods=["POST"])
@api_auth
@blp.arguments(s.CandidateInSchema)
@blp.response(201, s.CandidateSchema)
def create_candidate(args):
    """Enter an application; the eligibility check runs at once and is returned criterion by criterion."""
    candidate = services.create_candidate(current_account(), args)
    db.session.commit()
    return candidate


@blp.route("/candidates/<int:candidate_id>", methods=["GET"])
@api_auth
@blp.response(200, s.CandidateSchema)
def get_candidate(candidate_id):
    return services.get_candidate(current_account(), candidate_id)


@blp.route("/candidates/<int:candidate_id>/interviews", methods=["POST"])
@api_auth
@blp.arguments(s.InterviewInSchema)
@blp.response(201, s.InterviewSchema)
def interview(args, candidate_id):
    """Score a screened candidate (one score per interviewer; scoring again replaces yours)."""
    candidate = services.get_candidate(current_account(), candidate_id, "security_guard.interview")
    row = services.add_interview(current_account(), candidate, args["score"], args["comment"])
    db.session.commit()
    return row


@blp.route("/candidates/<int:candidate_id>/moves", methods=["POST"])
@api_auth
@blp.arguments(s.MoveInSchema)
@blp.response(200, s.MoveResultSchema)
def move(args, candidate_id):
    """Move a candidate along the pipeline; accepting creates the guard's account (password shown once)."""
    candidate = services.get_candidate(current_account(), candidate_id, "security_guard.candidates.write")
    result = services.move_candidate(current_account(), candidate, args["to"], args["reason"], args["username"])
    db.session.commit()
    return result


# -- training --------------------------------------------------------------------------------


@blp.route("/courses", methods=["POST"])
@api_auth
@blp.arguments(s.CourseInSchema)
@blp.response(201, s.CourseSchema)
def create_course(args):
    course = services.create_course(current_account(), args["title"], args["kind"], args["hours"])
    db.session.commit()
    return course


@blp.route("/courses/<int:course_id>", methods=["PATCH"])
@api_auth
@blp.arguments(s.CourseUpdateSchema(partial=True))
@blp.response(200, s.CourseSchema)
def update_course(args, course_id):
    """Change a course; sessions already scheduled keep the hours they were booked with."""
    course = services.get_course(current_account(), course_id)
    services.update_course(current_account(), course, args.get("title", course.title), args.get("kind", course.kind),
                           args.get("hours", course.hours))
    db.session.commit()
    return course


@blp.route("/plans", methods=["POST"])
@api_auth
@blp.arguments(s.PlanInSchema)
@blp.response(201, s.PlanSchema)
def create_plan(args):
    plan = services.create_plan(current_account(), args["name"], args["role"], args["target_hours"])
    db.session.commit()
    return plan


@blp.route("/plans/<int:plan_id>", methods=["PATCH"])
@api_auth
@blp.arguments(s.PlanUpdateSchema(partial=True))
@blp.response(200, s.PlanSchema)
def update_plan(args, plan_id):
    """Change a plan; ``target_hours`` null goes back to the entry plan of the settings (284 by default)."""
    plan = services.get_plan(current_account(), plan_id)
    services.update_plan(current_account(), plan, args.get("name", plan.name), args.get("role", plan.role),
                         args.get("target_hours", plan.target_hours))
    db.session.commit()
    return plan


@blp.route("/sessions", methods=["POST"])
@api_auth
@blp.arguments(s.SessionInSchema)
@blp.response(201, s.SessionSchema)
def create_session(args):
    """Schedule a session; refused (409 ``daily_cap``) when a trainee would pass 6 theory / 3 practice hours."""
    session = services.schedule_session(current_account(), **args)
    db.session.commit()
    return session


@blp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@api_auth
@blp.arguments(s.AttendanceInSchema)
@blp.response(200, s.SessionSchema)
def attendance(args, session_id):
    """Take the register; ``walk_ins`` join the session under the daily caps (409 ``daily_cap``)."""
    session = _get(m.TrainingSession, session_id)
    services.record_attendance(current_account(), session, args["present"], args["walk_ins"])
    db.session.commit()
    return session


@blp.route("/progress/<int:account_id>", methods=["GET"])
@api_auth
@blp.response(200, s.ProgressSchema)
def progress(account_id):
    """A trainee's attended hours against the plan (the trainee, or a holder of training.read)."""
    me = current_account()
    guard = db.session.scalar(select(m.Guard).where(m.Guard.account_id == account_id))
    if me.id != account_id:
        ids = visible(me, "security_guard.training.read")
        if guard is None or (ids is not None and guard.community_id not in ids):
            raise Forbidden()
    return {"account_id": account_id, **services.progress_of([account_id])[account_id]}


# -- assessment ------------------------------------------------------------------------------


@blp.route("/questions", methods=["POST"])
@api_auth
@blp.arguments(s.QuestionInSchema)
@blp.response(201, s.QuestionSchema)
def create_question(args):
    q = services.create_question(current_account(), args["kind"], args["text"], args["options"], args["correct"],
                                 args["points"], args["level"])
    db.session.commit()
    return q


@blp.route("/questions/<int:question_id>", methods=["PATCH"])
@api_auth
@blp.arguments(s.QuestionUpdateSchema(partial=True))
@blp.response(200, s.QuestionSchema)
def update_question(args, question_id):
    """Change a question of the bank; attempts already submitted keep their marks."""
    q = services.get_question(current_account(), question_id)
    current = {"kind": q.kind, "text": q.text, "options": q.options, "correct": q.correct, "points": q.points,
               "level": q.level}
    services.update_question(current_account(), q, **{**current, **args})
    db.session.commit()
    return q


@blp.route("/exams", methods=["POST"])
@api_auth
@blp.arguments(s.ExamInSchema)
@blp.response(201, s.ExamSchema)
def create_exam(args):
    exam = services.create_exam(current_account(), args["title"], args["question_ids"], args["level"],
                                args["duration_minutes"], args["pass_mark"])
    db.session.commit()
    return exam


@blp.route("/exams/<int:exam_id>/attempts", methods=["POST"])
@api_auth
@blp.response(201, s.AttemptSchema)
def start_attempt(exam_id):
    """Start (or resume) your attempt; the clock runs from now for the exam's duration."""
    attempt = services.start_attempt(current_account(), exam_id)
    db.session.commit()
    return attempt


@blp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@api_auth
@blp.arguments(s.SubmitInSchema)
@blp.response(200, s.AttemptSchema)
def submit(args, attempt_id):
    """Submit answers by question id; after the deadline the submission is refused (409 ``time_over``)."""
    attempt = _get(m.Attempt, attempt_id)
    services.submit_attempt(current_account(), attempt, args["answers"])
    db.session.commit()
    return attempt


@blp.route("/attempts/<int:attempt_id>/practical", methods=["POST"])
@api_auth
@blp.arguments(s.PracticalInSchema)
@blp.response(200, s.AttemptSchema)
def practical(args, attempt_id):
    """An examiner scores the practical items of an attempt."""
    attempt = _get(m.Attempt, attempt_id)
    services.score_practical(current_account(), attempt, args["scores"])
    db.session.commit()
    return attempt


@blp.route("/certificates/<string:number>", methods=["GET"])
@api_auth
@blp.response(200, s.CertificateSchema)
def certificate(number):
    return services.verify_certificate(number)


# -- duty ------------------------------------------------------------------------------------


@blp.route("/routes", methods=["POST"])
@api_auth
@blp.arguments(s.RouteInSchema)
@blp.response(201, s.RouteSchema)
def create_route(args):
    route = services.create_route(current_account(), args["community_id"], args["name"], args["checkpoints"])
    db.session.commit()
    return route


@blp.route("/routes/<int:route_id>", methods=["PATCH"])
@api_auth
@blp.arguments(s.RouteUpdateSchema)
@blp.response(200, s.RouteSchema)
def update_route(args, route_id):
    """Rename a route or reorder its checkpoints (409 ``checkpoint_in_use`` to drop one with check-ins)."""
    route = services.get_route(current_account(), route_id)
    services.update_route(current_account(), route, args.get("name", route.name),
                          args.get("checkpoints", [cp.name for cp in route.checkpoints]))
    db.session.commit()
    return route


@blp.route("/rounds", methods=["POST"])
@api_auth
@blp.arguments(s.RoundInSchema)
@blp.response(201, s.RoundSchema)
def start_round(args):
    rnd = services.start_round(current_account(), args["route_id"])
    db.session.commit()
    return rnd


@blp.route("/rounds/<int:round_id>/checkins", methods=["POST"])
@api_auth
@blp.arguments(s.CheckInInSchema)
@blp.response(201, s.RoundSchema)
def checkin(args, round_id):
    rnd = _get(m.PatrolRound, round_id)
    services.check_in(current_account(), rnd, args["checkpoint_id"])
    db.session.commit()
    return rnd


@blp.route("/rounds/<int:round_id>/finish", methods=["POST"])
@api_auth
@blp.response(200, s.RoundSchema)
def finish(round_id):
    """Finish a round: checkpoints without a check-in are listed in ``missed``."""
    rnd = _get(m.PatrolRound, round_id)
    services.finish_round(current_account(), rnd)
    db.session.commit()
    return rnd


@blp.route("/incidents", methods=["POST"])
@api_auth
@blp.arguments(s.IncidentInSchema)
@blp.response(201, s.IncidentSchema)
def incident(args):
    """Report an incident; a service ticket is opened too when the core offers tickets."""
    row = services.report_incident(current_account(), args["community_id"], args["description"], args["open_ticket"])
    db.session.commit()
    return row


@blp.route("/visits", methods=["POST"])
@api_auth
@blp.arguments(s.GateVisitInSchema)
@blp.response(201, s.GateVisitSchema)
def visit(args):
    """Log a visitor or a vehicle coming in at the gate."""
    row = services.log_visit(current_account(), **args)
    db.session.commit()
    return row


@blp.route("/visits/<int:visit_id>/out", methods=["POST"])
@api_auth
@blp.response(200, s.GateVisitSchema)
def visit_out(visit_id):
    row = services.log_exit(current_account(), _get(m.GateVisit, visit_id))
    db.session.commit()
    return row


@blp.route("/posts", methods=["POST"])
@api_auth
@blp.arguments(s.PostInSchema)
@blp.response(201, s.PostSchema)
def create_post(args):
    post = services.create_post(current_account(), args["community_id"], args["name"])
    db.session.commit()
    return post


@blp.route("/shifts", methods=["POST"])
@api_auth
@blp.arguments(s.ShiftInSchema)
@blp.response(201, s.ShiftSchema)
def create_shift(args):
    """Put a guard of the community on a post (409 ``shift_overlap`` when the guard is busy)."""
    shift = services.assign_shift(current_account(), **args)
    db.session.commit()
    return shift


@blp.route("/shifts", methods=["GET"])
@api_auth
@blp.arguments(s.ShiftListArgs, location="query")
@blp.response(200, page_schema(s.ShiftSchema))
def list_shifts(args):
    """The roster (排班) of a community, optionally of one day (Asia/Shanghai)."""
    ids = visible(current_account(), "security_guard.gate.log")
    if ids is not None and args["community_id"] not in ids:
        raise Forbidden()
    stmt = select(m.Shift).where(m.Shift.community_id == args["community_id"]).order_by(m.Shift.starts_at)
    if args.get("day"):
        start = dt.datetime.combine(args["day"], dt.time(), tzinfo=services.SHANGHAI)
        stmt = stmt.where(m.Shift.starts_at < start + dt.timedelta(days=1), m.Shift.ends_at > start)
    return page_of(stmt, args)


@blp.route("/fellowship", methods=["POST"])
@api_auth
@blp.arguments(s.FellowshipInSchema)
@blp.response(201, s.FellowshipSchema)
def fellowship(args):
    """Record a guard–owner activity; participation is reported through ``activity_recorded``."""
    row = services.record_fellowship(current_account(), **args)
    db.session.commit()
    return row


@blp.route("/commendations", methods=["POST"])
@api_auth
@blp.arguments(s.CommendationInSchema)
@blp.response(201, s.CommendationSchema)
def propose(args):
    """An owner or resident proposes a commendation for a guard of their community."""
    row = services.propose_commendation(current_account(), args["guard_id"], args["deed"])
    db.session.commit()
    return row


@blp.route("/commendations/<int:commendation_id>/decision", methods=["POST"])
@api_auth
@blp.arguments(s.CommendationDecisionSchema)
@blp.response(200, s.CommendationSchema)
def decide(args, commendation_id):
    row = services.decide_commendation(current_account(), _get(m.Commendation, commendation_id),
                                       args["decision"], args["note"])
    db.session.commit()
    return row


@blp.route("/discipline", methods=["POST"])
@api_auth
@blp.arguments(s.DisciplineInSchema)
@blp.response(201, s.DisciplineSchema)
def discipline(args):
    """Record a breach of the prohibited acts (保安服务管理条例 §30) or company rules, with its sanction."""
    row = services.record_discipline(current_account(), **args)
    db.session.commit()
    return row


@blp.route("/guards/<int:account_id>/promotion", methods=["POST"])
@api_auth
@blp.response(200, s.GuardSchema)
def promotion(account_id):
    """Move a guard up one skill level; 409 ``promotion_refused`` lists what is still missing."""
    guard = services.promote(current_account(), account_id)
    db.session.commit()
    return guard


@blp.route("/ratings", methods=["POST"])
@api_auth
@blp.arguments(s.RatingInSchema)
@blp.response(201, s.RatingSchema)
def rate(args):
    """The short survey: an owner or resident rates their community's guard service 1–5, once a month."""
    row = services.rate_guard_service(current_account(), args["community_id"], args["score"])
    db.session.commit()
    return row


__all__ = ["blp", "PageArgs"]
