"""The published OpenAPI document (docs/openapi.json, ``make openapi``) lists every route of the app."""

import json
from pathlib import Path

from app import app

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_every_route_is_in_the_openapi_document_and_nothing_else():
    paths = json.loads(DOCUMENT.read_text())["paths"]
    published = {(path, method.upper()) for path, methods in paths.items() for method in methods
                 if method != "options"}
    routes = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert published == routes, "run `make openapi` to refresh docs/openapi.json"
