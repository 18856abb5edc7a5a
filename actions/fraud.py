"""Reporting fraud: block the card, mark the unknown transactions, open a case, flag for a human."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rasa_sdk.events import EventType

from actions import slots
from actions.account import transaction_line
from actions.flow import BankAction, Context, card_on_account, choose_card, end_flow
from actions.handoff import escalate
from cardcare.escalation import Reason

# Transactions offered for marking: the recent ones a thief would have made.
RECENT_DAYS = 45
MAX_BUTTONS = 8


class ActionReportFraud(BankAction):
    """Steps: ``select`` (transactions to mark, then "done"), ``confirm``."""

    action_name = "action_report_fraud"

    async def perform(self, ctx: Context) -> list[EventType]:
        if ctx.tracker.get_slot(slots.AWAITING) == self.name() and ctx.step == "select":
            chosen = list(ctx.tracker.get_slot(slots.FRAUD_TRANSACTIONS) or [])
            picked = ctx.entity(slots.TRANSACTION_ID)
            if picked and picked not in chosen:
                chosen.append(picked)
            return await self._select(ctx, ctx.tracker.get_slot(slots.CARD_ID), chosen)
        card = await choose_card(ctx, "report_fraud", lambda c: c.status != "inactive")
        if card is None:
            return []  # the card was asked for (see choose_card)
        return await self.start(ctx, card.card_id)

    async def start(self, ctx: Context, card_id: str) -> list[EventType]:
        """Begins at the transaction choice for a known card (also used after a lost card)."""
        ctx.say("utter_fraud_reassure")
        return await self._select(ctx, card_id, [])

    async def _select(self, ctx: Context, card_id: str, chosen: list[str]) -> list[EventType]:
        recent = await ctx.client.transactions(
            ctx.token, card_id, start=date.today() - timedelta(days=RECENT_DAYS), limit=50)
        offered = [t for t in recent if not t.fraud and not t.disputed
                   and t.transaction_id not in chosen][:MAX_BUTTONS]
        buttons: list[dict[str, Any]] = [
            {"title": transaction_line(t, ctx.language),
             "payload": f'/report_fraud{{"transaction_id":"{t.transaction_id}"}}'}
            for t in offered]
        buttons.append({"title": ctx.text("utter_label_done"),
                        "payload": "/affirm"})
        ctx.say("utter_choose_fraud_transactions" if not chosen
                else "utter_choose_more_fraud_transactions", count=len(chosen), buttons=buttons)
        return ctx.wait(self.name(), "select", card_id=card_id, fraud_transactions=chosen)

    async def answer(self, ctx: Context, yes: bool) -> list[EventType]:
        if ctx.step == "select" and yes:
            return await self._confirm(ctx)
        return await super().answer(ctx, yes)

    async def _confirm(self, ctx: Context) -> list[EventType]:
        chosen = list(ctx.tracker.get_slot(slots.FRAUD_TRANSACTIONS) or [])
        card_id = ctx.tracker.get_slot(slots.CARD_ID)
        card = await card_on_account(ctx, card_id)
        if card is None:
            return end_flow()  # said so (see card_on_account)
        transactions = [t for t in await ctx.client.transactions(ctx.token, card_id, limit=100)
                        if t.transaction_id in chosen]
        lines = "\n".join(transaction_line(t, ctx.language) for t in transactions) or "—"
        ctx.say("utter_confirm_fraud_report", last4=card.last4, count=len(transactions),
                lines=lines)
        return ctx.wait(self.name(), "confirm")

    async def commit(self, ctx: Context) -> list[EventType]:
        card_id = ctx.tracker.get_slot(slots.CARD_ID)
        chosen = list(ctx.tracker.get_slot(slots.FRAUD_TRANSACTIONS) or [])
        case = await ctx.client.report_fraud(ctx.token, card_id, chosen,
                                             key=ctx.key("fraud", card_id, *chosen))
        ctx.say("utter_fraud_case_opened", reference=case.case_reference, last4=case.card.last4,
                count=len(case.marked_transactions))
        ctx.did(f"Card ending {case.card.last4} blocked; fraud case {case.case_reference} "
                f"opened, {len(case.marked_transactions)} transaction(s) marked")
        # The card is blocked and the case open: now a fraud specialist, with priority.
        return escalate(ctx.dispatcher, ctx.tracker, Reason.REPORT_FRAUD, ctx.events) + end_flow()

    async def resume(self, ctx: Context) -> list[EventType]:
        if ctx.step == "confirm":
            return await self._confirm(ctx)
        return await self._select(ctx, ctx.tracker.get_slot(slots.CARD_ID),
                                  list(ctx.tracker.get_slot(slots.FRAUD_TRANSACTIONS) or []))
