"""Looking at the account: balance, transactions, payment information, a statement's copy."""

from __future__ import annotations

from datetime import date, timedelta

from rasa_sdk.events import EventType, SlotSet

from actions import slots
from actions.bank import BankRefused, models
from actions.flow import BankAction, Context, card_on_account, choose_card, end_flow, is_open
from actions.formatting import day, money, month_name
from actions.periods import date_range
from cardcare.conversation import VERIFY_FORM

# Transactions shown per card in one answer; chat messages stay readable.
MAX_LISTED = 10
# Statements offered as buttons when the cardholder names no month (the newest first).
STATEMENTS_OFFERED = 3
# The step at which payment information waits for a yes to look at the account.
OFFER = "offer"


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

    def answers_without_account(self, ctx: Context) -> bool:
        """The ways to pay are for anyone.  While verification runs for another request this
        one replaces it, as any banking request does."""
        return ctx.tracker.active_loop_name != VERIFY_FORM

    async def answer(self, ctx: Context, yes: bool) -> list[EventType]:
        """Yes to the offer of the amount and due date: verification, then ``perform``."""
        if ctx.step != OFFER:
            return await super().answer(ctx, yes)
        if not yes:
            ctx.say("utter_anything_else")
            return end_flow()
        return await self.verify_first(ctx)

    async def resume(self, ctx: Context) -> list[EventType]:
        """After a digression the offer stands (the ways to pay are not repeated)."""
        if ctx.step != OFFER:
            return await super().resume(ctx)
        ctx.say("utter_offer_payment_due")
        return ctx.wait(self.name(), OFFER)

    async def perform(self, ctx: Context) -> list[EventType]:
        if not ctx.token:
            ctx.say("utter_payment_ways")
            ctx.say("utter_offer_payment_due")
            return ctx.wait(self.name(), OFFER)
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


def statement_month(period: object, today: date) -> str | None:
    """The month (YYYY-MM) a period names, if it names exactly one ("last month", "March");
    None for none or for a span across months ("the last 30 days")."""
    start, end = date_range(period, today)
    if start is None or end is None or (start.year, start.month) != (end.year, end.month):
        return None
    return f"{start:%Y-%m}"


def recent_statements(latest: date, count: int = STATEMENTS_OFFERED) -> list[date]:
    """The first days of the ``count`` statement months up to ``latest``, newest first."""
    months = [latest.replace(day=1)]
    while len(months) < count:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


class ActionStatementCopy(BankAction):
    """A copy of one month's statement: the bank texts a link to its PDF to the registered
    phone, so the document never passes through the chat.

    Steps (``awaiting_step``): ``card`` (see choose_card), ``month`` (which statement, with a
    button for each of the newest ones; a month typed instead is read by NLU as a period).
    """

    action_name = "action_statement_copy"

    async def perform(self, ctx: Context) -> list[EventType]:
        card = await self._card(ctx)
        if card is None:
            return []  # asked for, or said there is none (choose_card, card_on_account)
        month = statement_month(ctx.mentioned(slots.PERIOD), date.today())
        if month is None:
            return await self._ask_month(ctx, card)
        try:
            copy = await ctx.client.request_statement_copy(
                ctx.token, card.card_id, month, key=ctx.key("statement", card.card_id, month))
        except BankRefused as error:
            if error.code != "statement_not_found":
                raise
            ctx.say("utter_statement_not_found", last4=card.last4,
                    month=month_name(date.fromisoformat(f"{month}-01"), ctx.language))
            return await self._ask_month(ctx, card)
        ctx.did(f"Copy of the {copy.month} statement of the card ending {card.last4} texted "
                f"({copy.reference})")
        ctx.say("utter_statement_copy_sent", last4=card.last4, sent_to=copy.sent_to,
                month=month_name(copy.statement_date, ctx.language))
        return end_flow()

    async def _card(self, ctx: Context) -> models.Card | None:
        """The card remembered while the month is asked, else the one the cardholder means."""
        if ctx.tracker.get_slot(slots.AWAITING) == self.name() and ctx.step == "month":
            return await card_on_account(ctx, ctx.tracker.get_slot(slots.CARD_ID))
        # Any card of theirs: a blocked one still has its statements, and for one never used
        # the bank's answer says why there is none.
        return await choose_card(ctx, "statement_copy", lambda card: True)

    async def _ask_month(self, ctx: Context, card: models.Card) -> list[EventType]:
        """Which statement: a button per recent month, and a person for an older one."""
        latest = (await ctx.client.balance(ctx.token, card.card_id)).statement_date
        ctx.say("utter_ask_statement_month", last4=card.last4, buttons=[
            *({"title": month_name(first, ctx.language),
               "payload": f'/statement_copy{{"period":"month_{first.month}"}}'}
              for first in recent_statements(latest)),
            {"title": ctx.text("utter_label_human_agent"), "payload": "/human_agent"}])
        # The month asked about is forgotten, so that a "yes" asks again instead of retrying it.
        return [*ctx.wait(self.name(), "month", card_id=card.card_id), SlotSet(slots.PERIOD, None)]
