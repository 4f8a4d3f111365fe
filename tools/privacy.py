"""Data-subject tools (Ley 1581): a copy of my data, erase my data, revoke my authorisation.

Each asks for confirmation first and runs once. Results carry counts and Spanish text only: a
tool result is stored (idempotency, checkpoints) and goes back to a model, so the export itself
is never put in it — the person downloads it from GET /v1/me/data.
"""

from __future__ import annotations

from commerce.identity.consent import RevokeConsent, Withdrawal
from commerce.identity.data_export import ExportSubjectData, SubjectExport
from commerce.identity.erasure import EraseSubjectData, ErasureResult
from commerce.shared.errors import InvalidInput
from tools.base import Runtime, agent_tool
from tools.confirmation import PendingWrite
from tools.results import ToolResult, ok

_WITHDRAW_ES = {
    Withdrawal.ALL: "toda tu autorización para tratar tus datos personales",
    Withdrawal.INTERNATIONAL_TRANSFER: "la transferencia internacional de tus mensajes a modelos de IA en la nube",
    Withdrawal.SENSITIVE_DATA: "el tratamiento de tus datos sensibles",
}


def _signed_in(runtime: Runtime) -> None:
    if runtime.context.principal.user_id <= 0:
        raise InvalidInput("Inicia sesión para gestionar tus datos personales.")


@agent_tool
def export_my_data(*, runtime: Runtime) -> ToolResult:
    """Prepare a copy of every personal data MeStocker holds about the user (Ley 1581). Asks to confirm first."""
    _signed_in(runtime)
    ctx = runtime.context
    write = PendingWrite(runtime, "export_my_data", {})
    if (done := write.stored()) is not None:
        return done
    question = ("Voy a preparar una copia de todos los datos personales que tenemos de ti: cuenta, pedidos, "
                "direcciones, autorizaciones, conversaciones, notificaciones y registro de enrutamiento. "
                "¿Confirmas? (sí/no)")

    def execute() -> ToolResult:
        export: SubjectExport = ctx.bus.handle(ExportSubjectData(actor=ctx.principal, channel=ctx.channel))
        counts = {"pedidos": len(export.orders), "conversaciones": len(export.conversations),
                  "notificaciones": len(export.notifications), "autorizaciones": len(export.consents),
                  "casos_de_soporte": len(export.support_tickets)}
        summary = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
        return ok(f"Listo: tu copia tiene {summary}. Descárgala completa en formato JSON desde «Mis datos» en la "
                  "página web (GET /v1/me/data); registramos tu consulta.", counts)

    return write.confirm_and_run(question, execute, "Entendido, no preparé la copia de tus datos.")


@agent_tool
def erase_my_data(*, runtime: Runtime) -> ToolResult:
    """Erase the user's personal data and close their account; orders stay, anonymised. Asks to confirm first."""
    _signed_in(runtime)
    ctx = runtime.context
    write = PendingWrite(runtime, "erase_my_data", {})
    if (done := write.stored()) is not None:
        return done
    question = ("Voy a borrar tus datos personales: conversaciones, casos de soporte, notificaciones y tu cuenta. "
                "Tus pedidos se conservan sin tus datos personales, como exige la ley tributaria. No se puede "
                "deshacer. ¿Confirmas? (sí/no)")

    def execute() -> ToolResult:
        result: ErasureResult = ctx.bus.handle(EraseSubjectData(user_id=ctx.principal.user_id, actor=ctx.principal,
                                                                close_account=True, channel=ctx.channel))
        counts = {"conversaciones": result.conversations_deleted, "pedidos_anonimizados": result.orders_kept_anonymised}
        return ok("Listo: borramos tus datos personales y cerramos tu cuenta. Esta conversación también se borra.",
                  counts)

    return write.confirm_and_run(question, execute, "Entendido, no borré tus datos.")


@agent_tool
def revoke_consent(withdraw: str = "all", *, runtime: Runtime) -> ToolResult:
    """Revoke the user's authorisation to process their personal data. Asks to confirm first.

    Args:
        withdraw: "all" (everything), "international_transfer" (no cloud models abroad) or "sensitive_data".
    """
    _signed_in(runtime)
    ctx = runtime.context
    try:
        what = Withdrawal(withdraw.strip().lower())
    except ValueError:
        raise InvalidInput("Indica qué revocas: todo, la transferencia internacional o los datos sensibles.") from None
    write = PendingWrite(runtime, "revoke_consent", {"withdraw": str(what)})
    if (done := write.stored()) is not None:
        return done
    question = f"Voy a revocar {_WITHDRAW_ES[what]}. ¿Confirmas? (sí/no)"

    def execute() -> ToolResult:
        state = ctx.bus.handle(RevokeConsent(actor=ctx.principal, channel=ctx.channel, withdraw=what))
        tail = ("Para volver a atenderte te pediremos de nuevo tu autorización." if not state.granted else
                "Desde ahora tus mensajes se atienden solo con modelos locales, sin salir de Colombia."
                if not state.international_transfer else "")
        return ok(f"Listo: revocaste {_WITHDRAW_ES[what]}. {tail}".strip(),
                  {"granted": state.granted, "international_transfer": state.international_transfer})

    return write.confirm_and_run(question, execute, "Entendido, tu autorización sigue igual.")
