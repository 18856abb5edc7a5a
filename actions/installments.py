"""Splitting a purchase or a statement into installments: item, tenor with the quote, confirm."""

from __future__ import annotations

import asyncio

from rasa_sdk.events import EventType

from actions import slots
from actions.bank import models
from actions.flow import BankAction, Context, card_on_account, end_flow, months_of
from actions.formatting import day, number

STATEMENT = "statement"


def _item_label(ctx: Context, item: models.InstallmentEligible) -> str:
    amount = ctx.money(item.amount, item.currency)
    if item.kind == STATEMENT:
        return f"{ctx.text('utter_label_statement')} · {amount}"
    return f"{day(item.posted_on, ctx.language, item.currency)} · {item.merchant} · {amount}"


class ActionInstallment(BankAction):
    """Steps: ``item``, ``tenor``, ``confirm``."""

    action_name = "action_installment"

    async def perform(self, ctx: Context) -> list[EventType]:
        me = self.name()
        card_id = await self.flow_card(ctx, "installment", lambda c: c.status == "active")
        if card_id is None:
            return []  # the card was asked for (see choose_card)
        items = await ctx.client.installment_eligible(ctx.token, card_id)
        if not items:
            ctx.say("utter_nothing_to_split")
            return end_flow()
        item = self._item(ctx, items)
        if item is None:
            ctx.say("utter_choose_installment_item", buttons=[
                {"title": _item_label(ctx, i),
                 "payload": f'/installment{{"transaction_id":"{i.transaction_id or STATEMENT}"}}'}
                for i in items[:8]])
            return ctx.wait(me, "item", card_id=card_id)
        item_id = item.transaction_id or STATEMENT
        months = ctx.param(me, slots.MONTHS)
        tenor = months_of(months)
        if tenor not in item.tenors:
            if tenor is not None:
                ctx.say("utter_tenor_not_offered", months=tenor)
            # One quote per tenor, asked together: the bank prices each tenor on its own.
            quotes = await asyncio.gather(*(
                ctx.client.quote_installment(ctx.token, card_id, item.transaction_id, t)
                for t in item.tenors))
            label = ctx.text("utter_label_tenor")
            buttons = [{"title": label.format(
                            months=q.tenor_months,
                            monthly=ctx.money(q.monthly_amount, q.currency),
                            fee=ctx.money(q.fee, q.currency)),
                        "payload": f'/installment{{"months":"{q.tenor_months}"}}'}
                       for q in quotes]
            ctx.say("utter_choose_tenor", item=_item_label(ctx, item), buttons=buttons)
            return ctx.wait(me, "tenor", card_id=card_id, transaction_id=item_id, months=None)
        return await self._confirm(ctx, card_id, item_id, tenor)

    def _item(self, ctx: Context,
              items: list[models.InstallmentEligible]) -> models.InstallmentEligible | None:
        """The item named by a button, or the one purchase the message's merchant/amount fit."""
        wanted = ctx.param(self.name(), slots.TRANSACTION_ID)
        if wanted:
            return next((i for i in items if (i.transaction_id or STATEMENT) == wanted), None)
        merchant = (ctx.mentioned(slots.MERCHANT) or ctx.said_about(
            [i.merchant or "" for i in items], "installment") or "").casefold()
        amount = ctx.mentioned_amount()
        if not merchant and amount is None:
            return None
        fits = [i for i in items if i.kind == "transaction"
                and (not merchant or merchant in (i.merchant or "").casefold())
                and (amount is None or i.amount == amount)]
        return fits[0] if len(fits) == 1 else None

    async def _confirm(self, ctx: Context, card_id: str, item_id: str,
                       tenor: int) -> list[EventType]:
        card = await card_on_account(ctx, card_id)
        if card is None:
            return end_flow()  # said so (see card_on_account)
        q = await ctx.client.quote_installment(
            ctx.token, card_id, None if item_id == STATEMENT else item_id, tenor)
        ctx.say("utter_confirm_installment", amount=ctx.money(q.principal, q.currency),
                last4=card.last4, months=tenor, monthly=ctx.money(q.monthly_amount, q.currency),
                fee=ctx.money(q.fee, q.currency), apr=number(q.apr, ctx.language),
                total=ctx.money(q.total, q.currency))
        return ctx.wait(self.name(), "confirm", card_id=card_id, transaction_id=item_id,
                        months=str(tenor))

    async def commit(self, ctx: Context) -> list[EventType]:
        card_id = ctx.tracker.get_slot(slots.CARD_ID)
        item_id = ctx.tracker.get_slot(slots.TRANSACTION_ID)
        tenor = int(ctx.tracker.get_slot(slots.MONTHS))
        plan = await ctx.client.create_installment(
            ctx.token, card_id, None if item_id == STATEMENT else item_id, tenor,
            key=ctx.key("installment", card_id, item_id, tenor))
        ctx.did(f"Installment plan {plan.reference}: {plan.tenor_months} months of "
                f"{plan.monthly_amount} {plan.currency}")
        ctx.say("utter_installment_created", reference=plan.reference, months=plan.tenor_months,
                monthly=ctx.money(plan.monthly_amount, plan.currency))
        return end_flow()

    async def resume(self, ctx: Context) -> list[EventType]:
        if ctx.step == "confirm":
            return await self._confirm(ctx, ctx.tracker.get_slot(slots.CARD_ID),
                                       ctx.tracker.get_slot(slots.TRANSACTION_ID),
                                       int(ctx.tracker.get_slot(slots.MONTHS)))
        return await self.perform(ctx)
