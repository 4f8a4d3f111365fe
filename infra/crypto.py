"""The key ring: AES-256-GCM data keys with ids, an HMAC key for blind indexes, and their source.

Keys come from `MESTOCKER_ENCRYPTION_KEYS` (the JSON below, e.g. from a secret store) or from a key
file (`MESTOCKER_ENCRYPTION_KEY_FILE`; embedded: `<data dir>/encryption-keys.json`, generated with
mode 0600 on first start). Production refuses to start without one (infra/settings.py).

    {"active": "k20261201", "index_key": "<base64 32 bytes>",
     "keys": [{"id": "k20261201", "key": "<base64 32 bytes>", "created_at": "2026-12-01T23:00:00+00:00"}]}

Every value names the key that encrypted it, so old keys stay in the file after a rotation and
old values keep reading while `mestocker keys rotate` re-encrypts them. A serving process re-reads
the file when it meets a key id it does not know, and every few seconds, so a rotation run by
another process is picked up without a restart. The blind-index key does not rotate with the data
keys (rotating it means recomputing every index; not built).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from commerce.shared.field_crypto import PREFIX
from infra.settings import Settings

KEY_FILE_NAME = "encryption-keys.json"
RELOAD_EVERY_S = 2.0
MAX_KEY_AGE_DAYS = 90


class KeyError_(ValueError):
    """The key material is missing, malformed, or does not know a key a value names."""


@dataclass(frozen=True)
class DataKey:
    id: str
    key: bytes
    created_at: datetime


@dataclass(frozen=True)
class KeyMaterial:
    active: str
    index_key: bytes
    keys: dict[str, DataKey]

    @property
    def active_key(self) -> DataKey:
        return self.keys[self.active]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def new_key_id(now: datetime | None = None) -> str:
    return f"k{(now or datetime.now(UTC)).strftime('%Y%m%d%H%M%S')}{secrets.token_hex(2)}"


def generate_material(now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    key_id = new_key_id(now)
    return {"active": key_id, "index_key": _b64(secrets.token_bytes(32)),
            "keys": [{"id": key_id, "key": _b64(secrets.token_bytes(32)), "created_at": now.isoformat()}]}


def parse_material(raw: dict[str, Any]) -> KeyMaterial:
    try:
        keys = {k["id"]: DataKey(k["id"], base64.b64decode(k["key"]), datetime.fromisoformat(k["created_at"]))
                for k in raw["keys"]}
        material = KeyMaterial(active=raw["active"], index_key=base64.b64decode(raw["index_key"]), keys=keys)
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyError_(f"encryption keys are malformed: {exc}") from exc
    if material.active not in keys or any(len(k.key) != 32 for k in keys.values()) or len(material.index_key) < 32:
        raise KeyError_("encryption keys: the active key must be listed and every key must be 32 bytes")
    return material


def key_file(settings: Settings) -> Path:
    return settings.encryption_key_file or settings.data_dir / KEY_FILE_NAME


def write_key_file(path: Path, raw: dict[str, Any]) -> None:
    """Write atomically with mode 0600 (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(raw, handle, indent=1)
    os.replace(tmp, path)


def load_raw(settings: Settings, *, create: bool) -> dict[str, Any]:
    """The key material the settings name (a new key file when embedded and none exists yet)."""
    if settings.encryption_keys:
        return dict(json.loads(settings.encryption_keys))
    path = key_file(settings)
    if not path.exists():
        if not create or settings.is_production:
            raise KeyError_(f"no encryption keys: set MESTOCKER_ENCRYPTION_KEYS or create {path}")
        write_key_file(path, generate_material())
    return dict(json.loads(path.read_text()))


class KeyRing:
    """Encrypts and decrypts values and computes blind indexes (the `FieldCipher` port)."""

    def __init__(self, settings: Settings, *, create: bool = True) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._material = parse_material(load_raw(settings, create=create))
        self._aead: dict[str, AESGCM] = {}  # one cipher object per key: building it costs more than a value
        self._checked = time.monotonic()
        self._mtime = self._file_mtime()

    def _file_mtime(self) -> float | None:
        path = key_file(self._settings)
        return None if self._settings.encryption_keys or not path.exists() else path.stat().st_mtime

    @property
    def settings(self) -> Settings:
        """The settings the ring reads its keys from (and that name the stores it encrypts)."""
        return self._settings

    def reload(self) -> None:
        with self._lock:
            self._material = parse_material(load_raw(self._settings, create=False))
            self._mtime = self._file_mtime()
            self._checked = time.monotonic()

    def _fresh(self) -> KeyMaterial:
        if time.monotonic() - self._checked > RELOAD_EVERY_S:
            self._checked = time.monotonic()
            if self._file_mtime() != self._mtime:
                self.reload()
        return self._material

    @property
    def active_key_id(self) -> str:
        return self._fresh().active

    @property
    def key_ids(self) -> list[str]:
        return list(self._fresh().keys)

    @property
    def active_key_created_at(self) -> datetime:
        return self._fresh().active_key.created_at

    def _key(self, key_id: str) -> bytes:
        material = self._fresh()
        if key_id not in material.keys:
            self.reload()  # a rotation in another process added it
            material = self._material
        if key_id not in material.keys:
            raise KeyError_(f"unknown encryption key {key_id!r}")
        return material.keys[key_id].key

    def _cipher(self, key_id: str) -> AESGCM:
        aead = self._aead.get(key_id)
        if aead is None:
            aead = self._aead[key_id] = AESGCM(self._key(key_id))
        return aead

    def encrypt_bytes(self, data: bytes, *, context: str) -> tuple[str, bytes]:
        key_id = self._fresh().active
        nonce = secrets.token_bytes(12)
        return key_id, nonce + self._cipher(key_id).encrypt(nonce, data, context.encode())

    def decrypt_bytes(self, key_id: str, blob: bytes, *, context: str) -> bytes:
        return self._cipher(key_id).decrypt(blob[:12], blob[12:], context.encode())

    def encrypt(self, plaintext: str, *, context: str) -> str:
        key_id, blob = self.encrypt_bytes(plaintext.encode(), context=context)
        return f"{PREFIX}{key_id}:{base64.b64encode(blob).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        key_id, _, payload = token[len(PREFIX):].partition(":")
        return self.decrypt_bytes(key_id, base64.b64decode(payload), context=context).decode()

    def blind_index(self, value: str) -> str:
        return hmac.new(self._fresh().index_key, value.encode(), hashlib.sha256).hexdigest()

    def key_age_days(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.active_key_created_at).total_seconds() / 86400


class CheckpointCipher:
    """LangGraph's `CipherProtocol` over the key ring: chat checkpoints encrypted with our keys."""

    CONTEXT = "langgraph.checkpoint"

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        key_id, blob = self._ring.encrypt_bytes(plaintext, context=self.CONTEXT)
        return f"aesgcm.{key_id}", blob

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        if not ciphername.startswith("aesgcm."):
            raise KeyError_(f"unsupported checkpoint cipher {ciphername!r}")
        return self._ring.decrypt_bytes(ciphername.removeprefix("aesgcm."), ciphertext, context=self.CONTEXT)


def checkpoint_serializer(ring: KeyRing) -> Any:
    """LangGraph's EncryptedSerializer with our cipher (clear checkpoints written before still load)."""
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer

    return EncryptedSerializer(CheckpointCipher(ring))
