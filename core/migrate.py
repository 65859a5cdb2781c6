"""Schema migrations: one Alembic history (version folder and version table) per core area or plugin.

Core's base tables live in ``core/migrations/versions`` (table ``alembic_version``); a core area
that ships its own folder declares it in ``CORE_SETS``; every plugin with a ``migrations/versions``
folder gets ``alembic_version_plugin_<name>`` and owns the tables prefixed ``<name>_``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

from core.database import db

HERE = Path(__file__).parent


@dataclass(frozen=True)
class MigrationSet:
    name: str
    versions: Path
    version_table: str
    prefix: str | None  # tables this set owns; None: every table no other set claims


# Core areas with their own history, in upgrade order: (name, folder, table prefix)
CORE_SETS: list[tuple[str, Path, str]] = [
    ("calendar", HERE / "calendar" / "migrations" / "versions", "calendar_"),
    ("tickets", HERE / "tickets" / "migrations" / "versions", "tickets_"),
    ("quality", HERE / "quality" / "migrations" / "versions", "quality_"),
]


def migration_sets(app: Flask) -> list[MigrationSet]:
    sets = [MigrationSet("core", HERE / "migrations" / "versions", "alembic_version", None)]
    for name, folder, prefix in CORE_SETS:
        sets.append(MigrationSet(name, folder, f"alembic_version_{name}", prefix))
    for info in sorted(app.extensions["jiayuan.plugins"], key=lambda i: i.name):
        if info.migrations is not None:
            sets.append(MigrationSet(info.name, info.migrations, f"alembic_version_plugin_{info.name}",
                                     f"{info.name}_"))
    return sets


def _includer(target: MigrationSet, sets: list[MigrationSet]):
    others = [s.prefix for s in sets if s.prefix and s is not target]

    def include(table_name: str) -> bool:
        if table_name.startswith("alembic_version"):  # every set's own bookkeeping, never a model
            return False
        if target.prefix is not None:
            return table_name.startswith(target.prefix)
        return not any(table_name.startswith(p) for p in others)

    return include


def alembic_config(app: Flask, target: MigrationSet, connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("version_locations", str(target.versions))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    cfg.attributes["version_table"] = target.version_table
    cfg.attributes["include_table"] = _includer(target, migration_sets(app))
    cfg.attributes["metadata"] = db.metadata
    return cfg


def upgrade_all(app: Flask, revision: str = "heads") -> list[str]:
    """Upgrade core, then core areas, then every enabled plugin. Returns the set names."""
    done = []
    with app.app_context(), db.engine.begin() as connection:
        for target in migration_sets(app):
            if not any(target.versions.glob("*.py")):
                continue
            command.upgrade(alembic_config(app, target, connection), revision)
            done.append(target.name)
    return done


def downgrade_all(app: Flask) -> None:
    with app.app_context(), db.engine.begin() as connection:
        for target in reversed(migration_sets(app)):
            if any(target.versions.glob("*.py")):
                command.downgrade(alembic_config(app, target, connection), "base")


def revision(app: Flask, set_name: str, message: str, autogenerate: bool = True) -> None:
    sets = {s.name: s for s in migration_sets(app)}
    if set_name not in sets:
        raise SystemExit(f"unknown migration set {set_name!r}; known: {', '.join(sets)}")
    target = sets[set_name]
    target.versions.mkdir(parents=True, exist_ok=True)
    with app.app_context(), db.engine.begin() as connection:
        cfg = alembic_config(app, target, connection)
        head_exists = any(target.versions.glob("*.py"))
        command.revision(cfg, message=message, autogenerate=autogenerate,
                         head="head" if head_exists else "base",
                         branch_label=None if head_exists else set_name,
                         version_path=str(target.versions))
