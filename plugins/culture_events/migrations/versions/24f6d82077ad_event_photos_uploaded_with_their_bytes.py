"""event photos uploaded with their bytes

Revision ID: 24f6d82077ad
Revises: 01c30b7fe739
Create Date: 2026-11-27 05:12:20.905340
"""
from alembic import op
import sqlalchemy as sa
import core.database


revision = '24f6d82077ad'
down_revision = '01c30b7fe739'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('culture_events_photo', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filename', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('content_type', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('data', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('uploaded_by_id', sa.Integer(), nullable=True))
        batch_op.alter_column('url',
               existing_type=sa.VARCHAR(length=400),
               nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_culture_events_photo_uploaded_by_id_accounts'), 'accounts', ['uploaded_by_id'], ['id'])


def downgrade():
    # uploaded photos have no address; an empty one keeps the old NOT NULL column valid
    op.execute("UPDATE culture_events_photo SET url = '' WHERE url IS NULL")
    with op.batch_alter_table('culture_events_photo', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_culture_events_photo_uploaded_by_id_accounts'), type_='foreignkey')
        batch_op.alter_column('url',
               existing_type=sa.VARCHAR(length=400),
               nullable=False)
        batch_op.drop_column('uploaded_by_id')
        batch_op.drop_column('data')
        batch_op.drop_column('sha256')
        batch_op.drop_column('size')
        batch_op.drop_column('content_type')
        batch_op.drop_column('filename')
