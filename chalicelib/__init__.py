"""Korrigo's domain, shared by the API (app.py) and the event-driven functions."""
