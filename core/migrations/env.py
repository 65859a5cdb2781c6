"""Alembic environment shared by every migration set (see core/migrate.py)."""

from alembic import context

config = context.config
connection = config.attributes["connection"]
include_table = config.attributes["include_table"]


def include_object(obj, name, type_, reflected, compare_to):
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", None)
    if table_name is None:
        return True
    return include_table(table_name)


context.configure(
    connection=connection,
    target_metadata=config.attributes["metadata"],
    version_table=config.attributes["version_table"],
    include_object=include_object,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
