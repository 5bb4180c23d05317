"""Shared rubrics: an exam's rubric items per question; editing one re-scores every copy that uses it."""

from __future__ import annotations

from chalice import Blueprint

blueprint = Blueprint(__name__)
