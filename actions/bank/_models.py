"""Typed views of the bank's answers (pydantic 1.x, the version Rasa 3.6 pins).

Field names follow ``bankapi/openapi.yaml``; money is Decimal, dates are dates.  Unknown fields are
ignored so that a bank may add to its answers without breaking CardCare.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel


class Model(BaseModel):
    class Config:
        allow_mutation = False
        extra = "ignore"


class Challenge(Model):
    challenge_id: str


class Session(Model):
    session_token: str
    idle_timeout_s: int
    first_name: str


class Address(Model):
    address_id: str
    label: str
    masked: str


class FundingAccount(Model):
    funding_account_id: str
    bank_name: str
    masked_number: str


class Profile(Model):
    first_name: str
    language: str
    addresses: list[Address]
    funding_accounts: list[FundingAccount]


class Card(Model):
    card_id: str
    last4: str
    brand: str
    product: str
    status: str
    block_reason: str | None = None
    currency: str
    replaced_by: str | None = None


class ReplacementOrder(Model):
    order_reference: str
    new_card: Card
    address: Address
    estimated_delivery: date


class CardDelivery(Model):
    order_reference: str
    card: Card
    kind: str
    status: str
    address: Address
    ordered_on: date
    estimated_delivery: date
    delivered_on: date | None = None


class StatementCopy(Model):
    reference: str
    month: str
    statement_date: date
    sent_to: str


class PinReset(Model):
    reset_reference: str
    sent_to: str


class Balance(Model):
    currency: str
    current_balance: Decimal
    statement_balance: Decimal
    available_credit: Decimal
    credit_limit: Decimal
    minimum_payment: Decimal
    due_date: date
    statement_date: date
    overdue_amount: Decimal


class Transaction(Model):
    transaction_id: str
    posted_on: date
    merchant: str
    amount: Decimal
    currency: str
    status: str
    disputed: bool
    fraud: bool
    installment_plan: str | None = None


class Payment(Model):
    paid_on: date
    amount: Decimal
    currency: str
    method: str


class PaymentMethod(Model):
    method: str
    details: str


class Payments(Model):
    payments: list[Payment]
    methods: list[PaymentMethod]


class Autopay(Model):
    enabled: bool
    mode: str | None = None
    funding_account: FundingAccount | None = None


class InstallmentEligible(Model):
    kind: str
    transaction_id: str | None = None
    merchant: str | None = None
    posted_on: date | None = None
    amount: Decimal
    currency: str
    tenors: list[int]


class InstallmentQuote(Model):
    tenor_months: int
    principal: Decimal
    fee: Decimal
    apr: Decimal
    monthly_amount: Decimal
    total: Decimal
    currency: str


class InstallmentPlan(InstallmentQuote):
    reference: str
    created_on: date
    source: str


class Dispute(Model):
    reference: str
    transaction_id: str
    reason: str
    status: str
    opened_on: date
    amount: Decimal
    currency: str
    merchant: str


class FraudCase(Model):
    case_reference: str
    card: Card
    marked_transactions: list[str]


class CreditLimit(Model):
    currency: str
    credit_limit: Decimal
    available_credit: Decimal
    max_permanent_limit: Decimal
    temporary_limit: Decimal | None = None
    temporary_until: date | None = None


class LimitRequest(Model):
    reference: str
    kind: str
    status: str
    requested_limit: Decimal
    currency: str
    until: date | None = None


class RewardOption(Model):
    option_id: str
    points: int
    description: str


class Rewards(Model):
    points: int
    options: list[RewardOption]


class Redemption(Model):
    reference: str
    option_id: str
    points_used: int
    points_left: int


class RepaymentOffer(Model):
    offer_id: str
    months: int
    monthly_amount: Decimal
    apr: Decimal
    total: Decimal


class RepaymentOffers(Model):
    overdue_amount: Decimal
    currency: str
    days_past_due: int
    offers: list[RepaymentOffer]


class RepaymentPlan(Model):
    reference: str
    offer_id: str
    months: int
    monthly_amount: Decimal
    first_due_date: date
    currency: str
