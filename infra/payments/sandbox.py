"""A local sandbox payment gateway: deterministic, offline, idempotent by key.

Tokens decide the outcome, like the test cards of real gateways: `tok_declined` (or any token
starting with `tok_declined`) is rejected, `tok_pending` stays pending, everything else approves.
"""

from __future__ import annotations

import hashlib
import threading

from commerce.marketplace.payments import ChargeResult, ChargeStatus, PaymentGateway


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    def __init__(self) -> None:
        self._results: dict[str, ChargeResult] = {}
        self._lock = threading.Lock()
        self.charges: list[tuple[str, int]] = []  # what tests assert on

    def charge(self, *, order_id: str, amount_cop: int, token: str, idempotency_key: str) -> ChargeResult:
        with self._lock:
            if idempotency_key in self._results:
                return self._results[idempotency_key]
            ref = "SBX-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:12].upper()
            if token.startswith("tok_declined"):
                result = ChargeResult(ChargeStatus.REJECTED, ref, "fondos insuficientes")
            elif token.startswith("tok_pending"):
                result = ChargeResult(ChargeStatus.PENDING, ref, "pago en verificación")
            else:
                result = ChargeResult(ChargeStatus.APPROVED, ref)
                self.charges.append((order_id, amount_cop))
            self._results[idempotency_key] = result
            return result

    def refund(self, *, external_ref: str, amount_cop: int, idempotency_key: str) -> ChargeResult:
        with self._lock:
            result = self._results.setdefault(
                idempotency_key, ChargeResult(ChargeStatus.APPROVED, "SBX-RF-" + external_ref[-8:])
            )
            return result
