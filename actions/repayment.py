"""Overdue accounts: the overdue amount and the bank's repayment plans, explained calmly."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions import slots
from actions.bank import models
from actions.flow import BankAction, Context, end_flow, is_open
from actions.formatting import day, number


class ActionRepaymentPlan(BankAction):
    """Steps: ``offer`` (choose a plan), ``confirm``."""

    action_name = "action_repayment_plan"

    async def _overdue(self, ctx: Context) -> list[tuple[models.Card, models.RepaymentOffers]]:
        found = []
        for card in await ctx.client.cards(ctx.token):
            if is_open(card) or card.status == "blocked":
                offers = await ctx.client.repayment_offers(ctx.token, card.card_id)
                if offers.offers:
                    found.append((card, offers))
        return found

    async def perform(self, ctx: Context) -> list[EventType]:
        overdue = await self._overdue(ctx)
        if not overdue:
            ctx.say("utter_not_overdue")
            return end_flow()
        wanted = ctx.param(self.name(), slots.OFFER_ID)
        for card, offers in overdue:
            chosen = next((o for o in offers.offers if o.offer_id == wanted), None)
            if chosen:
                return self._confirm(ctx, card, offers, chosen)
        card, offers = overdue[0]
        ctx.say("utter_overdue_explained", last4=card.last4,
                overdue=ctx.money(offers.overdue_amount, offers.currency),
                days=offers.days_past_due)
        ctx.say("utter_choose_repayment_offer", buttons=[
            {"title": ctx.text("utter_label_repayment_offer")
             .format(months=o.months, monthly=ctx.money(o.monthly_amount, offers.currency),
                     apr=number(o.apr, ctx.language)),
             "payload": f'/repayment_plan{{"offer_id":"{o.offer_id}"}}'} for o in offers.offers]
            # None fits: a person of the collections team negotiates (actions/handoff.py).
            + [{"title": ctx.text("utter_label_negotiate_with_person"),
                "payload": "/human_agent"}])
        return ctx.wait(self.name(), "offer", card_id=card.card_id)

    def _confirm(self, ctx: Context, card: models.Card, offers: models.RepaymentOffers,
                 offer: models.RepaymentOffer) -> list[EventType]:
        ctx.say("utter_confirm_repayment_plan", last4=card.last4, months=offer.months,
                monthly=ctx.money(offer.monthly_amount, offers.currency),
                total=ctx.money(offer.total, offers.currency),
                apr=number(offer.apr, ctx.language))
        return ctx.wait(self.name(), "confirm", card_id=card.card_id, offer_id=offer.offer_id)

    async def commit(self, ctx: Context) -> list[EventType]:
        offer_id = ctx.tracker.get_slot(slots.OFFER_ID)
        plan = await ctx.client.accept_repayment(ctx.token, offer_id,
                                                 key=ctx.key("repay", offer_id))
        ctx.did(f"Repayment plan {plan.reference} accepted: {plan.months} months of "
                f"{plan.monthly_amount} {plan.currency}")
        ctx.say("utter_repayment_plan_accepted", reference=plan.reference, months=plan.months,
                monthly=ctx.money(plan.monthly_amount, plan.currency),
                first_due=day(plan.first_due_date, ctx.language, plan.currency))
        return end_flow()
