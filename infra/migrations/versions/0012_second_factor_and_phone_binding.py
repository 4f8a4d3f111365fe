"""Second factor (TOTP credentials, recovery codes) and WhatsApp phone binding (verified numbers,
one-time link codes, failures, account notifications).

Revision ID: 0012
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def _user_fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "totp_credentials",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=True),
        sa.Column("pending_secret", sa.String(length=64), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
        _user_fk("totp_credentials"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_totp_credentials")),
    )
    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk("mfa_recovery_codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_mfa_recovery_codes_code_hash")),
    )
    op.create_index(op.f("ix_mfa_recovery_codes_user_id"), "mfa_recovery_codes", ["user_id"])
    op.create_table(
        "verified_phones",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("verified_phones"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verified_phones")),
        sa.UniqueConstraint("phone", name=op.f("uq_verified_phones_phone")),
    )
    op.create_index(op.f("ix_verified_phones_user_id"), "verified_phones", ["user_id"])
    op.create_table(
        "phone_link_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("wa_id", sa.String(length=32), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk("phone_link_codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_link_codes")),
    )
    op.create_index(op.f("ix_phone_link_codes_user_id"), "phone_link_codes", ["user_id"])
    op.create_index(op.f("ix_phone_link_codes_wa_id"), "phone_link_codes", ["wa_id"])
    op.create_index(op.f("ix_phone_link_codes_code_hash"), "phone_link_codes", ["code_hash"])
    op.create_table(
        "phone_link_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("wa_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_link_failures")),
    )
    op.create_index(op.f("ix_phone_link_failures_wa_id"), "phone_link_failures", ["wa_id"])
    op.create_table(
        "account_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=24), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        _user_fk("account_notifications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_notifications")),
    )
    op.create_index(op.f("ix_account_notifications_user_id"), "account_notifications", ["user_id"])
    op.create_index(op.f("ix_account_notifications_reference"), "account_notifications", ["reference"])
    op.create_index(op.f("ix_account_notifications_next_attempt_at"), "account_notifications", ["next_attempt_at"])
    # Sessions opened with a password alone must not outlive the rule: staff log in again, with a code.
    op.execute("UPDATE refresh_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE revoked_at IS NULL AND user_id IN "
               "(SELECT id FROM users WHERE role IN ('admin', 'superuser') OR mfa_required)")


def downgrade() -> None:
    for table in ("account_notifications", "phone_link_failures", "phone_link_codes", "verified_phones",
                  "mfa_recovery_codes", "totp_credentials"):
        op.drop_table(table)
