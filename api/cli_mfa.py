"""`mestocker mfa enrol EMAIL`: enrol a user in TOTP from the server (the operator's path).

An admin or superuser without a second factor gets no token, so their first enrolment cannot
happen over HTTP; whoever runs commands on the server is already trusted with the database,
like `mestocker chat --as`. Re-enrolment by the user is `POST /v1/auth/mfa/enrol` (docs/identity.md).
"""

from __future__ import annotations

import argparse
import sys

from api.cli_support import SettingsFactory
from commerce.identity.mfa import TotpEnrolment
from infra.settings import Settings


def print_enrolment(enrolment: TotpEnrolment, *, qr: bool = False) -> None:
    """The otpauth URI (what an authenticator app imports) and the recovery codes, shown once."""
    print(f"Segundo factor (TOTP) de {enrolment.email}:")
    print(f"  {enrolment.uri}")
    if qr:
        import segno

        segno.make(enrolment.uri, error="m").terminal(out=sys.stdout, compact=True)
    print("  Códigos de recuperación (cada uno sirve una vez; guárdalos fuera del teléfono):")
    print("  " + "  ".join(enrolment.recovery_codes))


def cmd_enrol(args: argparse.Namespace, settings: Settings) -> int:
    from commerce.identity.mfa import EnrolTotp
    from commerce.identity.services import principal_by_email
    from infra.bootstrap import bootstrap

    platform = bootstrap(settings)
    try:
        with platform.read_uow() as uow:
            principal = principal_by_email(uow=uow, email=args.email)
        if principal is None:
            print(f"mestocker mfa: no hay un usuario activo con el correo {args.email}", file=sys.stderr)
            return 1
        enrolment: TotpEnrolment = platform.bus.handle(EnrolTotp(user_id=principal.user_id))
    finally:
        platform.close()
    print_enrolment(enrolment, qr=not args.no_qr)
    print("El secreto anterior y sus códigos de recuperación dejaron de servir.", file=sys.stderr)
    return 0


def add_mfa_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], *, settings: SettingsFactory) -> None:
    mfa = sub.add_parser("mfa", help="second factor (TOTP) of users")
    actions = mfa.add_subparsers(dest="mfa_command", required=True)
    enrol = actions.add_parser("enrol", help="enrol (or re-enrol) a user: prints the otpauth URI, a QR code and "
                                             "ten recovery codes")
    enrol.add_argument("email")
    enrol.add_argument("--no-qr", action="store_true", help="do not draw the QR code in the terminal")
    enrol.set_defaults(func=lambda args: cmd_enrol(args, settings()))
