"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.chat_wiring import open_chat
from api.routers import auth, chat, fulfillment, health, inventory, orders, products
from api.security import signing_secret
from infra.bootstrap import Platform, bootstrap
from infra.worker import start_background_worker

DESCRIPTION = """
MeStocker: fulfillment + marketplace para Colombia. Autentícate en `POST /v1/auth/token`
(usuarios demo con la contraseña `mestocker-demo` en el perfil embebido) y usa el token como
`Authorization: Bearer …`. Dinero en pesos colombianos enteros (COP); errores en JSON con un
`detail` en español.
"""


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
        worker = start_background_worker(current) if run_worker else None
        try:
            yield
        finally:
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
    for module in (health, auth, inventory, products, orders, fulfillment, chat):
        app.include_router(module.router)
    return app
