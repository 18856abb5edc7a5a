"""The bank client: one method per contract operation, one place that maps answers to errors.

Modelled on python-telegram-bot's request design: every operation goes through ``_call``, which
retries and maps statuses to ``_errors``; ``_transport`` is the one small method that touches
the network, and the one a fake replaces.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import structlog

from actions.bank import _models as m
from actions.bank._errors import BankRefused, BankUnavailable, SessionExpired

log = structlog.get_logger(__name__)
ModelT = TypeVar("ModelT", bound=m.Model)


@dataclass(frozen=True)
class BankSettings:
    """Where the bank is and how patiently to call it."""

    base_url: str
    api_key: str
    # A chat user waits for the answer: reads get 4 s, writes 8 s (a bank's core may be slow
    # to commit), then the user gets an apology rather than a spinner.
    read_timeout_s: float = 4.0
    write_timeout_s: float = 8.0
    # Reads are retried twice; writes once, and only with the same Idempotency-Key, so a retry
    # can never do the operation twice.
    read_retries: int = 2
    write_retries: int = 1
    retry_backoff_s: float = 0.2

    @classmethod
    def from_env(cls) -> BankSettings:
        """Reads ``BANK_URL`` and ``BANK_API_KEY``.

        Raises:
            RuntimeError: naming the variable that is missing.
        """
        values = {}
        for name in ("BANK_URL", "BANK_API_KEY"):
            if not os.environ.get(name):
                raise RuntimeError(f"{name} is not set: the action server cannot call the bank")
            values[name] = os.environ[name]
        return cls(base_url=values["BANK_URL"].rstrip("/"), api_key=values["BANK_API_KEY"])


def idempotency_key(*parts: object) -> str:
    """A key derived from what identifies one intended operation (conversation, message, target).

    The same user message handled twice yields the same key, so the bank does the write once.
    """
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:48]


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


class BankClient:
    """Calls the bank's ``/v1`` API on behalf of CardCare.

    Every method raises ``BankUnavailable`` when the bank cannot answer and ``BankRefused`` (or
    ``SessionExpired``) when it refuses; writes take the caller's ``key`` as Idempotency-Key.
    """

    def __init__(self, settings: BankSettings,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.settings = settings
        self._session = session
        self._owns_session = session is None

    async def close(self) -> None:
        """Closes the HTTP session this client opened."""
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    async def _transport(self, method: str, url: str, headers: dict[str, str],
                         body: bytes | None, timeout_s: float) -> tuple[int, bytes]:
        """Sends one request; the only code that touches the network."""
        if self._session is None or self._session.closed:
            # Created on first use: the session must belong to the running event loop.
            self._session = aiohttp.ClientSession()
        async with self._session.request(
            method, url, headers=headers, data=body,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            return response.status, await response.read()

    async def _call(self, method: str, path: str, *, token: str | None = None,
                    body: dict[str, Any] | None = None, params: dict[str, str] | None = None,
                    key: str | None = None, language: str | None = None,
                    read: bool | None = None) -> Any:
        """Performs one operation with retries and returns its decoded JSON (None for 204).

        Raises:
            BankUnavailable: after the last attempt failed to get an answer below 500.
            SessionExpired: the bank no longer knows the session token.
            BankRefused: any other contract error.
        """
        read = method == "GET" if read is None else read
        headers = {"X-Api-Key": self.settings.api_key, "Accept": "application/json"}
        if token:
            headers["X-Session-Token"] = token
        if key:
            headers["Idempotency-Key"] = key
        if language:
            headers["Accept-Language"] = language
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body).encode()
        url = f"{self.settings.base_url}/v1{path}"
        if params:
            url += "?" + "&".join(f"{k}={quote(v)}" for k, v in params.items())
        attempts = 1 + (self.settings.read_retries if read else
                        self.settings.write_retries if key else 0)
        timeout = self.settings.read_timeout_s if read else self.settings.write_timeout_s
        for attempt in range(attempts):
            started = time.perf_counter()
            try:
                status, raw = await self._transport(method, url, headers, payload, timeout)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                log.warning("bank.request.unreachable", method=method, path=path,
                            attempt=attempt + 1, error=type(error).__name__)
                failure = BankUnavailable(f"{method} {path}: {type(error).__name__}")
                failure.__cause__ = error
            else:
                log.debug("bank.request", method=method, path=path, status=status,
                          ms=round((time.perf_counter() - started) * 1000, 1))
                if status < 400:
                    return json.loads(raw) if raw else None
                if status < 500:
                    raise _refusal(status, raw)
                log.warning("bank.request.failed", method=method, path=path, status=status,
                            attempt=attempt + 1)
                failure = BankUnavailable(f"{method} {path}: HTTP {status}")
            if attempt + 1 < attempts:
                await asyncio.sleep(self.settings.retry_backoff_s * (attempt + 1))
        raise failure

    async def _get(self, model: type[ModelT], path: str, **kwargs: Any) -> ModelT:
        return model.parse_obj(await self._call("GET", path, **kwargs))

    # identity -----------------------------------------------------------------------------

    async def start_challenge(self, subject: str, *, key: str, phone: str | None = None,
                              card_last4: str | None = None,
                              date_of_birth: date | None = None) -> m.Challenge:
        """Asks the bank to send the cardholder a one-time code."""
        body: dict[str, Any] = {"subject": subject}
        if phone:
            body["phone"] = phone
        if card_last4 and date_of_birth:
            body.update(card_last4=card_last4, date_of_birth=date_of_birth.isoformat())
        return m.Challenge.parse_obj(
            await self._call("POST", "/identity/challenges", body=body, key=key))

    async def verify_challenge(self, challenge_id: str, code: str, *, key: str) -> m.Session:
        """Checks a one-time code; ``otp_invalid``/``otp_locked``/``otp_expired`` are refusals."""
        return m.Session.parse_obj(await self._call(
            "POST", f"/identity/challenges/{quote(challenge_id)}/verify", body={"code": code},
            key=key))

    async def unlink(self, subject: str, *, key: str) -> None:
        """Forgets the chat identity's link to its cardholder."""
        await self._call("DELETE", f"/identity/links/{quote(subject)}", key=key)

    # cards --------------------------------------------------------------------------------

    async def profile(self, token: str) -> m.Profile:
        """Name, masked addresses and funding accounts."""
        return await self._get(m.Profile, "/profile", token=token)

    async def cards(self, token: str) -> list[m.Card]:
        """The cardholder's cards."""
        answer = await self._call("GET", "/cards", token=token)
        return [m.Card.parse_obj(c) for c in answer["cards"]]

    async def _card_write(self, token: str, card_id: str, action: str, key: str,
                          body: dict[str, Any] | None = None) -> Any:
        return await self._call("POST", f"/cards/{quote(card_id)}/{action}", token=token,
                                key=key, body=body)

    async def freeze(self, token: str, card_id: str, *, key: str) -> m.Card:
        """Temporarily blocks a card."""
        return m.Card.parse_obj(await self._card_write(token, card_id, "freeze", key))

    async def unfreeze(self, token: str, card_id: str, *, key: str) -> m.Card:
        """Lifts a temporary block."""
        return m.Card.parse_obj(await self._card_write(token, card_id, "unfreeze", key))

    async def activate(self, token: str, card_id: str, *, key: str) -> m.Card:
        """Activates a delivered card."""
        return m.Card.parse_obj(await self._card_write(token, card_id, "activate", key))

    async def report_lost_stolen(self, token: str, card_id: str, reason: str, *,
                                 key: str) -> m.Card:
        """Blocks a card permanently (``reason``: lost or stolen)."""
        return m.Card.parse_obj(
            await self._card_write(token, card_id, "lost-stolen", key, {"reason": reason}))

    async def order_replacement(self, token: str, card_id: str, address_id: str, *,
                                key: str) -> m.ReplacementOrder:
        """Orders a replacement for a blocked card."""
        return m.ReplacementOrder.parse_obj(await self._card_write(
            token, card_id, "replacements", key, {"address_id": address_id}))

    async def start_pin_reset(self, token: str, card_id: str, *, key: str) -> m.PinReset:
        """Has the bank text a secure PIN-reset link."""
        return m.PinReset.parse_obj(await self._card_write(token, card_id, "pin-reset", key))

    async def card_deliveries(self, token: str) -> list[m.CardDelivery]:
        """Cards sent or being made for the cardholder in the last 90 days, newest first."""
        answer = await self._call("GET", "/card-deliveries", token=token)
        return [m.CardDelivery.parse_obj(d) for d in answer["deliveries"]]

    # account ------------------------------------------------------------------------------

    async def request_statement_copy(self, token: str, card_id: str, month: str, *,
                                     key: str) -> m.StatementCopy:
        """Has the bank text a link to the statement issued in ``month`` (YYYY-MM)."""
        return m.StatementCopy.parse_obj(await self._card_write(
            token, card_id, "statement-copies", key, {"month": month}))

    async def balance(self, token: str, card_id: str) -> m.Balance:
        """Balance and statement figures of the card's account."""
        return await self._get(m.Balance, f"/cards/{quote(card_id)}/balance", token=token)

    async def transactions(self, token: str, card_id: str, *, start: date | None = None,
                           end: date | None = None, merchant: str | None = None,
                           amount: Decimal | None = None, limit: int = 20) -> list[m.Transaction]:
        """Transactions, newest first, filtered as given."""
        params = {"limit": str(limit)}
        if start:
            params["from"] = start.isoformat()
        if end:
            params["to"] = end.isoformat()
        if merchant:
            params["merchant"] = merchant
        if amount is not None:
            params["amount"] = _amount(amount)
        answer = await self._call("GET", f"/cards/{quote(card_id)}/transactions", token=token,
                                  params=params)
        return [m.Transaction.parse_obj(t) for t in answer["transactions"]]

    async def payments(self, token: str, card_id: str, language: str) -> m.Payments:
        """Recent repayments and how to pay, described in ``language``."""
        return await self._get(m.Payments, f"/cards/{quote(card_id)}/payments", token=token,
                               language=language)

    async def autopay(self, token: str, card_id: str) -> m.Autopay:
        """Autopay settings."""
        return await self._get(m.Autopay, f"/cards/{quote(card_id)}/autopay", token=token)

    async def set_autopay(self, token: str, card_id: str, funding_account_id: str, mode: str, *,
                          key: str) -> m.Autopay:
        """Turns autopay on (``mode``: full or minimum)."""
        return m.Autopay.parse_obj(await self._call(
            "PUT", f"/cards/{quote(card_id)}/autopay", token=token, key=key,
            body={"funding_account_id": funding_account_id, "mode": mode}))

    async def cancel_autopay(self, token: str, card_id: str, *, key: str) -> m.Autopay:
        """Turns autopay off."""
        return m.Autopay.parse_obj(await self._call(
            "DELETE", f"/cards/{quote(card_id)}/autopay", token=token, key=key))

    async def credit_limit(self, token: str, card_id: str) -> m.CreditLimit:
        """Limits of the card."""
        return await self._get(m.CreditLimit, f"/cards/{quote(card_id)}/credit-limit",
                               token=token)

    async def request_limit(self, token: str, card_id: str, kind: str, new_limit: Decimal, *,
                            key: str, days: int | None = None) -> m.LimitRequest:
        """Asks for a permanent or temporary limit; the bank decides at once."""
        body: dict[str, Any] = {"kind": kind, "new_limit": _amount(new_limit)}
        if days:
            body["days"] = days
        return m.LimitRequest.parse_obj(await self._call(
            "POST", f"/cards/{quote(card_id)}/credit-limit/requests", token=token, key=key,
            body=body))

    async def rewards(self, token: str, language: str) -> m.Rewards:
        """Points and redemption options described in ``language``."""
        return await self._get(m.Rewards, "/rewards", token=token, language=language)

    async def redeem(self, token: str, option_id: str, *, key: str) -> m.Redemption:
        """Redeems points for an option."""
        return m.Redemption.parse_obj(await self._call(
            "POST", "/rewards/redemptions", token=token, key=key, body={"option_id": option_id}))

    # installments, cases, repayment plans -------------------------------------------------

    @staticmethod
    def _source(transaction_id: str | None, tenor_months: int) -> dict[str, Any]:
        source: dict[str, Any] = {"tenor_months": tenor_months}
        if transaction_id:
            source["transaction_id"] = transaction_id
        else:
            source["statement"] = True
        return source

    async def installment_eligible(self, token: str, card_id: str) -> list[m.InstallmentEligible]:
        """Purchases (and the statement) that can be split."""
        answer = await self._call("GET", f"/cards/{quote(card_id)}/installments/eligible",
                                  token=token)
        return [m.InstallmentEligible.parse_obj(i) for i in answer["items"]]

    async def quote_installment(self, token: str, card_id: str, transaction_id: str | None,
                                tenor_months: int) -> m.InstallmentQuote:
        """Fee, APR and monthly amount of a split; ``transaction_id=None`` is the statement."""
        return m.InstallmentQuote.parse_obj(await self._call(
            "POST", f"/cards/{quote(card_id)}/installments/quotes", token=token, read=True,
            body=self._source(transaction_id, tenor_months)))

    async def create_installment(self, token: str, card_id: str, transaction_id: str | None,
                                 tenor_months: int, *, key: str) -> m.InstallmentPlan:
        """Splits a purchase or the statement."""
        return m.InstallmentPlan.parse_obj(await self._call(
            "POST", f"/cards/{quote(card_id)}/installments", token=token, key=key,
            body=self._source(transaction_id, tenor_months)))

    async def create_dispute(self, token: str, card_id: str, transaction_id: str, reason: str,
                             *, key: str, note: str | None = None) -> m.Dispute:
        """Opens a dispute on a known merchant's charge."""
        body = {"transaction_id": transaction_id, "reason": reason}
        if note:
            body["note"] = note[:500]
        return m.Dispute.parse_obj(await self._call(
            "POST", f"/cards/{quote(card_id)}/disputes", token=token, key=key, body=body))

    async def disputes(self, token: str) -> list[m.Dispute]:
        """The cardholder's disputes, newest first."""
        answer = await self._call("GET", "/disputes", token=token)
        return [m.Dispute.parse_obj(d) for d in answer["disputes"]]

    async def report_fraud(self, token: str, card_id: str, transaction_ids: list[str], *,
                           key: str) -> m.FraudCase:
        """Blocks the card, marks the transactions, opens a case."""
        return m.FraudCase.parse_obj(await self._call(
            "POST", f"/cards/{quote(card_id)}/fraud-reports", token=token, key=key,
            body={"transaction_ids": transaction_ids}))

    async def repayment_offers(self, token: str, card_id: str) -> m.RepaymentOffers:
        """Overdue amount and the bank's plan offers."""
        return await self._get(m.RepaymentOffers, "/repayment-plans/offers", token=token,
                               params={"card_id": card_id})

    async def accept_repayment(self, token: str, offer_id: str, *, key: str) -> m.RepaymentPlan:
        """Puts a repayment plan in force."""
        return m.RepaymentPlan.parse_obj(await self._call(
            "POST", "/repayment-plans", token=token, key=key, body={"offer_id": offer_id}))


def _refusal(status: int, raw: bytes) -> BankRefused:
    try:
        error = json.loads(raw)["error"]
        code, message = str(error["code"]), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError):
        code, message, error = "invalid_answer", "the bank's error had no code", {}
    cls = SessionExpired if code == "session_expired" else BankRefused
    return cls(status, code, message, attempts_left=error.get("attempts_left"),
               retry_after_s=error.get("retry_after_s"))
