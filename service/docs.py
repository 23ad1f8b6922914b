"""`/docs`: Swagger UI served by the app itself, from the files the fastapi-offline package
(MIT) ships (Swagger UI 5, which reads OpenAPI 3.1), so the API documentation opens with no
network, as the page does. No inline script: the
initialiser is a static file, and the page gets a Content-Security-Policy of its own."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["install_docs", "DOCS_HEADERS"]

#: Swagger UI sets inline styles; it loads no script and no image from elsewhere.
DOCS_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}

_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API</title>
<link rel="stylesheet" href="/docs-assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs-assets/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """Mount Swagger UI's files at /docs-assets and serve /docs (create the app with
    docs_url=None and redoc_url=None: FastAPI's own pages load their files from a CDN)."""
    from pathlib import Path

    import fastapi_offline

    assets = Path(fastapi_offline.__file__).resolve().parent / "static"
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")
    page = _HTML.format(title=app.title, openapi_url=app.openapi_url or "/openapi.json")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=DOCS_HEADERS)
