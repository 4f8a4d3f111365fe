"""What every adapter shares: constant-time comparison, freshness windows, peso amounts, JSON/form bodies."""

from __future__ import annotations

import hmac
import json
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from commerce.marketplace.payments import InvalidNotification, NotificationRequest


def same_digest(expected: str, received: str) -> bool:
    """Constant-time, case-insensitive comparison of two hex digests."""
    return hmac.compare_digest(expected.strip().lower().encode(), received.strip().lower().encode())


def require_fresh(signed_at: datetime, request: NotificationRequest, window: timedelta) -> None:
    """Refuse a signed timestamp outside ±window of the arrival time (a replay or a clock far off)."""
    if abs(request.received_at - signed_at) > window:
        raise InvalidNotification("stale timestamp")


def whole_pesos(value: Any) -> int:
    """ "150000.00" / 150000.0 → 150000; refuses fractions of a peso and nonsense."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidNotification("malformed amount") from exc
    if amount != amount.to_integral_value() or amount <= 0:
        raise InvalidNotification("amount is not a whole number of pesos")
    return int(amount)


def form_fields(request: NotificationRequest) -> dict[str, str]:
    """An x-www-form-urlencoded body as a dict (the last value of a repeated name wins)."""
    try:
        return dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise InvalidNotification("body is not UTF-8") from exc


def json_body(request: NotificationRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidNotification("body is not JSON") from exc
    if not isinstance(data, dict):
        raise InvalidNotification("body is not a JSON object")
    return data
