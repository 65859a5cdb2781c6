"""The ``jiayuan`` command line. Plugins add commands through the ``register_cli`` hook."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext
from rich.console import Console
from rich.table import Table

console = Console()


@click.group()
def cli():
    """Jiayuan (家园): property-management service-quality platform."""


@cli.group()
def db():
    """Database schema: upgrade core and every enabled plugin."""


@db.command("upgrade")
@with_appcontext
def db_upgrade():
    from core.migrate import upgrade_all

    done = upgrade_all(current_app._get_current_object())
    console.print(f"[green]database up to date:[/green] {', '.join(done)}")


@db.command("downgrade")
@click.option("--yes", is_flag=True, help="Really drop every table.")
@with_appcontext
def db_downgrade(yes):
    from core.migrate import downgrade_all

    if not yes:
        raise click.UsageError("this drops every table; pass --yes")
    downgrade_all(current_app._get_current_object())


@db.command("revision")
@click.option("--set", "set_name", default="core", help="core, a core area or a plugin name.")
@click.option("-m", "--message", required=True)
@click.option("--empty", is_flag=True, help="Do not autogenerate.")
@with_appcontext
def db_revision(set_name, message, empty):
    from core.migrate import revision

    revision(current_app._get_current_object(), set_name, message, autogenerate=not empty)


@cli.command()
@click.option("--if-empty", is_flag=True, help="Only when the register is empty.")
@with_appcontext
def demo(if_empty):
    """Load demo data (idempotent) and print the demo accounts."""
    from core.demo import ACCOUNTS, load_demo

    created = load_demo(only_if_empty=if_empty)
    console.print("[green]demo data loaded[/green]" if created else "demo data already present")
    table = Table(title="Demo accounts (password for all: see below)")
    table.add_column("username")
    table.add_column("role")
    table.add_column("scope")
    for username, _name, role, scope in ACCOUNTS:
        table.add_row(username, role, scope)
    console.print(table)
    from core.demo import DEMO_PASSWORD

    console.print(f"password: [bold]{DEMO_PASSWORD}[/bold]")


@cli.command()
@with_appcontext
def plugins():
    """List loaded plugins with version and implemented hooks."""
    from core.plugins import plugin_infos

    table = Table(title="Plugins")
    for col in ("name", "version", "requires", "builtin", "hooks"):
        table.add_column(col)
    for info in plugin_infos():
        table.add_row(info.name, info.version, info.requires or "any", "yes" if info.builtin else "no",
                      ", ".join(info.hooks))
    console.print(table)


@cli.group()
def jobs():
    """Periodic jobs."""


@jobs.command("list")
@with_appcontext
def jobs_list():
    from core.jobs.services import registered_jobs

    for job in registered_jobs():
        console.print(f"{job.name}\tevery {job.interval_seconds}s\t{job.description}")


@jobs.command("run")
@click.option("--loop", is_flag=True, help="Keep running due jobs (what make run does).")
@click.option("--force", is_flag=True, help="Run every job now, due or not.")
@click.option("--only", multiple=True, help="Run only these jobs.")
@click.option("--interval", default=30, help="Seconds between checks with --loop.")
@with_appcontext
def jobs_run(loop, force, only, interval):
    from core.jobs.services import due_jobs, run_job

    app = current_app._get_current_object()
    while True:
        for job in due_jobs(force=force):
            if only and job.name not in only:
                continue
            status, summary = run_job(app, job)
            console.print(f"{job.name}: {status} {summary.strip()[:500]}")
        if not loop:
            break
        force = False
        time.sleep(interval)


@cli.group()
def plugin():
    """Plugin authoring."""


@plugin.command("new")
@click.argument("name")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False),
              help="Folder to create the package in (outside the Jiayuan source tree).")
@click.option("--title", help="Human name shown in the menu.")
@click.option("--title-zh", help="Chinese name shown in the menu.")
@click.option("--author", default="Plugin author")
def plugin_new(name, directory, title, title_zh, author):
    """Create a working plugin package NAME (page, API, model + migration, nav item, ticket reaction, tests)."""
    from pathlib import Path

    from core.scaffold import ScaffoldError, generate

    try:
        root = generate(name, Path(directory), title=title, title_zh=title_zh, author=author)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    console.print(f"[green]created[/green] {root}")
    console.print(f"next: pip install -e {root} && jiayuan db upgrade && (cd {root} && pytest)")


@cli.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host, port):
    """Serve with the development server."""
    from core.app import create_app

    create_app().run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


def _core_area_commands() -> None:
    from core.calendar.cli import calendar_cli
    from core.imports.cli import import_group

    if "calendar" not in cli.commands:
        cli.add_command(calendar_cli)
    if "import" not in cli.commands:
        cli.add_command(import_group)


def build_cli(app=None) -> click.Group:
    """The root group with every plugin's commands (``register_cli`` hook)."""
    from flask.cli import ScriptInfo

    from core.app import create_app

    app = app or create_app()
    _core_area_commands()
    with app.app_context():
        app.extensions["jiayuan.pm"].hook.register_cli(cli=cli)
    cli.context_settings = {"obj": ScriptInfo(create_app=lambda: app)}
    return cli


def main():
    build_cli()(prog_name="jiayuan")
