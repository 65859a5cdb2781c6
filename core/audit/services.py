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


# ---------------------------------------------------------------------------------------------
# Reading the log: who may see which entries
# ---------------------------------------------------------------------------------------------


def _reach(account, permission: str, platform_counts: bool):
    """(everything, community ids, area ids) where ``account`` holds ``permission``."""
    from sqlalchemy import select as _select

    from core.auth.models import ScopeType
    from core.auth.permissions import all_permissions, role_holds
    from core.places.models import Area, Community

    if permission not in all_permissions():
        return False, set(), set()
    communities, areas, companies, streets = set(), set(), set(), set()
    for grant in account.grants:
        if not role_holds(grant.role, permission):
            continue
        st, sid = grant.scope_type, grant.scope_id
        if st == ScopeType.platform:
            if platform_counts:
                return True, set(), set()
        elif st == ScopeType.community:
            communities.add(sid)
        elif st == ScopeType.area:
            areas.add(sid)
        elif st == ScopeType.company:
            companies.add(sid)
        elif st == ScopeType.street:
            streets.add(sid)
    if streets:
        areas |= set(db.session.scalars(_select(Area.id).where(Area.street_office_id.in_(streets))))
    if areas or companies:
        from sqlalchemy import or_

        communities |= set(db.session.scalars(_select(Community.id).where(
            or_(Community.area_id.in_(areas), Community.company_id.in_(companies)))))
    return False, communities, areas


def _scope_clause(everything, communities, areas):
    from sqlalchemy import and_, false, or_, true

    if everything:
        return true()
    parts = []
    if communities:
        parts.append(AuditEntry.community_id.in_(communities))
    if areas:
        parts.append(and_(AuditEntry.community_id.is_(None), AuditEntry.area_id.in_(areas)))
    return or_(*parts) if parts else false()


def restricted_permissions_in_use() -> list[str]:
    from sqlalchemy import select as _select

    return sorted(db.session.scalars(_select(AuditEntry.restricted_to).where(
        AuditEntry.restricted_to.is_not(None)).distinct()))


def visibility(account):
    """A SQL condition selecting the entries ``account`` may read, or None if it may read none.

    Plain entries: where the account holds ``audit.read`` (platform-wide for platform_admin).
    Restricted entries: only where it holds the entry's ``restricted_to`` permission, on the entry's
    scope, through a scoped grant: a platform grant never opens them (platform_admin reads no
    sensitive named data).
    """
    from sqlalchemy import and_, or_

    clauses = []
    plain = _reach(account, "audit.read", platform_counts=True)
    if plain[0] or plain[1] or plain[2]:
        clauses.append(and_(AuditEntry.restricted_to.is_(None), _scope_clause(*plain)))
    for perm in restricted_permissions_in_use():
        reach = _reach(account, perm, platform_counts=False)
        if reach[1] or reach[2]:
            clauses.append(and_(AuditEntry.restricted_to == perm, _scope_clause(*reach)))
    return or_(*clauses) if clauses else None


def require_reader(account):
    from core.errors import Forbidden

    if account is None or not getattr(account, "is_authenticated", False) or not account.active:
        raise Forbidden()
    condition = visibility(account)
    if condition is None:
        raise Forbidden()
    return condition


def query(account, *, module=None, entity=None, entity_id=None, action=None, account_id=None, since=None,
          until=None, community_id=None, area_id=None):
    """The entries ``account`` may read, filtered, newest first (a select to page or export)."""
    from sqlalchemy import select as _select

    stmt = _select(AuditEntry).where(require_reader(account))
    if module:
        stmt = stmt.where(AuditEntry.module == module)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if account_id is not None:
        stmt = stmt.where(AuditEntry.account_id == account_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    if community_id is not None:
        stmt = stmt.where(AuditEntry.community_id == community_id)
    if area_id is not None:
        stmt = stmt.where(AuditEntry.area_id == area_id)
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


EXPORT_COLUMNS = ("id", "at", "account_id", "area_id", "community_id", "module", "entity", "entity_id", "action",
                  "changes", "restricted_to", "ip")


def export_rows(entries):
    """Rows of plain values for CSV/Excel: times in UTC ISO format, changes as JSON."""
    import json

    for e in entries:
        yield [e.id, e.at.isoformat(), e.account_id, e.area_id, e.community_id, e.module, e.entity, e.entity_id,
               e.action, json.dumps(e.changes, ensure_ascii=False) if e.changes is not None else "",
               e.restricted_to or "", e.ip or ""]


def export_csv(entries) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_rows(entries))
    return "\ufeff" + buf.getvalue()  # BOM: Excel opens UTF-8 Chinese correctly


def export_xlsx(entries) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("audit")
    ws.append(list(EXPORT_COLUMNS))
    for row in export_rows(entries):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
