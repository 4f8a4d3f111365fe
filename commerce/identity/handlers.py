"""Identity's command handlers, for `commerce.registry`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce.identity import credentials, mfa, phone_binding, sessions
from commerce.shared.commands import Command

COMMAND_HANDLERS: dict[type[Command], Callable[..., Any]] = {
    credentials.RehashPassword: credentials.rehash_password,
    sessions.IssueRefreshToken: sessions.issue_refresh_token,
    sessions.RotateRefreshToken: sessions.rotate_refresh_token,
    sessions.RevokeRefreshFamily: sessions.revoke_refresh_family,
    mfa.EnrolTotp: mfa.enrol_totp,
    mfa.StartTotpEnrolment: mfa.start_totp_enrolment,
    mfa.ConfirmTotpEnrolment: mfa.confirm_totp_enrolment,
    mfa.VerifySecondFactor: mfa.verify_second_factor,
    phone_binding.LinkWhatsAppNumber: phone_binding.link_whatsapp_number,
    phone_binding.CreateWebLinkCode: phone_binding.create_web_link_code,
}
