"""infra/deploy/kong/kong.yml: valid against Kong's declarative schema, and right about this API.

The schema (tests/deploy/schemas/kong-declarative.schema.json, see schemas/README.md) is strict: a
misspelt key or a plugin setting Kong would refuse at start-up fails here. The rest checks the
gateway against the application: which routes go through without a JWT (only the API's public
ones), that the JWT credential is the one the API signs with, and that the request id header is set.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import jwt
import pytest
import yaml

from api.app import create_app
from api.security import ALGORITHM, ISSUER, create_access_token
from commerce.identity.principal import Principal, Role
from infra.settings import Settings
from tests.security.test_http_authz import PUBLIC, SAMPLE
from tests.test_deploy_files import DUMMY_SECRET, services

ROOT = Path(__file__).resolve().parents[2]
KONG_FILE = ROOT / "infra" / "deploy" / "kong" / "kong.yml"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "kong-declarative.schema.json").read_text(encoding="utf-8"))
PLACEHOLDER = "${MESTOCKER_JWT_SECRET}"


def config() -> dict[str, Any]:
    data = yaml.safe_load(KONG_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def routes() -> list[dict[str, Any]]:
    return [route for service in config()["services"] for route in service.get("routes", [])]


def route_plugins(route: dict[str, Any]) -> set[str]:
    return {plugin["name"] for plugin in route.get("plugins", [])}


def kong_route_for(method: str, path: str) -> dict[str, Any] | None:
    """The route Kong picks: a matching regex path first, else the longest matching prefix."""
    best: tuple[int, dict[str, Any]] | None = None
    for route in routes():
        if route.get("methods") and method not in route["methods"]:
            continue
        for candidate in route.get("paths", []):
            if candidate.startswith("~"):
                if re.match(candidate[1:], path):
                    return route
            elif path.startswith(candidate) and (best is None or len(candidate) > best[0]):
                best = (len(candidate), route)
    return best[1] if best else None


def api_routes() -> list[tuple[str, str]]:
    paths = create_app().openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_kong_yml_is_valid() -> None:
    assert not errors(config())


@pytest.mark.parametrize(("change", "why"), [
    (lambda c: c["plugins"][1]["config"].update(policy="cluster"), "cluster counters need a database"),
    (lambda c: c["plugins"][1]["config"].pop("redis"), "the redis policy needs its connection"),
    (lambda c: c["plugins"][0]["config"].update(header="X-Request-ID"), "misspelt plugin setting"),
    (lambda c: c["services"][0]["routes"][0].update(path=["/x"]), "misspelt route key"),
    (lambda c: c.update(_format_version="1.1"), "the 3.x format"),
    (lambda c: c["consumers"][0]["jwt_secrets"][0].pop("secret"), "a JWT credential needs its secret"),
])
def test_the_schema_refuses_what_kong_would(change: Any, why: str) -> None:
    broken = copy.deepcopy(config())
    change(broken)
    assert errors(broken), why


def test_every_route_goes_to_the_compose_api_service() -> None:
    (service,) = config()["services"]
    api_port = services()["api"]["ports"][0].split(":")[-1]
    assert service["url"] == f"http://api:{api_port}"
    names = [route["name"] for route in routes()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("method", "path"), api_routes())
def test_only_the_apis_public_routes_skip_the_jwt_check(method: str, path: str) -> None:
    url = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "x"), path)
    route = kong_route_for(method, url)
    if path in ("/readyz", "/metrics"):
        assert route is None, f"{path} is for the orchestrator and Prometheus only"
        return
    assert route is not None, f"{method} {path} is not routed by the gateway"
    if "jwt" not in route_plugins(route):
        assert (method, path) in PUBLIC, f"{method} {path} reaches the API without a JWT check"
    else:
        assert (method, path) not in PUBLIC or path.startswith("/v1/"), f"public {method} {path} needs a JWT"


def test_the_public_routes_the_clients_need_are_open() -> None:
    for method, path in [("GET", "/v1/products"), ("POST", "/v1/auth/token"), ("POST", "/v1/auth/refresh"),
                         ("GET", "/"), ("GET", "/static/app.js"), ("POST", "/v1/channels/whatsapp/webhook"),
                         ("GET", "/healthz")]:
        route = kong_route_for(method, path)
        assert route is not None and "jwt" not in route_plugins(route), (method, path)
    assert "jwt" in route_plugins(kong_route_for("POST", "/v1/orders") or {})
    assert "jwt" in route_plugins(kong_route_for("POST", "/v1/products") or {}), "writes under a public prefix"


def test_the_jwt_credential_verifies_the_tokens_the_api_issues() -> None:
    (consumer,) = config()["consumers"]
    (credential,) = consumer["jwt_secrets"]
    assert credential["key"] == ISSUER and credential["algorithm"] == ALGORITHM
    assert credential["secret"] == PLACEHOLDER, "no secret in the repository"
    (protected,) = [r for r in routes() if "jwt" in route_plugins(r)]
    settings = next(p["config"] for p in protected["plugins"] if p["name"] == "jwt")
    assert settings["key_claim_name"] == "iss" and "exp" in settings["claims_to_verify"]
    # Kong refuses tokens living longer than maximum_expiration: the API's longest access token must fit.
    assert Settings.model_fields["jwt_ttl_minutes"].metadata[-1].le * 60 <= settings["maximum_expiration"]
    # What compose's start-up renders (the sed in docker-compose.yml) verifies a token the API signed.
    rendered = yaml.safe_load(KONG_FILE.read_text().replace(PLACEHOLDER, DUMMY_SECRET))
    secret = rendered["consumers"][0]["jwt_secrets"][0]["secret"]
    token = create_access_token(Principal(user_id=7, email="a@b.co", role=Role.COMPRADOR, scopes=frozenset()),
                                secret=DUMMY_SECRET, ttl_minutes=15)
    claims = jwt.decode(token, secret, algorithms=[credential["algorithm"]], issuer=ISSUER)
    assert claims[settings["key_claim_name"]] == credential["key"]
    assert KONG_FILE.read_text().count(PLACEHOLDER) == 1


def test_request_ids_and_rate_limits_apply_to_every_request() -> None:
    global_plugins = {p["name"]: p.get("config", {}) for p in config()["plugins"]}
    assert global_plugins["correlation-id"]["header_name"] == "X-Request-ID"
    assert global_plugins["correlation-id"]["echo_downstream"] is True
    limits = global_plugins["rate-limiting"]
    assert limits["limit_by"] == "ip" and limits["policy"] == "redis" and limits["redis"]["host"] == "redis"
    assert "redis" in services(), "the counters' Redis is in compose"
    auth = next(r for r in routes() if r["name"] == "public-auth")
    login_limits = next(p["config"] for p in auth["plugins"] if p["name"] == "rate-limiting")
    assert login_limits["minute"] < limits["minute"], "login is limited harder than the rest"
