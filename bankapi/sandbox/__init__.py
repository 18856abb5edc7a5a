"""A sandbox bank implementing ``bankapi/openapi.yaml``, for the demo, tests and bank integrators.

Run it with ``python -m bankapi.sandbox``; it keeps its state in SQLite by default or in PostgreSQL
when given a ``postgresql://`` URL, seeds demo cardholders, and writes the one-time codes it
"sends" to an outbox that the demo and the tests read at ``/sandbox/outbox``.
"""
