"""`mestocker clients create NAME --scopes a,b [--seller SEL-X]`, `clients list`, `clients revoke CLIENT`:
service clients for the OAuth2 client-credentials grant. The secret is printed once, at creation."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from api.cli_support import Command, SettingsFactory, guarded
from api.cli_support import say as _say
from infra.settings import Settings


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    from commerce.identity.clients import CreatedClient, CreateServiceClient
    from infra.bootstrap import bootstrap

    platform = bootstrap(settings)
    try:
        created: CreatedClient = platform.bus.handle(CreateServiceClient(
            name=args.name, scopes=args.scopes.replace(",", " ").split(), seller_id=args.seller))
    finally:
        platform.close()
    client = created.client
    if args.json:
        print(json.dumps({**client.model_dump(mode="json"), "client_secret": created.secret}, ensure_ascii=False))
        return 0
    print(f"client_id:     {client.client_id}")
    print(f"client_secret: {created.secret}")
    print(f"alcances:      {' '.join(client.scopes)}")
    print(f"vendedor:      {client.seller_id or '— (toda la plataforma)'}")
    _say("Guarda el secreto ahora: no se vuelve a mostrar (solo guardamos su hash). "
         "Pide un token con POST /v1/auth/token, grant_type=client_credentials.")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from commerce.identity.clients import list_service_clients
    from infra.bootstrap import bootstrap

    platform = bootstrap(settings)
    try:
        with platform.read_uow() as uow:
            clients = list_service_clients(uow=uow)
    finally:
        platform.close()
    if args.json:
        for client in clients:
            print(json.dumps(client.model_dump(mode="json"), ensure_ascii=False))
        return 0
    if not clients:
        print("No hay clientes de servicio: crea uno con `mestocker clients create NOMBRE --scopes …`.")
    for c in clients:
        state = f"revocado {c.revoked_at:%Y-%m-%d %H:%M} UTC" if c.revoked_at else "activo"
        print(f"{c.client_id}  {c.name}  [{state}]  {c.seller_id or 'plataforma'}  {' '.join(c.scopes)}")
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from commerce.identity.clients import RevokeServiceClient, ServiceClientRead
    from infra.bootstrap import bootstrap

    platform = bootstrap(settings)
    try:
        client: ServiceClientRead = platform.bus.handle(RevokeServiceClient(client=args.client))
    finally:
        platform.close()
    print(f"Cliente {client.name} ({client.client_id}) revocado: sus tokens dejan de funcionar ya.")
    return 0


def _guarded(command: Command, settings: SettingsFactory) -> Callable[[argparse.Namespace], int]:
    """A domain refusal (unknown scope, duplicate name…) becomes one Spanish line and exit 1."""
    from pydantic import ValidationError

    from commerce.shared.errors import CommerceError

    return guarded("clients", command, settings, (CommerceError, ValidationError))


def add_clients_parser(subparsers: Any, settings: SettingsFactory) -> None:
    """Register `clients create|list|revoke` on the `mestocker` parser."""
    clients = subparsers.add_parser("clients", help="service clients (OAuth2 client credentials)")
    sub = clients.add_subparsers(dest="clients_command", required=True)
    create = sub.add_parser("create", help="create a client and print its secret once")
    create.add_argument("name", help="a name such as reorder-cron (lowercase, digits, . _ -)")
    create.add_argument("--scopes", required=True, help="comma- or space-separated, e.g. reorder:run,reorder:read")
    create.add_argument("--seller", default=None, help="act for this seller only (e.g. a seller's ERP)")
    create.add_argument("--json", action="store_true", help="one JSON object, secret included")
    create.set_defaults(func=_guarded(cmd_create, settings))
    listing = sub.add_parser("list", help="every client, newest first (never the secrets)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=_guarded(cmd_list, settings))
    revoke = sub.add_parser("revoke", help="revoke a client by id or name: its tokens stop working at once")
    revoke.add_argument("client", help="client_id (cli_…) or name")
    revoke.set_defaults(func=_guarded(cmd_revoke, settings))
