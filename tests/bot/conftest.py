"""Fixtures for gateway tests come from ``tests/gateway.py`` (a plugin of the root conftest)."""
