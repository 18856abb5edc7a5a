"""The credit limit: what it is, and a permanent or temporary increase the bank decides at once."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions import slots
from actions.flow import BankAction, Context, amount_of, choose_card, end_flow
from actions.formatting import day

KINDS = ("permanent", "temporary")
# A temporary increase lasts this long, the usual "for my trip" window.
TEMPORARY_DAYS = 30


class ActionCreditLimit(BankAction):
    """Shows the limit; with an amount, asks permanent or temporary, confirms, requests it."""

    action_name = "action_credit_limit"

    async def perform(self, ctx: Context) -> list[EventType]:
        me = self.name()
        card = await choose_card(ctx, "credit_limit", lambda c: c.status == "active")
        if card is None:
            return []  # the card was asked for (see choose_card)
        limits = await ctx.client.credit_limit(ctx.token, card.card_id)
        currency = limits.currency
        # The amount may have come with the request, before verification or the card choice.
        raw = ctx.param(me, slots.AMOUNT) or ctx.mentioned(slots.AMOUNT)
        wanted = amount_of(raw) if raw else None
        if wanted is None:
            ctx.say("utter_credit_limit", last4=card.last4,
                    limit=ctx.money(limits.credit_limit, currency),
                    available=ctx.money(limits.available_credit, currency),
                    max_limit=ctx.money(limits.max_permanent_limit, currency))
            if limits.temporary_limit and limits.temporary_until:
                ctx.say("utter_temporary_limit", limit=ctx.money(limits.temporary_limit, currency),
                        until=day(limits.temporary_until, ctx.language, currency))
            ctx.say("utter_how_to_raise_limit")
            return end_flow()
        if wanted <= limits.credit_limit:
            ctx.say("utter_limit_not_higher", limit=ctx.money(limits.credit_limit, currency))
            return end_flow()
        kind = ctx.param(me, slots.LIMIT_KIND)
        if kind not in KINDS:
            ctx.say("utter_choose_limit_kind", amount=ctx.money(wanted, currency), buttons=[
                {"title": ctx.text(f"utter_label_limit_{k}"),
                 "payload": f'/credit_limit{{"limit_kind":"{k}","card_last4":"{card.last4}"}}'}
                for k in KINDS])
            return ctx.wait(me, "kind", card_last4=card.last4, amount=str(wanted))
        ctx.say("utter_confirm_limit_request", last4=card.last4,
                amount=ctx.money(wanted, currency), kind=ctx.text(f"utter_label_limit_{kind}"))
        return ctx.wait(me, "confirm", card_id=card.card_id, card_last4=card.last4,
                        amount=str(wanted), limit_kind=kind)

    async def commit(self, ctx: Context) -> list[EventType]:
        card_id = ctx.tracker.get_slot(slots.CARD_ID)
        kind = ctx.tracker.get_slot(slots.LIMIT_KIND)
        amount = amount_of(ctx.tracker.get_slot(slots.AMOUNT))
        result = await ctx.client.request_limit(
            ctx.token, card_id, kind, amount, key=ctx.key("limit", card_id, kind, amount),
            days=TEMPORARY_DAYS if kind == "temporary" else None)
        amount_text = ctx.money(result.requested_limit, result.currency)
        if result.status == "approved":
            ctx.say("utter_limit_approved", reference=result.reference, amount=amount_text)
        else:
            ctx.say("utter_limit_declined", reference=result.reference, amount=amount_text)
        return end_flow()
