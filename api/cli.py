"""`mestocker` console script: seed, serve, worker, migrate, chat, routing-log."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from api.cli_audit import add_audit_parser
from api.cli_clients import add_clients_parser
from api.cli_eval import add_eval_parser
from api.cli_kb import add_kb_parser
from api.cli_keys import add_keys_parser
from api.cli_mfa import add_mfa_parser
from api.cli_reorder import add_reorder_parser
from api.cli_search import add_search_parser
from api.cli_support import say as _say
from commerce.shared.clock import BOGOTA
from infra.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings()
    except (SettingsError, ValueError) as exc:
        sys.exit(f"mestocker: configuración inválida: {exc}")


def cmd_migrate(_args: argparse.Namespace) -> int:
    from infra.bootstrap import migrate_database

    settings = _settings()
    _say("Aplicando migraciones…")
    migrate_database(settings)
    _say("Esquema al día.")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from infra.bootstrap import bootstrap, migrate_database
    from infra.seed.world import SeedRefused, is_seeded, seed_demo_world

    settings = _settings()
    _say(f"Base de datos: {settings.database_url.split('@')[-1]}")
    _say("Aplicando migraciones…")
    if args.reset:
        _say("--reset: borrando todos los datos…")
        migrate_database(settings, reset=True)
    platform = bootstrap(settings)
    try:
        with platform.session_factory() as session:
            if is_seeded(session):
                if args.if_empty:
                    _say("La base de datos ya tiene datos: no se siembra de nuevo.")
                    return 0
                _say("La base de datos ya tiene datos. Usa --reset para sembrar desde cero.")
                return 1
            try:
                enrolments = seed_demo_world(session, settings, progress=_say)
            except SeedRefused as exc:
                _say(f"mestocker seed: {exc}")
                return 2
            from commerce.fulfillment.models import Movement

            movements = session.scalar(select(func.count()).select_from(Movement))
        _say(f"Mundo demo creado ({movements} movimientos de inventario).")
        from api.cli_mfa import print_enrolment

        for enrolment in enrolments:  # admins and superusers log in with a TOTP code: add these to an app
            print_enrolment(enrolment)
        return 0
    finally:
        platform.close()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    settings = _settings()
    workers = args.workers or settings.api_workers
    if workers == 1:
        uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info", timeout_graceful_shutdown=5)
        return 0
    problems = settings.shared_state_problems()
    if problems:
        _say(f"mestocker serve --workers {workers} necesita estado compartido entre procesos:\n  - "
             + "\n  - ".join(problems))
        return 2
    from infra.bootstrap import migrate_database

    migrate_database(settings)  # once, before the workers start (each would race on the schema)
    # The relay, consumers and sweeper run once, in `mestocker worker`, not in every API process.
    os.environ["MESTOCKER_EMBEDDED_WORKER"] = "false"
    _say(f"{workers} procesos de API; el relay y los consumidores corren en `mestocker worker`.")
    # A worker imports the whole chat stack before it answers the supervisor's health check: give it time,
    # or a busy machine sees workers killed and restarted in a loop.
    import inspect

    patience: dict[str, Any] = {"timeout_worker_healthcheck": 120} if "timeout_worker_healthcheck" in inspect.signature(
        uvicorn.Config).parameters else {}
    uvicorn.run("api.app:create_app", factory=True, workers=workers, host=args.host, port=args.port,
                log_level="info", timeout_graceful_shutdown=5, **patience)
    return 0


def cmd_worker(_args: argparse.Namespace) -> int:
    from infra.bootstrap import bootstrap, start_background_workers

    platform = bootstrap(_settings())
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    workers = start_background_workers(platform)
    health = None
    if platform.settings.worker_health_port:
        from infra.health_server import serve_health

        health = serve_health(platform, platform.settings.worker_health_port)
    _say(f"Worker en marcha (bus: {platform.publisher.name}). Ctrl+C para detener.")
    try:
        while not stop.wait(1.0):
            dead = [t.name for t in workers.threads if not t.is_alive()]
            if dead:  # a loop died: exit so the supervisor restarts the worker instead of keeping a zombie
                _say(f"El worker se detiene: terminó el hilo {', '.join(dead)}.")
                return 1
    finally:
        if health is not None:
            health.shutdown()
        workers.stop()
        platform.close()
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from commerce.identity.services import principal_by_email
    from commerce.shared.errors import CommerceError
    from infra.bootstrap import bootstrap, open_chat

    platform = bootstrap(_settings())
    chat, close = open_chat(platform)
    try:
        with platform.read_uow() as uow:
            principal = principal_by_email(uow=uow, email=args.as_user)
        if principal is None:
            _say(f"mestocker chat: no existe el usuario {args.as_user}.")
            return 1

        def turn(message: str) -> None:
            try:
                result = chat.send(principal=principal, thread_id=args.thread, message=message, channel="cli")
            except CommerceError as exc:
                print(exc.message, file=sys.stderr)
                return
            if args.json:
                print(result.model_dump_json())
                return
            calls = ", ".join(f"{c.name} [{c.status}]" for c in result.tool_calls)
            print(f"[{result.agent}{' · ' + calls if calls else ''}]\n{result.reply}")

        if args.message:
            turn(" ".join(args.message))
            return 0
        _say(f"Conversación {args.thread} como {principal.email}. Escribe «salir» para terminar.")
        while True:
            try:
                line = input("> ").strip()
            except EOFError:
                return 0
            if line.lower() in {"salir", "exit", "quit"}:
                return 0
            if line:
                turn(line)
    finally:
        close()
        platform.close()


def _since(value: str) -> datetime:
    """ISO date-time, or a relative window such as 30m, 12h, 7d."""
    match = re.fullmatch(r"(\d+)([mhd])", value.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: int(match.group(1))})
    from router.log import checked_moment

    try:
        parsed = datetime.fromisoformat(value)
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=BOGOTA)
        checked_moment(parsed)
    except ValueError:
        raise argparse.ArgumentTypeError(f"fecha inválida: {value!r} (usa 2026-11-27T10:00 o 12h / 7d)") from None
    return parsed


def cmd_routing_log(args: argparse.Namespace) -> int:
    from api.routers.privacy import RoutingLogRead
    from infra.bootstrap import bootstrap
    from router.log import query

    platform = bootstrap(_settings())
    try:
        with platform.read_session_factory() as session:
            rows = [RoutingLogRead.model_validate(r) for r in query(session, since=args.since, limit=args.limit)]
    finally:
        platform.close()
    for row in rows:
        if args.json:
            print(row.model_dump_json())
        else:
            when = row.created_at.astimezone(BOGOTA).strftime("%Y-%m-%d %H:%M:%S")
            entities = ",".join(f"{k}×{v}" for k, v in sorted(row.entities.items())) or "-"
            print(f"{when} {row.channel or '-':8} {row.agent or '-':9} {row.classification:12} {entities:30} "
                  f"→ {row.policy_target:5} {row.model or '-':22} {row.outcome:11} {row.latency_ms:7.1f} ms")
    if not rows and not args.json:
        _say("No hay decisiones de enrutamiento en ese periodo.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mestocker", description="MeStocker: fulfillment + marketplace.")
    sub = parser.add_subparsers(dest="command", required=True)
    seed = sub.add_parser("seed", help="create the demo world (migrates first)")
    seed.add_argument("--reset", action="store_true", help="drop all data and seed from scratch")
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the database has data")
    seed.set_defaults(func=cmd_seed)
    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None,
                       help="API processes (uvicorn workers; default MESTOCKER_API_WORKERS or 1); more than one "
                            "needs Redis for the cache, the web push hub and login limits, and a Redis or Kafka bus")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="outbox relay + event consumers + reservation sweeper")
    worker.set_defaults(func=cmd_worker)
    chat = sub.add_parser("chat", help="talk to the assistant (one message, or interactive without one)")
    chat.add_argument("--as", dest="as_user", default="laura.gomez@example.co", help="email of the user you act as")
    chat.add_argument("--thread", default="cli", help="conversation id (the same id continues a conversation)")
    chat.add_argument("--json", action="store_true", help="print each turn as the API's JSON")
    chat.add_argument("message", nargs="*", help="the message; without it, an interactive session starts")
    chat.set_defaults(func=cmd_chat)
    rlog = sub.add_parser("routing-log", help="privacy-router decisions (llm_routing_logs), newest first")
    rlog.add_argument("--since", type=_since, default=None, help="ISO date-time or 30m / 12h / 7d")
    rlog.add_argument("--limit", type=int, default=100)
    rlog.add_argument("--json", action="store_true", help="one JSON object per line")
    rlog.set_defaults(func=cmd_routing_log)
    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.set_defaults(func=cmd_migrate)
    add_kb_parser(sub, settings=_settings)
    add_search_parser(sub, settings=_settings)
    add_reorder_parser(sub)
    add_eval_parser(sub)
    add_mfa_parser(sub, settings=_settings)
    add_clients_parser(sub, settings=_settings)
    add_audit_parser(sub)
    add_keys_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet = args.command in ("chat", "routing-log", "audit")  # their output is the conversation / the table
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if getattr(args, "host", "unset") is None or getattr(args, "port", "unset") is None:
        settings = _settings()
        args.host = args.host or settings.host
        args.port = args.port or settings.port
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
