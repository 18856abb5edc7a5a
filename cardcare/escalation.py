"""An escalation to a person, as the action server hands it to the gateway: explicit data.

The bot decides *why* it hands over (``Reason``); this module decides, once for every process,
which skill serves that reason and with which priority.  The action server attaches an
``Escalation`` to Rasa's answer as a custom message under ``HANDOFF_KEY``; the gateway reads it
from there (never from the texts), validates it with ``Escalation.from_dict`` and queues the
chat (``cardcare.handoff``); the desk shows its summary and transcript to the agent.

Standard library only: the action server, the gateway and the desk all load it.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from cardcare.conversation import LANGUAGES
from cardcare.masking import mask_text

# The key of Rasa's custom message that carries an escalation.
HANDOFF_KEY: Final = "handoff"
# What an escalation may carry to the desk: enough for the agent, bounded for Redis.
MAX_TRANSCRIPT: Final = 80
MAX_TEXT_CHARS: Final = 2000
MAX_FACTS: Final = 30
MAX_INTENTS: Final = 20
# Entities worth an agent's eye (the rest are ids the desk cannot use).
AGENT_ENTITIES: Final = ("card_last4", "amount", "months", "merchant", "period", "limit_kind")
_PAYLOAD = re.compile(r"/(\w+)(\{.*\})?", re.DOTALL)


class Priority(enum.IntEnum):
    """Lower is served first."""

    URGENT = 0  # fraud, a lost or stolen card
    NORMAL = 1


class Skill(str, enum.Enum):
    """What an agent is trained for; a chat needs one."""

    CARDS = "cards"
    DISPUTES = "disputes"
    COLLECTIONS = "collections"
    GENERAL = "general"


class Reason(str, enum.Enum):
    """Why the bot handed the chat over."""

    HUMAN_AGENT = "human_agent"  # asked for a person (also after misunderstandings)
    COMPLAINT = "complaint"  # a complaint, once the user said what happened
    REPORT_FRAUD = "report_fraud"  # after the card was blocked and the case opened
    LOST_CARD = "lost_card"  # a lost or stolen card whose holder wants a person
    DISPUTE = "dispute"  # a charge the user disputes and wants to discuss
    REPAYMENT = "repayment"  # a repayment plan to negotiate (collections)
    BANK_DOWN = "bank_down"  # the bank failed and the user wants help


# Who serves each reason, and how soon.
ROUTES: Final[dict[Reason, tuple[Skill, Priority]]] = {
    Reason.HUMAN_AGENT: (Skill.GENERAL, Priority.NORMAL),
    Reason.COMPLAINT: (Skill.GENERAL, Priority.NORMAL),
    Reason.REPORT_FRAUD: (Skill.CARDS, Priority.URGENT),
    Reason.LOST_CARD: (Skill.CARDS, Priority.URGENT),
    Reason.DISPUTE: (Skill.DISPUTES, Priority.NORMAL),
    Reason.REPAYMENT: (Skill.COLLECTIONS, Priority.NORMAL),
    Reason.BANK_DOWN: (Skill.GENERAL, Priority.NORMAL),
}


class EscalationError(ValueError):
    """An escalation that is not well formed (a bug, or a forged custom message)."""


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far, masked: who said it, what, when (epoch s)."""

    who: str  # "user" or "bot"
    text: str
    time: float


@dataclass(frozen=True)
class Summary:
    """What the bot learned and did, so the agent never asks again for what is known.

    ``facts`` are short sentences the action server wrote ("card ending 4821 blocked");
    everything here is masked already.
    """

    language: str
    verified: bool = False
    intents: tuple[str, ...] = ()
    entities: dict[str, str] = field(default_factory=dict)
    facts: tuple[str, ...] = ()
    complaint: str | None = None


@dataclass(frozen=True)
class Escalation:
    """A request for a person: why, who serves it, and what the agent needs to know."""

    reason: Reason
    summary: Summary
    transcript: tuple[Turn, ...] = ()

    @property
    def skill(self) -> Skill:
        return ROUTES[self.reason][0]

    @property
    def priority(self) -> Priority:
        return ROUTES[self.reason][1]

    @property
    def language(self) -> str:
        return self.summary.language

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; skill and priority are included for readers, but derived on reading."""
        return {"reason": self.reason.value, "skill": self.skill.value,
                "priority": "urgent" if self.priority is Priority.URGENT else "normal",
                "summary": {**asdict(self.summary), "intents": list(self.summary.intents),
                            "facts": list(self.summary.facts)},
                "transcript": [asdict(t) for t in self.transcript]}

    @classmethod
    def from_dict(cls, data: Any) -> Escalation:
        """The inverse of ``to_dict``, checking every field.

        Raises:
            EscalationError: a field is missing, of the wrong type or out of range.
        """
        try:
            reason = Reason(data["reason"])
            raw = data["summary"]
            language = raw["language"]
            if language not in LANGUAGES:
                raise EscalationError(f"unknown language {language!r}")
            summary = Summary(
                language=language, verified=raw.get("verified") is True,
                intents=tuple(_text(i, 64) for i in raw.get("intents") or ())[:20],
                entities={_text(k, 64): _text(v, 200)
                          for k, v in list((raw.get("entities") or {}).items())[:20]},
                facts=tuple(_text(f, 300) for f in raw.get("facts") or ())[:MAX_FACTS],
                complaint=_text(raw["complaint"], MAX_TEXT_CHARS) if raw.get("complaint")
                else None)
            transcript = tuple(
                Turn(who="bot" if t["who"] == "bot" else "user",
                     text=_text(t["text"], MAX_TEXT_CHARS), time=float(t["time"]))
                for t in (data.get("transcript") or ())[-MAX_TRANSCRIPT:])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, EscalationError):
                raise
            raise EscalationError(f"not an escalation: {error}") from error
        return cls(reason, summary, transcript)


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise EscalationError("a text field holds no text")
    return str(value)[:limit]


def readable(text: str) -> str:
    """A tapped button's payload as an agent reads it: ``/lost_card{"card_last4":"4821"}`` →
    ``[button] lost_card (card_last4: 4821)``; typed text as it is."""
    payload = _PAYLOAD.fullmatch(text.strip())
    if payload is None:
        return text
    try:
        values = json.loads(payload.group(2)) if payload.group(2) else {}
    except ValueError:
        values = {}
    shown = ", ".join(f"{k}: {v}" for k, v in values.items()) if isinstance(values, dict) else ""
    return f"[button] {payload.group(1)}" + (f" ({shown})" if shown else "")


@dataclass(frozen=True)
class Digest:
    """What a session's messages tell an agent: the intents in the order first seen, the
    entities worth their eye (latest value), and the transcript, all masked and bounded.

    Built by the action server from the session's events when it hands over, and by the
    tracker store (``cardcare.tracker_store``) from the events it archives out of a long
    session, kept in a slot so that the handoff still sees them (``earlier``)."""

    intents: tuple[str, ...] = ()
    entities: dict[str, str] = field(default_factory=dict)
    transcript: tuple[Turn, ...] = ()

    @classmethod
    def of(cls, events: Iterable[Mapping[str, Any]], earlier: Any = None) -> Digest:
        """The digest of serialised tracker events (masked), after ``earlier``'s (a digest's
        ``to_dict``, or None)."""
        before = cls.from_dict(earlier)
        intents = list(before.intents)
        entities = dict(before.entities)
        turns = list(before.transcript)
        for event in events:
            kind = event.get("event")
            if kind in ("user", "bot") and event.get("text"):
                turns.append(Turn("user" if kind == "user" else "bot",
                                  mask_text(readable(str(event["text"])))[:MAX_TEXT_CHARS],
                                  float(event.get("timestamp") or 0)))
            if kind != "user":
                continue
            parse = event.get("parse_data") or {}
            intent = (parse.get("intent") or {}).get("name")
            if intent and intent not in intents:
                intents.append(intent)
            for entity in parse.get("entities") or []:
                if entity.get("entity") in AGENT_ENTITIES and entity.get("value") is not None:
                    entities[entity["entity"]] = mask_text(str(entity["value"]))[:200]
        return cls(tuple(intents[-MAX_INTENTS:]), entities, tuple(turns[-MAX_TRANSCRIPT:]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for a slot."""
        return {"intents": list(self.intents), "entities": dict(self.entities),
                "transcript": [asdict(t) for t in self.transcript]}

    @classmethod
    def from_dict(cls, data: Any) -> Digest:
        """The inverse of ``to_dict``; anything else is an empty digest (a slot never set)."""
        if not isinstance(data, Mapping):
            return cls()
        try:
            return cls(tuple(str(i) for i in data.get("intents") or ()),
                       {str(k): str(v) for k, v in (data.get("entities") or {}).items()},
                       tuple(Turn(str(t["who"]), str(t["text"]), float(t["time"]))
                             for t in data.get("transcript") or ()))
        except (KeyError, TypeError, ValueError, AttributeError):
            return cls()
