"""The FastAPI application."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors, log_redaction
from api.channels import whatsapp
from api.chat_wiring import open_chat
from api.routers import (
    auth,
    chat,
    fulfillment,
    health,
    inventory,
    notifications,
    orders,
    privacy,
    products,
    reorder,
    sellers,
    web,
)
from api.security import signing_secret
from infra.bootstrap import Platform, bootstrap
from infra.channels.delivery import run_delivery_loop
from infra.channels.web_push import build_web_push_hub
from infra.channels.whatsapp_client import build_whatsapp_client
from infra.worker import start_background_worker

DESCRIPTION = """
MeStocker: fulfillment + marketplace para Colombia. Autentícate en `POST /v1/auth/token`
(usuarios demo con la contraseña `mestocker-demo` en el perfil embebido) y usa el token como
`Authorization: Bearer …`. Dinero en pesos colombianos enteros (COP); errores en JSON con un
`detail` en español.
"""


def _start_delivery(app: FastAPI, platform: Platform) -> Callable[[], None]:
    """Deliver buyer notifications (WhatsApp or the open web page) on a thread; return its stopper.

    It runs beside the API because, embedded, the web page's live feed is this process's hub."""
    client = build_whatsapp_client(platform.settings)
    stop = threading.Event()
    thread = threading.Thread(target=run_delivery_loop, args=(platform.session_factory,), daemon=True,
                              name="mestocker-notifications",
                              kwargs={"whatsapp_client": client, "web_push": app.state.web_push, "stop": stop})
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=10)
        for opened in (client, getattr(app.state, "whatsapp_client", None)):
            if opened is not None:
                opened.close()

    return stopper


def create_app(platform: Platform | None = None, *, background_worker: bool | None = None) -> FastAPI:
    """Build the app around `platform` (built from settings when None)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = platform is None
        current = platform or bootstrap()
        app.state.platform = current
        app.state.jwt_secret = signing_secret(current.settings)
        run_worker = current.settings.embedded_worker if background_worker is None else background_worker
        app.state.chat, close_chat = open_chat(current)
        app.state.web_push = build_web_push_hub(current.settings)
        worker = start_background_worker(current) if run_worker else None
        delivery = _start_delivery(app, current) if run_worker else None
        try:
            yield
        finally:
            if delivery is not None:
                delivery()
            app.state.web_push.close()
            close_chat()
            if worker is not None:
                thread, stop = worker
                stop.set()
                current.outbox_signal.set()
                thread.join(timeout=10)
            if owned:
                current.close()

    app = FastAPI(title="MeStocker API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    log_redaction.install()
    for module in (health, auth, inventory, products, orders, sellers, fulfillment, chat, privacy, notifications,
                   web):
        app.include_router(module.router)
    app.include_router(whatsapp.router)
    app.include_router(reorder.router)
    return app
