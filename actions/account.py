"""Looking at the account: balance, transactions, payment information."""

from __future__ import annotations

from datetime import date

from rasa_sdk.events import EventType

from actions import slots
from actions.bank import models
from actions.flow import BankAction, Context, end_flow, is_open
from actions.formatting import day, money
from actions.periods import date_range

# Transactions shown per card in one answer; chat messages stay readable.
MAX_LISTED = 10


async def _cards(ctx: Context) -> list[models.Card]:
    """The open cards the message is about: the one it names, else all of them."""
    cards = [c for c in await ctx.client.cards(ctx.token) if is_open(c)]
    wanted = ctx.mentioned(slots.CARD_LAST4)
    named = [c for c in cards if c.last4 == wanted]
    if wanted and not named:
        ctx.say("utter_card_not_found", last4=wanted)
    if not cards:
        ctx.say("utter_no_usable_card")
    return named or cards


def transaction_line(tx: models.Transaction, language: str) -> str:
    """One transaction as a line of a list: date, merchant, amount."""
    return f"{day(tx.posted_on, language, tx.currency)} · {tx.merchant} · " \
           f"{money(tx.amount, tx.currency, language)}"


class ActionCheckBalance(BankAction):
    """What the cardholder owes and can still spend, per card."""

    action_name = "action_check_balance"

    async def perform(self, ctx: Context) -> list[EventType]:
        for card in await _cards(ctx):
            b = await ctx.client.balance(ctx.token, card.card_id)
            ctx.say("utter_balance", last4=card.last4,
                    current=ctx.money(b.current_balance, b.currency),
                    available=ctx.money(b.available_credit, b.currency),
                    statement=ctx.money(b.statement_balance, b.currency),
                    minimum=ctx.money(b.minimum_payment, b.currency),
                    due_date=day(b.due_date, ctx.language, b.currency))
        return end_flow()


class ActionListTransactions(BankAction):
    """Recent transactions, filtered by the period, merchant or amount in the message."""

    action_name = "action_list_transactions"

    async def perform(self, ctx: Context) -> list[EventType]:
        start, end = date_range(ctx.mentioned(slots.PERIOD), date.today())
        merchant = ctx.mentioned_merchant()
        amount = ctx.mentioned_amount()
        for card in await _cards(ctx):
            found = await ctx.client.transactions(ctx.token, card.card_id, start=start, end=end,
                                                  merchant=merchant, amount=amount,
                                                  limit=MAX_LISTED)
            if not found:
                ctx.say("utter_no_transactions", last4=card.last4)
                continue
            ctx.say("utter_transactions", last4=card.last4,
                    lines="\n".join(transaction_line(t, ctx.language) for t in found))
        return end_flow()


class ActionPaymentInfo(BankAction):
    """When the bill is due, the minimum, and how this cardholder can pay."""

    action_name = "action_payment_info"

    async def perform(self, ctx: Context) -> list[EventType]:
        payments = None
        for card in await _cards(ctx):
            b = await ctx.client.balance(ctx.token, card.card_id)
            payments = await ctx.client.payments(ctx.token, card.card_id, ctx.language)
            ctx.say("utter_payment_due", last4=card.last4,
                    statement=ctx.money(b.statement_balance, b.currency),
                    minimum=ctx.money(b.minimum_payment, b.currency),
                    due_date=day(b.due_date, ctx.language, b.currency))
            if payments.payments:
                last = payments.payments[0]
                ctx.say("utter_last_payment", amount=ctx.money(last.amount, last.currency),
                        paid_on=day(last.paid_on, ctx.language, last.currency))
        methods = "\n".join(f"• {m.details}" for m in payments.methods) if payments else ""
        if methods:
            ctx.say("utter_payment_methods", methods=methods)
        return end_flow()
