"""The one exception the sandbox's handlers raise; the error middleware renders it as JSON."""

from __future__ import annotations

from typing import Any


class BankError(Exception):
    """An error answer of the contract: HTTP status, machine-readable code, developer message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body the contract's ``Error`` schema describes."""
        return {"error": {"code": self.code, "message": self.message, **self.extra}}
