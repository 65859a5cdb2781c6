"""Demo data of the quality area: reception days (one past with minutes and issues, one coming) and
the year's satisfaction survey with answers, in 阳光花园. Idempotent (recognised by the survey title)."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from core.database import utcnow
from core.places.models import Community, Unit
from core.quality.models import (
    QuestionKind,
    ReceptionDay,
    ReceptionIssue,
    ReceptionSlot,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)

COMMUNITY = "阳光花园"
QUESTIONS = ["总体服务", "维修及时", "保洁绿化", "秩序维护（保安）", "管家服务态度"]


def load(session) -> None:
    community = session.scalar(select(Community).where(Community.name == COMMUNITY))
    if community is None:
        return
    year = utcnow().year
    title = f"{year}年度业主满意度调查"
    if session.scalar(select(Survey.id).where(Survey.community_id == community.id, Survey.title == title)):
        return
    rng = random.Random(2026)
    today = utcnow().date()
    scope = {"area_id": community.area_id, "community_id": community.id}
    for offset, minutes in ((-20, "业主反映地库照明不足、3栋电梯异响；物业承诺两周内更换灯具并请电梯维保单位检修。"),
                            (10, None)):
        day = today + dt.timedelta(days=offset)
        row = ReceptionDay(**scope, day=day, title="物业接待日", location="物业服务中心一楼",
                           residents_committee_invited=offset < 0, developer_invited=offset < 0,
                           attendees="物业经理、工程主管、客服主管", minutes=minutes,
                           minutes_recorded_at=utcnow() if minutes else None)
        session.add(row)
        session.flush()
        start = dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)  # 09:00 Beijing
        session.add_all([ReceptionSlot(**scope, reception_day_id=row.id, starts_at=start + dt.timedelta(minutes=30 * i),
                                       ends_at=start + dt.timedelta(minutes=30 * (i + 1)), capacity=3, booked=0)
                         for i in range(6)])
        if minutes:
            session.add_all([
                ReceptionIssue(**scope, reception_day_id=row.id, category_code="common_repair", title="地库照明不足",
                               description="B1层东侧多盏灯不亮"),
                ReceptionIssue(**scope, reception_day_id=row.id, category_code="complaint", title="3栋电梯异响",
                               description="运行时有异响，业主担心安全"),
            ])
    survey = Survey(**scope, year=year, title=title, status=SurveyStatus.open, opens_on=today - dt.timedelta(days=30),
                    closes_on=today + dt.timedelta(days=30))
    session.add(survey)
    session.flush()
    questions = [SurveyQuestion(survey_id=survey.id, position=i, text=text, kind=QuestionKind.rating)
                 for i, text in enumerate(QUESTIONS, start=1)]
    session.add_all(questions)
    session.flush()
    units = session.execute(select(Unit.id, Unit.building_id).where(Unit.community_id == community.id)
                            .order_by(Unit.id)).all()
    answered = [u for u in units if rng.random() < 0.45]
    responses = [SurveyResponse(**scope, survey_id=survey.id, unit_id=uid, building_id=bid) for uid, bid in answered]
    session.add_all(responses)
    session.flush()
    weights = [3, 5, 12, 40, 40]
    session.add_all([SurveyAnswer(survey_id=survey.id, response_id=r.id, question_id=q.id, building_id=r.building_id,
                                  rating=rng.choices(range(1, 6), weights)[0]) for r in responses for q in questions])
    session.flush()
