"""The plugin's rules as plain functions over plain values: no Flask, no database.

Every figure comes in through a ``*Rules`` value built from the settings (see ``settings.py``), so
the law or practice behind it is named in one place and can change by place or year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

import core
from core import Community, Conflict, Forbidden, Invalid, NotFound, Setting, get_setting, require, utcnow
from plugins.security_guard import models as m

# ---------------------------------------------------------------------------------------------
# Selection (挑选关)
# ---------------------------------------------------------------------------------------------

EDUCATION_LEVELS = ("none", "primary", "junior_high", "senior_high", "vocational", "college", "bachelor",
                    "master")
EDUCATION_LABELS = {
    "none": _l("No schooling"), "primary": _l("Primary school"), "junior_high": _l("Junior high school"),
    "senior_high": _l("Senior high school"), "vocational": _l("Vocational school"),
    "college": _l("College (大专)"), "bachelor": _l("Bachelor"), "master": _l("Master or above"),
}
VETTING_OUTCOMES = ("pending", "passed", "refused")
VERIFY_METHODS = ("police_portal", "police_phone", "original_seen")


@dataclass(frozen=True)
class SelectionRules:
    min_age: int = 18
    min_education: str = "junior_high"
    citizenship: str = "CHN"
    exam_pass_mark: int = 60
    revocation_wait_years: int = 3
    max_revocations: int = 1  # a revocation beyond this many bars the candidate


@dataclass(frozen=True)
class Applicant:
    """What the company may hold about a candidate (never criminal records or fingerprints)."""

    birth_date: dt.date | None
    nationality: str | None
    education: str | None
    health_certificate_no: str | None = None
    health_certificate_valid_until: dt.date | None = None
    exam_score: int | None = None
    certificate_no: str | None = None
    certificate_verified_by: str | None = None
    certificate_verified_on: dt.date | None = None
    certificate_verify_method: str | None = None
    vetting_outcome: str | None = None  # for a first certificate: the police vetting outcome
    revocations: tuple[dt.date, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Criterion:
    code: str
    passed: bool
    reason: str


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of age on ``day`` (one is N on the Nth birthday)."""
    years = day.year - birth.year
    return years if add_years(birth, years) <= day else years - 1


def check_eligibility(a: Applicant, on: dt.date, rules: SelectionRules) -> list[Criterion]:
    """Each criterion of 保安服务管理条例 §16/§17 the company may check, with the reason in plain words."""
    out: list[Criterion] = []

    if a.birth_date is None:
        out.append(Criterion("age", False, str(_l("No date of birth recorded."))))
    else:
        age = age_on(a.birth_date, on)
        if age >= rules.min_age:
            out.append(Criterion("age", True, str(_l("%(age)s years old: at least %(min)s.", age=age,
                                                     min=rules.min_age))))
        else:
            turns = add_years(a.birth_date, rules.min_age)
            out.append(Criterion("age", False, str(_l(
                "Under %(min)s: %(age)s years old; eligible from %(day)s.", min=rules.min_age, age=age,
                day=turns.isoformat()))))

    minimum = rules.min_education
    if a.education not in EDUCATION_LEVELS:
        out.append(Criterion("education", False, str(_l("No education recorded."))))
    elif EDUCATION_LEVELS.index(a.education) >= EDUCATION_LEVELS.index(minimum):
        out.append(Criterion("education", True, str(_l("%(level)s meets %(min)s or more.",
                                                       level=EDUCATION_LABELS[a.education],
                                                       min=EDUCATION_LABELS[minimum]))))
    else:
        out.append(Criterion("education", False, str(_l("%(level)s is below the required %(min)s.",
                                                        level=EDUCATION_LABELS[a.education],
                                                        min=EDUCATION_LABELS[minimum]))))

    if not a.health_certificate_no or a.health_certificate_valid_until is None:
        out.append(Criterion("health", False, str(_l("No health certificate recorded."))))
    elif a.health_certificate_valid_until < on:
        out.append(Criterion("health", False, str(_l("The health certificate expired on %(day)s.",
                                                     day=a.health_certificate_valid_until.isoformat()))))
    else:
        out.append(Criterion("health", True, str(_l("Health certificate valid until %(day)s.",
                                                    day=a.health_certificate_valid_until.isoformat()))))

    if (a.nationality or "").upper() == rules.citizenship.upper():
        out.append(Criterion("citizenship", True, str(_l("Citizen (%(code)s).", code=rules.citizenship))))
    else:
        out.append(Criterion("citizenship", False, str(_l(
            "Citizenship %(code)s is required; recorded: %(got)s.", code=rules.citizenship,
            got=a.nationality or "—"))))

    if a.exam_score is None:
        out.append(Criterion("guard_exam", False, str(_l("No guard exam result recorded."))))
    elif a.exam_score >= rules.exam_pass_mark:
        out.append(Criterion("guard_exam", True, str(_l("Guard exam passed with %(score)s (pass mark %(mark)s).",
                                                        score=a.exam_score, mark=rules.exam_pass_mark))))
    else:
        out.append(Criterion("guard_exam", False, str(_l("Guard exam scored %(score)s, below the pass mark %(mark)s.",
                                                         score=a.exam_score, mark=rules.exam_pass_mark))))

    if a.certificate_no:
        if a.certificate_verified_by and a.certificate_verified_on and a.certificate_verify_method:
            out.append(Criterion("certificate", True, str(_l(
                "Certificate %(no)s verified by %(who)s on %(day)s.", no=a.certificate_no,
                who=a.certificate_verified_by, day=a.certificate_verified_on.isoformat()))))
        else:
            out.append(Criterion("certificate", False, str(_l(
                "Certificate %(no)s has not been verified (who checked, when and how).", no=a.certificate_no))))
    elif a.vetting_outcome == "passed":
        out.append(Criterion("certificate", True, str(_l("First certificate: the police vetting passed."))))
    elif a.vetting_outcome == "refused":
        out.append(Criterion("certificate", False, str(_l("First certificate: the police vetting refused."))))
    else:
        out.append(Criterion("certificate", False, str(_l(
            "No guard certificate and no police vetting outcome yet."))))

    revoked = sorted(a.revocations)
    if len(revoked) > rules.max_revocations:
        out.append(Criterion("revocation", False, str(_l(
            "The guard certificate was revoked %(n)s times.", n=len(revoked)))))
    elif revoked and add_years(revoked[-1], rules.revocation_wait_years) > on:
        until = add_years(revoked[-1], rules.revocation_wait_years)
        out.append(Criterion("revocation", False, str(_l(
            "The certificate was revoked on %(day)s: less than %(years)s years ago; eligible from %(until)s.",
            day=revoked[-1].isoformat(), years=rules.revocation_wait_years, until=until.isoformat()))))
    elif revoked:
        out.append(Criterion("revocation", True, str(_l(
            "The certificate revoked on %(day)s is at least %(years)s years ago.", day=revoked[-1].isoformat(),
            years=rules.revocation_wait_years))))
    else:
        out.append(Criterion("revocation", True, str(_l("No earlier revocation known to the company."))))
    return out


def eligible(results: list[Criterion]) -> bool:
    return all(c.passed for c in results)


# The pipeline: applied → screened → interviewed → accepted / rejected
PIPELINE = {
    "applied": ("screened", "rejected"),
    "screened": ("interviewed", "rejected"),
    "interviewed": ("accepted", "rejected"),
    "accepted": (),
    "rejected": (),
}
STATUS_LABELS = {"applied": _l("Applied"), "screened": _l("Screened"), "interviewed": _l("Interviewed"),
                 "accepted": _l("Accepted"), "rejected": _l("Rejected")}


def allowed_moves(status: str) -> tuple[str, ...]:
    return PIPELINE.get(status, ())


def interview_average(scores: list[int]) -> Decimal | None:
    if not scores:
        return None
    return (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Training (培训关)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingRules:
    standard_hour_minutes: int = 45
    max_theory_hours_per_day: int = 6
    max_practice_hours_per_day: int = 3
    entry_plan_hours: int = 284


def session_minutes(hours: int, rules: TrainingRules) -> int:
    return hours * rules.standard_hour_minutes


def daily_cap_problem(kind: str, hours: int, booked: dict[str, int], rules: TrainingRules) -> str | None:
    """Would ``hours`` more of ``kind`` ("theory"/"practice") on a day take a trainee past a cap?

    ``booked`` holds the standard hours of each kind the trainee already has that day. Both caps
    apply at once: a day may hold up to 6 theory and 3 practice hours together. Returns the reason,
    or None when the session fits.
    """
    cap = rules.max_theory_hours_per_day if kind == "theory" else rules.max_practice_hours_per_day
    total = booked.get(kind, 0) + hours
    if total > cap:
        label = _l("theory") if kind == "theory" else _l("practice")
        return str(_l("%(total)s %(kind)s hours that day, more than the cap of %(cap)s.", total=total,
                      kind=label, cap=cap))
    return None


def progress(attended_hours: int, plan_hours: int) -> Decimal:
    """Percentage of the plan attended, 0–100 with one decimal."""
    if plan_hours <= 0:
        return Decimal("100.0")
    pct = Decimal(min(attended_hours, plan_hours) * 100) / plan_hours
    return pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Assessment (考核关)
# ---------------------------------------------------------------------------------------------

QUESTION_KINDS = ("single", "multiple", "true_false", "practical")
# 五级 (entry) … 一级 (highest): stored as 5 … 1
LEVELS = (5, 4, 3, 2, 1)
LEVEL_NAMES = {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}


@dataclass(frozen=True)
class AssessmentRules:
    pass_mark: int = 60
    reassessment_months: int = 3
    months_per_level: int = 12
    promotion_mark: int = 80


def question_points(kind: str, correct, answer, points: int) -> int:
    """Points for one machine-marked answer: all or nothing (a multiple choice must match exactly)."""
    if kind == "single":
        return points if answer is not None and str(answer) == str(correct) else 0
    if kind == "multiple":
        if not isinstance(answer, list | tuple):
            return 0
        return points if sorted(map(str, answer)) == sorted(map(str, correct)) else 0
    if kind == "true_false":
        return points if isinstance(answer, bool) and answer == bool(correct) else 0
    return 0


def exam_score(earned: int, possible: int) -> Decimal:
    """A score out of 100 with one decimal, ROUND_HALF_UP."""
    if possible <= 0:
        return Decimal("0.0")
    return (Decimal(earned) * 100 / possible).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def passed(score: Decimal, rules: AssessmentRules) -> bool:
    return score >= rules.pass_mark


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clipped to the month's last day."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def reassessment_due(last_passed: dt.date | None, rules: AssessmentRules) -> dt.date | None:
    return None if last_passed is None else add_months(last_passed, rules.reassessment_months)


def promotion_problems(level: int, since: dt.date, on: dt.date, best_score: Decimal | None,
                       rules: AssessmentRules) -> list[str]:
    """Reasons a guard at ``level`` cannot move up yet (empty: may move up one level)."""
    problems = []
    if level <= 1:
        return [str(_l("一级 is the highest level."))]
    if add_months(since, rules.months_per_level) > on:
        problems.append(str(_l("At least %(n)s months at the current level are required.", n=rules.months_per_level)))
    if best_score is None or best_score < rules.promotion_mark:
        problems.append(str(_l("An assessment for %(level)s scored %(mark)s or more is required.",
                               level=LEVEL_NAMES[level - 1], mark=rules.promotion_mark)))
    return problems


# ---------------------------------------------------------------------------------------------
# Patrols
# ---------------------------------------------------------------------------------------------


def missed_checkpoints(checkpoint_ids: list[int], checked_ids: set[int]) -> list[int]:
    return [c for c in checkpoint_ids if c not in checked_ids]


# =============================================================================================
# Settings: every figure above, with the law or practice it comes from
# =============================================================================================

S = "security_guard."
SETTINGS = [
    Setting(S + "min_age", "int", 18, _l("保安服务管理条例 §16: 18 years of age or over"), _l("Minimum age of a guard"),
            min=16, max=30),
    Setting(S + "min_education", "str", "junior_high", _l("保安服务管理条例 §16: junior high school or above"),
            _l("Minimum education"), choices=EDUCATION_LEVELS),
    Setting(S + "citizenship", "str", "CHN", _l("保安服务管理条例 §16: a Chinese citizen"),
            _l("Required citizenship (ISO code)")),
    Setting(S + "guard_exam_pass_mark", "int", 60, _l("Police guard exam: out of 100, pass mark 60"),
            _l("Pass mark of the guard exam"), min=1, max=100),
    Setting(S + "revocation_wait_years", "int", 3,
            _l("保安服务管理条例 §17/§43 and 保安员证管理办法: no new certificate within 3 years of a "
               "revocation (check the local public-security rule)"),
            _l("Years to wait after a certificate revocation"), min=0, max=10),
    Setting(S + "max_revocations", "int", 1,
            _l("Company reading of 保安服务管理条例 §17: a second revocation bars the candidate"),
            _l("Revocations allowed before a candidate is barred"), min=0, max=5),
    Setting(S + "standard_hour_minutes", "int", 45, _l("公安部保安员培训大纲 (试行): one standard hour is 45 minutes"),
            _l("Minutes in a standard training hour"), scopes=("platform",), min=30, max=60),
    Setting(S + "max_theory_hours_per_day", "int", 6, _l("公安部保安员培训大纲 (试行): at most 6 theory hours a day"),
            _l("Theory hours a trainee may have in a day"), min=1, max=12),
    Setting(S + "max_practice_hours_per_day", "int", 3, _l("公安部保安员培训大纲 (试行): at most 3 practice hours a day"),
            _l("Practice hours a trainee may have in a day"), min=1, max=12),
    Setting(S + "entry_plan_hours", "int", 284, _l("公安部保安员培训大纲 (试行): entry training of about 284 hours"),
            _l("Standard hours of the entry training plan"), min=1, max=2000),
    Setting(S + "exam_pass_mark", "int", 60, _l("Practice: exams out of 100, pass mark 60"), _l("Pass mark of exams"),
            min=1, max=100),
    Setting(S + "reassessment_months", "int", 3, _l("Company practice: quarterly re-assessment"),
            _l("Months between re-assessments"), min=1, max=24),
    Setting(S + "months_per_level", "int", 12, _l("Company practice after the 保安员国家职业技能标准 (五级–一级)"),
            _l("Months at a level before moving up"), min=0, max=120),
    Setting(S + "promotion_mark", "int", 80, _l("Company practice"), _l("Assessment score needed to move up a level"),
            min=1, max=100),
]


def selection_rules(community=None) -> SelectionRules:
    return SelectionRules(
        min_age=get_setting(S + "min_age", community=community),
        min_education=get_setting(S + "min_education", community=community),
        citizenship=get_setting(S + "citizenship", community=community),
        exam_pass_mark=get_setting(S + "guard_exam_pass_mark", community=community),
        revocation_wait_years=get_setting(S + "revocation_wait_years", community=community),
        max_revocations=get_setting(S + "max_revocations", community=community),
    )


def training_rules(community=None) -> TrainingRules:
    return TrainingRules(
        standard_hour_minutes=get_setting(S + "standard_hour_minutes"),
        max_theory_hours_per_day=get_setting(S + "max_theory_hours_per_day", community=community),
        max_practice_hours_per_day=get_setting(S + "max_practice_hours_per_day", community=community),
        entry_plan_hours=get_setting(S + "entry_plan_hours", community=community),
    )


def assessment_rules(community=None) -> AssessmentRules:
    return AssessmentRules(
        pass_mark=get_setting(S + "exam_pass_mark", community=community),
        reassessment_months=get_setting(S + "reassessment_months", community=community),
        months_per_level=get_setting(S + "months_per_level", community=community),
        promotion_mark=get_setting(S + "promotion_mark", community=community),
    )


# =============================================================================================
# Database services: take the acting account explicitly, flush, never commit, hooks after
# =============================================================================================

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORBIDDEN_FIELDS = ("criminal_record", "criminal_records", "administrative_record", "administrative_records",
                    "police_record", "conviction", "convictions", "fingerprint", "fingerprints", "drug_record",
                    "drug_use", "detention", "record_of_offences")


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(SHANGHAI).date()


def _community(community_id) -> Community:
    community = core.db.session.get(Community, community_id) if community_id else None
    if community is None:
        raise Invalid(fields={"community_id": [str(_l("No such community."))]})
    return community


def applicant_of(c: m.GuardCandidate) -> Applicant:
    return Applicant(
        birth_date=c.person.birth_date, nationality=c.person.nationality, education=c.education,
        health_certificate_no=c.health_certificate_no,
        health_certificate_valid_until=c.health_certificate_valid_until, exam_score=c.exam_score,
        certificate_no=c.certificate_no, certificate_verified_by=c.certificate_verified_by,
        certificate_verified_on=c.certificate_verified_on, certificate_verify_method=c.certificate_verify_method,
        vetting_outcome=c.vetting_outcome,
        revocations=tuple(dt.date.fromisoformat(d) for d in (c.revocations or [])),
    )


def evaluate(c: m.GuardCandidate, on: dt.date | None = None) -> list[Criterion]:
    community = core.db.session.get(Community, c.community_id)
    results = check_eligibility(applicant_of(c), on or dt.date.today(), selection_rules(community))
    c.eligibility = [{"code": r.code, "passed": r.passed, "reason": r.reason} for r in results]
    return results


CANDIDATE_FIELDS = ("education", "health_certificate_no", "health_certificate_valid_until", "exam_score",
                    "exam_date", "certificate_no", "certificate_verified_by", "certificate_verified_on",
                    "certificate_verify_method", "vetting_outcome")


def create_candidate(actor, data: dict) -> m.GuardCandidate:
    """Enter an application. ``data`` is validated input (see schemas.CandidateInSchema)."""
    bad = [k for k in data if k in FORBIDDEN_FIELDS]
    if bad:
        raise Invalid(fields={k: [str(_l("The company may not hold criminal or administrative records or "
                                         "fingerprints: the police vet them for the guard certificate."))]
                              for k in bad})
    community = _community(data.get("community_id"))
    require(actor, "security_guard.candidates.write", community=community)
    if data.get("person_id"):
        person = core.db.session.get(core.Person, data["person_id"])
        if person is None:
            raise Invalid(fields={"person_id": [str(_l("No such person."))]})
    else:
        missing = {k: [str(_l("This field is required."))] for k in ("name", "birth_date") if not data.get(k)}
        if missing:
            raise Invalid(fields=missing)
        person = core.Person(name=data["name"], birth_date=data["birth_date"],
                             nationality=(data.get("nationality") or "CHN").upper(), phone=data.get("phone"),
                             area_id=community.area_id)
        core.db.session.add(person)
        core.db.session.flush()
    candidate = m.GuardCandidate(area_id=community.area_id, community_id=community.id, person_id=person.id,
                            status="applied", entered_by_id=actor.id,
                            revocations=sorted(d.isoformat() for d in data.get("revocations") or []),
                            **{k: data.get(k) for k in CANDIDATE_FIELDS})
    candidate.person = person
    core.db.session.add(candidate)
    core.db.session.flush()
    evaluate(candidate)
    core.db.session.flush()
    return candidate


def get_candidate(actor, candidate_id: int, permission="security_guard.candidates.read") -> m.GuardCandidate:
    candidate = core.db.session.get(m.GuardCandidate, candidate_id)
    if candidate is None:
        raise NotFound()
    require(actor, permission, community=core.db.session.get(Community, candidate.community_id))
    return candidate


def add_interview(actor, candidate: m.GuardCandidate, score: int, comment: str | None = None) -> m.Interview:
    require(actor, "security_guard.interview", community=core.db.session.get(Community, candidate.community_id))
    if candidate.status != "screened":
        raise Conflict(str(_l("Only screened candidates are interviewed.")), extra={"allowed": ["screened"]})
    if not 0 <= int(score) <= 100:
        raise Invalid(fields={"score": [str(_l("A score from 0 to 100."))]})
    existing = core.db.session.scalar(select(m.Interview).where(
        m.Interview.candidate_id == candidate.id, m.Interview.interviewer_id == actor.id))
    if existing is not None:
        existing.score, existing.comment = int(score), comment
        core.db.session.flush()
        return existing
    row = m.Interview(candidate_id=candidate.id, interviewer_id=actor.id, score=int(score), comment=comment)
    core.db.session.add(row)
    core.db.session.flush()
    return row


def move_candidate(actor, candidate: m.GuardCandidate, to: str, reason: str | None = None,
                   username: str | None = None, on: dt.date | None = None) -> dict:
    """Move along the pipeline. Returns ``{"candidate", "account", "password"}`` (the last two on accept)."""
    community = core.db.session.get(Community, candidate.community_id)
    require(actor, "security_guard.candidates.write", community=community)
    allowed = allowed_moves(candidate.status)
    if to not in allowed:
        raise Conflict(str(_l("A candidate cannot move from %(a)s to %(b)s.", a=candidate.status, b=to)),
                       extra={"allowed": list(allowed)})
    reason = (reason or "").strip()
    if to in ("accepted", "rejected") and not reason:
        raise Invalid(fields={"reason": [str(_l("Give the reason for the decision."))]})
    results = evaluate(candidate, on)
    if to in ("screened", "accepted") and not eligible(results):
        failed = {r.code: [r.reason] for r in results if not r.passed}
        raise Invalid(str(_l("The candidate does not meet every criterion.")), fields=failed)
    if to == "interviewed" and not candidate.interviews:
        raise Invalid(fields={"interviews": [str(_l("At least one interviewer must score the candidate."))]})
    account = password = None
    if to == "accepted":
        account, password = _make_guard_account(actor, candidate, community, username)
    candidate.status = to
    candidate.decision_reason = reason or candidate.decision_reason
    core.db.session.flush()
    core.audit(actor, f"candidate_{to}", "GuardCandidate", candidate.id, module="security_guard",
               community_id=candidate.community_id, area_id=candidate.area_id,
               restricted_to="security_guard.candidates.read")
    return {"candidate": candidate, "account": account, "password": password}


def _make_guard_account(actor, candidate, community, username):
    import secrets

    username = (username or f"guard{candidate.id:05d}").strip()
    if core.db.session.scalar(select(core.Account.id).where(core.Account.person_id == candidate.person_id)):
        raise Conflict(str(_l("This person already has an account.")))
    password = secrets.token_urlsafe(9)
    account = core.create_account(username, password, candidate.person.name, organisation_id=community.company_id,
                                  person_id=candidate.person_id, check_strength=False)
    core.grant_role(account, "guard", core.ScopeType.community, community.id, organisation_id=community.company_id)
    candidate.account_id = account.id
    core.db.session.add(m.Guard(area_id=community.area_id, community_id=community.id, account_id=account.id,
                                candidate_id=candidate.id, role="guard", level=5, level_since=dt.date.today()))
    core.db.session.flush()
    return account, password


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


def _in_organisation(actor, model, obj_id: int, permission: str):
    """A course, plan or question of the actor's organisation; another organisation's is not found.

    These rows belong to the company rather than a community, so a manager of any of the company's
    communities may use them and nobody outside the company may see them.
    """
    require(actor, permission)
    row = core.db.session.get(model, obj_id) if obj_id else None
    if row is None or (actor.organisation_id is not None and row.organisation_id != actor.organisation_id):
        raise NotFound()
    return row


def in_organisation(actor, stmt, model):
    """``stmt`` narrowed to the rows of the actor's organisation (a platform account sees all)."""
    if actor.organisation_id is None:
        return stmt
    return stmt.where(model.organisation_id == actor.organisation_id)


def get_course(actor, course_id: int, permission="security_guard.training.manage") -> m.Course:
    return _in_organisation(actor, m.Course, course_id, permission)


def create_course(actor, title: str, kind: str, hours: int) -> m.Course:
    require(actor, "security_guard.training.manage")
    course = m.Course(title=title, kind=kind, hours=hours, organisation_id=actor.organisation_id)
    core.db.session.add(course)
    core.db.session.flush()
    return course


def update_course(actor, course: m.Course, title: str, kind: str, hours: int) -> m.Course:
    """Sessions already scheduled keep the kind and hours they were booked with (the caps were checked then)."""
    course = get_course(actor, course.id)
    course.title, course.kind, course.hours = title, kind, hours
    core.db.session.flush()
    return course


def get_plan(actor, plan_id: int, permission="security_guard.training.manage") -> m.Plan:
    return _in_organisation(actor, m.Plan, plan_id, permission)


def create_plan(actor, name: str, role: str = "guard", target_hours: int | None = None) -> m.Plan:
    require(actor, "security_guard.training.manage")
    plan = m.Plan(name=name, role=role, organisation_id=actor.organisation_id,
                  target_hours=target_hours or training_rules().entry_plan_hours)
    core.db.session.add(plan)
    core.db.session.flush()
    return plan


def update_plan(actor, plan: m.Plan, name: str, role: str, target_hours: int | None = None) -> m.Plan:
    plan = get_plan(actor, plan.id)
    plan.name, plan.role = name, role
    plan.target_hours = target_hours or training_rules().entry_plan_hours
    core.db.session.flush()
    return plan


def _booked_hours(account_ids, day) -> dict[int, dict[str, int]]:
    rows = core.db.session.execute(
        select(m.Attendance.account_id, m.Attendance.kind, func.sum(m.Attendance.hours))
        .where(m.Attendance.account_id.in_(account_ids), m.Attendance.day == day)
        .group_by(m.Attendance.account_id, m.Attendance.kind))
    out: dict[int, dict[str, int]] = {}
    for account_id, kind, hours in rows:
        out.setdefault(account_id, {})[kind] = int(hours or 0)
    return out


def schedule_session(actor, community_id: int, course_id: int, trainer_id: int, starts_at: dt.datetime,
                     trainee_ids: list[int], hours: int | None = None, location: str | None = None
                     ) -> m.TrainingSession:
    """Put a session on the calendar with its trainees; refused whole when one trainee would pass a cap."""
    community = _community(community_id)
    require(actor, "security_guard.training.manage", community=community)
    course = core.db.session.get(m.Course, course_id)
    if course is None or (actor.organisation_id is not None and course.organisation_id != actor.organisation_id):
        raise Invalid(fields={"course_id": [str(_l("No such course."))]})
    if core.db.session.get(core.Account, trainer_id) is None:
        raise Invalid(fields={"trainer_id": [str(_l("No such trainer."))]})
    hours = hours or course.hours
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=SHANGHAI)
    session = m.TrainingSession(area_id=community.area_id, community_id=community.id, course_id=course.id,
                                trainer_id=trainer_id, starts_at=starts_at, day=local_day(starts_at),
                                kind=course.kind, hours=hours, location=location)
    core.db.session.add(session)
    core.db.session.flush()
    enrol(actor, session, trainee_ids)
    return session


def enrol(actor, session: m.TrainingSession, trainee_ids: list[int], field: str = "trainee_ids"
          ) -> list[m.Attendance]:
    """Put trainees on a session, refused whole when one would pass a daily cap (errors under ``field``)."""
    require(actor, "security_guard.training.manage", community=core.db.session.get(Community, session.community_id))
    ids = sorted(set(trainee_ids))
    if not ids:
        return []
    known = set(core.db.session.scalars(select(core.Account.id).where(core.Account.id.in_(ids))))
    if missing := [i for i in ids if i not in known]:
        raise Invalid(fields={field: [str(_l("No such account: %(ids)s.", ids=missing))]})
    rules = training_rules(core.db.session.get(Community, session.community_id))
    booked = _booked_hours(ids, session.day)
    problems = {}
    for account_id in ids:
        problem = daily_cap_problem(session.kind, session.hours, booked.get(account_id, {}), rules)
        if problem:
            problems[str(account_id)] = [problem]
    if problems:
        raise Conflict(str(_l("The session would take a trainee past a daily cap.")), code="daily_cap",
                       fields={field: [f"{k}: {v[0]}" for k, v in problems.items()]})
    rows = [m.Attendance(area_id=session.area_id, session_id=session.id, account_id=i, day=session.day,
                         kind=session.kind, hours=session.hours) for i in ids]
    core.db.session.add_all(rows)
    core.db.session.flush()
    return rows


def record_attendance(actor, session: m.TrainingSession, present: dict[int, bool], walk_ins=()) -> None:
    """Take the register: ``present`` marks trainees on the session; ``walk_ins`` are the community's
    trainees who came without being on it, put on it through ``enrol`` (so the daily caps hold) and
    marked present."""
    community = core.db.session.get(Community, session.community_id)
    require(actor, "security_guard.training.manage", community=community)
    rows = {a.account_id: a for a in session.attendance}
    walk_ins = sorted(set(walk_ins))
    if unknown := [k for k in present if k not in rows and k not in walk_ins]:
        raise Invalid(fields={"present": [str(_l("Not enrolled in this session: %(ids)s.", ids=unknown))]})
    if walk_ins:
        if already := [i for i in walk_ins if i in rows]:
            raise Invalid(fields={"walk_ins": [str(_l("Already on this session: %(ids)s.", ids=already))]})
        trainees = set(core.db.session.scalars(select(m.Guard.account_id).where(
            m.Guard.account_id.in_(walk_ins), m.Guard.community_id == community.id)))
        if strangers := [i for i in walk_ins if i not in trainees]:
            raise Invalid(fields={"walk_ins": [str(_l("Not a trainee of this community: %(ids)s.", ids=strangers))]})
        for row in enrol(actor, session, walk_ins, field="walk_ins"):
            rows[row.account_id] = row
        core.db.session.expire(session, ["attendance"])
    for account_id, value in {**present, **dict.fromkeys(walk_ins, True)}.items():
        rows[account_id].present = bool(value)
    core.db.session.flush()


def progress_of(account_ids: list[int]) -> dict[int, dict]:
    """Attended standard hours by kind and progress against each trainee's plan, in two queries."""
    attended = core.db.session.execute(
        select(m.Attendance.account_id, func.sum(m.Attendance.hours))
        .where(m.Attendance.account_id.in_(account_ids), m.Attendance.present.is_(True))
        .group_by(m.Attendance.account_id))
    hours = {a: int(h or 0) for a, h in attended}
    plans = dict(core.db.session.execute(
        select(m.Guard.account_id, m.Plan.target_hours).join(m.Plan, m.Plan.id == m.Guard.plan_id)
        .where(m.Guard.account_id.in_(account_ids))).all())
    default = training_rules().entry_plan_hours
    return {a: {"attended_hours": hours.get(a, 0), "plan_hours": plans.get(a, default),
                "percent": progress(hours.get(a, 0), plans.get(a, default))} for a in account_ids}


# ---------------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------------


def _check_question(kind: str, options: list, correct) -> None:
    if kind in ("single", "multiple"):
        keys = {str(i) for i in range(len(options))}
        wanted = correct if isinstance(correct, list) else [correct]
        if (not options or not wanted or any(str(c) not in keys for c in wanted)
                or (kind == "single" and isinstance(correct, list))):
            raise Invalid(fields={"correct": [str(_l("The correct answer must be among the options."))]})
    if kind == "true_false" and not isinstance(correct, bool):
        raise Invalid(fields={"correct": [str(_l("True or false."))]})


def get_question(actor, question_id: int) -> m.Question:
    return _in_organisation(actor, m.Question, question_id, "security_guard.exams.manage")


def create_question(actor, kind: str, text: str, options: list, correct, points: int = 1,
                    level: int = 5) -> m.Question:
    require(actor, "security_guard.exams.manage")
    _check_question(kind, options, correct)
    q = m.Question(kind=kind, text=text, options=options, correct=correct, points=points, level=level,
                   organisation_id=actor.organisation_id)
    core.db.session.add(q)
    core.db.session.flush()
    return q


def update_question(actor, q: m.Question, kind: str, text: str, options: list, correct, points: int,
                    level: int) -> m.Question:
    """Attempts already submitted keep the score they were marked with; the change applies from now on."""
    q = get_question(actor, q.id)
    _check_question(kind, options, correct)
    q.kind, q.text, q.options, q.correct, q.points, q.level = kind, text, list(options), correct, points, level
    core.db.session.flush()
    return q


def create_exam(actor, title: str, question_ids: list[int], level: int = 5, duration_minutes: int = 60,
                pass_mark: int | None = None) -> m.Exam:
    require(actor, "security_guard.exams.manage")
    found = set(core.db.session.scalars(in_organisation(actor, select(m.Question.id), m.Question)
                                        .where(m.Question.id.in_(question_ids))))
    if not question_ids or (missing := [q for q in question_ids if q not in found]):
        raise Invalid(fields={"question_ids": [str(_l("Unknown questions: %(ids)s.",
                                                       ids=missing if question_ids else "—"))]})
    exam = m.Exam(title=title, question_ids=list(question_ids), level=level, duration_minutes=duration_minutes,
                  pass_mark=pass_mark or assessment_rules().pass_mark, organisation_id=actor.organisation_id)
    core.db.session.add(exam)
    core.db.session.flush()
    return exam


def _guard_row(account) -> m.Guard:
    row = core.db.session.scalar(select(m.Guard).where(m.Guard.account_id == account.id))
    if row is None:
        raise Forbidden(str(_l("Only guards and staff in training take exams.")))
    return row


def start_attempt(account, exam_id: int, now: dt.datetime | None = None) -> m.Attempt:
    guard = _guard_row(account)
    require(account, "security_guard.exams.take", community=core.db.session.get(Community, guard.community_id))
    exam = core.db.session.get(m.Exam, exam_id)
    if exam is None:
        raise NotFound()
    now = now or utcnow()
    open_attempt = core.db.session.scalar(select(m.Attempt).where(
        m.Attempt.exam_id == exam.id, m.Attempt.account_id == account.id, m.Attempt.submitted_at.is_(None),
        m.Attempt.deadline_at > now))
    if open_attempt is not None:
        return open_attempt
    number = (core.db.session.scalar(select(func.count()).select_from(m.Attempt).where(
        m.Attempt.exam_id == exam.id, m.Attempt.account_id == account.id)) or 0) + 1
    attempt = m.Attempt(area_id=guard.area_id, community_id=guard.community_id, exam_id=exam.id,
                        account_id=account.id, number=number, started_at=now,
                        deadline_at=now + dt.timedelta(minutes=exam.duration_minutes), answers={}, practical={})
    core.db.session.add(attempt)
    core.db.session.flush()
    return attempt


def exam_questions(exam: m.Exam) -> list[m.Question]:
    by_id = {q.id: q for q in core.db.session.scalars(select(m.Question).where(m.Question.id.in_(exam.question_ids)))}
    return [by_id[i] for i in exam.question_ids if i in by_id]


def submit_attempt(account, attempt: m.Attempt, answers: dict, now: dt.datetime | None = None) -> m.Attempt:
    """Mark the machine-marked answers; practical items wait for the examiner."""
    if attempt.account_id != account.id:
        raise Forbidden()
    if attempt.submitted_at is not None:
        raise Conflict(str(_l("This attempt was already submitted.")))
    now = now or utcnow()
    if now > attempt.deadline_at:
        raise Conflict(str(_l("The time for this exam ran out at %(at)s.", at=attempt.deadline_at.isoformat())),
                       code="time_over")
    questions = exam_questions(attempt.exam)
    ids = {str(q.id) for q in questions}
    if stray := [k for k in answers if str(k) not in ids]:
        raise Invalid(fields={"answers": [str(_l("Not a question of this exam: %(ids)s.", ids=stray))]})
    attempt.answers = {str(k): v for k, v in answers.items()}
    attempt.submitted_at = now
    _mark(attempt, questions)
    core.db.session.flush()
    return attempt


def score_practical(examiner, attempt: m.Attempt, scores: dict) -> m.Attempt:
    require(examiner, "security_guard.exams.manage", community=core.db.session.get(Community, attempt.community_id))
    questions = {str(q.id): q for q in exam_questions(attempt.exam)}
    errors = {}
    for k, v in scores.items():
        q = questions.get(str(k))
        if q is None or q.kind != "practical":
            errors[str(k)] = [str(_l("Not a practical item of this exam."))]
        elif not 0 <= int(v) <= q.points:
            errors[str(k)] = [str(_l("From 0 to %(n)s points.", n=q.points))]
    if errors:
        raise Invalid(fields=errors)
    attempt.practical = {**(attempt.practical or {}), **{str(k): int(v) for k, v in scores.items()}}
    attempt.examiner_id = examiner.id
    _mark(attempt, list(questions.values()))
    core.db.session.flush()
    return attempt


def _mark(attempt: m.Attempt, questions: list[m.Question]) -> None:
    earned = possible = 0
    pending = False
    for q in questions:
        possible += q.points
        if q.kind == "practical":
            if str(q.id) in (attempt.practical or {}):
                earned += attempt.practical[str(q.id)]
            else:
                pending = True
        else:
            earned += question_points(q.kind, q.correct, attempt.answers.get(str(q.id)), q.points)
    attempt.score = exam_score(earned, possible)
    if pending or attempt.submitted_at is None:
        attempt.passed = None
        return
    attempt.passed = attempt.score >= attempt.exam.pass_mark
    if attempt.passed:
        _issue_certificate(attempt)


def _issue_certificate(attempt: m.Attempt) -> m.Certificate:
    existing = core.db.session.scalar(select(m.Certificate).where(m.Certificate.attempt_id == attempt.id))
    if existing:
        return existing
    import secrets

    account = core.db.session.get(core.Account, attempt.account_id)
    today = local_day(utcnow())
    cert = m.Certificate(area_id=attempt.area_id, community_id=attempt.community_id, account_id=account.id,
                         attempt_id=attempt.id, holder_name=account.display_name, exam_title=attempt.exam.title,
                         level=attempt.exam.level, score=attempt.score, issued_on=today,
                         number=f"SG{today:%Y%m%d}-{secrets.token_hex(3).upper()}")
    core.db.session.add(cert)
    core.db.session.flush()
    return cert


def verify_certificate(number: str) -> m.Certificate:
    cert = core.db.session.scalar(select(m.Certificate).where(m.Certificate.number == (number or "").strip().upper()))
    if cert is None:
        raise NotFound(str(_l("No certificate has this number.")))
    return cert


def reassessments_due(community_ids, on: dt.date) -> list[dict]:
    """Guards whose last passed assessment is older than the re-assessment interval (or who have none)."""
    stmt = (select(m.Guard.account_id, m.Guard.community_id, core.Account.display_name,
                   func.max(m.Attempt.submitted_at))
            .join(core.Account, core.Account.id == m.Guard.account_id)
            .outerjoin(m.Attempt, (m.Attempt.account_id == m.Guard.account_id) & m.Attempt.passed.is_(True))
            .group_by(m.Guard.account_id, m.Guard.community_id, core.Account.display_name))
    if community_ids is not None:
        stmt = stmt.where(m.Guard.community_id.in_(community_ids))
    rules = assessment_rules()
    out = []
    for account_id, community_id, name, last in core.db.session.execute(stmt):
        due = reassessment_due(local_day(last) if last else None, rules)
        if due is None or due <= on:
            out.append({"account_id": account_id, "community_id": community_id, "name": name, "due": due})
    return out


# ---------------------------------------------------------------------------------------------
# Patrols, incidents, ratings, gate log
# ---------------------------------------------------------------------------------------------


def _check_checkpoints(names: list[str]) -> list[str]:
    names = [n.strip() for n in names]
    if not names or not all(names):
        raise Invalid(fields={"checkpoints": [str(_l("A route needs at least one checkpoint."))]})
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise Invalid(fields={"checkpoints": [str(_l("Each checkpoint once: %(names)s.", names="、".join(dupes)))]})
    return names


def get_route(actor, route_id: int, permission="security_guard.duty.manage") -> m.PatrolRoute:
    route = core.db.session.get(m.PatrolRoute, route_id) if route_id else None
    if route is None:
        raise NotFound()
    require(actor, permission, community=core.db.session.get(Community, route.community_id))
    return route


def create_route(actor, community_id: int, name: str, checkpoints: list[str]) -> m.PatrolRoute:
    community = _community(community_id)
    require(actor, "security_guard.duty.manage", community=community)
    checkpoints = _check_checkpoints(checkpoints)
    route = m.PatrolRoute(area_id=community.area_id, community_id=community.id, name=name)
    core.db.session.add(route)
    core.db.session.flush()
    core.db.session.add_all([m.Checkpoint(route_id=route.id, name=n, position=i) for i, n in enumerate(checkpoints)])
    core.db.session.flush()
    return route


def update_route(actor, route: m.PatrolRoute, name: str, checkpoints: list[str]) -> m.PatrolRoute:
    """Rename the route and put its checkpoints in the given order.

    A checkpoint keeps its identity (and its check-ins) while its name stays; a new name is a new
    checkpoint. One that guards have already checked in at cannot be dropped: the patrol record
    would lose where the guard was.
    """
    route = get_route(actor, route.id)
    checkpoints = _check_checkpoints(checkpoints)
    existing: dict[str, m.Checkpoint] = {}
    dropped = []
    for cp in route.checkpoints:  # a name listed twice by an older route keeps its first checkpoint
        if cp.name in checkpoints and cp.name not in existing:
            existing[cp.name] = cp
        else:
            dropped.append(cp)
    if dropped:
        used = set(core.db.session.scalars(select(m.CheckIn.checkpoint_id).distinct()
                                           .where(m.CheckIn.checkpoint_id.in_([cp.id for cp in dropped]))))
        if in_use := [cp.name for cp in dropped if cp.id in used]:
            reason = str(_l("Checkpoints with check-ins cannot be removed: %(names)s.", names="、".join(in_use)))
            raise Conflict(reason, code="checkpoint_in_use", fields={"checkpoints": [reason]})
        for cp in dropped:
            core.db.session.delete(cp)
    route.name = name
    for i, n in enumerate(checkpoints):
        cp = existing.get(n)
        if cp is None:
            core.db.session.add(m.Checkpoint(route_id=route.id, name=n, position=i))
        else:
            cp.position = i
    core.db.session.flush()
    core.db.session.expire(route, ["checkpoints"])
    return route


def start_round(guard, route_id: int, now: dt.datetime | None = None) -> m.PatrolRound:
    route = core.db.session.get(m.PatrolRoute, route_id)
    if route is None:
        raise NotFound()
    require(guard, "security_guard.patrol.log", community=core.db.session.get(Community, route.community_id))
    rnd = m.PatrolRound(area_id=route.area_id, community_id=route.community_id, route_id=route.id,
                        guard_id=guard.id, started_at=now or utcnow())
    core.db.session.add(rnd)
    core.db.session.flush()
    return rnd


def check_in(guard, rnd: m.PatrolRound, checkpoint_id: int, at: dt.datetime | None = None) -> m.CheckIn:
    require(guard, "security_guard.patrol.log", community=core.db.session.get(Community, rnd.community_id))
    if rnd.guard_id != guard.id:
        raise Forbidden(str(_l("This round belongs to another guard.")))
    if rnd.finished_at is not None:
        raise Conflict(str(_l("This round is finished.")))
    cp = core.db.session.get(m.Checkpoint, checkpoint_id)
    if cp is None or cp.route_id != rnd.route_id:
        raise Invalid(fields={"checkpoint_id": [str(_l("Not a checkpoint of this route."))]})
    if any(c.checkpoint_id == cp.id for c in rnd.checkins):
        raise Conflict(str(_l("This checkpoint is already checked in on this round.")))
    row = m.CheckIn(area_id=rnd.area_id, community_id=rnd.community_id, round_id=rnd.id, checkpoint_id=cp.id,
                    guard_id=guard.id, at=at or utcnow())
    core.db.session.add(row)
    rnd.checkins.append(row)
    core.db.session.flush()
    return row


def finish_round(guard, rnd: m.PatrolRound, now: dt.datetime | None = None) -> m.PatrolRound:
    if rnd.guard_id != guard.id:
        raise Forbidden(str(_l("This round belongs to another guard.")))
    if rnd.finished_at is not None:
        raise Conflict(str(_l("This round is finished.")))
    ids = list(core.db.session.scalars(select(m.Checkpoint.id).where(m.Checkpoint.route_id == rnd.route_id)
                                       .order_by(m.Checkpoint.position)))
    rnd.missed = missed_checkpoints(ids, {c.checkpoint_id for c in rnd.checkins})
    rnd.missed_count = len(rnd.missed)
    rnd.finished_at = now or utcnow()
    core.db.session.flush()
    return rnd


GUARD_TICKET_CATEGORY = "security_guard.service"


def report_incident(guard, community_id: int, description: str, open_ticket: bool = True,
                    occurred_at: dt.datetime | None = None) -> m.Incident:
    """Record an incident; with a ticket service in core, open a service ticket for it too.

    The ticket adapter degrades gracefully: when ``core.create_ticket`` does not exist yet (the
    tickets area is built in parallel), the incident is kept without a ticket.
    """
    community = _community(community_id)
    require(guard, "security_guard.patrol.log", community=community)
    if not (description or "").strip():
        raise Invalid(fields={"description": [str(_l("This field is required."))]})
    incident = m.Incident(area_id=community.area_id, community_id=community.id, guard_id=guard.id,
                          occurred_at=occurred_at or utcnow(), description=description.strip())
    core.db.session.add(incident)
    core.db.session.flush()
    create_ticket = getattr(core, "create_ticket", None)
    if open_ticket and create_ticket is not None:
        try:
            ticket = create_ticket(guard, community=community, category=GUARD_TICKET_CATEGORY,
                                   title=str(_l("Incident report")), description=incident.description,
                                   source={"module": "security_guard", "id": incident.id})
        except TypeError:  # a different signature than expected: keep the incident, skip the ticket
            ticket = None
        incident.ticket_id = getattr(ticket, "id", None)
        core.db.session.flush()
    return incident


def record_rating(ticket, rating) -> m.Rating | None:
    """From the ``ticket_rated`` hook: keep the score of a rated guard-service ticket."""
    if getattr(ticket, "category", None) not in (GUARD_TICKET_CATEGORY,) and \
            getattr(ticket, "category_code", None) != GUARD_TICKET_CATEGORY:
        return None
    if core.db.session.scalar(select(m.Rating.id).where(m.Rating.ticket_id == ticket.id)):
        return None
    row = m.Rating(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                   score=int(rating.score))
    core.db.session.add(row)
    core.db.session.flush()
    return row


def rate_guard_service(account, community_id: int, score: int, on: dt.date | None = None) -> m.Rating:
    """The short survey: an owner or resident rates the guard service of their community (1–5), once a month."""
    if account.person_id is None:
        raise Forbidden(str(_l("Only owners and residents rate the guard service.")))
    community = _community(community_id)
    units = core.person_unit_ids(account.person_id)
    homes = set(core.db.session.scalars(select(core.Unit.community_id).where(core.Unit.id.in_(units)))) if units else set()
    if community.id not in homes:
        raise Forbidden(str(_l("You can rate the guards of your own community only.")))
    if not 1 <= int(score) <= 5:
        raise Invalid(fields={"score": [str(_l("From 1 to 5."))]})
    period = (on or dt.date.today()).strftime("%Y-%m")
    if core.db.session.scalar(select(m.Rating.id).where(m.Rating.person_id == account.person_id,
                                                        m.Rating.community_id == community.id,
                                                        m.Rating.period == period)):
        raise Conflict(str(_l("You have already rated the guard service this month.")), code="already_rated")
    row = m.Rating(area_id=community.area_id, community_id=community.id, source="survey", score=int(score),
                   person_id=account.person_id, period=period)
    core.db.session.add(row)
    core.db.session.flush()
    return row


def log_visit(actor, community_id: int, visitor_name: str | None = None, plate: str | None = None,
              unit_id: int | None = None, now: dt.datetime | None = None) -> m.GateVisit:
    community = _community(community_id)
    require(actor, "security_guard.gate.log", community=community)
    if not (visitor_name or plate):
        raise Invalid(fields={"visitor_name": [str(_l("A visitor's name or a vehicle plate is required."))]})
    visit = m.GateVisit(area_id=community.area_id, community_id=community.id, visitor_name=visitor_name,
                    plate=(plate or None) and plate.upper().replace(" ", ""), unit_id=unit_id, in_at=now or utcnow(),
                    logged_by_id=actor.id)
    core.db.session.add(visit)
    core.db.session.flush()
    return visit


def log_arrival(actor, visit: m.GateVisit, now: dt.datetime | None = None) -> m.GateVisit:
    """A pre-registered visitor arrives at the gate."""
    require(actor, "security_guard.gate.log", community=core.db.session.get(Community, visit.community_id))
    if visit.in_at is not None:
        raise Conflict(str(_l("This visitor is already in.")))
    visit.in_at, visit.logged_by_id = now or utcnow(), actor.id
    core.db.session.flush()
    return visit


def log_exit(actor, visit: m.GateVisit, now: dt.datetime | None = None) -> m.GateVisit:
    require(actor, "security_guard.gate.log", community=core.db.session.get(Community, visit.community_id))
    if visit.in_at is None:
        raise Conflict(str(_l("This visitor has not come in yet.")))
    if visit.out_at is not None:
        raise Conflict(str(_l("This visit is already closed.")))
    visit.out_at = now or utcnow()
    core.db.session.flush()
    return visit


def preregister_visit(person, unit_id: int, visitor_name: str, expected_on: dt.date,
                      plate: str | None = None) -> m.GateVisit:
    if unit_id not in core.person_unit_ids(person.id):
        raise Forbidden(str(_l("You can pre-register visitors only for your own home.")))
    if not (visitor_name or "").strip():
        raise Invalid(fields={"visitor_name": [str(_l("This field is required."))]})
    if expected_on < dt.date.today():
        raise Invalid(fields={"expected_on": [str(_l("The day is in the past."))]})
    unit = core.db.session.get(core.Unit, unit_id)
    visit = m.GateVisit(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                    visitor_name=visitor_name.strip(), plate=plate or None, expected_on=expected_on,
                    preregistered_by_id=person.id)
    core.db.session.add(visit)
    core.db.session.flush()
    return visit


# ---------------------------------------------------------------------------------------------
# Dashboard: every figure per community, one grouped query each
# ---------------------------------------------------------------------------------------------

DASHBOARD_KEYS = ("applied", "screened", "interviewed", "accepted", "rejected", "guards", "trained", "graded",
                  "passed", "due", "rounds", "rounds_complete", "ratings", "rating_sum",
                  "level_5", "level_4", "level_3", "level_2", "level_1")


def dashboard(community_ids, on: dt.date | None = None) -> dict[int, dict]:
    """Figures per community id: funnel, training completion, pass rate, levels, re-assessments due,
    patrol compliance and owners' ratings. ``community_ids`` None means every community."""
    on = on or dt.date.today()
    out: dict[int, dict] = {}

    def row(cid):
        return out.setdefault(cid, dict.fromkeys(DASHBOARD_KEYS, 0))

    def scoped(stmt, column):
        return stmt if community_ids is None else stmt.where(column.in_(community_ids))

    session = core.db.session
    for cid, status, n in session.execute(scoped(
            select(m.GuardCandidate.community_id, m.GuardCandidate.status, func.count())
            .group_by(m.GuardCandidate.community_id, m.GuardCandidate.status), m.GuardCandidate.community_id)):
        row(cid)[status] = n
    for cid, level, n in session.execute(scoped(
            select(m.Guard.community_id, m.Guard.level, func.count())
            .group_by(m.Guard.community_id, m.Guard.level), m.Guard.community_id)):
        row(cid)[f"level_{level}"] = n
        row(cid)["guards"] += n
    attended = (select(m.Attendance.account_id.label("account_id"), func.sum(m.Attendance.hours).label("hours"))
                .where(m.Attendance.present.is_(True)).group_by(m.Attendance.account_id).subquery())
    target = func.coalesce(m.Plan.target_hours, get_setting(S + "entry_plan_hours"))
    for cid, n in session.execute(scoped(
            select(m.Guard.community_id, func.count())
            .join(attended, attended.c.account_id == m.Guard.account_id)
            .outerjoin(m.Plan, m.Plan.id == m.Guard.plan_id)
            .where(attended.c.hours >= target).group_by(m.Guard.community_id), m.Guard.community_id)):
        row(cid)["trained"] = n
    for cid, graded, ok in session.execute(scoped(
            select(m.Attempt.community_id, func.count(), func.count().filter(m.Attempt.passed.is_(True)))
            .where(m.Attempt.passed.is_not(None)).group_by(m.Attempt.community_id), m.Attempt.community_id)):
        row(cid)["graded"], row(cid)["passed"] = graded, ok
    # due: no pass since the start of the day after (on − interval), Asia/Shanghai midnight = 16:00 UTC
    months = get_setting(S + "reassessment_months")
    cutoff = dt.datetime.combine(add_months(on, -months), dt.time(16), tzinfo=dt.UTC)
    recent = (select(m.Attempt.account_id).where(m.Attempt.passed.is_(True), m.Attempt.submitted_at >= cutoff)
              .distinct().subquery())
    for cid, n in session.execute(scoped(
            select(m.Guard.community_id, func.count())
            .outerjoin(recent, recent.c.account_id == m.Guard.account_id)
            .where(recent.c.account_id.is_(None)).group_by(m.Guard.community_id), m.Guard.community_id)):
        row(cid)["due"] = n
    for cid, n, complete in session.execute(scoped(
            select(m.PatrolRound.community_id, func.count(), func.count().filter(m.PatrolRound.missed_count == 0))
            .where(m.PatrolRound.finished_at.is_not(None)).group_by(m.PatrolRound.community_id),
            m.PatrolRound.community_id)):
        row(cid)["rounds"], row(cid)["rounds_complete"] = n, complete
    for cid, n, total in session.execute(scoped(
            select(m.Rating.community_id, func.count(), func.sum(m.Rating.score)).group_by(m.Rating.community_id),
            m.Rating.community_id)):
        row(cid)["ratings"], row(cid)["rating_sum"] = n, int(total or 0)
    return out


def ratio(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def export_dashboard(figures: dict[int, dict], names: dict[int, str]) -> bytes:
    """The dashboard as an Excel workbook (one row per community)."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "guards"
    ws.append(["community", *DASHBOARD_KEYS, "pass_rate_%", "patrol_compliance_%", "average_rating"])
    for cid in sorted(figures, key=lambda c: names.get(c, "")):
        f = figures[cid]
        avg = None if not f["ratings"] else round(f["rating_sum"] / f["ratings"], 2)
        pr, pc = ratio(f["passed"], f["graded"]), ratio(f["rounds_complete"], f["rounds"])
        ws.append([names.get(cid, str(cid)), *(f[k] for k in DASHBOARD_KEYS),
                   None if pr is None else float(pr), None if pc is None else float(pc), avg])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Posts and shifts, fellowship, commendations, discipline, promotion
# ---------------------------------------------------------------------------------------------

# 保安服务管理条例 §30: what a guard must never do; plus breaches of the company's own rules
PROHIBITED_ACTS = {
    "restrain_search_assault": _l("Restricting someone's freedom, searching, insulting or beating them (§30.1)"),
    "seize_documents_property": _l("Seizing or confiscating documents or property (§30.2)"),
    "obstruct_officials": _l("Obstructing officials performing their duties (§30.3)"),
    "debt_or_violent_disputes": _l("Debt collection, or settling disputes by violence or threats (§30.4)"),
    "alter_leak_records": _l("Altering or spreading surveillance footage or alarm records (§30.5)"),
    "privacy_secrets": _l("Invading privacy or leaking secrets learnt on duty (§30.6)"),
    "other_unlawful": _l("Other acts against laws or regulations (§30.7)"),
    "company_rules": _l("Breach of company rules (lateness, leaving the post, appearance)"),
}
SANCTIONS = {
    "warning": _l("Warning"), "demerit": _l("Recorded demerit"), "retraining": _l("Retraining"),
    "suspension": _l("Suspension from duty"), "dismissal": _l("Dismissal"),
    "reported_to_police": _l("Reported to the police"),
}
FELLOWSHIP_TAG = "guard_owner_fellowship"


def _guard_in(account_id: int, community: Community) -> m.Guard:
    guard = core.db.session.scalar(select(m.Guard).where(m.Guard.account_id == account_id))
    if guard is None or guard.community_id != community.id:
        raise Invalid(fields={"guard_id": [str(_l("Not a guard of this community."))]})
    return guard


def create_post(actor, community_id: int, name: str) -> m.Post:
    community = _community(community_id)
    require(actor, "security_guard.duty.manage", community=community)
    post = m.Post(area_id=community.area_id, community_id=community.id, name=name)
    core.db.session.add(post)
    core.db.session.flush()
    return post


def assign_shift(actor, post_id: int, guard_id: int, starts_at: dt.datetime, ends_at: dt.datetime) -> m.Shift:
    """Put a guard of the post's community on it; a guard cannot be on two overlapping shifts."""
    post = core.db.session.get(m.Post, post_id)
    if post is None:
        raise Invalid(fields={"post_id": [str(_l("No such post."))]})
    community = core.db.session.get(Community, post.community_id)
    require(actor, "security_guard.duty.manage", community=community)
    _guard_in(guard_id, community)
    if ends_at <= starts_at:
        raise Invalid(fields={"ends_at": [str(_l("The shift must end after it starts."))]})
    if ends_at - starts_at > dt.timedelta(hours=24):
        raise Invalid(fields={"ends_at": [str(_l("A shift lasts at most 24 hours."))]})
    clash = core.db.session.scalar(select(m.Shift.id).where(
        m.Shift.guard_id == guard_id, m.Shift.starts_at < ends_at, m.Shift.ends_at > starts_at))
    if clash is not None:
        raise Conflict(str(_l("This guard already has a shift at that time.")), code="shift_overlap",
                       extra={"shift_id": clash})
    shift = m.Shift(area_id=post.area_id, community_id=post.community_id, post_id=post.id, guard_id=guard_id,
                    starts_at=starts_at, ends_at=ends_at)
    core.db.session.add(shift)
    core.db.session.flush()
    return shift


def record_fellowship(actor, community_id: int, title: str, day: dt.date, participants: int) -> m.FellowshipEvent:
    """Record a guard–owner activity and report its participation (no names) to other plugins."""
    community = _community(community_id)
    require(actor, "security_guard.duty.manage", community=community)
    if participants < 1:
        raise Invalid(fields={"participants": [str(_l("At least one participant."))]})
    event = m.FellowshipEvent(area_id=community.area_id, community_id=community.id, title=title, day=day,
                              participants=participants)
    core.db.session.add(event)
    core.db.session.flush()
    core.hook().activity_recorded(scope=community, tags=[FELLOWSHIP_TAG], day=day, count=participants)
    return event


def propose_commendation(account, guard_id: int, deed: str) -> m.Commendation:
    """An owner or resident proposes a commendation for a guard serving their community."""
    if account.person_id is None:
        raise Forbidden(str(_l("Only owners and residents propose commendations.")))
    guard = core.db.session.scalar(select(m.Guard).where(m.Guard.account_id == guard_id))
    if guard is None:
        raise Invalid(fields={"guard_id": [str(_l("No such guard."))]})
    units = core.person_unit_ids(account.person_id)
    home_communities = set(core.db.session.scalars(
        select(core.Unit.community_id).where(core.Unit.id.in_(units)))) if units else set()
    if guard.community_id not in home_communities:
        raise Forbidden(str(_l("You can commend the guards of your own community only.")))
    if not (deed or "").strip():
        raise Invalid(fields={"deed": [str(_l("This field is required."))]})
    row = m.Commendation(area_id=guard.area_id, community_id=guard.community_id, guard_id=guard_id,
                         proposed_by_person_id=account.person_id, deed=deed.strip(), status="proposed")
    core.db.session.add(row)
    core.db.session.flush()
    return row


def decide_commendation(actor, row: m.Commendation, decision: str, note: str | None = None) -> m.Commendation:
    require(actor, "security_guard.duty.manage", community=core.db.session.get(Community, row.community_id))
    if row.status != "proposed":
        raise Conflict(str(_l("This commendation has been decided.")), extra={"allowed": []})
    if decision not in ("awarded", "declined"):
        raise Invalid(fields={"decision": [str(_l("Awarded or declined."))]})
    row.status, row.decided_by_id, row.decision_note = decision, actor.id, note
    core.db.session.flush()
    return row


def record_discipline(actor, community_id: int, guard_id: int, act: str, sanction: str, on: dt.date,
                      note: str | None = None) -> m.Discipline:
    community = _community(community_id)
    require(actor, "security_guard.discipline.manage", community=community)
    _guard_in(guard_id, community)
    errors = {}
    if act not in PROHIBITED_ACTS:
        errors["act"] = [str(_l("Not on the list of prohibited acts."))]
    if sanction not in SANCTIONS:
        errors["sanction"] = [str(_l("Not a known sanction."))]
    if on > dt.date.today():
        errors["on"] = [str(_l("The day is in the future."))]
    if errors:
        raise Invalid(fields=errors)
    row = m.Discipline(area_id=community.area_id, community_id=community.id, guard_id=guard_id, act=act,
                       sanction=sanction, on=on, note=note, recorded_by_id=actor.id)
    core.db.session.add(row)
    core.db.session.flush()
    return row


def promote(actor, guard_account_id: int, on: dt.date | None = None) -> m.Guard:
    """Move a guard up one level (五级 → 四级 …) when the requirements are met, else 409 with reasons."""
    guard = core.db.session.scalar(select(m.Guard).where(m.Guard.account_id == guard_account_id))
    if guard is None:
        raise NotFound()
    community = core.db.session.get(Community, guard.community_id)
    require(actor, "security_guard.training.manage", community=community)
    on = on or dt.date.today()
    best = core.db.session.scalar(
        select(func.max(m.Attempt.score)).join(m.Exam, m.Exam.id == m.Attempt.exam_id)
        .where(m.Attempt.account_id == guard_account_id, m.Attempt.passed.is_(True), m.Exam.level == guard.level - 1))
    problems = promotion_problems(guard.level, guard.level_since, on, best, assessment_rules(community))
    if problems:
        raise Conflict(str(_l("Not yet ready to move up.")), code="promotion_refused",
                       fields={"level": problems})
    guard.level, guard.level_since = guard.level - 1, on
    core.db.session.flush()
    core.audit(actor, "guard_promoted", "Guard", guard.id, module="security_guard",
               community_id=guard.community_id, area_id=guard.area_id)
    return guard
