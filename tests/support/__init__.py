"""Test data generators shared by the unit, integration and benchmark code."""
