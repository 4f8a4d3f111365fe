"""WhatsApp Cloud API (Graph API) client: text, reply buttons and template messages.

Every send is `POST {api_base_url}/{phone_number_id}/messages` with the access token as a bearer
token. The base URL is configurable so tests (and a staging proxy) can stand in for Meta.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
from pydantic import BaseModel, SecretStr, field_validator

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://graph.facebook.com/v21.0"
TEXT_LIMIT = 4096  # Cloud API limit for a text body
INTERACTIVE_BODY_LIMIT = 1024
BUTTON_TITLE_LIMIT = 20
TEMPLATE_PARAMETER_LIMIT = 1024
# Meta's error code when free text is sent outside the 24-hour customer service window.
REENGAGEMENT_REQUIRED = 131047


class WhatsAppConfig(BaseModel):
    """The WhatsApp Cloud API settings (from `MESTOCKER_WHATSAPP_*`)."""

    verify_token: SecretStr = SecretStr("")
    app_secret: SecretStr = SecretStr("")
    access_token: SecretStr = SecretStr("")
    api_base_url: str = DEFAULT_API_BASE_URL
    phone_number_id: str = ""

    @field_validator("api_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.strip().rstrip("/") or DEFAULT_API_BASE_URL

    @classmethod
    def from_settings(cls, settings: object) -> WhatsAppConfig:
        """Read the `whatsapp_*` attributes of a Settings-like object (missing ones stay empty)."""

        def secret(name: str) -> str:
            value = getattr(settings, f"whatsapp_{name}", "") or ""
            return value.get_secret_value() if isinstance(value, SecretStr) else str(value)

        return cls(
            verify_token=SecretStr(secret("verify_token")),
            app_secret=SecretStr(secret("app_secret")),
            access_token=SecretStr(secret("access_token")),
            api_base_url=secret("api_base_url") or DEFAULT_API_BASE_URL,
            phone_number_id=secret("phone_number_id"),
        )

    @property
    def can_send(self) -> bool:
        """True when replies can be sent (an access token and a sender phone number id are set)."""
        return bool(self.access_token.get_secret_value() and self.phone_number_id)


class WhatsAppSendError(Exception):
    """The Graph API refused a message or could not be reached. Carries no message content."""

    def __init__(self, message: str, *, status_code: int | None = None, error_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code

    @property
    def window_closed(self) -> bool:
        """True when Meta says free text is not allowed any more: a template is needed."""
        return self.error_code == REENGAGEMENT_REQUIRED


class WhatsAppClient:
    """Sends messages through the Cloud API. Thread-safe (one pooled httpx client)."""

    def __init__(self, config: WhatsAppConfig, *, timeout: float = 10.0, transport: httpx.BaseTransport | None = None):
        if not config.can_send:
            raise ValueError("WhatsApp needs MESTOCKER_WHATSAPP_ACCESS_TOKEN and MESTOCKER_WHATSAPP_PHONE_NUMBER_ID")
        self.config = config
        self._http = httpx.Client(
            base_url=config.api_base_url,
            headers={"Authorization": f"Bearer {config.access_token.get_secret_value()}"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
        )

    def send_text(self, to: str, body: str) -> str | None:
        """Send free text (only valid inside the 24-hour window); return Meta's message id."""
        return self._send(to, {"type": "text", "text": {"body": _clip(body, TEXT_LIMIT), "preview_url": False}})

    def send_buttons(self, to: str, body: str, buttons: list[tuple[str, str]]) -> str | None:
        """Send a message with up to three reply buttons, given as (id, title) pairs."""
        if not 1 <= len(buttons) <= 3:
            raise ValueError("WhatsApp allows one to three reply buttons")
        interactive = {
            "type": "button",
            "body": {"text": _clip(body, INTERACTIVE_BODY_LIMIT)},
            "action": {"buttons": [
                {"type": "reply", "reply": {"id": button_id, "title": _clip(title, BUTTON_TITLE_LIMIT)}}
                for button_id, title in buttons
            ]},
        }
        return self._send(to, {"type": "interactive", "interactive": interactive})

    def send_template(self, to: str, template_name: str, language: str = "es_CO",
                      parameters: list[str] | None = None) -> str | None:
        """Send a pre-approved template (the only kind allowed outside the 24-hour window)."""
        template: dict[str, Any] = {"name": template_name, "language": {"code": language}}
        if parameters:
            template["components"] = [{
                "type": "body",
                "parameters": [{"type": "text", "text": _template_text(p)} for p in parameters],
            }]
        return self._send(to, {"type": "template", "template": template})

    def close(self) -> None:
        self._http.close()

    def _send(self, to: str, message: dict[str, Any]) -> str | None:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        path = f"/{self.config.phone_number_id}/messages"
        try:
            response = self._http.post(path, json=payload)
        except httpx.HTTPError as exc:
            raise WhatsAppSendError(f"Graph API unreachable: {type(exc).__name__}") from exc
        if not response.is_success:
            raise _error_from(response)
        try:
            messages = response.json().get("messages") or [{}]
            message_id = messages[0].get("id")
        except (ValueError, AttributeError, IndexError):
            return None
        return str(message_id) if message_id else None


def _error_from(response: httpx.Response) -> WhatsAppSendError:
    code: int | None = None
    try:
        error = response.json().get("error") or {}
        code = int(error["code"]) if "code" in error else None
    except (ValueError, AttributeError, TypeError):
        pass
    return WhatsAppSendError(f"Graph API answered {response.status_code} (error code {code})",
                             status_code=response.status_code, error_code=code)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _template_text(text: str) -> str:
    # Template parameters may not contain newlines, tabs or more than four consecutive spaces.
    return _clip(re.sub(r"\s+", " ", text).strip(), TEMPLATE_PARAMETER_LIMIT)


def build_whatsapp_client(settings: object) -> WhatsAppClient | None:
    """A client from `MESTOCKER_WHATSAPP_*` settings, or None when sending is not configured."""
    config = WhatsAppConfig.from_settings(settings)
    return WhatsAppClient(config) if config.can_send else None
