"""Local fakes of the gateways' HTTP APIs: loopback servers on free 127.0.0.1 ports, started by the tests.

Each fake answers the calls our adapter makes (the same paths, envelopes and fields as the real API) and
keeps what it received, so a test asserts on the wire, not on our own objects.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

Reply = tuple[int, Any]
Route = Callable[[dict[str, Any]], Reply]


class FakeServer:
    """A tiny JSON HTTP server: routes by (method, path regex); every request is kept in `requests`."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                request: dict[str, Any] = {"method": self.command, "path": parts.path,
                                           "query": dict(parse_qsl(parts.query)),
                                           "headers": {k.lower(): v for k, v in self.headers.items()}, "body": raw}
                try:
                    request["json"] = json.loads(raw) if raw else None
                except ValueError:
                    request["json"] = None
                fake.requests.append(request)
                status, payload = fake.dispatch(request)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, pattern: str, handler: Route) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def dispatch(self, request: dict[str, Any]) -> Reply:
        for method, pattern, handler in self.routes:
            match = pattern.match(request["path"])
            if method == request["method"] and match:
                request["params"] = match.groupdict()
                return handler(request)
        return 404, {"message": "not found"}

    def calls(self, path_fragment: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if path_fragment in r["path"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ----- PayU ---------------------------------------------------------------------------------------------------

PAYU_API_KEY = "4Vj8eK4rloUd272L48hsrarnUA"  # PayU's documented test credentials
PAYU_MERCHANT_ID = "508029"
PAYU_ACCOUNT_ID = "512321"


class FakePayU(FakeServer):
    """PayU's WebCheckout page (checks the form's signature like PayU does) and its Payments API (refunds)."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: dict[str, dict[str, str]] = {}
        self.counter = itertools.count(7_069_375)
        self.route("POST", "/ppp-web-gateway-payu/", self._checkout)
        self.route("POST", "/payments-api/4.0/service.cgi", self._api)

    def _checkout(self, request: dict[str, Any]) -> Reply:
        form = dict(parse_qsl(request["body"].decode()))
        message = "~".join([PAYU_API_KEY, form["merchantId"], form["referenceCode"], form["amount"], form["currency"]])
        if form.get("signature") != hashlib.md5(message.encode()).hexdigest():
            return 400, {"error": "firma inválida"}
        self.sessions[form["referenceCode"]] = form
        return 200, {"ok": True}

    def _api(self, request: dict[str, Any]) -> Reply:
        body = request["json"] or {}
        if body.get("merchant", {}).get("apiKey") != PAYU_API_KEY:
            return 200, {"code": "ERROR", "error": "credenciales inválidas"}
        return 200, {"code": "SUCCESS", "transactionResponse": {"transactionId": f"RF-{next(self.counter)}",
                                                                "state": "PENDING"}}

    def confirmation(self, reference: str, state_pol: str, *, transaction_id: str = "", api_key: str = PAYU_API_KEY,
                     value: str | None = None) -> tuple[str, bytes]:
        """What PayU posts to the confirmationUrl of a session the buyer finished: (url, form body)."""
        form = self.sessions[reference]
        value = value or f"{int(form['amount'])}.00"
        amount = value if not value.endswith("0") else value[:-1]
        sign = hashlib.md5("~".join([api_key, form["merchantId"], reference, amount, form["currency"],
                                     state_pol]).encode()).hexdigest()
        fields = {"merchant_id": form["merchantId"], "state_pol": state_pol, "reference_sale": reference,
                  "reference_pol": str(next(self.counter)), "value": value, "currency": form["currency"],
                  "sign": sign, "transaction_id": transaction_id or f"tx-{reference}-{state_pol}",
                  "response_message_pol": {"4": "APPROVED", "6": "ENTITY_DECLINED", "5": "EXPIRED",
                                           "7": "PENDING"}[state_pol],
                  "payment_method_name": "PSE" if "PSE" in form.get("paymentMethods", "") else "VISA",
                  "email_buyer": form.get("buyerEmail", ""), "test": "1"}
        return form["confirmationUrl"], urlencode(fields).encode()


# ----- MercadoPago --------------------------------------------------------------------------------------------

MP_TOKEN = "TEST-1234567890-mestocker"
MP_SECRET = "mp-webhook-secret-for-tests"


class FakeMercadoPago(FakeServer):
    """Checkout Pro preferences, payments read-back and refunds, as the official SDK calls them."""

    def __init__(self) -> None:
        super().__init__()
        self.preferences: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1_319_000_001)
        self.route("POST", "/checkout/preferences", self._preference)
        self.route("GET", r"/v1/payments/(?P<id>\d+)", self._payment)
        self.route("POST", r"/v1/payments/(?P<id>\d+)/refunds", self._refund)

    def _authorized(self, request: dict[str, Any]) -> bool:
        return bool(request["headers"].get("authorization") == f"Bearer {MP_TOKEN}")

    def _preference(self, request: dict[str, Any]) -> Reply:
        if not self._authorized(request):
            return 401, {"message": "invalid token"}
        pref_id = f"PREF-{next(self.ids)}"
        self.preferences[request["json"]["external_reference"]] = {**request["json"], "id": pref_id}
        return 201, {"id": pref_id, "init_point": f"{self.url}/checkout/v1/redirect?pref_id={pref_id}",
                     "sandbox_init_point": f"{self.url}/sandbox/redirect?pref_id={pref_id}"}

    def _payment(self, request: dict[str, Any]) -> Reply:
        payment = self.payments.get(request["params"]["id"])
        return (200, payment) if payment and self._authorized(request) else (404, {"message": "not_found"})

    def _refund(self, request: dict[str, Any]) -> Reply:
        payment = self.payments.get(request["params"]["id"])
        if payment is None:
            return 404, {"message": "not_found"}
        payment["status"] = "refunded"
        return 201, {"id": next(self.ids), "payment_id": payment["id"], "status": "approved",
                     "amount": (request["json"] or {}).get("amount")}

    def pay(self, reference: str, status: str = "approved", *, amount: float | None = None) -> str:
        """The buyer pays on MercadoPago's page: the payment exists in the API; return its id."""
        preference = self.preferences[reference]
        payment_id = str(next(self.ids))
        self.payments[payment_id] = {
            "id": int(payment_id), "status": status,
            "status_detail": "accredited" if status == "approved" else "cc_rejected_other_reason",
            "external_reference": reference, "currency_id": "COP",
            "transaction_amount": amount if amount is not None else float(preference["items"][0]["unit_price"])}
        return payment_id


def mp_webhook(payment_id: str, *, secret: str = MP_SECRET, ts: int | None = None,
               request_id: str | None = "b4e1c0de-2a3b-4c5d-9e8f-0123456789ab") -> tuple[str, dict[str, str], bytes]:
    """MercadoPago's webhook for a payment: (query string, headers, body), signed as its docs describe."""
    ts = ts if ts is not None else int(time.time())
    manifest = f"id:{payment_id};" + (f"request-id:{request_id};" if request_id else "") + f"ts:{ts};"
    v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    headers = {"x-signature": f"ts={ts},v1={v1}", "content-type": "application/json"}
    if request_id:
        headers["x-request-id"] = request_id
    body = json.dumps({"action": "payment.updated", "api_version": "v1", "type": "payment",
                       "data": {"id": payment_id}, "live_mode": False}).encode()
    return f"data.id={payment_id}&type=payment", headers, body


# ----- Nequi --------------------------------------------------------------------------------------------------

NEQUI_CLIENT_ID, NEQUI_CLIENT_SECRET, NEQUI_API_KEY = "nequi-client", "nequi-secret", "nequi-api-key"
NEQUI_CALLBACK_SECRET = "nequi-callback-secret"


class FakeNequi(FakeServer):
    """Nequi Conecta: OAuth2 client credentials, the push payment and its status, reversals."""

    def __init__(self) -> None:
        super().__init__()
        self.pushes: dict[str, dict[str, Any]] = {}
        self.script: list[str] = ["33", "33", "35"]  # getStatusPayment answers, one per poll (the last repeats)
        self.ids = itertools.count(350_000_001)
        self.route("POST", "/oauth2/token", self._token)
        self.route("POST", "/payments/v2/-services-paymentservice-unregisteredpayment", self._push)
        self.route("POST", "/payments/v2/-services-paymentservice-getstatuspayment", self._status)
        self.route("POST", "/payments/v2/-services-reverseservices-reversetransaction", self._reverse)

    def _token(self, request: dict[str, Any]) -> Reply:
        expected = "Basic " + base64.b64encode(f"{NEQUI_CLIENT_ID}:{NEQUI_CLIENT_SECRET}".encode()).decode()
        grant = request["query"].get("grant_type")
        if request["headers"].get("authorization") != expected or grant != "client_credentials":
            return 401, {"error": "invalid_client"}
        return 200, {"access_token": "nequi-token", "token_type": "Bearer", "expires_in": 3600}

    def _envelope(self, request: dict[str, Any], name: str, body: dict[str, Any], code: str = "0") -> Reply:
        if request["headers"].get("authorization") != "Bearer nequi-token" or \
                request["headers"].get("x-api-key") != NEQUI_API_KEY:
            return 403, {"message": "forbidden"}
        return 200, {"ResponseMessage": {"ResponseHeader": {"Status": {"StatusCode": code, "StatusDesc": "SUCCESS"}},
                                         "ResponseBody": {"any": {f"{name}RS": body}}}}

    def _push(self, request: dict[str, Any]) -> Reply:
        rq = request["json"]["RequestMessage"]["RequestBody"]["any"]["unregisteredPaymentRQ"]
        transaction_id = f"{next(self.ids)}-NEQUI"
        self.pushes[transaction_id] = {**rq, "polls": 0}
        return self._envelope(request, "unregisteredPayment", {"transactionId": f" {transaction_id} "})

    def _status(self, request: dict[str, Any]) -> Reply:
        code = request["json"]["RequestMessage"]["RequestBody"]["any"]["getStatusPaymentRQ"]["codeQR"]
        push = self.pushes.get(code)
        if push is None:
            return self._envelope(request, "getStatusPayment", {}, code="20-07A")
        status = self.script[min(push["polls"], len(self.script) - 1)]
        push["polls"] += 1
        return self._envelope(request, "getStatusPayment", {"status": status, "value": push["value"]})

    def _reverse(self, request: dict[str, Any]) -> Reply:
        return self._envelope(request, "reversion", {})


def nequi_callback(reference: str, transaction_id: str, *, secret: str = NEQUI_CALLBACK_SECRET,
                   ts: int | None = None) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"reference1": reference, "transactionId": transaction_id, "status": "35"}).encode()
    ts = ts if ts is not None else int(time.time())
    v1 = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"x-nequi-signature": f"t={ts},v1={v1}", "content-type": "application/json"}, body
