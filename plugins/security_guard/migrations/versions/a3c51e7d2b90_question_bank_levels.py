"""question bank: each question carries the skill level it tests

Revision ID: a3c51e7d2b90
Revises: f779c3692c41
Create Date: 2026-11-27 05:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a3c51e7d2b90'
down_revision = 'f779c3692c41'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('security_guard_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.Integer(), server_default='5', nullable=False))


def downgrade():
    with op.batch_alter_table('security_guard_questions', schema=None) as batch_op:
        batch_op.drop_column('level')
