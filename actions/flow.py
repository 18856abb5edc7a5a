"""What every banking action shares: the verified session, the bank client, failures, card choice.

A banking action subclasses ``BankAction`` and implements ``perform``.  ``run`` makes sure the
chat is verified first (starting verification and remembering the request otherwise), and turns
bank failures into an apology with a way to a human.  Any other failure (a bug, a session store
that is down) is logged and apologised for the same way, so that no exception ever escapes to
the action server, which would echo the whole tracker in its error reply.
"""

from __future__ import annotations

import re
import traceback
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.bank import (
    BankClient,
    BankRefused,
    BankUnavailable,
    SessionExpired,
    default_client,
    idempotency_key,
    models,
)
from actions.formatting import BRAND_ALIASES, card_title, money
from actions.i18n import response_text
from actions.sessions import SessionStore, default_store
from cardcare.conversation import (
    CHANNELS,
    DEFAULT_LANGUAGE,
    VERIFY_FORM,
    SubjectError,
    is_user_id,
    parse_subject,
    subject,
)
from cardcare.escalation import MAX_FACTS, Reason

log = structlog.get_logger(__name__)

# Actions that a verification can resume, by name; filled by BankAction subclasses.
REGISTRY: dict[str, type[BankAction]] = {}


class UnusableAmount(ValueError):
    """An amount the user gave that no bank operation takes: not a number, not finite,
    not positive, or beyond the contract's 13 digits and 2 decimals."""


# The bank contract's Amount: up to 13 digits, and cents.
MAX_AMOUNT = Decimal("9999999999999.99")
CENT = Decimal("0.01")
# The contract's longest merchant filter (``merchant`` query's maxLength).
MAX_MERCHANT_CHARS = 64


def months_of(value: Any) -> int | None:
    """``value`` (an entity, a payload) as a number of months, None when it is none: "12" and
    12 are, "²", "NaN" and "1e3" are not (``str.isdigit`` takes "²", which ``int`` refuses)."""
    text = str(value).strip() if value is not None else ""
    return int(text) if re.fullmatch(r"[0-9]{1,3}", text) else None


def amount_of(value: Any) -> Decimal:
    """``value`` (an entity, a button's payload) as an amount the bank contract accepts.

    Entities come from NLU, but payloads (``/credit_limit{"amount":"NaN"}``) come from the
    user; "NaN", "1e30" and 30-digit numbers must become a clear answer, not a crash.

    Raises:
        UnusableAmount: ``value`` is not such an amount.
    """
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise UnusableAmount(str(value)[:40]) from error
    if not amount.is_finite() or not Decimal("0") < amount <= MAX_AMOUNT \
            or amount != amount.quantize(CENT):  # fractions of a cent: a typo, never rounded
        raise UnusableAmount(str(value)[:40])
    # Plain digits ("1E+3" is 1000), cents at most (the contract's two decimals).
    return amount.quantize(Decimal(1) if amount == amount.to_integral() else CENT)


_LAST4 = re.compile(r"[0-9]{4}")
_OTHER_CHANNEL = re.compile(r"[a-z]{1,32}")


def subject_of(tracker: Tracker) -> str:
    """The chat identity the bank links, ``<channel>:<user id>`` (``cardcare.conversation``).

    Rasa's channels confine their senders (``cardcare.gateway_input``): the gateway's sender
    already is the subject of its channel (``telegram:42`` on channel ``telegram``), the REST
    channel's is filed under ``rest:``.  A bare user id (``rasa shell``) is joined to its
    channel.  Nothing is guessed or hashed: a sender that names no chat is refused, so two
    chats can never share a subject.

    Raises:
        SubjectError: the channel or the sender cannot name a chat.
    """
    channel = tracker.get_latest_input_channel() or "rest"
    sender = tracker.sender_id
    with suppress(SubjectError):
        if parse_subject(sender)[0] == channel:
            return sender
    if channel in CHANNELS:
        return subject(channel, sender)
    # A Rasa channel no adapter of ours uses (``cmdline`` of ``rasa shell``): its own namespace.
    if _OTHER_CHANNEL.fullmatch(channel) and is_user_id(sender):
        return f"{channel}:{sender}"
    raise SubjectError(f"no chat is named by channel {channel!r} and this sender")


@dataclass
class Context:
    """One action run: who, in which language, with which collaborators."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    domain: DomainDict
    client: BankClient
    sessions: SessionStore
    token: str = ""
    # Events a helper decided on; `BankAction.guarded` returns them with the step's own.
    events: list[EventType] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return subject_of(self.tracker)

    @property
    def language(self) -> str:
        return self.tracker.get_slot(slots.LANGUAGE) or DEFAULT_LANGUAGE

    def key(self, *parts: object) -> str:
        """Idempotency key of one intended write: the same message retried gives the same key."""
        message_id = (self.tracker.latest_message or {}).get("message_id") or ""
        return idempotency_key(self.subject, message_id, *parts)

    def say(self, response: str, **kwargs: Any) -> None:
        """Sends a domain response (localised by the ``language`` slot)."""
        self.dispatcher.utter_message(response=response, **kwargs)

    def text(self, response: str) -> str:
        """The text of a domain response in the user's language (a button title, a label)."""
        return response_text(self.domain, response, self.language)

    def money(self, amount: Decimal, currency: str) -> str:
        """``amount`` in ``currency``, written the way the user's language writes money."""
        return money(amount, currency, self.language)

    def entity(self, name: str) -> str | None:
        """The value of an entity in the latest message (not a stale slot)."""
        for entity in (self.tracker.latest_message or {}).get("entities") or []:
            if entity.get("entity") == name and entity.get("value") is not None:
                return str(entity["value"])
        return None

    def mentioned(self, name: str) -> str | None:
        """An entity of this message, else of an earlier message of the same request.

        Entity slots are cleared when a flow ends, so what remains was said for this request
        (before verification or a card choice came in between).
        """
        return self.entity(name) or self.tracker.get_slot(name)

    def mentioned_merchant(self) -> str | None:
        """The merchant ``mentioned`` for this request, None when none was or when it is longer
        than any merchant name (the contract's limit): NLU may take a whole long message for
        one, and the bank would refuse it."""
        merchant = self.mentioned(slots.MERCHANT)
        return merchant if merchant and len(str(merchant)) <= MAX_MERCHANT_CHARS else None

    def mentioned_amount(self) -> Decimal | None:
        """The amount ``mentioned`` for this request, None when none was.

        Raises:
            UnusableAmount: one was, but it is no amount a bank takes (see ``amount_of``).
        """
        value = self.mentioned(slots.AMOUNT)
        return amount_of(value) if value else None

    def _request_event(self, intent: str) -> dict[str, Any]:
        """The latest user message classified as ``intent``, even if verification came in
        between (empty if there is none)."""
        return next((e for e in reversed(self.tracker.events) if e.get("event") == "user"
                     and (e.get("parse_data") or {}).get("intent", {}).get("name") == intent),
                    {})

    def request(self, intent: str) -> str:
        """The words of the request ("" if there is none)."""
        return self._request_event(intent).get("text") or ""

    def request_entity(self, intent: str, name: str) -> str | None:
        """An entity NLU found in the request (not in a later answer)."""
        entities = (self._request_event(intent).get("parse_data") or {}).get("entities") or []
        return next((str(e["value"]) for e in entities
                     if e.get("entity") == name and e.get("value") is not None), None)

    def said_about(self, names: list[str], intent: str) -> str | None:
        """The name (a merchant, say) that the request's own words contain, if exactly one.

        NLU does not know every merchant; the bank's list does.
        """
        request = self.request(intent).casefold()
        found = {n for n in names if n and n.casefold() in request}
        return found.pop() if len(found) == 1 else None

    def param(self, action: str, name: str) -> str | None:
        """A flow parameter: from this message, else remembered while ``action`` waits."""
        value = self.entity(name)
        if value is None and self.tracker.get_slot(slots.AWAITING) == action:
            value = self.tracker.get_slot(name)
        return value

    def did(self, fact: str) -> None:
        """Records what the bot did for the agent's summary, should a person take over
        ("card ending 4821 blocked"): in English, the desk's language, without secrets."""
        done = next((e["value"] for e in self.events
                     if e.get("event") == "slot" and e.get("name") == slots.BOT_DID), None)
        if done is None:
            done = list(self.tracker.get_slot(slots.BOT_DID) or [])
        self.events = [e for e in self.events if not (
            e.get("event") == "slot" and e.get("name") == slots.BOT_DID)]
        self.events.append(SlotSet(slots.BOT_DID, [*done, fact][-MAX_FACTS:]))

    def wait(self, action: str, step: str, **params: Any) -> list[EventType]:
        """Events that remember the flow waits at ``step`` with ``params`` collected so far."""
        return [SlotSet(slots.AWAITING, action), SlotSet(slots.AWAITING_STEP, step),
                *(SlotSet(name, value) for name, value in params.items())]

    @property
    def step(self) -> str | None:
        return self.tracker.get_slot(slots.AWAITING_STEP)


def clear(*names: str) -> list[EventType]:
    """Events that empty the named slots."""
    return [SlotSet(name, None) for name in names]


def end_flow() -> list[EventType]:
    """Events that close the active form, if any, and clear a flow's slots."""
    return [ActiveLoop(None), SlotSet(slots.REQUESTED_SLOT, None),
            SlotSet(slots.NEEDS_VERIFICATION, False), *clear(*slots.FLOW)]


def offer_human(ctx: Context, response: str, **kwargs: Any) -> list[EventType]:
    """Apologises with ``response`` and offers a human; ends whatever flow was running.

    The offer remembers why: a "yes" hands over as a bank failure (``actions.handoff``).
    """
    ctx.say(response, **kwargs)
    ctx.say("utter_offer_human_after_error")
    return [*end_flow(), SlotSet(slots.HANDOFF_REASON, Reason.BANK_DOWN.value)]


class Collaborators:
    """The bank client and session store an action uses: its own, or the process-wide ones.

    rasa-sdk builds actions without arguments; tests and the benchmark pass their own.
    """

    def __init__(self, client: BankClient | None = None,
                 sessions: SessionStore | None = None) -> None:
        self.client = client
        self.sessions = sessions

    def context(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                domain: DomainDict) -> Context:
        """Builds one run's context."""
        return Context(dispatcher, tracker, domain, self.client or default_client(),
                       self.sessions or default_store())


class BankAction(Collaborators, Action, ABC):
    """A banking action that needs a verified cardholder."""

    action_name: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.action_name:
            REGISTRY[cls.action_name] = cls

    def name(self) -> str:
        """The domain's action name."""
        return self.action_name

    async def flow_card(self, ctx: Context, intent: str,
                        usable: Callable[[models.Card], bool]) -> str | None:
        """The card this flow is about: remembered while it waits, else chosen (None: asked)."""
        if ctx.tracker.get_slot(slots.AWAITING) == self.name() and \
                ctx.tracker.get_slot(slots.CARD_ID):
            return str(ctx.tracker.get_slot(slots.CARD_ID))
        card = await choose_card(ctx, intent, usable)
        return card.card_id if card else None

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        """Verifies first if needed, then performs; failures become apologies (``guarded``)."""
        return await self.step_with(dispatcher, tracker, domain, self.perform)

    async def step_with(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict,
                        step: Callable[[Context], Awaitable[list[EventType]]]) -> list[EventType]:
        """Runs one ``step`` of this flow for a verified chat.

        An unverified or idle-expired chat is asked to verify first (its flow state cleared);
        afterwards this action is performed from the start.
        """
        ctx = self.context(dispatcher, tracker, domain)
        return await self.guarded(ctx, partial(self._verified, step=step))

    async def _verified(self, ctx: Context,
                        step: Callable[[Context], Awaitable[list[EventType]]]) -> list[EventType]:
        """``step`` once ``ctx`` holds the chat's bank session; else verification starts."""
        token = await ctx.sessions.get(ctx.subject)
        if token is None:
            if self.answers_without_account(ctx):
                return await step(ctx)  # ctx.token stays "": the step gives its general answer
            return await self.verify_first(ctx)
        ctx.token = token
        return await step(ctx)

    async def verify_first(self, ctx: Context) -> list[EventType]:
        """Asks the chat to verify, then this action runs again from the start."""
        if ctx.tracker.get_slot(slots.VERIFICATION) == "verified":
            # Verified once, idle since: nothing collected then may outlive the session.
            return await self._expired(ctx)
        return await begin_verification(ctx, self.name())

    async def guarded(self, ctx: Context,
                      step: Callable[[Context], Awaitable[list[EventType]]] | None = None
                      ) -> list[EventType]:
        """``step`` (default ``perform``) with every failure handled alike for every flow.

        Bank failures become their apology (see ``_bank_step``).  Anything else is a failure
        of ours: it is logged (the action, the exception type and where it was raised, never
        the message or the tracker) and the cardholder gets an apology and the offer of a
        person, with the flow ended.  Nothing is raised.
        """
        try:
            return await self._bank_step(ctx, step or self.perform)
        except Exception as error:
            frame = traceback.extract_tb(error.__traceback__)[-1]
            log.error("action.failed", action=self.name(), error=type(error).__name__,
                      where=f"{Path(frame.filename).name}:{frame.lineno}")
            return offer_human(ctx, "utter_action_failed")

    async def _bank_step(self, ctx: Context,
                         step: Callable[[Context], Awaitable[list[EventType]]]
                         ) -> list[EventType]:
        """``step`` with the bank's failures turned into what the cardholder hears.

        The events helpers decided on (``ctx.events``: the card question's wait) come first.
        """
        try:
            events = await step(ctx)
            return ctx.events + events
        except SessionExpired:
            await ctx.sessions.drop(ctx.subject)
            return await self._expired(ctx)
        except BankUnavailable as error:
            log.warning("action.bank_unavailable", action=self.name(), error=str(error))
            return offer_human(ctx, "utter_bank_unavailable")
        except BankRefused as error:
            log.warning("action.bank_refused", action=self.name(), code=error.code)
            return offer_human(ctx, "utter_bank_refused")
        except UnusableAmount:
            ctx.say("utter_amount_unusable")
            return end_flow()

    async def _expired(self, ctx: Context) -> list[EventType]:
        """The verified session ended: say so, forget the account data, verify again."""
        ctx.say("utter_session_expired")
        return clear(*slots.SENSITIVE) + await begin_verification(ctx, self.name())

    def answers_without_account(self, ctx: Context) -> bool:
        """Whether this flow's steps run for a chat not verified (or no longer), with no token.

        Verification comes only when the answer needs the account: a flow whose request has a
        general answer ("how do I pay my bill") gives it and offers the personal one, and calls
        ``verify_first`` when the cardholder wants that.
        """
        return False

    @abstractmethod
    async def perform(self, ctx: Context) -> list[EventType]:
        """Does the action for a verified cardholder (``ctx.token`` is set)."""

    async def reply(self, ctx: Context, yes: bool) -> list[EventType]:
        """Yes or no while this flow waits: at the card question (``choose_card``), no cancels
        and yes chooses nothing so it is asked again; at a flow's own steps, ``answer``."""
        if ctx.step == "card":
            return await self.perform(ctx) if yes else await BankAction.answer(self, ctx, False)
        return await self.answer(ctx, yes)

    async def ask_again(self, ctx: Context) -> list[EventType]:
        """The waiting question again, after a digression was answered."""
        return await (self.perform if ctx.step == "card" else self.resume)(ctx)

    async def answer(self, ctx: Context, yes: bool) -> list[EventType]:
        """The cardholder said yes or no at this flow's ``ctx.step``.

        By default yes confirms at the ``confirm`` step and only repeats the question at a
        choice step (a "yes" chooses nothing); no cancels.
        """
        if not yes:
            ctx.say("utter_flow_cancelled")
            return end_flow()
        if ctx.step == "confirm":
            return await self.commit(ctx)
        return await self.resume(ctx)

    async def commit(self, ctx: Context) -> list[EventType]:
        """Does the confirmed write; flows with a confirmation step override this."""
        ctx.say("utter_flow_cancelled")
        return end_flow()

    async def resume(self, ctx: Context) -> list[EventType]:
        """Asks the waiting question again after a digression (re-runs the step by default)."""
        return await self.perform(ctx)


async def begin_verification(ctx: Context, pending: str | None) -> list[EventType]:
    """Asks the cardholder to verify, remembering ``pending`` to resume afterwards.

    A chat already linked to a cardholder gets a code straight away; an unlinked one is asked
    for its phone number or card last 4 and date of birth first.
    """
    events: list[EventType] = [SlotSet(slots.NEEDS_VERIFICATION, True),
                               SlotSet(slots.PENDING_ACTION, pending),
                               SlotSet(slots.VERIFICATION, None), SlotSet(slots.OTP_CODE, None),
                               SlotSet(slots.IDENTITY_DETAILS, None)]
    try:
        challenge = await ctx.client.start_challenge(ctx.subject, key=ctx.key("reverify"))
    except BankRefused as error:
        if error.code == "otp_locked":
            return offer_human(ctx, "utter_verification_locked",
                               minutes=max(1, (error.retry_after_s or 60) // 60))
        ctx.say("utter_verification_needed")
    except BankUnavailable:
        return offer_human(ctx, "utter_bank_unavailable")
    else:
        ctx.say("utter_verification_needed")
        events += [SlotSet(slots.CHALLENGE_ID, challenge.challenge_id),
                   SlotSet(slots.IDENTITY_DETAILS, "linked")]  # see actions.identity.LINKED
    # The rules start verify_form after a banking action that set needs_verification; the
    # follow-up does the same where no rule applies (a request resumed after verification).
    return [*events, FollowupAction(VERIFY_FORM)]


async def choose_card(ctx: Context, intent: str,
                      usable: Callable[[models.Card], bool]) -> models.Card | None:
    """The card the cardholder means, or None after asking them with one button per card.

    The card comes from "ending 4821" in the message (or a button press), else it is the only
    usable one.  Buttons repeat ``intent`` with the card, so ``action_<intent>`` (its rule)
    resumes; meanwhile that action waits at step ``card`` (``ctx.events``), so a question asked
    in between is answered and the card question asked again, and "no" cancels.
    """
    every = await ctx.client.cards(ctx.token)
    cards = [c for c in every if usable(c)]
    wanted = ctx.entity(slots.CARD_LAST4) or ctx.tracker.get_slot(slots.CARD_LAST4)
    if wanted is not None and not _LAST4.fullmatch(str(wanted)):
        wanted = None  # a typed /intent{...} value no extractor writes: never echoed back
    if wanted:
        match = [c for c in cards if c.last4 == wanted]
        if match:
            return match[0]
        ctx.say("utter_card_not_found", last4=wanted)
    elif len(cards) == 1:
        return cards[0]
    else:
        answering = ctx.tracker.get_slot(slots.AWAITING) == f"action_{intent}" \
            and ctx.step == "card"
        named = named_card((ctx.tracker.latest_message or {}).get("text") or "", cards,
                           answering=answering)
        if named:
            return named
    if not cards:
        # Typically right after a lost card: only the replacement is left, not yet activated.
        waiting = [c for c in every if c.status == "inactive"]
        if waiting:
            ctx.say("utter_activate_card_first", last4=waiting[0].last4)
        else:
            ctx.say("utter_no_usable_card")
        ctx.events += end_flow()
        return None
    ctx.events += ctx.wait(f"action_{intent}", "card")
    ctx.say("utter_choose_card", buttons=[
        {"title": card_title(c.brand, c.product, c.last4),
         "payload": f'/{intent}{{"card_last4":"{c.last4}"}}'} for c in cards])
    return None


def named_card(text: str, cards: list[models.Card], *, answering: bool) -> models.Card | None:
    """The one card the words name ("the visa one", "visa那张", "thẻ mastercard"), else None.

    The network names a card in any request ("I lost my visa"); product words ("cashback",
    "platinum") only in the answer to "which card?", since a question about cashback or
    rewards in general names no card.  The card named by the most words wins ("the classic
    visa"); two named alike ("the visa one" with two Visas) are never guessed between.
    """
    said = text.casefold()

    def says(word: str) -> bool:
        """The word, whole ("supervisa" does not say "visa"; "visa那张" does)."""
        return bool(word) and re.search(
            rf"(?<![a-z]){re.escape(word.casefold())}(?![a-z])", said) is not None

    def score(card: models.Card) -> int:
        """How many of the card's names the words hold (a network counts once)."""
        network = [card.brand, *BRAND_ALIASES.get(card.brand.casefold(), ())]
        product = [w for w in re.split(r"\W+", card.product) if len(w) > 2] if answering else []
        return any(map(says, network)) + sum(map(says, product))

    scores = [(score(c), c) for c in cards]
    best = max((s for s, _ in scores), default=0)
    named = [c for s, c in scores if s == best]
    return named[0] if best and len(named) == 1 else None


def is_open(card: models.Card) -> bool:
    """A card that can still be used or looked at (not permanently blocked)."""
    return card.status in ("active", "frozen")


async def card_on_account(ctx: Context, card_id: str | None) -> models.Card | None:
    """The card ``card_id`` as the bank lists it now; None after telling the cardholder.

    A waiting flow remembers only the card's id, and by its next step the card may be gone
    from the account (replaced or closed meanwhile, or an id no card of theirs has).  The
    caller then ends its flow, changing nothing.
    """
    card = next((c for c in await ctx.client.cards(ctx.token) if c.card_id == card_id), None)
    if card is None:
        ctx.say("utter_no_usable_card")
    return card
