"""Ticket pages: back office (lists, detail, dispatch, categories) and the owner portal."""

from __future__ import annotations

from flask import Blueprint

from core.tickets import models  # noqa: F401  (registers the tables)

bp = Blueprint("tickets", __name__, url_prefix="/tickets", template_folder="templates")
