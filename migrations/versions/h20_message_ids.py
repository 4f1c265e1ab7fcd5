"""Texts kept with their message id and parameters (shown in the reader's language); a setting's version

core_audit_log, core_notice_batch, core_notice, core_inbox_message get ``texts`` (JSON: {"summary" | "title" |
"body": {"msgid", "params"}}; empty for older rows, which show their stored text). core_module_setting gets
``version``, claimed by the 审批流程 form that saves one setting.

Revision ID: h20_message_ids
Revises: h5c_module_state_version
"""
from alembic import op
import sqlalchemy as sa

revision = 'h20_message_ids'
down_revision = 'h5c_module_state_version'
branch_labels = None
depends_on = None

TABLES = ('core_audit_log', 'core_notice_batch', 'core_notice', 'core_inbox_message')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('texts', sa.JSON(), nullable=True))
    with op.batch_alter_table('core_module_setting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('core_module_setting', schema=None) as batch_op:
        batch_op.drop_column('version')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('texts')
