"""Verification: the cardholder proves who they are with a code the bank sends, then we resume.

``verify_form`` asks for identity details (skipped for an already linked chat), then the code.
Neither ever reaches a slot: the validator sends them to the bank and keeps only a marker, and
the masking tracker store hides them in the stored user messages.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import slots
from actions.bank import BankRefused, BankUnavailable
from actions.flow import REGISTRY, Collaborators, clear, end_flow, offer_human
from actions.identity_details import parse_code, parse_identity
from cardcare.conversation import DEFAULT_LANGUAGE, MASK

VERIFIED, LOCKED, UNAVAILABLE = "verified", "locked", "unavailable"
# identity_details of a chat the bank already links: it only needs the code.
LINKED = "linked"


class ValidateVerifyForm(Collaborators, FormValidationAction):
    """Extracts details and codes from the raw message and checks them with the bank at once."""

    def name(self) -> str:
        """Rasa calls ``validate_<form>``."""
        return "validate_verify_form"

    @staticmethod
    def _asked(tracker: Tracker, slot: str) -> bool:
        return tracker.get_slot(slots.REQUESTED_SLOT) == slot

    async def extract_identity_details(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> dict[str, Any]:
        """The message, when it holds a phone, or last 4 plus birth date (validated next)."""
        text = (tracker.latest_message or {}).get("text") or ""
        if not self._asked(tracker, slots.IDENTITY_DETAILS):
            return {}
        if parse_identity(text, tracker.get_slot(slots.LANGUAGE) or DEFAULT_LANGUAGE) is None:
            return {}  # not an answer: the form is rejected and the message handled otherwise
        return {slots.IDENTITY_DETAILS: text}

    async def extract_otp_code(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        """The 6-digit code typed alone (validated next)."""
        if not self._asked(tracker, slots.OTP_CODE):
            return {}
        code = parse_code((tracker.latest_message or {}).get("text") or "")
        return {slots.OTP_CODE: code} if code else {}

    # rasa-sdk returns only what validation outputs, so the raw details and code extracted
    # above never leave the action server: each validator sends them to the bank and returns
    # a marker in their place.

    async def validate_identity_details(self, slot_value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """Starts a challenge with the details; keeps only a marker."""
        if slot_value in (None, MASK, LINKED):
            return {slots.IDENTITY_DETAILS: MASK if slot_value else None}
        ctx = self.context(dispatcher, tracker, domain)
        details = parse_identity(str(slot_value), ctx.language)
        if details is None:
            return {slots.IDENTITY_DETAILS: None}
        try:
            challenge = await ctx.client.start_challenge(
                ctx.subject, key=ctx.key("challenge"), phone=details.phone,
                card_last4=details.card_last4, date_of_birth=details.date_of_birth)
        except BankRefused as error:
            if error.code in ("otp_locked", "otp_rate_limited"):
                # Too many wrong codes, or too many codes asked for: no more this time.
                ctx.say("utter_verification_locked" if error.code == "otp_locked"
                        else "utter_too_many_codes",
                        minutes=max(1, -(-(error.retry_after_s or 60) // 60)))
                return {slots.IDENTITY_DETAILS: MASK, slots.OTP_CODE: MASK,
                        slots.VERIFICATION: LOCKED}
            ctx.say("utter_identity_details_unreadable")
            return {slots.IDENTITY_DETAILS: None}
        except BankUnavailable:
            return {slots.IDENTITY_DETAILS: MASK, slots.OTP_CODE: MASK,
                    slots.VERIFICATION: UNAVAILABLE}
        return {slots.IDENTITY_DETAILS: MASK, slots.CHALLENGE_ID: challenge.challenge_id}

    async def validate_otp_code(self, slot_value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """Checks the code with the bank; keeps only a marker and the outcome."""
        if slot_value in (None, MASK):
            return {slots.OTP_CODE: slot_value}
        ctx = self.context(dispatcher, tracker, domain)
        challenge_id = tracker.get_slot(slots.CHALLENGE_ID) or ""
        try:
            session = await ctx.client.verify_challenge(challenge_id, str(slot_value),
                                                        key=ctx.key("verify"))
        except BankRefused as error:
            if error.code == "otp_invalid":
                ctx.say("utter_otp_wrong", attempts_left=error.attempts_left or 0)
                return {slots.OTP_CODE: None}
            if error.code == "otp_locked":
                ctx.say("utter_verification_locked",
                        minutes=max(1, (error.retry_after_s or 60) // 60))
                return {slots.OTP_CODE: MASK, slots.VERIFICATION: LOCKED}
            # Expired or unknown challenge: ask for the details, and so a fresh code, again.
            ctx.say("utter_otp_expired")
            return {slots.OTP_CODE: None, slots.IDENTITY_DETAILS: None}
        except BankUnavailable:
            return {slots.OTP_CODE: MASK, slots.VERIFICATION: UNAVAILABLE}
        await ctx.sessions.put(ctx.subject, session.session_token)
        ctx.say("utter_verified", first_name=session.first_name)
        return {slots.OTP_CODE: MASK, slots.VERIFICATION: VERIFIED}


class ActionVerificationDone(Collaborators, Action):
    """Runs when ``verify_form`` completes: resumes the request, or explains what went wrong."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_verification_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        """Resumes the pending banking action in this same turn."""
        ctx = self.context(dispatcher, tracker, domain)
        outcome = tracker.get_slot(slots.VERIFICATION)
        reset = [*clear(*slots.VERIFYING), SlotSet(slots.NEEDS_VERIFICATION, False)]
        if outcome == LOCKED:
            return reset + offer_human(ctx, "utter_verification_failed")
        token = await ctx.sessions.get(ctx.subject) if outcome == VERIFIED else None
        if token is None:
            return reset + offer_human(ctx, "utter_bank_unavailable")
        pending = REGISTRY.get(tracker.get_slot(slots.PENDING_ACTION) or "")
        if pending is None:
            ctx.say("utter_how_can_i_help_verified")
            return reset
        ctx.token = token
        action = pending(self.client, self.sessions)
        return reset + await action.guarded(ctx)


class ActionCancelFlow(Action):
    """The cardholder said no or "cancel" mid-flow: stop, change nothing, say so."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_cancel_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        """Deactivates the form and clears what it collected."""
        dispatcher.utter_message(response="utter_flow_cancelled")
        return end_flow() + clear(*slots.VERIFYING)
