"""Calendar pages (placeholder until the admin pages land)."""

from flask import Blueprint

from core.calendar import models  # noqa: F401 - tables known to the app

bp = Blueprint("calendar", __name__, url_prefix="/calendar", template_folder="templates")
NAV: list[dict] = []
