"""The API app for in-process tests, with per-thread requests as ``chalice local`` serves it."""

from __future__ import annotations

from chalice import Chalice
from chalice.local import CustomLocalChalice, LocalChalice


def thread_safe_app() -> Chalice:
    """``app.app`` with a thread-local ``current_request`` (what ``chalice local`` does to the app)."""
    from app import app

    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return app
