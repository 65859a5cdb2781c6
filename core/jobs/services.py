"""Periodic jobs: declared through the ``jobs`` hook, run by ``jiayuan jobs run``.

Each job is a plain function of the app; the runner records when it last ran so a restart does not
run everything again. When one machine is outgrown the same jobs can be queued on RQ/Redis.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from core.database import db, utcnow
from core.jobs.models import JobRun


@dataclass(frozen=True)
class Job:
    name: str
    interval_seconds: int
    run: Callable  # run(app) -> str | None (a short summary)
    description: str = ""


def registered_jobs() -> list[Job]:
    from core.plugins import collect

    return sorted(collect("jobs"), key=lambda j: j.name)


def due_jobs(now: dt.datetime | None = None, force: bool = False) -> list[Job]:
    now = now or utcnow()
    runs = {r.name: r for r in db.session.scalars(select(JobRun))}
    due = []
    for job in registered_jobs():
        last = runs.get(job.name)
        if force or last is None or last.last_started_at is None or (
            now - last.last_started_at).total_seconds() >= job.interval_seconds:
            due.append(job)
    return due


def job_status_label(status: str) -> str:
    """How a run's status reads on the jobs page and in its flash ("ok" stays as the badge says)."""
    return _("failed") if status == "failed" else status


def run_job(app, job: Job) -> tuple[str, str]:
    """Run one job in its own transaction; a failure is recorded, never raised to the scheduler."""
    run = db.session.scalar(select(JobRun).where(JobRun.name == job.name))
    if run is None:
        run = JobRun(name=job.name)
        db.session.add(run)
    run.last_started_at = utcnow()
    db.session.commit()
    try:
        summary = job.run(app) or ""
        db.session.commit()
        status = "ok"
    except Exception:
        db.session.rollback()
        summary = traceback.format_exc(limit=5)
        status = "failed"
    run = db.session.scalar(select(JobRun).where(JobRun.name == job.name))
    run.last_finished_at, run.last_status, run.last_error = utcnow(), status, (
        summary if status == "failed" else None)
    db.session.commit()
    return status, summary
