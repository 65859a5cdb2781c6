"""Every hook of Jiayuan: core owns all contracts, including those only plugins implement.

Each spec says when it is called, what it receives and what its return value means. Unless a spec
says *first result wins*, pluggy collects every plugin's return value in a list (``None`` dropped).
Plugins implement hooks with ``@core.hookimpl`` and may accept any subset of the arguments.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("jiayuan")
hookimpl = pluggy.HookimplMarker("jiayuan")


# ---------------------------------------------------------------------------------------------
# Host: how a plugin plugs into the application
# ---------------------------------------------------------------------------------------------


@hookspec
def register_blueprints(app):
    """Register the plugin's Flask blueprints (pages and API) on ``app``.

    Called once inside ``create_app()`` after the core blueprints. Use the plugin name as the
    blueprint name and URL prefix (``/fees``, ``/api/v1/fees``).

    :param app: the Flask application.
    :return: ignored.
    """


@hookspec
def register_cli(cli):
    """Add click commands or groups to the ``jiayuan`` command line.

    :param cli: the root ``click.Group``; call ``cli.add_command(...)``.
    :return: ignored.
    """


@hookspec
def permissions():
    """Declare the plugin's permissions and which roles hold them by default.

    :return: a dict ``{"fees.bill.issue": {"label": "Issue bills", "roles": ["manager"]}, ...}``.
        Names are ``<plugin>.<thing>.<verb>``. Collected from every plugin.
    """


@hookspec
def nav_items(user):
    """Back-office navigation entries shown to ``user``.

    :param user: the logged-in ``Account``.
    :return: a list of dicts ``{"label", "endpoint", "permission", "order", "icon"}``; items whose
        permission the user lacks on any scope are hidden by the host. Collected.
    """


@hookspec
def dashboard_widgets(scope, user):
    """Widgets for a dashboard of ``scope`` (a ``Community`` or an ``Area``).

    :param scope: the community or area the dashboard shows.
    :param user: the account looking at it (check your permission before returning data).
    :return: a list of dicts ``{"title", "html" or "template" + "context", "order"}``. Collected.
    """


@hookspec
def portal_sections(person):
    """Sections of the owner/resident portal home page for ``person``.

    :param person: the ``Person`` of the logged-in owner or resident.
    :return: a list of dicts ``{"title", "endpoint" or "html", "order"}``, optionally with
        ``"summary"`` (one short line: what waits for the person), ``"attention"`` (True to mark
        the card when something needs them) and ``"action"`` (``{"label", "endpoint"}``: a button
        for the most common task). Collected; keep it to one or two queries, it runs on every visit.
    """


@hookspec
def demo_data(session):
    """Add the plugin's demo data; called by ``jiayuan demo`` after the core register exists.

    Must be idempotent: running the demo twice changes nothing.

    :param session: the SQLAlchemy session; flush, do not commit.
    :return: ignored.
    """


@hookspec
def audit_redact(entry):
    """Redact or restrict an audit entry before it is written.

    :param entry: a mutable dict with ``module``, ``entity``, ``action``, ``changes`` (field →
        ``[old, new]``) and ``restricted_to`` (a permission name or None). Replace sensitive
        values with ``"***"`` and set ``restricted_to`` so only the owning role can read it.
    :return: ignored; change ``entry`` in place.
    """


@hookspec
def compliance_checks(area, on_date):
    """Compliance results of a residents' committee area, shown on its dashboard.

    :param area: the ``Area``.
    :param on_date: the ``datetime.date`` evaluated.
    :return: a list of dicts ``{"code", "title", "passed": bool | None, "detail"}``. Collected.
    """


@hookspec
def settings_schema():
    """Declare the plugin's settings (rules and defaults that vary by place or year).

    :return: a list of ``core.settings.Setting`` (key prefixed with the plugin name, type, default,
        the source the default comes from, the scopes it may be set on). Collected.
    """


@hookspec
def jobs():
    """Periodic jobs run by ``jiayuan jobs run`` and the scheduler of ``make run``.

    :return: a list of ``core.jobs.Job`` (name, interval in seconds, callable taking the app).
        Collected.
    """


@hookspec
def notification_channels():
    """Extra notification channels (e.g. SMS) besides in-app and e-mail.

    :return: a dict ``{"sms": callable(notification) -> None}``. Collected.
    """


# ---------------------------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------------------------


@hookspec
def ticket_categories(community):
    """Extra ticket categories a plugin offers in ``community``.

    Called when a community's categories are listed; a code the community lacks is added once (with
    the plugin as its origin) and managers may then edit it like any other category.

    :param community: the ``Community``.
    :return: a list of dicts ``{"code", "name", "workflow", "response_minutes",
        "resolution_minutes", "around_the_clock"}``, optionally also ``"arrival_minutes"``,
        ``"priority"`` (1 urgent … 4 low) and ``"procedure"`` (a list of step texts). Targets are
        minutes. An unknown workflow falls back to ``"repair"``. Collected.
    """


@hookspec
def ticket_workflows():
    """Extra ticket workflows (state machines) a plugin adds.

    A ``core.Workflow`` (with ``core.WorkflowTransition`` rules) is data: its states, its transitions (sources,
    target, who may take them: ``"staff"``, ``"owner"``, ``"any"`` or ``"system"``, the time stamps
    they set and named effects such as ``"hold"`` or ``"callback_required"``), and which states are
    rateable, resolved and final. A built-in code cannot be replaced.

    :return: a dict ``{"code": Workflow}``. Collected.
    """


@hookspec
def ticket_created(ticket):
    """A ticket was created (after flush, before commit).

    :param ticket: the new ``Ticket``.
    """


@hookspec
def ticket_status_changed(ticket, old_status, new_status, actor):
    """A ticket moved from ``old_status`` to ``new_status`` by ``actor`` (an Account or None)."""


@hookspec
def ticket_rated(ticket, rating):
    """The owner rated a resolved ticket.

    :param rating: the ``TicketRating`` (score 1–5, comment).
    """


@hookspec
def ticket_sla_breached(ticket, clock):
    """A ticket missed a deadline.

    :param clock: ``"response"``, ``"arrival"`` or ``"resolution"``.
    """


# ---------------------------------------------------------------------------------------------
# Notices
# ---------------------------------------------------------------------------------------------


@hookspec
def notice_published(notice):
    """A notice was published on the core notice board.

    :param notice: the ``Notice`` (audience, publish and expiry times).
    """


# ---------------------------------------------------------------------------------------------
# Between plugins: contracts that core owns so plugins never import each other
# ---------------------------------------------------------------------------------------------


@hookspec
def fee_adjustments(bill_line):
    """Adjustments to a bill line before it is issued (e.g. a discount decided elsewhere).

    :param bill_line: a dict with ``unit_id``, ``item_code``, ``period`` and ``amount`` (Decimal).
    :return: a list of dicts ``{"amount": Decimal (negative for a discount), "reason"}``. Collected.
    """


@hookspec(firstresult=True)
def charge_requested(payer, payee, item_code, amount, source):
    """Ask the fees plugin to charge ``payer`` for ``item_code``. **First result wins.**

    :param payer: the ``Person`` who pays.
    :param payee: the ``Community`` whose posted price notice must list ``item_code``.
    :param item_code: the fee item code on that notice.
    :param amount: ``Decimal`` in yuan, not negative.
    :param source: a dict naming what asked, e.g. ``{"module": "culture_events", "id": 12}``.
    :return: a charge reference string, or ``None`` when the fees plugin is absent (the caller
        must then work without payment or refuse, as its rules say). Raises ``ValueError`` when
        the item is not on the payee's notice.
    """


@hookspec
def charge_settled(charge_ref):
    """A charge made through ``charge_requested`` has been paid. Implemented by requesters."""


@hookspec(firstresult=True)
def refund_requested(charge_ref, reason):
    """Ask the fees plugin to refund a charge. **First result wins.**

    :return: a refund reference, or ``None`` when no plugin handles refunds.
    """


@hookspec
def bill_issued(bill):
    """The fees plugin issued ``bill`` (to notify the payer, update dashboards)."""


@hookspec
def payment_received(payment):
    """The fees plugin recorded ``payment``."""


@hookspec(firstresult=True)
def decision_required(community, subject, decision_class):
    """Ask the owners' assembly to put ``subject`` to a vote. **First result wins.**

    :param decision_class: ``"special"`` (3/4) or ``"ordinary"`` (more than half).
    :return: a reference of the agenda item, or ``None`` when the owners_assembly plugin is absent.
    """


@hookspec
def decision_recorded(decision):
    """The owners' assembly recorded a decision (a dict with ``community_id``, ``subject``,
    ``decision_class``, ``passed``, ``ref``). Plugins waiting for a decision react here."""


@hookspec
def activity_recorded(scope, tags, day, count):
    """Participation in an activity, without naming anyone.

    :param scope: the ``Area`` or ``Community`` where it took place.
    :param tags: a list of tags, e.g. ``["drug_prevention"]``.
    :param day: the ``datetime.date``.
    :param count: how many people took part.
    """


@hookspec
def payment_providers():
    """Payment providers the fees plugin can take money through (offline, WeChat Pay, Alipay...).

    :return: a dict ``{"name": provider}``. Collected and merged. A provider has ``label`` (str),
        ``online`` (bool), ``start(payment) -> dict`` (what the payer needs to pay, e.g. a
        ``redirect`` URL; the payment is pending until its callback) and ``verify(request) ->
        (reference, amount, status)`` (read and authenticate a callback; ``status`` is ``"paid"`` or a
        failure word). The fees plugin ignores duplicated callbacks and records late ones.
    """
