"""journal mail: reports to the administration, messaging suspensions, chat messages of mail

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('mail_reports',
    sa.Column('id', _BIG_ID, nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('message_id', _BIG_ID, nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['mail_messages.id'], name=op.f('fk_mail_reports_message_id_mail_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['persons.id'], name=op.f('fk_mail_reports_reporter_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_mail_reports_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_reports')),
    sa.UniqueConstraint('message_id', 'reporter_id', name=op.f('uq_mail_reports_message_id_reporter_id'))
    )
    with op.batch_alter_table('mail_reports', schema=None) as batch_op:
        batch_op.create_index('ix_mail_reports_school', ['school_id', 'created_at'], unique=False)

    op.create_table('mail_suspensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('suspended_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['lifted_by'], ['persons.id'], name=op.f('fk_mail_suspensions_lifted_by_persons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_mail_suspensions_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_mail_suspensions_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['suspended_by'], ['persons.id'], name=op.f('fk_mail_suspensions_suspended_by_persons'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_suspensions'))
    )
    with op.batch_alter_table('mail_suspensions', schema=None) as batch_op:
        batch_op.create_index('ix_mail_suspensions_person', ['person_id', 'school_id'], unique=False)

    op.create_table('mail_chat_messages',
    sa.Column('id', _BIG_ID, nullable=False),
    sa.Column('message_id', _BIG_ID, nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('telegram_message_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['mail_messages.id'], name=op.f('fk_mail_chat_messages_message_id_mail_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_mail_chat_messages_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_chat_messages')),
    sa.UniqueConstraint('chat_id', 'telegram_message_id', name=op.f('uq_mail_chat_messages_chat_id_telegram_message_id'))
    )


def downgrade() -> None:
    op.drop_table('mail_chat_messages')
    with op.batch_alter_table('mail_suspensions', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_suspensions_person')

    op.drop_table('mail_suspensions')
    with op.batch_alter_table('mail_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_reports_school')

    op.drop_table('mail_reports')
