"""Auth benchmark: `python -m bench.bench_auth [--seconds S] [--write]`.

A seeded SQLite platform served by `mestocker serve` in its own process on a free port; `wrk` (another
process) drives it:

1. logins per second: `POST /v1/auth/token` (password grant; one Argon2id verification each);
2. refreshes per second: `POST /v1/auth/refresh`, each connection spending the refresh token the previous
   answer gave it (a chain per connection, as a real client does; every one is a write);
3. client-credentials tokens per second (one Argon2id verification of the client secret each);
4. the per-request cost of the auth path: `GET /v1/auth/me` (JWT decode + the principal, read from the
   database, narrowed to the token's scopes) against `GET /healthz` (no auth), same server, same load;
   plus, in this process, the JWT decode alone and the whole `principal_from_token` per call.

Prints Markdown; `--write` also replaces the `auth` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import re
import subprocess
import sys
import tempfile
import time
import timeit
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import httpx

from bench.sections import write_section
from commerce.identity.clients import CreatedClient, CreateServiceClient
from infra.bootstrap import bootstrap, seed_fresh_database
from infra.settings import Settings
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
PASSWORD = "mestocker-demo"
BUYER = "laura.gomez@example.co"
SECRET = "bench-auth-jwt-secret-0123456789abcdef"


@dataclass
class WrkResult:
    name: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx answers, socket errors and timeouts


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(name: str, connections: int, out: str) -> WrkResult:
    """The numbers of one `wrk --latency` run."""
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if len(latency) < 2 or rate is None or total is None:
        raise RuntimeError(f"{name}: wrk's output has no latency distribution or rate:\n{out}")
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    bad += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return WrkResult(name=name, connections=connections, requests_per_second=float(rate.group(1)),
                     p50_ms=_ms(latency["50"]), p99_ms=_ms(latency["99"]), requests=int(total.group(1)), bad=bad)


def wrk(name: str, url: str, script: Path, *, seconds: int, threads: int, connections: int) -> WrkResult:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                          "--latency", "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(name, connections, out)


def _lua(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.lua"
    path.write_text(body, encoding="utf-8")
    return path


def _form(method: str, path: str, body: str) -> str:
    return (f'wrk.method = "{method}"\nwrk.path = "{path}"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            f"wrk.body = {json.dumps(body)}\n")


def _refresh_chain(tokens: Path) -> str:
    return f"""
local tokens, next_token = {{}}, 1
for line in io.lines({json.dumps(str(tokens))}) do tokens[#tokens + 1] = line end
function setup(thread)
  thread:set("token", tokens[next_token]); next_token = next_token + 1
end
function request()
  return wrk.format("POST", "/v1/auth/refresh", {{["Content-Type"] = "application/json"}},
                    '{{"refresh_token":"' .. token .. '"}}')
end
function response(status, headers, body)
  local fresh = body:match('"refresh_token":"([^"]+)"')
  if fresh then token = fresh end
end
"""


def _get(path: str, bearer: str | None) -> str:
    auth = f'wrk.headers["Authorization"] = "Bearer {bearer}"\n' if bearer else ""
    return f'wrk.method = "GET"\nwrk.path = "{path}"\n{auth}'


def _prepare(folder: Path) -> tuple[dict[str, str], CreatedClient]:
    env = {"MESTOCKER_DATA_DIR": str(folder), "MESTOCKER_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
           "MESTOCKER_PROFILE": "embedded", "MESTOCKER_EMBEDDED_WORKER": "false", "MESTOCKER_JWT_SECRET": SECRET}
    settings = Settings(_env_file=None, data_dir=folder, database_url=env["MESTOCKER_DATABASE_URL"],  # type: ignore[call-arg]
                        embedded_worker=False, jwt_secret=SECRET)
    seed_fresh_database(settings)
    built = bootstrap(settings)
    try:
        created: CreatedClient = built.bus.handle(CreateServiceClient(name="bench", scopes=["reorder:read"]))
    finally:
        built.close()
    return env, created


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port",
                                   str(port)], cwd=ROOT, env={**os.environ, **env}, stdout=out,
                                  stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180  # a loaded machine: the chat service and the knowledge base load first
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"the server did not start: {log.read_text(errors='replace')[-2000:]}")


def _in_process(env: dict[str, str], access_token: str) -> tuple[float, float]:
    """Microseconds per call: the JWT decode alone, and the whole principal_from_token (decode + DB read)."""
    from api.deps import principal_from_token
    from api.security import decode_access_token

    settings = Settings(_env_file=None, data_dir=Path(env["MESTOCKER_DATA_DIR"]),  # type: ignore[call-arg]
                        database_url=env["MESTOCKER_DATABASE_URL"], embedded_worker=False, jwt_secret=SECRET)
    built = bootstrap(settings)
    try:
        request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(jwt_secret=SECRET, platform=built)))
        decode = min(timeit.repeat(lambda: decode_access_token(access_token, secret=SECRET), number=2000, repeat=3))
        whole = min(timeit.repeat(lambda: principal_from_token(request, access_token), number=500,  # type: ignore[arg-type]
                                  repeat=3))
        return decode / 2000 * 1e6, whole / 500 * 1e6
    finally:
        built.close()


def run(seconds: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-auth-") as tmp:
        folder = Path(tmp)
        env, client = _prepare(folder)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = _serve(env, port, folder / "server.log")
        try:
            login = {"username": BUYER, "password": PASSWORD}
            pairs = [httpx.post(f"{base}/v1/auth/token", data=login, timeout=30).json() for _ in range(4)]
            access = pairs[0]["access_token"]
            client_form = {"grant_type": "client_credentials", "client_id": client.client.client_id,
                           "client_secret": client.secret}
            service = httpx.post(f"{base}/v1/auth/token", data=client_form, timeout=30).json()["access_token"]
            tokens = folder / "refresh-tokens.txt"
            tokens.write_text("\n".join(p["refresh_token"] for p in pairs) + "\n", encoding="utf-8")
            results = [
                wrk("GET /healthz (no auth)", base, _lua(folder, "health", _get("/healthz", None)),
                    seconds=seconds, threads=2, connections=8),
                wrk("GET /v1/auth/me (user token)", base, _lua(folder, "me", _get("/v1/auth/me", access)),
                    seconds=seconds, threads=2, connections=8),
                wrk("GET /v1/auth/me (client token)", base, _lua(folder, "me-client", _get("/v1/auth/me", service)),
                    seconds=seconds, threads=2, connections=8),
                wrk("POST /v1/auth/token (password)", base,
                    _lua(folder, "login", _form("POST", "/v1/auth/token",
                                                "username=laura.gomez%40example.co&password=mestocker-demo")),
                    seconds=seconds, threads=2, connections=4),
                wrk("POST /v1/auth/refresh (rotation chain)", base, _lua(folder, "refresh", _refresh_chain(tokens)),
                    seconds=seconds, threads=4, connections=4),
                wrk("POST /v1/auth/token (client credentials)", base,
                    _lua(folder, "client", _form("POST", "/v1/auth/token",
                                                 "&".join(f"{k}={v}" for k, v in client_form.items()))),
                    seconds=seconds, threads=2, connections=4),
            ]
        finally:
            server.terminate()
            server.wait(timeout=30)
        decode_us, principal_us = _in_process(env, access)
    return report(results, decode_us, principal_us, seconds)


def report(results: list[WrkResult], decode_us: float, principal_us: float, seconds: int) -> str:
    health, me = results[0], results[1]
    load = os.getloadavg()[0]
    lines = [
        f"## Auth: logins, refreshes, and the cost of the auth path ({time.strftime('%Y-%m-%d')})",
        "",
        f"`python -m bench.bench_auth --seconds {seconds} --write`. `mestocker serve` (one uvicorn process, "
        "embedded profile, SQLite) on a free loopback port, driven by `wrk` from another process; "
        f"{host.machine()} {os.cpu_count()} cores shared with other work (load average {load:.1f} when it "
        "ended), so read the numbers as orders of magnitude. Password hashes are Argon2id (m=19 MiB, t=2, p=1).",
        "",
        "| request | connections | requests/s | p50 | p99 | requests | non-2xx/errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.name} | {r.connections} | {r.requests_per_second:,.1f} | {r.p50_ms:.1f} ms | "
                     f"{r.p99_ms:.1f} ms | {r.requests:,} | {r.bad} |")
    auth_ms = me.p50_ms - health.p50_ms
    lines += [
        "",
        f"- **Per-request cost of the auth path**: `GET /v1/auth/me` − `GET /healthz` = {auth_ms:.2f} ms at the "
        f"median under the same load ({me.requests_per_second:,.0f} vs {health.requests_per_second:,.0f} "
        "requests/s). In-process, without HTTP: the JWT decode (HS256, PyJWT) takes "
        f"{decode_us:.0f} µs, and `principal_from_token` as a whole (decode + one primary-key read of the user "
        f"on a read-only session + narrowing) {principal_us:.0f} µs per call.",
        "- The in-process split says where the auth path's time goes: the database read of the principal, not "
        "the JWT. It is kept on purpose (a deactivated user or revoked client stops at the next request); a "
        "short-lived principal cache would trade that promptness for speed and is not built.",
        f"- **Logins** ({results[3].requests_per_second:.1f}/s here) cost one Argon2id verification each, and "
        "that is the ceiling by design: a brute-force run is slow before the throttle even locks it out.",
        "- **Refreshes** do no password work: one conditional UPDATE (spend) and one INSERT (next token) in a "
        "write transaction, so SQLite's single writer is what bounds them.",
        "- **Client credentials** verify the client secret with the same Argon2id hasher, so they cost what a "
        "login costs; a client asks for a token once per `expires_in` (15 min), not per request.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="replace the auth section of docs/benchmarks.md")
    args = parser.parse_args()
    markdown = run(args.seconds)
    print(markdown)
    if args.write:
        write_section(DOC, "auth", markdown)


if __name__ == "__main__":
    main()
