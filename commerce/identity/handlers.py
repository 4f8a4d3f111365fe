"""Identity's command handlers, for `commerce.registry`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce.identity import audit, clients, consent, credentials, data_export, mfa, phone_binding, sessions
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
    clients.CreateServiceClient: clients.create_service_client,
    clients.RevokeServiceClient: clients.revoke_service_client,
    # Ley 1581: the data subject's rights and the access audit trail.
    data_export.ExportSubjectData: data_export.export_subject_data,
    data_export.CorrectSubjectData: data_export.correct_subject_data,
    consent.GrantConsent: consent.grant_consent,
    consent.RevokeConsent: consent.revoke_consent,
    audit.RecordAccess: audit.record_access,
}
