"""Automatic repayment from the cardholder's bank account: see it, turn it on, turn it off."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions import slots
from actions.flow import BankAction, Context, choose_card, end_flow

MODES = ("full", "minimum")


class ActionAutopay(BankAction):
    """Steps: ``mode`` (full, minimum or off), ``confirm``."""

    action_name = "action_autopay"

    async def perform(self, ctx: Context) -> list[EventType]:
        me = self.name()
        card = await choose_card(ctx, "autopay", lambda c: c.status in ("active", "frozen"))
        if card is None:
            return []  # the card was asked for (see choose_card)
        current = await ctx.client.autopay(ctx.token, card.card_id)
        accounts = (await ctx.client.profile(ctx.token)).funding_accounts
        mode = ctx.param(me, slots.AUTOPAY_MODE)
        if mode in (*MODES, "off") and (mode == "off") == current.enabled and accounts:
            account = current.funding_account or accounts[0]
            ctx.say("utter_confirm_autopay", last4=card.last4,
                    mode=ctx.text(f"utter_label_autopay_{mode}"),
                    account=f"{account.bank_name} {account.masked_number}")
            return ctx.wait(me, "confirm", card_id=card.card_id, card_last4=card.last4,
                            autopay_mode=mode)
        buttons = {m: {"title": ctx.text(f"utter_label_autopay_{m}"),
                       "payload": f'/autopay{{"autopay_mode":"{m}","card_last4":"{card.last4}"}}'}
                   for m in (*MODES, "off")}
        if current.enabled and current.funding_account:
            ctx.say("utter_autopay_on", last4=card.last4,
                    mode=ctx.text(f"utter_label_autopay_{current.mode or 'full'}"),
                    account=f"{current.funding_account.bank_name} "
                            f"{current.funding_account.masked_number}", buttons=[buttons["off"]])
        elif accounts:
            ctx.say("utter_autopay_off", last4=card.last4,
                    account=f"{accounts[0].bank_name} {accounts[0].masked_number}",
                    buttons=[buttons[m] for m in MODES])
        else:
            ctx.say("utter_autopay_no_account")
            return end_flow()
        return ctx.wait(me, "mode", card_last4=card.last4)

    async def commit(self, ctx: Context) -> list[EventType]:
        card_id = ctx.tracker.get_slot(slots.CARD_ID)
        mode = ctx.tracker.get_slot(slots.AUTOPAY_MODE)
        if mode == "off":
            await ctx.client.cancel_autopay(ctx.token, card_id, key=ctx.key("autopay-off", card_id))
            ctx.say("utter_autopay_cancelled")
        else:
            accounts = (await ctx.client.profile(ctx.token)).funding_accounts
            await ctx.client.set_autopay(ctx.token, card_id, accounts[0].funding_account_id, mode,
                                         key=ctx.key("autopay", card_id, mode))
            ctx.say("utter_autopay_set", mode=ctx.text(f"utter_label_autopay_{mode}"))
        return end_flow()
