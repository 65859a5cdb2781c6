"""organisations: the area and community foreign keys PostgreSQL left out

Revision ID: 4f7e1f0a6605
Revises: ce587256ba82
Create Date: 2026-11-27 09:16:14.309865

The first revision declares ``organisations.area_id`` and ``organisations.community_id`` with
``use_alter=True`` inside ``op.create_table``: a dialect that can ALTER (PostgreSQL) leaves such keys
out of CREATE TABLE and nothing added them afterwards, while SQLite, which cannot, keeps them inline.
So this revision reads the live table and creates only the keys that are missing.
"""
import sqlalchemy as sa
from alembic import op

revision = '4f7e1f0a6605'
down_revision = 'ce587256ba82'
branch_labels = None
depends_on = None

# (column, referred table, constraint name under core.database.NAMING)
KEYS = [
    ('area_id', 'areas', 'fk_organisations_area_id_areas'),
    ('community_id', 'communities', 'fk_organisations_community_id_communities'),
]


def _missing():
    """The keys of KEYS that the live table lacks, matched on column and referred table rather than
    name, so a key someone added by hand under another name is not doubled."""
    present = {(tuple(fk['constrained_columns']), fk['referred_table'])
               for fk in sa.inspect(op.get_bind()).get_foreign_keys('organisations')}
    return [key for key in KEYS if ((key[0],), key[1]) not in present]


def _refuse_dangling(keys):
    """Without the key nothing stopped an id pointing at no row. The app never deletes areas or
    communities, so such a row was edited by hand: stop and name it rather than guess (clearing the
    id would silently detach a committee from the place it serves)."""
    rows = op.get_bind().execute(sa.text(' UNION ALL '.join(
        f"SELECT o.id, o.name, '{column}', o.{column}, '{referred}' FROM organisations o "
        f'WHERE o.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {referred} r WHERE r.id = o.{column})'
        for column, referred, _name in keys))).all()
    dangling = [f'organisation {id_} ({name}): {column}={value} is not in {referred}'
                for id_, name, column, value, referred in sorted(rows)]
    if dangling:
        raise RuntimeError('cannot add the foreign keys of organisations; fix or clear these ids '
                           'first, then upgrade again:\n  ' + '\n  '.join(dangling))


def upgrade():
    keys = _missing()
    if not keys:
        return  # SQLite: created inline by the first revision
    _refuse_dangling(keys)
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        for column, referred, name in keys:
            batch_op.create_foreign_key(op.f(name), referred, [column], ['id'])


def downgrade():
    # The previous revision has these keys exactly where CREATE TABLE kept them inline (SQLite,
    # which cannot ALTER); elsewhere they were this revision's, and core's base downgrade drops
    # communities before organisations, so they must go.
    if not op.get_bind().dialect.supports_alter:
        return
    present = {fk['name'] for fk in sa.inspect(op.get_bind()).get_foreign_keys('organisations')}
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        for _column, _referred, name in reversed(KEYS):
            if name in present:
                batch_op.drop_constraint(op.f(name), type_='foreignkey')
