"""``jiayuan calendar seed`` and ``jiayuan calendar import FILE``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("calendar")
def calendar_cli():
    """Holiday calendar: seed from the package, import an official schedule, show a year."""


@calendar_cli.command("seed")
@with_appcontext
def seed():
    """Copy the years chinesecalendar knows into the calendar table (idempotent)."""
    from core.calendar.services import package_years, seed_from_package
    from core.database import db

    added = seed_from_package(None)
    db.session.commit()
    years = package_years()
    click.echo(f"seeded {added} days from chinesecalendar ({years[0]}–{years[-1]})" if years else "package knows no year")


@calendar_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=click.IntRange(1900, 2100), required=True, help="The year of the schedule.")
@click.option("--partial", is_flag=True, help="Not the full official schedule: keep the fallback warning.")
@click.option("--source", default="", help="Where the schedule comes from (e.g. the State Council notice).")
@click.option("--dry-run", is_flag=True, help="Only check the rows.")
@with_appcontext
def import_file(file: Path, year: int, partial: bool, source: str, dry_run: bool):
    """Import FILE (.csv or .xlsx: date, is_working, name) for YEAR; all rows or none."""
    from core.audit.services import record as audit
    from core.calendar import services
    from core.database import db
    from core.errors import Invalid

    try:
        raw = services.read_import_file(file.name, file.read_bytes())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    rows = services.parse_import_rows(raw)
    try:
        if dry_run:
            for row in rows:
                if row.day is not None and row.day.year != year:
                    row.errors.append(f"date is not in {year}")
            bad = [r for r in rows if r.errors]
            if bad:
                raise Invalid(fields={f"line {r.line}": r.errors for r in bad})
            click.echo(f"{len(rows)} rows are valid (dry run, nothing written)")
            return
        written = services.import_rows(None, rows, year=year, complete=not partial, source=source)
    except Invalid as exc:
        db.session.rollback()
        for line, errors in exc.fields.items():
            click.echo(f"{line}: {'; '.join(errors)}", err=True)
        raise click.ClickException("nothing was imported") from None
    audit(None, "calendar.imported", "CalendarYear", year, module="calendar",
          changes={"rows": written, "complete": not partial, "source": source or None})
    db.session.commit()
    click.echo(f"imported {written} days for {year}" + ("" if partial else " (marked complete)"))


@calendar_cli.command("show")
@click.option("--year", type=click.IntRange(1900, 2100), required=True)
@with_appcontext
def show(year: int):
    """List the days of YEAR that differ from Monday to Friday, with their source."""
    from core.calendar.services import load_calendar_with_sources

    cal, info = load_calendar_with_sources(None, [year])
    for warning in cal.warnings():
        click.echo(f"WARNING {warning}")
    for day in sorted(info):
        entry = info[day]
        click.echo(f"{day.isoformat()}\t{'working' if entry.is_working else 'holiday'}\t{entry.name or ''}\t{entry.source}")
