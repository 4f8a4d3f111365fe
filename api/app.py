"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors, log_redaction
from api.body_size import BodySizeLimitMiddleware
from api.channels import whatsapp
from api.openapi_problems import declare_error_responses
from api.rate_limits import RateLimitMiddleware
from api.request_id import RequestIdMiddleware
from api.routers import (
    auth,
    chat,
    console,
    fulfillment,
    health,
    inventory,
    me,
    metrics,
    mfa,
    notifications,
    orders,
    payments,
    privacy,
    products,
    reorder,
    sellers,
    web,
)
from infra.bootstrap import Platform, bootstrap, privacy_salt, start_serving
from infra.json_logs import configure_logging
from infra.metrics import MetricsMiddleware, install_collector
from infra.tracing import configure_tracing, otlp_endpoint

DESCRIPTION = """
MeStocker: fulfillment + marketplace para Colombia. Autentícate en `POST /v1/auth/token`
(usuarios demo con la contraseña `mestocker-demo` en el perfil embebido) y usa el token como
`Authorization: Bearer …`. Dinero en pesos colombianos enteros (COP). Los errores son *problem
details* (RFC 9457, `application/problem+json`) con un `detail` en español; pasado un límite de
solicitudes la respuesta es `429` con `Retry-After`.
"""


def create_app(platform: Platform | None = None, *, background_worker: bool | None = None) -> FastAPI:
    """Build the app around `platform` (built from settings when None)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = platform is None
        current = platform or bootstrap()
        configure_logging(current.settings.effective_log_format, salt=privacy_salt(current.settings))
        configure_tracing(otlp_endpoint(current.settings.otlp_endpoint), engines=[current.engine])
        run_workers = current.settings.embedded_worker if background_worker is None else background_worker
        install_collector(current)
        serving = start_serving(current, background_workers=run_workers)
        app.state.platform = current
        app.state.jwt_secret = current.jwt_secret
        app.state.chat = serving.chat
        app.state.web_push = serving.web_push
        try:
            yield
        finally:
            serving.close()
            # The WhatsApp channel builds its reply client on first use (api/channels/whatsapp.py).
            client = getattr(app.state, "whatsapp_client", None)
            if client is not None:
                client.close()
            if owned:
                current.close()

    app = FastAPI(title="MeStocker API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    log_redaction.install()
    for module in (health, metrics, auth, mfa, me, inventory, products, orders, payments, sellers, fulfillment,
                   chat, privacy, notifications, web):
        app.include_router(module.router)
    app.include_router(whatsapp.router)
    app.include_router(reorder.router)
    app.include_router(console.router)
    declare_error_responses(app)  # after every include: new routes are covered by themselves
    # The last added runs first: rate limits before anything reads the body.
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(RateLimitMiddleware)
    return app
