"""Disputing a known merchant's charge (the transaction, the reason, confirm, get a reference),
and where disputes already opened stand."""

from __future__ import annotations

import re
from datetime import date, timedelta

from rasa_sdk.events import EventType

from actions import slots
from actions.account import transaction_line
from actions.bank import models
from actions.flow import BankAction, Context, card_on_account, end_flow
from actions.formatting import day
from actions.periods import date_range

REASONS = ("duplicate", "wrong_amount", "refund_not_received", "cancelled_subscription",
           "not_received", "fee_reversal", "other")
# Charges older than this are past most card schemes' dispute window for a chat request.
DISPUTE_DAYS = 120
MAX_BUTTONS = 8
# The bank's dispute references ("DSP-123456"), as people type them: "dsp 123456", "DSP123456".
_REFERENCE = re.compile(r"\bDSP[-\s]?([0-9]{6})\b", re.IGNORECASE)
MAX_CASES_SHOWN = 5


def case_line(ctx: Context, case: models.Dispute) -> str:
    """One dispute as a line: reference, merchant, amount, where it stands."""
    return (f"{case.reference} · {case.merchant} · {ctx.money(case.amount, case.currency)} · "
            + ctx.text(f"utter_label_status_{case.status}"))


class ActionDisputeStatus(BankAction):
    """Where the cardholder's disputes stand: the one named by reference or merchant, else
    the latest few.  Reads only; nothing changes."""

    action_name = "action_dispute_status"

    async def perform(self, ctx: Context) -> list[EventType]:
        cases = await ctx.client.disputes(ctx.token)
        if not cases:
            ctx.say("utter_no_disputes")
            return end_flow()
        text = ctx.request("dispute_status")
        reference = _REFERENCE.search(text)
        if reference:
            wanted = f"DSP-{reference.group(1)}"
            cases = [d for d in cases if d.reference == wanted]
            if not cases:
                ctx.say("utter_dispute_not_found", reference=wanted)
                return end_flow()
        else:
            merchant = ctx.mentioned(slots.MERCHANT) or ctx.said_about(
                [d.merchant for d in cases], "dispute_status")
            named = [d for d in cases
                     if merchant and merchant.casefold() in d.merchant.casefold()]
            cases = named or cases
        ctx.say("utter_your_disputes", cases="\n".join(
            case_line(ctx, d) for d in cases[:MAX_CASES_SHOWN]))
        return end_flow()


class ActionDisputeCharge(BankAction):
    """Steps: ``transaction``, ``reason``, ``confirm``; shows open cases on the way."""

    action_name = "action_dispute_charge"

    async def perform(self, ctx: Context) -> list[EventType]:
        me = self.name()
        starting = ctx.tracker.get_slot(slots.AWAITING) != me or ctx.step == "card"
        card_id = await self.flow_card(ctx, "dispute_charge", lambda c: c.status != "inactive")
        if card_id is None:
            return []  # the card was asked for (see choose_card)
        if starting:
            cases = await self._show_open_cases(ctx)
            merchant = (ctx.mentioned(slots.MERCHANT) or ctx.said_about(
                [d.merchant for d in cases], "dispute_charge") or "").casefold()
            already = [d for d in cases if merchant and merchant in d.merchant.casefold()]
            if already:  # "Netflix charged me twice" when that is already being looked at
                ctx.say("utter_dispute_already_open", reference=already[0].reference,
                        merchant=already[0].merchant)
                return end_flow()
        tx_id = ctx.param(me, slots.TRANSACTION_ID)
        if tx_id is None:
            candidates = await self._candidates(ctx, card_id)
            named = ctx.said_about([t.merchant for t in candidates], "dispute_charge")
            if named and not ctx.mentioned(slots.MERCHANT):
                candidates = [t for t in candidates if t.merchant == named]
            if len(candidates) == 1 and (ctx.mentioned(slots.MERCHANT) or named or
                                         ctx.mentioned(slots.AMOUNT)):
                tx_id = candidates[0].transaction_id
            else:
                return self._ask_transaction(ctx, card_id, candidates)
        reason = ctx.param(me, slots.DISPUTE_REASON)
        if reason not in REASONS:
            ctx.say("utter_choose_dispute_reason", buttons=[
                {"title": ctx.text(f"utter_label_reason_{r}"),
                 "payload": f'/dispute_charge{{"dispute_reason":"{r}"}}'} for r in REASONS])
            return ctx.wait(me, "reason", card_id=card_id, transaction_id=tx_id)
        return await self._confirm(ctx, card_id, tx_id, reason)

    async def _show_open_cases(self, ctx: Context) -> list[models.Dispute]:
        """Lists the cardholder's open cases (the answer to "what about my dispute?")."""
        cases = [d for d in await ctx.client.disputes(ctx.token)
                 if d.status in ("open", "investigating")]
        if cases:
            ctx.say("utter_open_disputes", cases="\n".join(case_line(ctx, d) for d in cases))
        return cases

    async def _candidates(self, ctx: Context, card_id: str) -> list[models.Transaction]:
        start, end = date_range(ctx.mentioned(slots.PERIOD), date.today())
        found = await ctx.client.transactions(
            ctx.token, card_id, start=start or date.today() - timedelta(days=DISPUTE_DAYS),
            end=end, merchant=ctx.mentioned_merchant(), amount=ctx.mentioned_amount(),
            limit=50)
        return [t for t in found if not t.disputed and not t.fraud]

    def _ask_transaction(self, ctx: Context, card_id: str,
                         candidates: list[models.Transaction]) -> list[EventType]:
        if not candidates:
            ctx.say("utter_no_matching_transaction")
            return end_flow()
        ctx.say("utter_choose_dispute_transaction", buttons=[
            {"title": transaction_line(t, ctx.language),
             "payload": f'/dispute_charge{{"transaction_id":"{t.transaction_id}"}}'}
            for t in candidates[:MAX_BUTTONS]])
        return ctx.wait(self.name(), "transaction", card_id=card_id)

    async def _confirm(self, ctx: Context, card_id: str, tx_id: str,
                       reason: str) -> list[EventType]:
        card = await card_on_account(ctx, card_id)
        if card is None:
            return end_flow()  # said so (see card_on_account)
        tx = next((t for t in await ctx.client.transactions(ctx.token, card_id, limit=100)
                   if t.transaction_id == tx_id), None)
        if tx is None:
            ctx.say("utter_no_matching_transaction")
            return end_flow()
        ctx.say("utter_confirm_dispute", merchant=tx.merchant,
                amount=ctx.money(tx.amount, tx.currency),
                date=day(tx.posted_on, ctx.language, tx.currency), last4=card.last4,
                reason=ctx.text(f"utter_label_reason_{reason}"))
        return ctx.wait(self.name(), "confirm", card_id=card_id, transaction_id=tx_id,
                        dispute_reason=reason)

    async def commit(self, ctx: Context) -> list[EventType]:
        card_id = ctx.tracker.get_slot(slots.CARD_ID)
        tx_id = ctx.tracker.get_slot(slots.TRANSACTION_ID)
        reason = ctx.tracker.get_slot(slots.DISPUTE_REASON)
        dispute = await ctx.client.create_dispute(ctx.token, card_id, tx_id, reason,
                                                  key=ctx.key("dispute", tx_id, reason))
        ctx.did(f"Dispute {dispute.reference} opened: {dispute.merchant}, "
                f"{dispute.amount} {dispute.currency}, reason {reason}")
        ctx.say("utter_dispute_opened", reference=dispute.reference, merchant=dispute.merchant,
                amount=ctx.money(dispute.amount, dispute.currency))
        return end_flow()

    async def resume(self, ctx: Context) -> list[EventType]:
        if ctx.step == "confirm":
            return await self._confirm(ctx, ctx.tracker.get_slot(slots.CARD_ID),
                                       ctx.tracker.get_slot(slots.TRANSACTION_ID),
                                       ctx.tracker.get_slot(slots.DISPUTE_REASON))
        return await self.perform(ctx)
