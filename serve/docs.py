"""/docs (Swagger UI) and /redoc over /openapi.json, their scripts and styles served by this server.

FastAPI's own docs pages load Swagger UI and ReDoc from a CDN, which a server on a closed network,
or a reader behind a strict proxy, cannot reach. The files come from the `fastapi-offline` package
(MIT; it ships Swagger UI 5, Apache-2.0, and ReDoc 2, MIT, as single files): a dependency pinned in
pyproject.toml, so they are installed with akhbar and nothing is fetched at run time.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"  # swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon.png
PREFIX = "/docs-assets"
# The pages may reach this server only: ReDoc's sidebar shows a logo from its vendor's CDN (unconditionally,
# in the bundle), which the browser now never asks for. Inline scripts and styles: both pages start that way.
ONLY_HERE = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
}


def install(app: FastAPI) -> None:
    """Serve the two pages and their files."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return _only_here(
            get_swagger_ui_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title=f"{title}: the HTTP API",
                swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
                swagger_css_url=f"{PREFIX}/swagger-ui.css",
                swagger_favicon_url=f"{PREFIX}/favicon.png",
                oauth2_redirect_url=None,
            )
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _only_here(
            get_redoc_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title=f"{title}: the HTTP API",
                redoc_js_url=f"{PREFIX}/redoc.standalone.js",
                redoc_favicon_url=f"{PREFIX}/favicon.png",
                with_google_fonts=False,
            )
        )


def _only_here(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(ONLY_HERE)
    return page
