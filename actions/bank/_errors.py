"""What can go wrong when CardCare calls the bank.

    BankError
    ├── BankUnavailable      unreachable, timed out, or answered 5xx: maybe retry, apologise
    └── BankRefused          the bank answered with an error code: act on the code
        └── SessionExpired   the cardholder must verify again

Messages name the operation and the code, never a token, code or card number.
"""

from __future__ import annotations


class BankError(Exception):
    """Base class of every bank failure."""


class BankUnavailable(BankError):
    """The bank could not be reached, was too slow, or failed on its side (5xx)."""


class BankRefused(BankError):
    """The bank answered with a contract error code (4xx).

    Attributes:
        status: the HTTP status.
        code: the contract's machine-readable ``error.code``.
        attempts_left: for ``otp_invalid``.
        retry_after_s: for ``otp_locked`` and ``otp_rate_limited``.
    """

    def __init__(self, status: int, code: str, message: str = "",
                 attempts_left: int | None = None, retry_after_s: int | None = None) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.status = status
        self.code = code
        self.attempts_left = attempts_left
        self.retry_after_s = retry_after_s


class SessionExpired(BankRefused):
    """The bank session is unknown or idle-expired; verify the cardholder again."""
