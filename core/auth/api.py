"""API: obtain and revoke bearer tokens."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from core.api import Blueprint, api_auth, current_account
from core.auth import services
from core.database import db
from core.errors import Unauthorized
from core.extensions import limiter

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth", description="Bearer tokens")


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=60))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(load_default="api", validate=validate.Length(min=1, max=60))


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    token = fields.String(metadata={"description": "Shown once; only its hash is stored."})
    expires_at = fields.DateTime()


@blp.route("/tokens", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
def create_token(args):
    """Exchange a username and password for a bearer token."""
    try:
        account = services.authenticate(args["username"], args["password"])
    except services.LoginRefused as refused:
        raise Unauthorized(code=refused.reason) from None
    token, plain = services.create_token(account, args["name"])
    db.session.commit()
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "token": plain,
            "expires_at": token.expires_at}


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@api_auth
@blp.response(204)
def revoke_token(token_id):
    """Revoke one of your own tokens."""
    services.revoke_token(current_account(), token_id)
    db.session.commit()
