"""Static checks of the deployment files (no Docker engine needed).

docker-compose.yml, infra/deploy/Dockerfile and .dockerignore are validated by parsing them:
services and their wiring, localhost-only ports, the production profile, and that every
MESTOCKER_* variable they set is a real `infra.settings.Settings` field (a typo fails here
instead of being silently ignored at run time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.settings import BusKind, ChromaMode, Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "infra" / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

ENV_PREFIX = "MESTOCKER_"
REQUIRED_SERVICES = {"postgres", "redis", "kafka", "chroma", "elasticsearch", "migrate", "search-index", "api",
                     "worker", "kong", "prometheus", "grafana", "vllm"}
APP_SERVICES = ("migrate", "search-index", "api", "worker")
BACKING_SERVICES = ("postgres", "redis", "kafka", "chroma", "elasticsearch")
DUMMY_SECRET = "s" * 40
# A well-formed key ring (two fixed 32-byte keys) for rendering the production environment.
DUMMY_KEYS = ('{"active": "k1", "index_key": "aW5kZXgta2V5LWluZGV4LWtleS1pbmRleC1rZXktMzI=", "keys": [{"id": "k1", '
              '"key": "ZGF0YS1rZXktZGF0YS1rZXktZGF0YS1rZXktMzJieXQ=", "created_at": "2026-12-01T00:00:00+00:00"}]}')

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, or $NAME.
_INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class MissingVariable(LookupError):
    """A `${NAME:?message}` reference whose variable is not provided."""


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Substitute variables the way docker compose does (the subset this project uses)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = variables.get(name)
        if op in (":-", ":?") and current == "":
            current = None
        if current is not None:
            return current
        if op in (":?", "?"):
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-"):
            return arg
        return ""

    placeholder = "\0"
    return _INTERPOLATION.sub(replace, value.replace("$$", placeholder)).replace(placeholder, "$")


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


def services() -> dict[str, dict[str, Any]]:
    found = load_compose().get("services")
    assert isinstance(found, dict) and found, "docker-compose.yml has no services"
    return found


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's `environment`, in either the mapping or the list form, as strings."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    else:
        pairs = dict(raw)
    result: dict[str, str] = {}
    for key, value in pairs.items():
        # Compose rejects YAML booleans in environment mappings: they must be quoted strings.
        assert not isinstance(value, bool), f"{key}: quote boolean values ({value!r})"
        result[str(key)] = "" if value is None else str(value)
    return result


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    """`depends_on` target -> condition (the short list form means service_started)."""
    raw = service.get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in raw.items()}


def command(service: Mapping[str, Any]) -> list[str]:
    raw = service.get("command") or []
    return raw.split() if isinstance(raw, str) else [str(part) for part in raw]


def settings_values(env: Mapping[str, str], variables: Mapping[str, str]) -> dict[str, Any]:
    """MESTOCKER_* variables of a service as `Settings` keyword arguments, interpolated."""
    return {
        key[len(ENV_PREFIX) :].lower(): interpolate(value, variables)
        for key, value in env.items()
        if key.startswith(ENV_PREFIX)
    }


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def dockerfile(keyword: str) -> list[str]:
    return [rest for instruction, rest in dockerfile_instructions() if instruction == keyword]


def dockerfile_env() -> dict[str, str]:
    """Variables set by ENV instructions (`ENV K=V K2=V2` form)."""
    found: dict[str, str] = {}
    for rest in dockerfile("ENV"):
        for pair in rest.split():
            key, _, value = pair.partition("=")
            found[key] = value
    return found


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_parses_and_defines_every_service() -> None:
    missing = REQUIRED_SERVICES - services().keys()
    assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"


def test_every_depends_on_target_exists() -> None:
    defined = services()
    for name, service in defined.items():
        for target in depends_on(service):
            assert target in defined, f"{name} depends on undefined service {target!r}"


def test_app_services_wait_for_migration_and_healthy_backends() -> None:
    defined = services()
    assert depends_on(defined["migrate"]).get("postgres") == "service_healthy"
    for name in ("api", "worker"):
        conditions = depends_on(defined[name])
        assert conditions.get("migrate") == "service_completed_successfully", name
        for backend in BACKING_SERVICES:
            assert conditions.get(backend) == "service_healthy", f"{name} must wait for {backend} to be healthy"
    # A service_healthy condition only works when the target defines an enabled healthcheck.
    for name, service in defined.items():
        for target, condition in depends_on(service).items():
            if condition == "service_healthy":
                check = defined[target].get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), f"{target} needs a healthcheck ({name})"


def test_app_service_commands() -> None:
    defined = services()
    assert command(defined["migrate"])[:2] == ["mestocker", "migrate"]
    assert command(defined["worker"])[:2] == ["mestocker", "worker"]
    api_command = command(defined["api"])
    assert not api_command or api_command[:2] == ["mestocker", "serve"]
    assert defined["migrate"].get("restart", "no") == "no", "migrate is one-shot"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_production_kafka_and_never_sqlite(name: str) -> None:
    env = environment(services()[name])
    assert env.get("MESTOCKER_PROFILE") == "production"
    assert env.get("MESTOCKER_BUS") == "kafka"
    assert env.get("MESTOCKER_KAFKA_BOOTSTRAP_SERVERS") == "kafka:9092"
    assert env.get("MESTOCKER_CHROMA_MODE") == "http"
    assert env.get("MESTOCKER_CHROMA_URL") == "http://chroma:8000"
    assert env.get("MESTOCKER_DATABASE_URL", "").startswith("postgresql://")
    assert "@postgres:" in env["MESTOCKER_DATABASE_URL"]
    for key, value in env.items():
        assert "sqlite" not in value.lower(), f"{name}: {key} mentions SQLite"


def test_jwt_secret_comes_from_a_required_variable() -> None:
    for name in APP_SERVICES:
        secret = environment(services()[name]).get("MESTOCKER_JWT_SECRET", "")
        assert re.fullmatch(r"\$\{MESTOCKER_JWT_SECRET:\?[^}]+\}", secret), f"{name}: {secret!r}"
        with pytest.raises(MissingVariable):
            interpolate(secret, {})


def test_api_runs_without_the_embedded_worker() -> None:
    env = environment(services()["api"])
    assert env.get("MESTOCKER_EMBEDDED_WORKER", "").lower() == "false"
    assert env.get("MESTOCKER_REDIS_URL", "").startswith("redis://redis:")


def test_every_published_port_binds_localhost() -> None:
    published = 0
    for name, service in services().items():
        for entry in service.get("ports") or []:
            published += 1
            if isinstance(entry, dict):
                assert entry.get("host_ip") == "127.0.0.1", f"{name}: {entry}"
                assert entry.get("published"), f"{name}: {entry} must name the host port"
            else:
                parts = str(entry).split(":")
                assert len(parts) == 3 and parts[0] == "127.0.0.1", f"{name}: {entry!r} is not 127.0.0.1:HOST:CONTAINER"
    assert published, "docker-compose.yml publishes no port at all"
    assert "127.0.0.1:8000:8000" in [str(entry) for entry in services()["api"].get("ports") or []]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_build_points_at_an_existing_dockerfile(name: str) -> None:
    build = services()[name].get("build")
    assert isinstance(build, dict), f"{name} must build the project image"
    context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
    target = (context / build.get("dockerfile", "Dockerfile")).resolve()
    assert context == ROOT, f"{name}: the build context must be the repository root"
    assert target == DOCKERFILE and target.is_file(), f"{name}: {target} does not exist"


def test_every_mestocker_variable_is_a_settings_field() -> None:
    fields = set(Settings.model_fields)
    set_anywhere = {
        (f"{name} service", key)
        for name, service in services().items()
        for key in environment(service)
        if key.startswith(ENV_PREFIX)
    }
    set_anywhere |= {("Dockerfile", key) for key in dockerfile_env() if key.startswith(ENV_PREFIX)}
    assert set_anywhere
    unknown = sorted(f"{where}: {key}" for where, key in set_anywhere if key[len(ENV_PREFIX) :].lower() not in fields)
    assert not unknown, f"not fields of infra.settings.Settings: {unknown}"


def test_api_environment_validates_as_production() -> None:
    values = settings_values(environment(services()["api"]), {"MESTOCKER_JWT_SECRET": DUMMY_SECRET,
                                                                     "MESTOCKER_ENCRYPTION_KEYS": DUMMY_KEYS})
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    assert settings.is_production
    assert not settings.is_sqlite
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.bus == BusKind.KAFKA
    assert settings.chroma_mode == ChromaMode.HTTP
    assert settings.jwt_secret == DUMMY_SECRET
    assert settings.embedded_worker is False


def test_interpolation_helper() -> None:
    assert interpolate("a${X:-d}b", {}) == "adb"
    assert interpolate("${X:-d}", {"X": "v"}) == "v"
    assert interpolate("$$X ${Y}", {"Y": "y"}) == "$X y"
    with pytest.raises(MissingVariable):
        interpolate("${X:?required}", {"X": ""})


# --- infra/deploy/Dockerfile and .dockerignore ---------------------------------------------


def dockerfile_args() -> dict[str, str]:
    """Global `ARG NAME=default` values (the ones a FROM line can use)."""
    return dict(rest.split("=", 1) for rest in dockerfile("ARG") if "=" in rest)


def stages() -> list[tuple[str, str]]:
    """(base image, stage name) of each FROM, with ${ARG} defaults substituted."""
    found = []
    for rest in dockerfile("FROM"):
        parts = rest.split()
        image = interpolate(parts[0], dockerfile_args())
        name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else ""
        found.append((image, name))
    return found


def test_dockerfile_is_multi_stage_on_python_slim() -> None:
    found = stages()
    assert len(found) >= 2, "build and runtime stages"
    assert all(image == "python:3.11-slim" for image, _ in found), found
    assert found[-1][1] == "runtime"
    copies = [rest for rest in dockerfile("COPY") if rest.startswith("--from=")]
    assert copies and all(rest.split()[0] == "--from=build" for rest in copies)


def test_dockerfile_installs_the_project_from_the_lock() -> None:
    runs = dockerfile("RUN")
    lock = "infra/deploy/requirements.lock"
    assert any(re.search(rf"pip install --require-hashes --requirement \S*{lock}", run) for run in runs), (
        "dependencies from the lock, hashes checked")
    project = [run for run in runs if re.search(r"\bpip install\b.*\s\.(\s|$)", run)]
    assert project, "must `pip install .`"
    assert all("--no-deps" in run for run in project), "the project adds nothing beyond the lock"
    assert any("pip check" in run for run in runs)


def test_dockerfile_runs_mestocker_serve() -> None:
    commands = dockerfile("CMD")
    assert commands, "Dockerfile has no CMD"
    cmd = json.loads(commands[-1])
    assert cmd[:2] == ["mestocker", "serve"]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
    assert cmd[cmd.index("--port") + 1] == "8000"


def test_dockerfile_does_not_run_as_root() -> None:
    users = dockerfile("USER")
    assert users, "Dockerfile has no USER line: the container would run as root"
    final_user = users[-1].split(":")[0]
    assert final_user not in {"root", "0"}
    # Numeric, so Kubernetes' runAsNonRoot can check it (the Helm chart's securityContext uses the same id).
    assert final_user.isdigit() and int(final_user) >= 10000


def test_dockerfile_exposes_8000_and_checks_healthz() -> None:
    exposed = {port.split("/")[0] for rest in dockerfile("EXPOSE") for port in rest.split()}
    assert "8000" in exposed
    healthchecks = dockerfile("HEALTHCHECK")
    assert healthchecks and "/healthz" in healthchecks[-1] and "python" in healthchecks[-1]
    assert "curl" not in healthchecks[-1], "python:3.11-slim has no curl"


def test_dockerignore_excludes_local_state() -> None:
    patterns = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()}
    for required in (".venv", "var", ".git", ".env"):
        assert required in patterns, f".dockerignore must exclude {required}"
    assert any("__pycache__" in pattern for pattern in patterns)
    assert "README.md" not in patterns, "pyproject.toml reads README.md at install time"
