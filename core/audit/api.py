"""API: the audit log (/api/v1/audit), with the viewer's filters and visibility."""

from __future__ import annotations

from core.api import Blueprint, api_auth, current_account, page_of, page_schema
from core.audit import services
from core.audit.schemas import AuditEntrySchema, AuditQueryArgs

blp = Blueprint("audit_api", __name__, url_prefix="/api/v1/audit", description="Audit log")


@blp.route("")
@api_auth
@blp.arguments(AuditQueryArgs, location="query")
@blp.response(200, page_schema(AuditEntrySchema))
def list_entries(args):
    """Entries the caller may read (its scope; restricted entries only with their permission), newest first."""
    page = {"page": args.pop("page"), "per_page": args.pop("per_page")}
    return page_of(services.query(current_account(), **args), page)
