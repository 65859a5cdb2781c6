"""``jiayuan import units FILE --community ID [--dry-run]``: the register import on the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


@click.group("import")
def import_group():
    """Import the register from Excel or CSV files."""


@import_group.command("units")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", "community_id", type=int, required=True, help="Id of the community.")
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; write nothing.")
@with_appcontext
def import_units(file: Path, community_id: int, dry_run: bool):
    """Import buildings, units and owners of one community from FILE (.xlsx or .csv)."""
    from flask import current_app

    from core.database import db
    from core.errors import Invalid
    from core.imports import services
    from core.places.models import Community

    community = db.session.get(Community, community_id)
    if community is None:
        raise click.BadParameter(f"no community with id {community_id}", param_hint="--community")
    # messages are translated lazily and the locale is chosen per request: give them one
    with current_app.test_request_context(), Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int):
            if stage not in tasks:
                label = {"check": "checking rows", "write": "writing"}[stage]
                tasks[stage] = bar.add_task(label, total=total if stage == "check" else None)
            bar.advance(tasks[stage], done)

        try:
            result = services.run_import(None, community, file.read_bytes(), file.name, dry_run=dry_run,
                                         progress=progress)
        except services.ImportRefused as exc:
            db.session.rollback()
            bar.stop()
            table = Table(title=f"{len(exc.problems)} problems: nothing was imported")
            for col in ("row", "column", "message"):
                table.add_column(col)
            for p in exc.problems[:200]:
                table.add_row(str(p.row), p.column, str(p.message))
            console.print(table)
            raise SystemExit(1) from None
        except Invalid as exc:
            db.session.rollback()
            console.print(f"[red]{exc.message}[/red] {exc.fields}")
            raise SystemExit(1) from None
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    s = result.summary()
    verb = "would change" if dry_run else "imported"
    console.print(f"[green]{verb}:[/green] {s['rows']} rows; buildings +{s['new_buildings']}; units "
                  f"+{s['new_units']} new, {s['changed_units']} changed, {s['unchanged_units']} unchanged; "
                  f"people +{s['new_people']}; ownerships +{s['new_ownerships']}")
