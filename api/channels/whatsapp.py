"""WhatsApp Cloud API webhook: verification handshake, signed inbound messages, replies via the Graph API.

Meta retries a webhook until it gets a 200, so a valid signed payload is acknowledged at once:
new message ids are claimed (`ClaimInboundMessage`: a redelivery finds them taken and does
nothing) and the chat turns run after the response, as background tasks.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.turns import Chat
from api.deps import PlatformDep
from commerce.identity.channels import WHATSAPP, ClaimInboundMessage, IdentifyWhatsAppSender
from commerce.identity.phone_binding import INSTRUCTIONS, LinkOutcome, LinkWhatsAppNumber
from commerce.identity.principal import Principal
from commerce.identity.quotas import admit_whatsapp_sender
from commerce.shared.clock import utcnow
from infra.bootstrap import Platform, whatsapp_reply_client
from infra.channels.whatsapp_client import WhatsAppClient, WhatsAppConfig, WhatsAppSendError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/channels/whatsapp", tags=["whatsapp"])

INBOUND_CONSUMER = "whatsapp-inbound"
CONFIRM_BUTTONS = [("confirm", "Sí, confirmar"), ("cancel", "No, cancelar")]
BUTTON_ANSWERS = {"confirm": "sí", "cancel": "no"}
MAX_INBOUND_CHARS = 4096

REGISTRATION_MESSAGE = INSTRUCTIONS  # an unknown number: how to bind it to an account
APOLOGY_MESSAGE = (
    "Lo siento, tuvimos un problema al procesar tu mensaje. Por favor inténtalo de nuevo en unos minutos."
)
UNSUPPORTED_MESSAGE = "Por ahora solo puedo leer mensajes de texto y respuestas a botones. ¿Me lo escribes, por favor?"


# --- Cloud API payload (only the parts we read; Meta adds fields freely) -----------------------


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Reply(_Lenient):
    id: str = ""
    title: str = ""


class _Interactive(_Lenient):
    type: str = ""
    button_reply: _Reply | None = None
    list_reply: _Reply | None = None


class _Text(_Lenient):
    body: str = ""


class _TemplateButton(_Lenient):
    payload: str = ""
    text: str = ""


class _Message(_Lenient):
    id: str
    from_: str = Field(alias="from")
    timestamp: str | None = None
    type: str = ""
    text: _Text | None = None
    interactive: _Interactive | None = None
    button: _TemplateButton | None = None


class _Metadata(_Lenient):
    phone_number_id: str = ""


class _Value(_Lenient):
    metadata: _Metadata = Field(default_factory=_Metadata)
    messages: list[_Message] = Field(default_factory=list)
    # `statuses` (sent/delivered/read receipts) are deliberately not modelled: they are ignored.


class _Change(_Lenient):
    field: str = ""
    value: _Value = Field(default_factory=_Value)


class _Entry(_Lenient):
    changes: list[_Change] = Field(default_factory=list)


class WebhookPayload(_Lenient):
    object: str = ""
    entry: list[_Entry] = Field(default_factory=list)


@dataclass(frozen=True)
class InboundMessage:
    """One user message, reduced to what a chat turn needs. `text` is None for unsupported types."""

    message_id: str
    wa_id: str
    text: str | None
    sent_at: datetime

    @property
    def dedup_key(self) -> str:
        # processed_messages.event_id is 64 characters; wamids can be longer.
        if len(self.message_id) <= 64:
            return self.message_id
        return "sha256:" + hashlib.sha256(self.message_id.encode()).hexdigest()[:57]

    @property
    def log_ref(self) -> str:
        # A wamid embeds the sender's number in base64: log a digest, never the id itself.
        return hashlib.sha256(self.message_id.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Reply:
    text: str
    ask_confirmation: bool = False


# --- Configuration and collaborators from app.state ------------------------------------------


def whatsapp_config(request: Request) -> WhatsAppConfig:
    """`app.state.whatsapp`, or a config read from the platform settings on first use."""
    state = request.app.state
    config: WhatsAppConfig | None = getattr(state, "whatsapp", None)
    if config is None:
        config = WhatsAppConfig.from_settings(state.platform.settings)
        state.whatsapp = config
    return config


def whatsapp_client(request: Request, config: WhatsAppConfig) -> WhatsAppClient | None:
    """`app.state.whatsapp_client`, built once from the config; None when replies cannot be sent."""
    state = request.app.state
    client: WhatsAppClient | None = getattr(state, "whatsapp_client", None)
    if client is None and config.can_send:
        client = whatsapp_reply_client(config)
        state.whatsapp_client = client
    return client


# --- Routes -----------------------------------------------------------------------------------


@router.get("/webhook", response_class=PlainTextResponse, summary="Verificación del webhook de WhatsApp",
            responses={403: {"description": "Token de verificación inválido"}})
def verify_webhook(
    request: Request,
    mode: Annotated[str, Query(alias="hub.mode")] = "",
    token: Annotated[str, Query(alias="hub.verify_token")] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=256)] = "",
) -> PlainTextResponse:
    """Meta's subscription handshake: echo `hub.challenge` when the verify token matches."""
    expected = whatsapp_config(request).verify_token.get_secret_value()
    if mode != "subscribe" or not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="Token de verificación de WhatsApp inválido.")
    return PlainTextResponse(challenge)


@router.post("/webhook", summary="Mensajes entrantes de WhatsApp (firmados por Meta)",
             responses={401: {"description": "Firma ausente o inválida"},
                        503: {"description": "Webhook sin configurar (falta el secreto de la app)"}})
async def receive_webhook(
    request: Request,
    platform: PlatformDep,
    background: BackgroundTasks,
    x_hub_signature_256: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Verify the signature, claim new message ids and answer them after the response."""
    config = whatsapp_config(request)
    secret = config.app_secret.get_secret_value()
    if not secret:
        raise HTTPException(status_code=503, detail=(
            "El webhook de WhatsApp no está configurado: falta MESTOCKER_WHATSAPP_APP_SECRET "
            "(no se aceptan mensajes sin firma)."))
    raw = await _bounded_body(request)
    if not signature_valid(raw, x_hub_signature_256, secret):
        raise HTTPException(status_code=401, detail="Firma X-Hub-Signature-256 ausente o inválida.")
    messages = parse_messages(raw, phone_number_id=config.phone_number_id)
    fresh = await run_in_threadpool(claim_new_messages, platform, messages)
    client = whatsapp_client(request, config)
    chat: Chat | None = getattr(request.app.state, "chat", None)
    accepted = 0
    for message in fresh:
        # Per sender's phone number (docs/identity.md): over the limit a message is never processed.
        admitted, notice = await run_in_threadpool(admit_whatsapp_sender, platform.request_quotas, message.wa_id)
        if admitted:
            accepted += 1
            background.add_task(handle_message, message, platform=platform, chat=chat, client=client)
        elif notice is not None:
            background.add_task(send_reply, client, message, Reply(notice))
    return {"status": "ok", "accepted": accepted}


# --- Steps ------------------------------------------------------------------------------------

# Meta's webhook payloads are a few kilobytes; anything far larger is not from Meta.
MAX_BODY_BYTES = 1_000_000


async def _bounded_body(request: Request) -> bytes:
    """The raw body, refusing (413) more than MAX_BODY_BYTES before reading it all into memory."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="El cuerpo de la solicitud es demasiado grande.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="El cuerpo de la solicitud es demasiado grande.")
    return bytes(body)



def signature_valid(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """True when `header` is "sha256=" + hex HMAC-SHA256 of the raw body (constant-time compare)."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode("utf-8", "replace"))


def parse_messages(raw_body: bytes, *, phone_number_id: str = "") -> list[InboundMessage]:
    """The user messages of a webhook payload; status updates and other numbers' traffic are skipped."""
    try:
        payload = WebhookPayload.model_validate_json(raw_body)
    except ValidationError as exc:
        # Signed by Meta but not what we expect: retrying will not fix it, so acknowledge and log.
        log.warning("whatsapp: unreadable webhook payload (%d validation errors)", exc.error_count())
        return []
    messages: list[InboundMessage] = []
    for entry in payload.entry:
        for change in entry.changes:
            receiver = change.value.metadata.phone_number_id
            if phone_number_id and receiver != phone_number_id:  # another (or no) business number
                log.info("whatsapp: ignoring messages addressed to another phone number id")
                continue
            messages.extend(_inbound(message) for message in change.value.messages)
    return messages


def _inbound(message: _Message) -> InboundMessage:
    return InboundMessage(message_id=message.id, wa_id="".join(ch for ch in message.from_ if ch.isdigit()),
                          text=_text_of(message), sent_at=_sent_at(message.timestamp))


def _text_of(message: _Message) -> str | None:
    """The text the chat should see: typed text, or a button/list choice mapped back to words."""
    text = ""
    if message.type == "text" and message.text is not None:
        text = message.text.body
    elif message.type == "interactive" and message.interactive is not None:
        choice = message.interactive.button_reply or message.interactive.list_reply
        if choice is not None:
            text = BUTTON_ANSWERS.get(choice.id, choice.title)
    elif message.type == "button" and message.button is not None:
        text = BUTTON_ANSWERS.get(message.button.payload, message.button.text)
    text = text.strip()[:MAX_INBOUND_CHARS]
    return text or None


def _sent_at(timestamp: str | None) -> datetime:
    now = utcnow()
    try:
        sent = datetime.fromtimestamp(int(timestamp or ""), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return now
    return min(sent, now)


def claim_new_messages(platform: Platform, messages: list[InboundMessage]) -> list[InboundMessage]:
    """Claim each message id; return the messages seen for the first time."""
    fresh = []
    for message in messages:
        if platform.bus.handle(ClaimInboundMessage(consumer=INBOUND_CONSUMER, message_id=message.dedup_key)):
            fresh.append(message)
        else:
            log.info("whatsapp: message %s already processed", message.log_ref)
    return fresh


def handle_message(message: InboundMessage, *, platform: Platform, chat: Chat | None,
                   client: WhatsAppClient | None) -> None:
    """Run the chat turn for one message and send the reply; failures become a Spanish apology."""
    try:
        reply = answer(message, platform=platform, chat=chat)
    except Exception as exc:
        # The exception text may quote the user's message: log its type, the trace only at DEBUG.
        log.error("whatsapp: message %s failed: %s", message.log_ref, type(exc).__name__)
        log.debug("whatsapp: message %s traceback", message.log_ref, exc_info=True)
        reply = Reply(APOLOGY_MESSAGE)
    send_reply(client, message, reply)


def answer(message: InboundMessage, *, platform: Platform, chat: Chat | None) -> Reply:
    """The reply to one message: the binding flow for unknown numbers, else the chat turn's reply."""
    principal = _identify(message, platform)
    if principal is None:
        if message.text is None:
            return Reply(REGISTRATION_MESSAGE)
        # Not bound yet: the message may be an email (asks for a code) or a code (binds the number).
        outcome: LinkOutcome = platform.bus.handle(LinkWhatsAppNumber(wa_id=message.wa_id, text=message.text))
        return Reply(outcome.reply)
    if message.text is None:
        return Reply(UNSUPPORTED_MESSAGE)
    if chat is None:
        raise RuntimeError("no chat service on app.state.chat")
    turn = chat.send(principal=principal, thread_id=f"wa:{principal.user_id}", message=message.text,
                     channel=WHATSAPP)
    if turn.pending_confirmation is not None:
        return Reply(turn.reply or turn.pending_confirmation.question, ask_confirmation=True)
    return Reply(turn.reply or APOLOGY_MESSAGE)


def _identify(message: InboundMessage, platform: Platform) -> Principal | None:
    """The sender's principal (recording the inbound message on their WhatsApp channel), or None."""
    principal: Principal | None = platform.bus.handle(IdentifyWhatsAppSender(wa_id=message.wa_id,
                                                                             sent_at=message.sent_at))
    return principal


def send_reply(client: WhatsAppClient | None, message: InboundMessage, reply: Reply) -> None:
    """Send `reply` to the sender: reply buttons when a write waits for confirmation, else text."""
    if client is None:
        log.warning("whatsapp: cannot reply to %s: access token or phone number id missing", message.log_ref)
        return
    try:
        if reply.ask_confirmation:
            client.send_buttons(message.wa_id, reply.text, CONFIRM_BUTTONS)
        else:
            client.send_text(message.wa_id, reply.text)
    except WhatsAppSendError as exc:
        log.warning("whatsapp: reply to %s not sent: %s", message.log_ref, exc)
