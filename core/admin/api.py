"""API: accounts and their role grants (/api/v1/accounts)."""

from __future__ import annotations

from core.admin import services
from core.admin.schemas import (
    AccountCreateSchema,
    AccountQueryArgs,
    AccountSchema,
    AccountUpdateSchema,
    GrantSchema,
    PasswordResetSchema,
    PasswordResultSchema,
    PortalAccountSchema,
)
from core.api import Blueprint, api_auth, current_account, page_of, page_schema
from core.database import db
from core.errors import NotFound

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1/accounts", description="Accounts and roles")


@blp.route("")
@api_auth
@blp.arguments(AccountQueryArgs, location="query")
@blp.response(200, page_schema(AccountSchema))
def list_accounts(args):
    """Accounts the caller manages (platform_admin: all; company_admin: its organisation's)."""
    stmt = services.accounts_query(current_account(), args.get("q"), args.get("organisation_id"), args.get("active"))
    return page_of(stmt, args)


@blp.route("", methods=["POST"])
@api_auth
@blp.arguments(AccountCreateSchema)
@blp.response(201, AccountSchema)
def create_account(args):
    """Create a back-office account."""
    account = services.create(current_account(), **args)
    db.session.commit()
    return account


@blp.route("/portal", methods=["POST"])
@api_auth
@blp.arguments(PortalAccountSchema)
@blp.response(201, AccountSchema)
def create_portal_account(args):
    """Create a portal account for an owner or resident, linked to their person record."""
    from core.people.models import Person

    person = db.session.get(Person, args["person_id"])
    if person is None:
        raise NotFound()
    account = services.create_portal_account(current_account(), person, args["username"], args["password"])
    db.session.commit()
    return account


@blp.route("/<int:account_id>")
@api_auth
@blp.response(200, AccountSchema)
def get_account(account_id):
    return services.get_account(current_account(), account_id)


@blp.route("/<int:account_id>", methods=["PATCH"])
@api_auth
@blp.arguments(AccountUpdateSchema)
@blp.response(200, AccountSchema)
def update_account(args, account_id):
    """Change name, contact details, or disable/enable (``active``)."""
    account = services.get_account(current_account(), account_id)
    services.update(current_account(), account, **args)
    db.session.commit()
    return account


@blp.route("/<int:account_id>/password", methods=["POST"])
@api_auth
@blp.arguments(PasswordResetSchema)
@blp.response(200, PasswordResultSchema)
def reset_password(args, account_id):
    """Reset the password; without one, a random password is made and returned once."""
    account = services.get_account(current_account(), account_id)
    password = services.reset_password(current_account(), account, args.get("password"))
    db.session.commit()
    return {"password": password}


@blp.route("/<int:account_id>/grants")
@api_auth
@blp.response(200, GrantSchema(many=True))
def list_grants(account_id):
    return services.get_account(current_account(), account_id).grants


@blp.route("/<int:account_id>/grants", methods=["POST"])
@api_auth
@blp.arguments(GrantSchema)
@blp.response(201, GrantSchema)
def add_grant(args, account_id):
    """Grant a role on a scope (validated: which roles go on which scopes, and who may grant)."""
    account = services.get_account(current_account(), account_id)
    row = services.add_grant(current_account(), account, args["role"], args["scope_type"], args.get("scope_id"))
    db.session.commit()
    return row


@blp.route("/<int:account_id>/grants/<int:grant_id>", methods=["DELETE"])
@api_auth
@blp.response(204)
def revoke_grant(account_id, grant_id):
    account = services.get_account(current_account(), account_id)
    services.revoke_grant(current_account(), account, grant_id)
    db.session.commit()
