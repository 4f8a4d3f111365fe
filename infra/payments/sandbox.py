"""The local sandbox gateway: deterministic, offline, and persistent (its ledger is a SQLite file).

Tokens decide the outcome, like the test cards of real gateways: `tok_declined…` is declined, `tok_pending…`
stays pending until a signed sandbox notification settles it, anything else approves at once. The ledger
keeps every transaction by idempotency key (the intent id), so a retried start returns the first answer
even after a restart, and a refund is recorded once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from commerce.marketplace.payments import (
    Checkout,
    CheckoutRequest,
    GatewayNotice,
    InvalidNotification,
    NextStep,
    NotificationRequest,
    PaymentGateway,
    PaymentMethod,
    PaymentStatus,
    RefundResult,
)
from infra.payments.base import json_body, require_fresh, same_digest

SIGNATURE_HEADER = "x-sandbox-signature"  # "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    idempotency_key TEXT PRIMARY KEY, transaction_id TEXT UNIQUE NOT NULL, reference TEXT NOT NULL,
    amount_cop INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refunds (
    idempotency_key TEXT PRIMARY KEY, transaction_id TEXT NOT NULL, amount_cop INTEGER NOT NULL,
    refund_id TEXT NOT NULL, created_at TEXT NOT NULL);
"""


class SandboxGateway(PaymentGateway):
    name = "sandbox"
    methods = frozenset({PaymentMethod.SANDBOX})

    def __init__(self, ledger: Path, *, secret: str, window: timedelta = timedelta(minutes=5)) -> None:
        ledger.parent.mkdir(parents=True, exist_ok=True)
        self.ledger = ledger
        self._secret = secret.encode()
        self._window = window
        self._lock = threading.Lock()
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self.ledger, timeout=10)
            try:
                with db:
                    yield db
            finally:
                db.close()

    def start(self, request: CheckoutRequest) -> Checkout:
        key = request.idempotency_key or request.reference
        with self._db() as db:
            row = db.execute("SELECT transaction_id, status, reason FROM transactions WHERE idempotency_key = ?",
                             (key,)).fetchone()
            if row is None:
                status, reason = _outcome(request.token)
                row = ("SBX-" + hashlib.sha256(key.encode()).hexdigest()[:12].upper(), status, reason)
                db.execute("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (key, row[0], request.reference, request.amount_cop, status, reason, _now()))
        return Checkout(next_step=NextStep.NONE, transaction_id=row[0], status=PaymentStatus(row[1]), reason=row[2])

    def settle(self, transaction_id: str, status: PaymentStatus, *, at: datetime | None = None) -> tuple[bytes, str]:
        """Decide a pending sandbox transaction and return the signed notification (body, signature header)
        the sandbox would send: what `mestocker`'s demo and the tests post to /v1/payments/sandbox/notifications."""
        with self._db() as db:
            row = db.execute("SELECT reference, amount_cop FROM transactions WHERE transaction_id = ?",
                             (transaction_id,)).fetchone()
            if row is None:
                raise KeyError(transaction_id)
            db.execute("UPDATE transactions SET status = ? WHERE transaction_id = ?", (status, transaction_id))
        body = json.dumps({"reference": row[0], "transaction_id": transaction_id, "status": str(status),
                           "amount_cop": row[1]}).encode()
        return body, self.sign(body, at=at)

    def sign(self, body: bytes, *, at: datetime | None = None) -> str:
        ts = int((at or datetime.now(UTC)).timestamp())
        digest = hmac.new(self._secret, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        return f"t={ts},v1={digest}"

    def verify_notification(self, request: NotificationRequest) -> GatewayNotice:
        ts, digest = _parse_signature(request.headers.get(SIGNATURE_HEADER, ""))
        expected = hmac.new(self._secret, f"{ts}.".encode() + request.body, hashlib.sha256).hexdigest()
        if not same_digest(expected, digest):
            raise InvalidNotification("bad signature")
        require_fresh(datetime.fromtimestamp(ts, UTC), request, self._window)
        data = json_body(request)
        with self._db() as db:  # the sandbox's own ledger is the source of truth, like a gateway's API
            row = db.execute("SELECT reference, amount_cop, status FROM transactions WHERE transaction_id = ?",
                             (str(data.get("transaction_id", "")),)).fetchone()
        if row is None:
            raise InvalidNotification("unknown transaction")
        return GatewayNotice(gateway=self.name, reference=row[0], transaction_id=str(data["transaction_id"]),
                             status=PaymentStatus(row[2]), amount_cop=row[1], raw=data)

    def refund(self, *, transaction_id: str, amount_cop: int, idempotency_key: str) -> RefundResult:
        with self._db() as db:
            row = db.execute("SELECT refund_id FROM refunds WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if row is None:
                row = ("SBX-RF-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:10].upper(),)
                db.execute("INSERT INTO refunds VALUES (?, ?, ?, ?, ?)",
                           (idempotency_key, transaction_id, amount_cop, row[0], _now()))
        return RefundResult(refund_id=row[0], approved=True)

    def refunds(self) -> list[tuple[str, int]]:
        """(transaction id, amount) of every refund recorded: what tests assert on."""
        with self._db() as db:
            return [(r[0], r[1]) for r in db.execute("SELECT transaction_id, amount_cop FROM refunds ORDER BY rowid")]


def _outcome(token: str) -> tuple[str, str]:
    if token.startswith("tok_declined"):
        return PaymentStatus.DECLINED, "fondos insuficientes"
    if token.startswith("tok_pending"):
        return PaymentStatus.PENDING, "pago en verificación"
    return PaymentStatus.APPROVED, ""


def _parse_signature(header: str) -> tuple[int, str]:
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        return int(parts["t"]), parts["v1"]
    except (KeyError, ValueError) as exc:
        raise InvalidNotification("missing or malformed signature header") from exc


def _now() -> str:
    return datetime.now(UTC).isoformat()
