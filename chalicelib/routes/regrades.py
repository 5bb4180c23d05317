"""Regrade requests: students ask after release, teachers and admins answer."""

from __future__ import annotations

from chalice import Blueprint

blueprint = Blueprint(__name__)
