"""Index the audit trail by entity, for the latest change to who may act (the access mark)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_event_entity_id", "audit_event", ["entity", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_entity_id", table_name="audit_event")
