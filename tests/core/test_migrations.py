"""The migrations build the schema the models describe: a model change without its revision (a new
column, an index, a changed type) fails here instead of on someone's production database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.migrate import _includer, migration_sets


def _drift(app, connection):
    """What autogenerate would still write, per migration set, against the migrated test database."""
    from core.database import db

    sets = migration_sets(app)
    found = {}
    for target in sets:
        owns = _includer(target, sets)

        def include_object(obj, name, type_, reflected, compare_to, owns=owns):
            table = obj if type_ == "table" else getattr(obj, "table", None)
            table_name = name if type_ == "table" else getattr(table, "name", None)
            if table_name is None:
                return True
            return not table_name.startswith("alembic_version") and owns(table_name)

        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True})
        diff = compare_metadata(context, db.metadata)
        if diff:
            found[target.name] = diff
    return found


def test_every_migration_set_matches_its_models(app, db):
    with db.engine.connect() as connection:
        drift = _drift(app, connection)
    assert drift == {}
