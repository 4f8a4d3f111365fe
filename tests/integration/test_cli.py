"""The `mestocker` command as an operator runs it: seeding rules, exit codes, and a served API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.services import free_port

MESTOCKER = [sys.executable, "-m", "api.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _run(data_dir: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MESTOCKER_DATA_DIR": str(data_dir), "MESTOCKER_PROFILE": "embedded"}
    env.pop("MESTOCKER_DATABASE_URL", None)
    return subprocess.run([*MESTOCKER, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    data_dir = tmp_path_factory.mktemp("cli")
    first = _run(data_dir, "seed")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Mundo demo creado" in first.stdout + first.stderr
    return data_dir, first


@pytest.fixture(scope="module")
def seeded_dir(seed_run: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    return seed_run[0]


DECRYPTED_ENROLMENTS = """
import json
from sqlalchemy import select
from sqlalchemy.orm import Session
from commerce.identity.mfa import TotpCredential
from commerce.identity.models import User
from commerce.identity.phone_binding import VerifiedPhone
from infra.bootstrap import install_key_ring
from infra.db import make_engine
from infra.settings import Settings
settings = Settings()
install_key_ring(settings)
with Session(make_engine(settings.database_url)) as session:
    stored = {u.email: t.secret for t, u in session.execute(
        select(TotpCredential, User).join(User, User.id == TotpCredential.user_id))}
    phones = [p.phone for p in session.scalars(select(VerifiedPhone))]
print(json.dumps({"stored": stored, "phones": phones}))
"""


def test_seed_enrols_the_staff_and_prints_their_otpauth_uris(
        seed_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    import re
    import sqlite3
    from urllib.parse import unquote

    import pyotp

    data_dir, first = seed_run
    uris = re.findall(r"otpauth://totp/\S+", first.stdout)
    printed = {unquote(str(pyotp.parse_uri(uri).name)): pyotp.parse_uri(uri).secret for uri in uris}  # type: ignore[attr-defined]
    assert set(printed) == {"root@mestocker.example.co", "admin@mestocker.example.co"}
    assert all(unquote(uri).startswith("otpauth://totp/MeStocker:") and "issuer=MeStocker" in uri for uri in uris)
    codes = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", first.stdout)
    assert len(codes) == 20 and len(set(codes)) == 20  # ten recovery codes each
    with sqlite3.connect(data_dir / "mestocker.db") as conn:  # at rest: no clear secret, email or number
        raw = " ".join(str(v) for row in conn.execute(
            "SELECT u.email, t.secret FROM totp_credentials t JOIN users u ON u.id = t.user_id") for v in row)
        raw += " ".join(str(row[0]) for row in conn.execute("SELECT phone FROM verified_phones"))
    assert not any(secret in raw or email in raw for email, secret in printed.items()) and "573105550101" not in raw
    # Decrypted with the data directory's own keys, in a process of its own (the key ring is process-wide).
    read = subprocess.run([sys.executable, "-c", DECRYPTED_ENROLMENTS], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "MESTOCKER_DATA_DIR": str(data_dir), "MESTOCKER_PROFILE": "embedded"},
                          timeout=120)
    assert read.returncode == 0, read.stderr
    found = json.loads(read.stdout.strip().splitlines()[-1])
    assert found["stored"] == printed
    assert "573105550101" in found["phones"]  # embedded: the demo buyers' phones count as verified WhatsApp numbers
    # The operator re-enrols from the server; the local chat CLI is trusted operator access (no code asked).
    again = _run(data_dir, "mfa", "enrol", "admin@mestocker.example.co", "--no-qr")
    assert again.returncode == 0, again.stderr
    [uri] = re.findall(r"otpauth://totp/\S+", again.stdout)
    assert pyotp.parse_uri(uri).secret != printed["admin@mestocker.example.co"]  # type: ignore[attr-defined]
    assert _run(data_dir, "mfa", "enrol", "nadie@example.co").returncode == 1
    chat = _run(data_dir, "chat", "--as", "admin@mestocker.example.co", "hola")
    assert chat.returncode == 0, chat.stderr


def test_seed_refuses_to_seed_twice(seeded_dir: Path) -> None:
    again = _run(seeded_dir, "seed")
    assert again.returncode == 1
    assert "--reset" in again.stdout + again.stderr


def test_seed_if_empty_is_a_quiet_no_op(seeded_dir: Path) -> None:
    result = _run(seeded_dir, "seed", "--if-empty")
    assert result.returncode == 0
    assert "ya tiene datos" in result.stdout + result.stderr


def test_seed_reset_recreates_the_world(seeded_dir: Path) -> None:
    import sqlite3

    db = seeded_dir / "mestocker.db"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at) "
                     "VALUES ('x', 'y', 'z', 'done', '2026-01-01 00:00:00')")
    result = _run(seeded_dir, "seed", "--reset")
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM idempotency_keys").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] >= 5


def test_invalid_configuration_exits_with_a_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, "MESTOCKER_PROFILE": "production", "MESTOCKER_DATA_DIR": str(tmp_path)}
    env.pop("MESTOCKER_DATABASE_URL", None)
    result = subprocess.run([*MESTOCKER, "seed"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "configuración inválida" in result.stderr


def test_serve_answers_health_and_stops(seeded_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "MESTOCKER_DATA_DIR": str(seeded_dir), "MESTOCKER_PROFILE": "embedded"}
    server = subprocess.Popen([*MESTOCKER, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        assert health.status_code == 200
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200
        products = httpx.get(f"http://127.0.0.1:{port}/v1/products", params={"q": "panela"}, timeout=5).json()
        assert [p["sku"] for p in products] == ["CAF-004"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_chat_one_shot_continues_its_thread_and_is_logged(seeded_dir: Path) -> None:
    import json

    first = _run(seeded_dir, "chat", "--as", "ventas@cafeorigen.example.co", "--thread", "c1", "--json",
                 "¿cuánto café de nariño hay en medellín?")
    assert first.returncode == 0, first.stderr
    turn = json.loads(first.stdout.strip().splitlines()[-1])
    assert turn["tool_calls"][0]["args"] == {"sku": "CAF-002", "warehouse": "MED"}
    follow = _run(seeded_dir, "chat", "--as", "ventas@cafeorigen.example.co", "--thread", "c1", "¿y en Bogotá?")
    assert follow.returncode == 0 and "get_stock [ok]" in follow.stdout and "Bogotá" in follow.stdout
    unknown = _run(seeded_dir, "chat", "--as", "nadie@example.co", "hola")
    assert unknown.returncode == 1 and "no existe el usuario" in unknown.stdout + unknown.stderr
    log = _run(seeded_dir, "routing-log", "--since", "1h", "--json")
    rows = [json.loads(line) for line in log.stdout.splitlines() if line.startswith("{")]
    assert len(rows) >= 2 and {row["channel"] for row in rows} == {"cli"}
    assert all(row["model"] == "offline" for row in rows)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "ayer"])
def test_routing_log_since_refuses_what_is_not_a_moment(moment: str) -> None:
    import argparse

    from api.cli import _since

    with pytest.raises(argparse.ArgumentTypeError, match="fecha inválida"):
        _since(moment)
    assert _since("2026-11-27T10:00").utcoffset() is not None
