"""covering indexes for the report

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:20:00

``storage.reports.build_report`` reads answers per invitation (question, value, number,
skipped) and invitations per review (role, phase, form, status, channel, received,
sent_at). These indexes hold every column those queries read, so a narrow report (one
IRO, one quarter) is answered from the indexes alone (PostgreSQL index-only scans) and
a national year can read the smaller index instead of the table.
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_answers_report', 'answers',
                    ['invitation_id', 'skipped', 'question_key', 'value', 'value_num'], unique=False)
    op.create_index('ix_invitations_report', 'invitations',
                    ['review_id', 'role', 'phase', 'form_id', 'status', 'channel', 'received', 'sent_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_invitations_report', table_name='invitations')
    op.drop_index('ix_answers_report', table_name='answers')
