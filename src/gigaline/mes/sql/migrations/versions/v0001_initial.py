"""Initial MES schema: equipment hierarchy, lots, units, process records, genealogy,
machine states, curves, holds, the events ledger and the dead letters.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "curves",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("unit", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dt_s", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curves")),
    )
    with op.batch_alter_table("curves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_curves_unit"), ["unit"], unique=False)

    op.create_table(
        "dead_letters",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("raw_sha256", name=op.f("uq_dead_letters_raw_sha256")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("site", sa.String(length=128), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_table(
        "genealogy",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("parent", sa.String(length=128), nullable=False),
        sa.Column("parent_kind", sa.String(length=4), nullable=False),
        sa.Column("child", sa.String(length=128), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genealogy")),
    )
    with op.batch_alter_table("genealogy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_genealogy_child"), ["child"], unique=False)
        batch_op.create_index(batch_op.f("ix_genealogy_parent"), ["parent"], unique=False)

    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("released", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("released_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    op.create_table(
        "lots",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("material", sa.String(length=128), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("uom", sa.String(length=16), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
    )
    op.create_table(
        "machine_states",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_machine_states")),
    )
    with op.batch_alter_table("machine_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_machine_states_station_id_ts"), ["station_id", "ts"], unique=False
        )

    op.create_table(
        "process_records",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("unit", sa.String(length=128), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=2), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=True),
        sa.Column("params", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_records")),
    )
    with op.batch_alter_table("process_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_records_unit_ts"), ["unit", "ts"], unique=False
        )

    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("unit_type", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_areas_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        sa.UniqueConstraint("site_id", "name", name=op.f("uq_areas_site_id_name")),
    )
    op.create_table(
        "held_units",
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["holds.id"], name=op.f("fk_held_units_hold_id_holds")
        ),
        sa.PrimaryKeyConstraint("hold_id", "unit", name=op.f("pk_held_units")),
    )
    with op.batch_alter_table("held_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_units_unit"), ["unit"], unique=False)

    op.create_table(
        "lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_lines_area_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lines")),
        sa.UniqueConstraint("area_id", "name", name=op.f("uq_lines_area_id_name")),
    )
    op.create_table(
        "steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("process", sa.String(length=64), nullable=True),
        sa.Column("branch", sa.String(length=128), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], name=op.f("fk_steps_line_id_lines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steps")),
        sa.UniqueConstraint("line_id", "name", name=op.f("uq_steps_line_id_name")),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["step_id"], ["steps.id"], name=op.f("fk_stations_step_id_steps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("name", name=op.f("uq_stations_name")),
    )
    op.create_table(
        "equipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_equipment_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment")),
        sa.UniqueConstraint("name", name=op.f("uq_equipment_name")),
    )


def downgrade() -> None:
    op.drop_table("equipment")
    op.drop_table("stations")
    op.drop_table("steps")
    op.drop_table("lines")
    with op.batch_alter_table("held_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_units_unit"))

    op.drop_table("held_units")
    op.drop_table("areas")
    op.drop_table("units")
    op.drop_table("sites")
    with op.batch_alter_table("process_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_records_unit_ts"))

    op.drop_table("process_records")
    with op.batch_alter_table("machine_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_machine_states_station_id_ts"))

    op.drop_table("machine_states")
    op.drop_table("lots")
    op.drop_table("holds")
    with op.batch_alter_table("genealogy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_genealogy_parent"))
        batch_op.drop_index(batch_op.f("ix_genealogy_child"))

    op.drop_table("genealogy")
    op.drop_table("events")
    op.drop_table("dead_letters")
    with op.batch_alter_table("curves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_curves_unit"))

    op.drop_table("curves")
