"""Routes of the roster context (filled in by the issue-10 work)."""

from __future__ import annotations

from chalice import Blueprint

blueprint = Blueprint(__name__)
