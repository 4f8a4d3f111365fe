"""The web chat page: `/` and its static assets (plain files, no build step, nothing external)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from commerce.shared.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

# The page may talk only to this origin: a stray external URL fails loudly in the browser.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Always revalidate: a deploy must not leave a page running stale JavaScript.
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["web"], include_in_schema=False)


def _asset(name: str) -> FileResponse:
    # Only files that exist directly in STATIC_DIR with a known type: no traversal, no listing.
    path = STATIC_DIR / name
    media_type = CONTENT_TYPES.get(path.suffix)
    if "/" in name or "\\" in name or name.startswith(".") or media_type is None or not path.is_file():
        raise NotFound("Recurso no encontrado.")
    return FileResponse(path, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/", summary="The web chat page")
def index() -> FileResponse:
    return _asset("index.html")


@router.get("/index.html")
def index_alias() -> Response:
    return RedirectResponse("/", status_code=308)


@router.get("/static/{name}", summary="A static asset of the web chat page")
def static_asset(name: str) -> FileResponse:
    return _asset(name)
