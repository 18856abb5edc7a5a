"""End-to-end banking flows: the user talks to Rasa over REST, the real action server calls the
sandbox bank over HTTP, and the test checks what the user saw, what the bank now shows, and
what the tracker store kept (no code, phone number or birth date)."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from actions.i18n import response_text
from cardcare.conversation import subject
from cardcare.dev.chat import send
from tests.stored import strings

pytestmark = pytest.mark.model


@dataclass(frozen=True)
class Cardholder:
    customer_id: str
    language: str
    identity: str  # what they type to identify themselves
    secrets: tuple[str, ...]  # what must never be stored (digits of phone / birth date)
    lost: str  # "I lost my card" in their words
    card: str  # last 4 of the card they lose
    yes: str
    no: str


CARDHOLDERS = [
    Cardholder("cus_emma", "en", "my number is +1 415 555 0101", ("4155550101",),
               "I lost my credit card", "4821", "yes please", "no"),
    Cardholder("cus_wang", "zh-Hans", "卡号后四位3306，生日1990-08-23", ("1990-08-23", "19900823"),
               "我的信用卡丢了", "3306", "好的", "没有"),
    Cardholder("cus_chen", "zh-Hant", "手機 0932 555 868", ("932555868",),
               "我的信用卡不見了", "5512", "好的", "沒有"),
    Cardholder("cus_wong", "zh-Hant", "9087 30/06/1979", ("30/06/1979",),
               "我張信用卡唔見咗", "9087", "係", "冇"),
    Cardholder("cus_lan", "vi", "so dt cua minh 0912345678", ("0912345678", "912345678"),
               "mình làm mất thẻ tín dụng rồi", "2468", "có", "không"),
]


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def post_json(url: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


class User:
    """One chat user talking to the running stack, whose sandbox bank starts from its seed."""

    def __init__(self, stack: Any, domain: dict[str, Any], language: str) -> None:
        self.stack, self.domain, self.language = stack, domain, language
        post_json(f"{stack.config.bank_base_url}/sandbox/reset", {})
        self.sender = f"e2e-bank-{uuid.uuid4().hex[:10]}"
        self.last: list[dict[str, Any]] = []

    def says(self, text: str) -> list[str]:
        self.last = send(self.stack.config.rasa_url, self.sender, text)
        return [m["text"] for m in self.last if m.get("text")]

    def heard(self, response: str) -> bool:
        """Whether the bot's last answer contains ``response`` in the user's language."""
        # The template with each placeholder matching whatever data filled it.
        template = response_text(self.domain, response, self.language)
        pattern = "(.+?)".join(re.escape(part) for part in re.split(r"\{[^}]*\}", template))
        return any(re.fullmatch(pattern, m.get("text") or "", re.S) for m in self.last)

    def taps(self, fragment: str) -> list[str]:
        """Taps the button whose payload contains ``fragment``."""
        payloads = [b["payload"] for m in self.last for b in m.get("buttons") or []]
        [payload] = [p for p in payloads if fragment in p]
        return self.says(payload)

    def code(self) -> str:
        bank = self.stack.config.bank_base_url
        outbox = get_json(f"{bank}/sandbox/outbox?subject={subject('rest', self.sender)}")
        messages = outbox["messages"]
        return re.search(r"\b(\d{6})\b", messages[0]["body"]).group(1)

    def verify(self, identity: str) -> str:
        assert self.heard("utter_ask_identity_details"), self.last
        self.says(identity)
        assert self.heard("utter_ask_otp_code"), self.last
        code = self.code()
        self.says(code)
        return code


@pytest.mark.parametrize("holder", CARDHOLDERS, ids=lambda h: f"{h.language}-{h.customer_id}")
def test_lost_card_blocked_and_replaced_in_each_language(stack, domain, redis_client, holder):
    user = User(stack, domain, holder.language)
    user.says(holder.lost)
    assert user.heard("utter_verification_needed"), user.last
    code = user.verify(holder.identity)
    assert user.heard("utter_verified"), user.last
    if not user.heard("utter_card_blocked"):  # several cards: the user picks one
        assert user.heard("utter_choose_card"), user.last
        user.taps(holder.card)
    assert user.heard("utter_card_blocked") and user.heard("utter_confirm_replacement_address")
    user.says(holder.yes)
    assert user.heard("utter_replacement_ordered") and user.heard("utter_ask_unknown_transactions")
    user.says(holder.no)
    assert user.heard("utter_lost_card_done"), user.last

    state = get_json(f"{stack.config.bank_base_url}/sandbox/customers/{holder.customer_id}")
    lost = next(c for c in state["cards"] if c["last4"] == holder.card)
    assert (lost["status"], lost["block_reason"]) == ("blocked", "lost")
    assert len([o for o in state["replacement_orders"] if o["card_id"] == lost["card_id"]]) == 1
    others = [c for c in state["cards"]
              if c["card_id"] not in (lost["card_id"], lost["replaced_by"])]
    assert all(c["status"] != "blocked" for c in others)

    key = f"cardcare:tracker:{subject('rest', user.sender)}"  # REST senders are under rest:
    stored = strings(json.loads(redis_client.get(key)))
    assert not [s for s in stored if code in s]
    for secret in holder.secrets:
        assert not [s for s in stored if secret in s or secret in re.sub(r"[\s()+-]", "", s)]
    assert any("••••••" in s for s in stored)  # the answers are there, masked
    for log in stack.config.log_dir.glob("*.log"):  # Rasa, the action server, the bank
        text = log.read_text(encoding="utf-8", errors="replace")
        assert not re.search(rf"(?<!\d){code}(?!\d)", text), log
        assert not [s for s in holder.secrets if s in text], log


def test_installment_through_the_whole_stack(stack, domain):
    user = User(stack, domain, "en")
    user.says("I'd like to pay for my Best Buy purchase in installments")
    user.verify("+1 415 555 0101")
    if user.heard("utter_choose_card"):
        user.taps("4821")
    # "Best Buy" was said before verification and the card choice: the purchase is known.
    assert user.heard("utter_choose_tenor"), user.last
    user.taps('"months":"6"')
    assert user.heard("utter_confirm_installment"), user.last
    user.says("yes")
    assert user.heard("utter_installment_created"), user.last
    state = get_json(f"{stack.config.bank_base_url}/sandbox/customers/cus_emma")
    assert [(p["source"], p["tenor_months"]) for p in state["installment_plans"]] == [
        ("tx_emma_visa_12", 6)]


def test_bank_outage_gets_an_apology_and_a_person(stack, domain):
    user = User(stack, domain, "vi")
    user.says("xem số dư thẻ tín dụng giúp mình")
    user.verify("so dt cua minh 0912345678")
    bank = stack.config.bank_base_url
    post_json(f"{bank}/sandbox/faults", {"path": "/v1/cards", "count": 20, "status": 503})
    try:
        user.says("cho mình xem lại số dư thẻ")
        assert user.heard("utter_bank_unavailable") and user.heard("utter_offer_human_after_error")
        assert [b["payload"] for m in user.last for b in m.get("buttons") or []] == [
            "/human_agent", "/deny"]
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{bank}/sandbox/faults", method="DELETE"),
                               timeout=10).close()
