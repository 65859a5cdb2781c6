"""``jiayuan tickets ...``: SLA check and auto-close from the command line (also run as jobs)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group()
def tickets():
    """Service tickets."""


@tickets.command("check-sla")
@with_appcontext
def check_sla():
    """Mark missed deadlines, fire ticket_sla_breached and escalate to the community manager."""
    from core.database import db
    from core.tickets.services import check_sla as run

    found = run()
    db.session.commit()
    for ticket_id, clock in found:
        click.echo(f"ticket {ticket_id}: {clock} deadline missed")
    click.echo(f"{len(found)} deadline(s) newly missed")


@tickets.command("auto-close")
@with_appcontext
def auto_close():
    """Close resolved tickets left unrated past tickets.auto_close_days."""
    from core.database import db
    from core.tickets.services import auto_close as run

    closed = run()
    db.session.commit()
    click.echo(f"{len(closed)} ticket(s) closed automatically")
