"""Our chat widget (``GET /widget.js``, one plain script, no build step) and a demo page (``GET /``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["widget_routes", "STATIC_DIR"]

STATIC_DIR = Path(__file__).parent / "static"


@lru_cache(maxsize=None)
def _asset(name: str) -> bytes:
    return (STATIC_DIR / name).read_bytes()


async def widget_js(request: Request) -> Response:
    return Response(_asset("widget.js"), media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


async def demo_page(request: Request) -> Response:
    return Response(_asset("index.html"), media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


def widget_routes() -> list[Route]:
    return [Route("/widget.js", widget_js, methods=["GET"]), Route("/", demo_page, methods=["GET"])]
