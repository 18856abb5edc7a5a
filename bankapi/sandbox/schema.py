"""The sandbox bank's tables (SQLAlchemy Core, so SQLite and PostgreSQL share one definition).

Money is stored in integer hundredths of the currency's major unit, so sums are exact on every
database; ``money.py`` converts at the API edge.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

customers = Table(
    "customers", metadata,
    Column("customer_id", String(32), primary_key=True),
    Column("first_name", String(64), nullable=False),
    Column("full_name", String(128), nullable=False),
    Column("phone", String(32), nullable=False, unique=True),  # digits only, with country code
    Column("date_of_birth", Date, nullable=False),
    Column("language", String(8), nullable=False),
    Column("reward_points", Integer, nullable=False, default=0),
)

addresses = Table(
    "addresses", metadata,
    Column("address_id", String(32), primary_key=True),
    Column("customer_id", ForeignKey("customers.customer_id"), nullable=False),
    Column("label", String(32), nullable=False),
    Column("line", String(256), nullable=False),
)

funding_accounts = Table(
    "funding_accounts", metadata,
    Column("funding_account_id", String(32), primary_key=True),
    Column("customer_id", ForeignKey("customers.customer_id"), nullable=False),
    Column("bank_name", String(64), nullable=False),
    Column("number", String(32), nullable=False),
)

cards = Table(
    "cards", metadata,
    Column("card_id", String(32), primary_key=True),
    Column("customer_id", ForeignKey("customers.customer_id"), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("brand", String(16), nullable=False),
    Column("product", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("block_reason", String(16)),
    Column("currency", String(3), nullable=False),
    Column("replaced_by", String(32)),
    Column("credit_limit", BigInteger, nullable=False),
    Column("max_permanent_limit", BigInteger, nullable=False),
    Column("temporary_limit", BigInteger),
    Column("temporary_until", Date),
    Column("statement_balance", BigInteger, nullable=False),
    Column("minimum_payment", BigInteger, nullable=False),
    Column("statement_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("overdue_amount", BigInteger, nullable=False, default=0),
    Column("days_past_due", Integer, nullable=False, default=0),
    Column("autopay_account", String(32)),
    Column("autopay_mode", String(8)),
)

transactions = Table(
    "transactions", metadata,
    Column("transaction_id", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False, index=True),
    Column("posted_on", Date, nullable=False),
    Column("merchant", String(128), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(8), nullable=False),
    Column("disputed", Boolean, nullable=False, default=False),
    Column("fraud", Boolean, nullable=False, default=False),
    Column("installment_plan", String(32)),
    Column("in_statement", Boolean, nullable=False, default=True),
)

payments = Table(
    "payments", metadata,
    Column("payment_id", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("method", String(32), nullable=False),
)

installment_plans = Table(
    "installment_plans", metadata,
    Column("reference", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False),
    Column("source", String(32), nullable=False),
    Column("tenor_months", Integer, nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("fee", BigInteger, nullable=False),
    Column("apr_bp", Integer, nullable=False),  # basis points: 1268 = 12.68 %
    Column("monthly_amount", BigInteger, nullable=False),
    Column("created_on", Date, nullable=False),
    UniqueConstraint("card_id", "source", name="one_plan_per_source"),
)

disputes = Table(
    "disputes", metadata,
    Column("reference", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False),
    Column("transaction_id", ForeignKey("transactions.transaction_id"), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("note", Text),
    Column("status", String(32), nullable=False),
    Column("opened_on", Date, nullable=False),
)

fraud_cases = Table(
    "fraud_cases", metadata,
    Column("case_reference", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False),
    Column("transaction_ids", Text, nullable=False),  # comma-separated
    Column("note", Text),
    Column("opened_on", Date, nullable=False),
)

replacement_orders = Table(
    "replacement_orders", metadata,
    Column("order_reference", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False, unique=True),
    Column("new_card_id", String(32), nullable=False),
    Column("address_id", String(32), nullable=False),
    Column("estimated_delivery", Date, nullable=False),
)

# What the courier knows: one row per card sent (new, replacement, renewal).
card_deliveries = Table(
    "card_deliveries", metadata,
    Column("order_reference", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("address_id", String(32), nullable=False),
    Column("ordered_on", Date, nullable=False),
    Column("estimated_delivery", Date, nullable=False),
    Column("returned_on", Date),
)

statement_copies = Table(
    "statement_copies", metadata,
    Column("reference", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False),
    Column("month", String(7), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

limit_requests = Table(
    "limit_requests", metadata,
    Column("reference", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_limit", BigInteger, nullable=False),
    Column("until", Date),
)

redemptions = Table(
    "redemptions", metadata,
    Column("reference", String(32), primary_key=True),
    Column("customer_id", String(32), nullable=False),
    Column("option_id", String(32), nullable=False),
    Column("points_used", Integer, nullable=False),
)

repayment_plans = Table(
    "repayment_plans", metadata,
    Column("reference", String(32), primary_key=True),
    Column("card_id", ForeignKey("cards.card_id"), nullable=False, unique=True),
    Column("offer_id", String(32), nullable=False),
    Column("months", Integer, nullable=False),
    Column("monthly_amount", BigInteger, nullable=False),
    Column("first_due_date", Date, nullable=False),
)

pin_resets = Table(
    "pin_resets", metadata,
    Column("reset_reference", String(32), primary_key=True),
    Column("card_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Identity: links between chat identities and cardholders, challenges, sessions, lockouts.
links = Table(
    "links", metadata,
    Column("subject", String(160), primary_key=True),
    Column("customer_id", String(32), nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)

challenges = Table(
    "challenges", metadata,
    Column("challenge_id", String(48), primary_key=True),
    Column("subject", String(160), nullable=False, index=True),
    Column("customer_id", String(32)),  # None when the details matched nobody
    Column("code_hash", String(64)),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used", Boolean, nullable=False, default=False),
)

verification_failures = Table(
    "verification_failures", metadata,
    Column("subject", String(160), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)

sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # the token itself is never stored
    Column("subject", String(160), nullable=False, index=True),
    Column("customer_id", String(32), nullable=False),
    Column("last_used", DateTime(timezone=True), nullable=False),
)

# What the sandbox "sent" by SMS; the demo and the tests read it.  A real bank has no such table.
outbox = Table(
    "outbox", metadata,
    Column("message_id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(32), nullable=False),
    Column("subject", String(160), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("key", String(128), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
