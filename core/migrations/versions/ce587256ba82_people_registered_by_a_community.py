"""people registered by a community

Revision ID: ce587256ba82
Revises: d92ea9639cfb
Create Date: 2026-11-27 02:07:08.937087
"""
import sqlalchemy as sa
from alembic import op


revision = 'ce587256ba82'
down_revision = 'd92ea9639cfb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('community_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_people_community_id'), ['community_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_people_community_id_communities'), 'communities', ['community_id'], ['id'])



def downgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_people_community_id_communities'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_people_community_id'))
        batch_op.drop_column('community_id')

