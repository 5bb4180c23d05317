"""Question-first grading: dispatch by question, question regions, the copies of a question,
question locks and scores."""

from __future__ import annotations

from chalice import Blueprint

blueprint = Blueprint(__name__)
