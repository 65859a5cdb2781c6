"""Notifications: in-app always; by e-mail (console in development) and plugin channels."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from core.auth.models import Account, Grant, Role, ScopeType
from core.database import db, utcnow
from core.notifications.models import Notification

log = logging.getLogger("jiayuan.mail")


def send_email(to: str, subject: str, body: str) -> None:
    cfg = current_app.config
    if cfg["MAIL_BACKEND"] == "console":
        log.info("mail to=%s subject=%s\n%s", to, subject, body)
        current_app.extensions.setdefault("jiayuan.outbox", []).append((to, subject, body))
        return
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = cfg["MAIL_FROM"], to, subject
    msg.set_content(body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=10) as smtp:
        if cfg["SMTP_USER"]:
            smtp.starttls()
            smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
        smtp.send_message(msg)


def notify(accounts, subject: str, body: str = "", link: str | None = None, module: str = "core",
           email: bool = True) -> list[Notification]:
    """Notify each account in-app, by e-mail when it has an address, and on plugin channels."""
    from core.plugins import collect

    channels = {}
    for mapping in collect("notification_channels"):
        channels.update(mapping)
    rows = []
    for account in {a.id: a for a in accounts}.values():
        n = Notification(account_id=account.id, subject=subject[:200], body=body, link=link, module=module)
        db.session.add(n)
        rows.append(n)
        if email and account.email:
            try:
                send_email(account.email, subject, body + (f"\n\n{link}" if link else ""))
                n.emailed_at = utcnow()
            except OSError:  # mail is best effort; the in-app notice stands
                log.exception("e-mail to %s failed", account.email)
        for send in channels.values():
            send(n)
    db.session.flush()
    return rows


def accounts_with_role(role: Role | str, *, community=None, area=None) -> list[Account]:
    """Active accounts holding ``role`` on a grant that covers the community or area."""
    conds = []
    if community is not None:
        conds = [
            (Grant.scope_type == ScopeType.community) & (Grant.scope_id == community.id),
            (Grant.scope_type == ScopeType.area) & (Grant.scope_id == community.area_id),
            (Grant.scope_type == ScopeType.company) & (Grant.scope_id == community.company_id),
        ]
    elif area is not None:
        conds = [(Grant.scope_type == ScopeType.area) & (Grant.scope_id == area.id),
                 (Grant.scope_type == ScopeType.street) & (Grant.scope_id == area.street_office_id)]
    from sqlalchemy import or_

    stmt = (select(Account).join(Grant).where(Grant.role == role, Account.active.is_(True))
            .where(or_(*conds) if conds else True).distinct())
    return list(db.session.scalars(stmt))


def notify_role(role, subject: str, body: str = "", link: str | None = None, *, community=None, area=None,
                module: str = "core") -> list[Notification]:
    return notify(accounts_with_role(role, community=community, area=area), subject, body, link, module)


def unread_count(account) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.account_id == account.id, Notification.read_at.is_(None))) or 0


def for_account(account, unread_only: bool = False):
    """A select of ``account``'s notifications, newest first."""
    stmt = select(Notification).where(Notification.account_id == account.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def mark_read(account, notification_id: int) -> Notification:
    from core.errors import NotFound

    row = db.session.get(Notification, notification_id)
    if row is None or row.account_id != account.id:
        raise NotFound()
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.flush()
    return row


def mark_all_read(account) -> int:
    from sqlalchemy import update

    result = db.session.execute(update(Notification).where(
        Notification.account_id == account.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount or 0
