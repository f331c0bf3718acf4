"""The demo chat page: serves ``index.html`` and its assets from the package's ``static/``.

Owns only file serving; the page talks to the simulation API like any other client.
"""

from __future__ import annotations

import re
from importlib import resources

from aiohttp import web

_NAME_RE = re.compile(r"[a-z0-9_-]+\.(html|js|css|svg)")
_CONTENT_TYPES = {
    "html": "text/html",
    "js": "application/javascript",
    "css": "text/css",
    "svg": "image/svg+xml",
}


def _asset(name: str) -> web.Response:
    match = _NAME_RE.fullmatch(name)
    if match is None:
        raise web.HTTPNotFound
    resource = resources.files("sandbox").joinpath("static", name)
    if not resource.is_file():
        raise web.HTTPNotFound
    return web.Response(
        body=resource.read_bytes(),
        content_type=_CONTENT_TYPES[match.group(1)],
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def index(request: web.Request) -> web.Response:
    """The chat page."""
    return _asset("index.html")


async def asset(request: web.Request) -> web.Response:
    """A script or style sheet of the page."""
    return _asset(request.match_info["name"])


def static_routes() -> list[web.RouteDef]:
    """Routes for ``/`` and ``/static/<name>``."""
    return [web.get("/", index), web.get("/static/{name}", asset)]
