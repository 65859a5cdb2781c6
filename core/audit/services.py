"""Writing the audit log: every ORM change is recorded automatically; reads of sensitive data and
business actions are recorded explicitly with ``record()``."""

from __future__ import annotations

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from core.audit.models import AuditEntry
from core.database import db, utcnow

REDACTED = "***"


def _actor_id():
    if has_request_context():
        account = g.get("account")
        if account is None:
            from flask_login import current_user

            if current_user and current_user.is_authenticated:
                account = current_user
        return getattr(account, "id", None)
    return None


def _jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _entry(module, entity, entity_id, action, changes, area_id=None, community_id=None,
           restricted_to=None, actor_id=None) -> dict:
    entry = {
        "module": module, "entity": entity, "entity_id": entity_id, "action": action,
        "changes": changes, "area_id": area_id, "community_id": community_id,
        "restricted_to": restricted_to,
    }
    if has_app_context():
        from core.plugins import hook

        hook().audit_redact(entry=entry)
    entry["account_id"] = actor_id if actor_id is not None else _actor_id()
    entry["ip"] = request.remote_addr if has_request_context() else None
    entry["at"] = utcnow()
    return entry


def record(actor, action: str, entity: str, entity_id=None, *, module: str = "core", changes=None,
           area_id=None, community_id=None, restricted_to: str | None = None) -> AuditEntry:
    """Record a business action or a read of sensitive data (call inside the transaction)."""
    row = AuditEntry(**_entry(module, entity, entity_id, action, changes, area_id, community_id,
                              restricted_to, getattr(actor, "id", None)))
    db.session.add(row)
    return row


def _module_of(obj) -> str:
    explicit = getattr(obj, "__audit_module__", None)
    if explicit:
        return explicit
    mod = type(obj).__module__
    return mod.split(".")[1] if mod.startswith("plugins.") else "core"


def _changes(obj, action: str) -> dict:
    sensitive = set(getattr(obj, "__sensitive__", ()))
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in ("created_at", "updated_at"):
            continue
        hist = state.attrs[key].history
        if action == "update" and not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else getattr(obj, key, None)
        if action == "create" and new is None:
            continue
        if key in sensitive:
            old, new = (REDACTED if old is not None else None), (REDACTED if new is not None else None)
        out[key] = [_jsonable(old), _jsonable(new)] if action == "update" else _jsonable(
            new if action == "create" else getattr(obj, key, None))
    return out


def _audited(obj) -> bool:
    return getattr(obj, "__audited__", True) and hasattr(obj, "__tablename__")


def _before_flush(session: Session, flush_context, instances):
    if not session.info.get("audit", True):
        return
    pending = []
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not _audited(obj) or isinstance(obj, AuditEntry):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            pending.append((action, obj, _changes(obj, action)))
    session.info.setdefault("audit_pending", []).extend(pending)


def _after_flush(session: Session, flush_context):
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    rows = []
    for action, obj, changes in pending:
        rows.append(_entry(
            _module_of(obj), type(obj).__name__, getattr(obj, "id", None), action, changes,
            getattr(obj, "area_id", None) if isinstance(getattr(obj, "area_id", None), int) else None,
            getattr(obj, "community_id", None) if isinstance(getattr(obj, "community_id", None), int) else None,
            getattr(obj, "__audit_restricted_to__", None),
        ))
    session.execute(AuditEntry.__table__.insert(), rows)


def install() -> None:
    """Attach the change log to every session (once per process)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
