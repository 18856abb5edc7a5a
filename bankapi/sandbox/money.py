"""Converts between stored hundredths and the contract's decimal strings."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from bankapi.sandbox.errors import BankError


def to_api(hundredths: int) -> str:
    """``123456`` → ``"1234.56"``."""
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


def from_api(amount: object, field: str = "amount") -> int:
    """``"1234.5"`` → ``123450``.

    Raises:
        BankError: ``invalid_request`` when it is not a positive amount with at most 2 decimals.
    """
    try:
        value = Decimal(str(amount))
    except InvalidOperation as error:
        raise BankError(400, "invalid_request", f"{field} is not a number") from error
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise BankError(400, "invalid_request", f"{field} must be positive, at most 2 decimals")
    return int(value * 100)
