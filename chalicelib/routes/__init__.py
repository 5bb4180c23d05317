"""Blueprints, one per context; each route parses, authorises (``endpoint``) and calls a service."""
