"""Jiayuan core. What this module exports is the public API for plugins; nothing else of core is.

Plugins import from here only (``from core import hookimpl, db, Model, ...``); the plugin author
guide lists each name and a test keeps that list and the docs in step.
"""

from core.admin.services import create_portal_account
from core.api import Blueprint as ApiBlueprint
from core.api import PageArgs, api_auth, current_account, page_of, page_schema, parse_date, register_api
from core.app import create_app
from core.audit.services import record as audit
from core.auth.models import Account, Role, ScopeType
from core.auth.permissions import can, person_unit_ids, require, visible_area_ids, visible_community_ids
from core.auth.services import create_account
from core.auth.services import grant as grant_role
from core.dashboard.charts import bar_chart, line_chart
from core.database import Area as AreaColumn
from core.database import Encrypted, Model, Money, UTCDateTime, bulk_allocation, db, quantize, utcnow
from core.errors import AppError, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from core.hookspecs import hookimpl
from core.imports.services import ImportRefused, read_table
from core.imports.services import Problem as ImportProblem
from core.jobs.services import Job
from core.notices.services import publish as publish_notice
from core.notices.services import withdraw as withdraw_notice
from core.notifications.services import notify, notify_role
from core.people.models import Ownership, Person, Residency
from core.places.models import Area, Building, Community, Organisation, Unit
from core.plugins import collect, hook
from core.security import blind_index, decrypt, encrypt, mask
from core.settings.services import Setting
from core.settings.services import get as get_setting
from core.settings.services import get_for_areas as get_setting_for_areas
from core.settings.services import get_many_for_areas as get_settings_for_areas
from core.tickets.services import Upload, check_upload, create_ticket
from core.tickets.workflows import Transition as WorkflowTransition
from core.tickets.workflows import Workflow

__version__ = "0.1.0"

__all__ = [
    "Account",
    "ApiBlueprint",
    "AppError",
    "Area",
    "AreaColumn",
    "Building",
    "Community",
    "Conflict",
    "Encrypted",
    "Forbidden",
    "ImportProblem",
    "ImportRefused",
    "Invalid",
    "Job",
    "Model",
    "Money",
    "NotFound",
    "Organisation",
    "Ownership",
    "PageArgs",
    "Person",
    "Residency",
    "Role",
    "ScopeType",
    "Setting",
    "UTCDateTime",
    "Unauthorized",
    "Unit",
    "Upload",
    "Workflow",
    "WorkflowTransition",
    "api_auth",
    "audit",
    "bar_chart",
    "blind_index",
    "bulk_allocation",
    "can",
    "check_upload",
    "collect",
    "create_account",
    "create_app",
    "create_portal_account",
    "create_ticket",
    "current_account",
    "db",
    "decrypt",
    "encrypt",
    "get_setting",
    "get_setting_for_areas",
    "get_settings_for_areas",
    "grant_role",
    "hook",
    "hookimpl",
    "line_chart",
    "mask",
    "notify",
    "notify_role",
    "page_of",
    "page_schema",
    "parse_date",
    "person_unit_ids",
    "publish_notice",
    "quantize",
    "read_table",
    "register_api",
    "require",
    "utcnow",
    "visible_area_ids",
    "visible_community_ids",
    "withdraw_notice",
]
