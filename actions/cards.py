"""The card itself: lost or stolen (block, replacement, fraud check), a temporary lock and its
undoing, PIN reset, activation, where a new card is."""

from __future__ import annotations

from rasa_sdk.events import EventType, SlotSet

from actions import slots
from actions.bank import BankRefused, models
from actions.flow import (
    BankAction,
    Context,
    card_on_account,
    choose_card,
    end_flow,
    is_open,
)
from actions.formatting import day
from cardcare.escalation import Reason


class ActionLostCard(BankAction):
    """Blocks the card in the turn it is chosen, then offers a replacement and a fraud check.

    Steps (``awaiting_step``): ``confirm_block`` (only for a card already frozen), ``replace``
    (yes/no to the address shown), ``address`` (which address, when several), ``fraud_check``
    (yes/no: unknown transactions?).
    """

    action_name = "action_lost_card"

    async def perform(self, ctx: Context) -> list[EventType]:
        if ctx.tracker.get_slot(slots.AWAITING) == self.name() and ctx.step == "address":
            address_id = ctx.entity(slots.ADDRESS_ID)
            if address_id:
                return await self._replace(ctx, address_id)
        card = await choose_card(ctx, "lost_card",
                                 lambda c: c.status in ("active", "frozen", "inactive"))
        if card is None:
            return []  # the card was asked for (see choose_card)
        if card.status == "frozen":
            # "My card is locked" reads like "lock my card": a card that is only frozen is
            # blocked for good only when the cardholder says it is lost.
            ctx.say("utter_confirm_block_frozen", last4=card.last4)
            return ctx.wait(self.name(), "confirm_block", card_id=card.card_id)
        return await self._block(ctx, card.card_id, card.last4)

    async def _block(self, ctx: Context, card_id: str, last4: str) -> list[EventType]:
        try:
            await ctx.client.report_lost_stolen(ctx.token, card_id, "lost",
                                                key=ctx.key("lost", card_id))
        except BankRefused as error:
            if error.code != "already_in_state":
                raise
        ctx.say("utter_card_blocked", last4=last4)
        ctx.did(f"Card ending {last4} blocked as lost or stolen")
        return [SlotSet(slots.CARD_LAST4, None)] + await self._offer_replacement(ctx, card_id)

    async def _offer_replacement(self, ctx: Context, card_id: str) -> list[EventType]:
        addresses = (await ctx.client.profile(ctx.token)).addresses
        if not addresses:
            ctx.say("utter_no_address_on_file")
            return await self._fraud_question(ctx, card_id)
        if len(addresses) == 1:
            ctx.say("utter_confirm_replacement_address", address=addresses[0].masked)
            return ctx.wait(self.name(), "replace", card_id=card_id,
                            address_id=addresses[0].address_id)
        ctx.say("utter_choose_address", buttons=[
            {"title": a.masked, "payload": f'/lost_card{{"address_id":"{a.address_id}"}}'}
            for a in addresses])
        return ctx.wait(self.name(), "address", card_id=card_id)

    async def _replace(self, ctx: Context, address_id: str) -> list[EventType]:
        card_id = ctx.tracker.get_slot(slots.CARD_ID)
        try:
            order = await ctx.client.order_replacement(ctx.token, card_id, address_id,
                                                       key=ctx.key("replace", card_id))
        except BankRefused as error:
            if error.code != "already_in_state":
                raise
            ctx.say("utter_replacement_already_ordered")
        else:
            ctx.did(f"Replacement card ordered ({order.order_reference}), new card ending "
                    f"{order.new_card.last4}, delivery by {order.estimated_delivery}")
            ctx.say("utter_replacement_ordered", reference=order.order_reference,
                    new_last4=order.new_card.last4, address=order.address.masked,
                    delivery=day(order.estimated_delivery, ctx.language, order.new_card.currency))
        return await self._fraud_question(ctx, card_id)

    async def _fraud_question(self, ctx: Context, card_id: str) -> list[EventType]:
        ctx.say("utter_ask_unknown_transactions")
        return ctx.wait(self.name(), "fraud_check", card_id=card_id)

    async def answer(self, ctx: Context, yes: bool) -> list[EventType]:
        card_id = ctx.tracker.get_slot(slots.CARD_ID)
        if ctx.step == "confirm_block":
            if not yes:
                return await super().answer(ctx, yes)
            card = await card_on_account(ctx, card_id)
            if card is None:
                return end_flow()  # said so (see card_on_account)
            return await self._block(ctx, card.card_id, card.last4)
        if ctx.step == "replace":
            if yes:
                return await self._replace(ctx, ctx.tracker.get_slot(slots.ADDRESS_ID))
            ctx.say("utter_replacement_skipped")
            return await self._fraud_question(ctx, card_id)
        if ctx.step == "fraud_check" and yes:
            from actions.fraud import ActionReportFraud  # the fraud flow continues from here

            return end_flow() + await ActionReportFraud(self.client, self.sessions).start(
                ctx, card_id)
        ctx.say("utter_lost_card_done")
        # Asking for a person next is about this card: urgent, with the cards team.
        return [*end_flow(), SlotSet(slots.HANDOFF_REASON, Reason.LOST_CARD.value)]

    async def resume(self, ctx: Context) -> list[EventType]:
        card_id = ctx.tracker.get_slot(slots.CARD_ID)
        if ctx.step == "confirm_block":
            return await self.perform(ctx)
        if ctx.step == "fraud_check":
            return await self._fraud_question(ctx, card_id)
        return await self._offer_replacement(ctx, card_id)


def is_locked(card: models.Card) -> bool:
    """Locked for now (frozen) or for good (blocked as lost or stolen)."""
    return card.status in ("frozen", "blocked")


class ActionLockCard(BankAction):
    """Locks a card for now (the bank's freeze), or unlocks it; a card blocked for good as lost
    or stolen stays blocked.  One step, no question beyond which card."""

    action_name = "action_lock_card"

    async def perform(self, ctx: Context) -> list[EventType]:
        # The way NLU read ("unlock" when asked to undo a lock), or the one remembered while
        # the card is chosen (a card button's payload repeats only the intent and the card).
        unlock = "unlock" in (ctx.request_entity("lock_card", slots.LOCK_WAY),
                              ctx.param(self.name(), slots.LOCK_WAY))
        usable = is_open
        if unlock and any(is_locked(c) for c in await ctx.client.cards(ctx.token)):
            usable = is_locked  # the locked ones to choose from, if any
        card = await choose_card(ctx, "lock_card", usable)
        if card is None:
            # The card was asked for (see choose_card); its answer comes back to this action.
            return [SlotSet(slots.LOCK_WAY, "unlock" if unlock else "lock")]
        if unlock:
            if card.status == "blocked":
                ctx.say("utter_card_blocked_not_lockable", card=card.last4)
            elif card.status != "frozen":
                ctx.say("utter_card_not_locked", card=card.last4)
            else:
                await ctx.client.unfreeze(ctx.token, card.card_id,
                                          key=ctx.key("unfreeze", card.card_id))
                ctx.did(f"Card ending {card.last4} unlocked")
                ctx.say("utter_unlock_card_done", card=card.last4)
            return end_flow()
        if card.status != "frozen":
            await ctx.client.freeze(ctx.token, card.card_id, key=ctx.key("freeze", card.card_id))
            ctx.did(f"Card ending {card.last4} locked for now")
        ctx.say("utter_lock_card_done", card=card.last4)
        return end_flow()


# How many deliveries one answer lists (newest first).
MAX_DELIVERIES_SHOWN = 3


def delivery_line(ctx: Context, delivery: models.CardDelivery) -> str:
    """One card on its way (or arrived) as a line: card, kind, where it stands and when (the
    status label places the date where its language puts it)."""
    when = day(delivery.delivered_on or delivery.estimated_delivery, ctx.language)
    status = ctx.text(f"utter_label_delivery_{delivery.status}").format(date=when)
    kind = ctx.text(f"utter_label_card_{delivery.kind}")
    return f"•••• {delivery.card.last4} · {kind} · {status}"


class ActionCardDelivery(BankAction):
    """Where the cardholder's new, replacement or renewed cards are, from the bank's courier
    data.  Reads only; a card the courier brought back goes to a person, who re-sends it."""

    action_name = "action_card_delivery"

    async def perform(self, ctx: Context) -> list[EventType]:
        deliveries = (await ctx.client.card_deliveries(ctx.token))[:MAX_DELIVERIES_SHOWN]
        if not deliveries:  # the answer's button offers a person to trace it
            ctx.say("utter_no_card_on_its_way")
            return end_flow()
        ctx.say("utter_card_deliveries",
                deliveries="\n".join(delivery_line(ctx, d) for d in deliveries))
        if any(d.status == "returned" for d in deliveries):
            ctx.say("utter_card_returned_to_bank")  # its button offers a person to re-send it
        elif any(d.status == "delivered" and d.card.status == "inactive" for d in deliveries):
            ctx.say("utter_card_delivered_activate")
        return end_flow()


class ActionChangePin(BankAction):
    """Starts the bank's secure PIN reset: a link by SMS; a PIN never travels through chat."""

    action_name = "action_change_pin"

    async def perform(self, ctx: Context) -> list[EventType]:
        card = await choose_card(ctx, "change_pin", is_open)
        if card is None:
            return []  # the card was asked for (see choose_card)
        reset = await ctx.client.start_pin_reset(ctx.token, card.card_id,
                                                 key=ctx.key("pin", card.card_id))
        ctx.say("utter_pin_link_sent", last4=card.last4, sent_to=reset.sent_to)
        return end_flow()


class ActionCardActivation(BankAction):
    """Activates a delivered card; with none waiting, explains how activation works."""

    action_name = "action_card_activation"

    async def perform(self, ctx: Context) -> list[EventType]:
        inactive = [c for c in await ctx.client.cards(ctx.token) if c.status == "inactive"]
        if not inactive:
            ctx.say("utter_no_card_to_activate")
            return end_flow()
        card = await choose_card(ctx, "card_activation", lambda c: c.status == "inactive")
        if card is None:
            return []  # the card was asked for (see choose_card)
        await ctx.client.activate(ctx.token, card.card_id, key=ctx.key("activate", card.card_id))
        ctx.say("utter_card_activated", last4=card.last4)
        return end_flow()
