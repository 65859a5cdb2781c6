"""parcel_log: entries

Revision ID: parcel_log_0001
Revises:
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import core.database

revision = "parcel_log_0001"
down_revision = None
branch_labels = ("parcel_log",)
depends_on = None


def upgrade():
    op.create_table(
        "parcel_log_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.database.UTCDateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP"),
                  nullable=False),
        sa.Column("updated_at", core.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_parcel_log_entries_area_id_areas")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_parcel_log_entries_community_id_communities")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_parcel_log_entries_unit_id_units")),
        sa.ForeignKeyConstraint(["created_by_id"], ["accounts.id"],
                                name=op.f("fk_parcel_log_entries_created_by_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_log_entries")),
    )
    with op.batch_alter_table("parcel_log_entries") as batch:
        for column in ("area_id", "community_id", "unit_id", "ticket_id"):
            batch.create_index(batch.f(f"ix_parcel_log_entries_{column}"), [column])


def downgrade():
    op.drop_table("parcel_log_entries")
