"""The client of the bank API (``bankapi/openapi.yaml``) that actions use.

Actions take an optional client and default to the process-wide one from ``default_client``,
because rasa-sdk builds actions without arguments; tests pass their own.
"""

from __future__ import annotations

from actions.bank import _models as models
from actions.bank._client import BankClient, BankSettings, idempotency_key
from actions.bank._errors import BankError, BankRefused, BankUnavailable, SessionExpired

__all__ = [
    "BankClient",
    "BankError",
    "BankRefused",
    "BankSettings",
    "BankUnavailable",
    "SessionExpired",
    "default_client",
    "idempotency_key",
    "models",
]

_default: BankClient | None = None


def default_client() -> BankClient:
    """The process-wide client, built from the environment on first use (never at import)."""
    global _default
    if _default is None:
        _default = BankClient(BankSettings.from_env())
    return _default
