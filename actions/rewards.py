"""Reward points: the balance, what they buy, and a confirmed redemption."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions import slots
from actions.flow import BankAction, Context, end_flow
from actions.formatting import number


class ActionRewardsPoints(BankAction):
    """Shows points and options; a chosen option is confirmed, then redeemed."""

    action_name = "action_rewards_points"

    async def perform(self, ctx: Context) -> list[EventType]:
        rewards = await ctx.client.rewards(ctx.token, ctx.language)
        wanted = ctx.param(self.name(), slots.OPTION_ID)
        option = next((o for o in rewards.options if o.option_id == wanted), None)
        if option is not None and option.points <= rewards.points:
            ctx.say("utter_confirm_redemption", option=option.description,
                    points=number(option.points, ctx.language),
                    left=number(rewards.points - option.points, ctx.language))
            return ctx.wait(self.name(), "confirm", option_id=option.option_id)
        affordable = [o for o in rewards.options if o.points <= rewards.points]
        ctx.say("utter_rewards_balance", points=number(rewards.points, ctx.language),
                buttons=[{"title": f"{o.description} · {number(o.points, ctx.language)}",
                          "payload": f'/rewards_points{{"option_id":"{o.option_id}"}}'}
                         for o in affordable])
        return ctx.wait(self.name(), "option") if affordable else end_flow()

    async def commit(self, ctx: Context) -> list[EventType]:
        option_id = ctx.tracker.get_slot(slots.OPTION_ID)
        done = await ctx.client.redeem(ctx.token, option_id, key=ctx.key("redeem", option_id))
        ctx.say("utter_redeemed", reference=done.reference,
                points=number(done.points_used, ctx.language),
                left=number(done.points_left, ctx.language))
        return end_flow()
