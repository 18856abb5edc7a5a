"""Every banking flow, step by step, against the sandbox: what is said and what the bank shows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from actions.account import (
    ActionCheckBalance,
    ActionListTransactions,
    ActionPaymentInfo,
    ActionStatementCopy,
)
from actions.autopay import ActionAutopay
from actions.bank import models
from actions.cards import (
    ActionCardActivation,
    ActionCardDelivery,
    ActionChangePin,
    ActionLockCard,
    ActionLostCard,
)
from actions.disputes import ActionDisputeCharge, ActionDisputeStatus
from actions.flow import named_card
from actions.fraud import ActionReportFraud
from actions.handoff import ActionHandoff
from actions.installments import ActionInstallment
from actions.limits import ActionCreditLimit
from actions.repayment import ActionRepaymentPlan
from actions.rewards import ActionRewardsPoints
from actions.router import ActionAffirm, ActionDeny, ActionInform, ActionResumeFlow
from cardcare.dev.driver import Chat
from cardcare.escalation import Digest, Escalation, Priority, Reason, Skill
from tests.sandbox import CUSTOMERS, Bank

LANGUAGE = {"cus_emma": "en", "cus_wang": "zh-Hans", "cus_chen": "zh-Hant", "cus_wong": "zh-Hant",
            "cus_lan": "vi", "cus_khoa": "vi"}


async def login(bank: Bank, chat: Chat, customer_id: str) -> Chat:
    """Verifies the chat as a demo cardholder (the sandbox's own OTP path)."""
    token = await bank.verify(chat.subject, phone="+" + CUSTOMERS[customer_id].phone)
    await chat.sessions.put(chat.subject, token)
    chat.slots["language"] = LANGUAGE[customer_id]
    return chat


def buttons(chat: Chat, response: str) -> list[dict[str, Any]]:
    return chat.last(response)["buttons"]


def card(state: dict[str, Any], card_id: str) -> dict[str, Any]:
    return next(c for c in state["cards"] if c["card_id"] == card_id)


@pytest.mark.parametrize("customer_id", sorted(LANGUAGE))
async def test_reads_in_each_market(bank: Bank, chat: Chat, customer_id: str) -> None:
    await login(bank, chat, customer_id)
    await chat.user("balance", "check_balance").run(ActionCheckBalance(chat.client, chat.sessions))
    balance = chat.last("utter_balance")
    assert balance["due_date"] and balance["available"]
    await chat.user("spending", "list_transactions", period="last_month").run(
        ActionListTransactions(chat.client, chat.sessions))
    await chat.user("when pay", "payment_info").run(ActionPaymentInfo(chat.client, chat.sessions))
    names = chat.said()
    assert "utter_payment_due" in names and "utter_payment_methods" in names
    assert not {"utter_bank_unavailable", "utter_bank_refused"} & set(names)


async def test_how_to_pay_is_answered_before_any_verification(bank: Bank, chat: Chat) -> None:
    pay = ActionPaymentInfo(chat.client, chat.sessions)
    await chat.user("how do I pay my bill", "payment_info").run(pay)
    assert chat.said() == ["utter_payment_ways", "utter_offer_payment_due"]
    assert not chat.slots["needs_verification"]
    await chat.user("what's the annual fee", "fees_interest").run(
        ActionResumeFlow(chat.client, chat.sessions))
    assert chat.said() == ["utter_offer_payment_due"]  # the offer stands after a digression
    await chat.user("no thanks", "deny").run(ActionDeny(chat.client, chat.sessions))
    assert chat.said() == ["utter_anything_else"]
    assert chat.slots["awaiting"] is None and not chat.slots["needs_verification"]

    await chat.user("how do I pay my bill", "payment_info").run(pay)
    chat.said()
    await chat.user("yes", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert "utter_verification_needed" in chat.said()
    assert chat.slots["needs_verification"] is True
    assert chat.slots["pending_action"] == "action_payment_info"
    await login(bank, chat, "cus_emma")  # verified: the pending request runs again
    await chat.user("123456", "inform").run(pay)
    assert chat.said()[:2] == ["utter_payment_due", "utter_last_payment"]
    assert chat.slots["awaiting"] is None


async def test_how_to_pay_while_verifying_for_another_request_replaces_it(bank: Bank,
                                                                           chat: Chat) -> None:
    chat.active_loop = "verify_form"
    await chat.user("how do I pay my bill", "payment_info").run(
        ActionPaymentInfo(chat.client, chat.sessions))
    assert "utter_verification_needed" in chat.said()
    assert chat.slots["pending_action"] == "action_payment_info"


async def test_transactions_follow_merchant_and_period(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_lan")
    await chat.user("giao dịch grab", "list_transactions", merchant="grab").run(
        ActionListTransactions(chat.client, chat.sessions))
    lines = chat.last("utter_transactions")["lines"].splitlines()
    assert lines and all("Grab" in line for line in lines)
    assert "₫" in lines[0]


async def test_a_whole_long_message_taken_for_a_merchant_lists_without_a_filter(bank: Bank,
                                                                                 chat: Chat):
    await login(bank, chat, "cus_lan")
    text = "x" * 1000
    await chat.user(text, "list_transactions", merchant=text).run(
        ActionListTransactions(chat.client, chat.sessions))
    assert chat.said() == ["utter_transactions"]  # not the bank's refusal of a 1000-char filter


@pytest.mark.parametrize("last4", ["4821" * 1000, "<b>", 4821.5, "48 21"])
async def test_a_card_ending_no_extractor_writes_is_asked_for_not_echoed(bank: Bank, chat: Chat,
                                                                         last4):
    await login(bank, chat, "cus_emma")
    await chat.user("/lost_card", "lost_card", card_last4=last4).run(
        ActionLostCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_card"]  # which card, as if none was named
    assert all(c["status"] == "active" for c in (await bank.state("cus_emma"))["cards"])


async def test_a_card_named_by_its_network_needs_no_question(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await chat.user("I lost my visa", "lost_card").run(ActionLostCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_card_blocked", "utter_confirm_replacement_address"]
    state = await bank.state("cus_emma")
    assert card(state, "card_emma_visa")["status"] == "blocked"
    assert card(state, "card_emma_mc")["status"] == "active"


@pytest.mark.parametrize("answer", ["the cashback one", "mastercard", "万事达那张", "thẻ master"])
async def test_which_card_is_answered_by_its_name(bank: Bank, chat: Chat, answer: str) -> None:
    await login(bank, chat, "cus_emma")
    await chat.user("I lost my card", "lost_card").run(ActionLostCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_card"]
    await chat.user(answer, "inform").run(ActionInform(chat.client, chat.sessions))
    assert chat.said() == ["utter_card_blocked", "utter_confirm_replacement_address"]
    state = await bank.state("cus_emma")
    assert card(state, "card_emma_mc")["status"] == "blocked"
    assert card(state, "card_emma_visa")["status"] == "active"


def _card(last4: str, brand: str, product: str) -> models.Card:
    return models.Card(card_id=f"c{last4}", last4=last4, brand=brand, product=product,
                status="active", currency="USD")


@pytest.mark.parametrize(("text", "answering", "expected"), [
    ("the visa one", False, "4821"),
    ("VISA", True, "4821"),
    ("visa那张", True, "4821"),
    ("how does cashback work", False, None),  # a product word outside "which card?": no card
    ("the cashback one", True, "7733"),
    ("supervisa", True, None),  # a word that merely contains a network's name
    ("my card", True, None),
])
def test_named_card(text: str, answering: bool, expected: str | None) -> None:
    cards = [_card("4821", "visa", "Platinum Rewards"), _card("7733", "mastercard", "Cashback")]
    named = named_card(text, cards, answering=answering)
    assert (named.last4 if named else None) == expected


def test_two_cards_of_one_network_are_never_guessed_between() -> None:
    cards = [_card("4821", "visa", "Platinum Rewards"), _card("1111", "visa", "Classic")]
    assert named_card("the visa one", cards, answering=True) is None
    assert named_card("the classic visa", cards, answering=True).last4 == "1111"


async def test_lost_card_blocks_in_one_turn_then_replaces(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await chat.user("I lost my card", "lost_card").run(ActionLostCard(chat.client, chat.sessions))
    assert [(b["title"], b["payload"]) for b in buttons(chat, "utter_choose_card")] == [
        ("Mastercard Cashback •••• 7733", '/lost_card{"card_last4":"7733"}'),
        ("Visa Platinum Rewards •••• 4821", '/lost_card{"card_last4":"4821"}')]
    chat.said()
    await chat.user('/lost_card{"card_last4":"4821"}', "lost_card", card_last4="4821").run(
        ActionLostCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_card_blocked", "utter_confirm_replacement_address"]
    state = await bank.state("cus_emma")
    assert card(state, "card_emma_visa")["status"] == "blocked"
    assert card(state, "card_emma_visa")["block_reason"] == "lost"
    assert card(state, "card_emma_mc")["status"] == "active"
    affirm = chat.user("yes", "affirm")
    await affirm.run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said() == ["utter_replacement_ordered", "utter_ask_unknown_transactions"]
    state = await bank.state("cus_emma")
    assert len(state["replacement_orders"]) == 1
    await chat.user("no", "deny").run(ActionDeny(chat.client, chat.sessions))
    assert chat.said() == ["utter_lost_card_done"]
    assert chat.slots["awaiting"] is None and chat.slots["card_id"] is None
    # Asking for a person now is about the lost card: urgent, with what the bot did.
    await chat.user("can I talk to someone", "human_agent").run(ActionHandoff())
    escalation = Escalation.from_dict(chat.last("utter_handoff_requested")["custom"]["handoff"])
    assert (escalation.reason, escalation.priority) == (Reason.LOST_CARD, Priority.URGENT)
    assert escalation.summary.facts[0] == "Card ending 4821 blocked as lost or stolen"
    assert escalation.summary.facts[1].startswith("Replacement card ordered (")
    said = [t.text for t in escalation.transcript if t.who == "user"]
    assert said[-1] == "can I talk to someone"
    assert '[button] lost_card (card_last4: 4821)' in said
    assert chat.slots["handoff_reason"] is None  # asked once, then forgotten


async def test_a_handoff_after_a_long_session_sees_what_the_store_archived(chat: Chat) -> None:
    # The tracker store moved the session's first turns to its archive and left their digest
    # in the ``earlier`` slot (cardcare/tracker_store.py): the agent still gets all of it.
    chat.slots["earlier"] = Digest.of([
        {"event": "user", "text": "my card ending 4821 is gone", "timestamp": 1.0,
         "parse_data": {"intent": {"name": "lost_card"},
                        "entities": [{"entity": "card_last4", "value": "4821"}]}},
        {"event": "bot", "text": "Which card?", "timestamp": 2.0}]).to_dict()
    await chat.user("a person please", "human_agent").run(ActionHandoff())
    escalation = Escalation.from_dict(chat.last("utter_handoff_requested")["custom"]["handoff"])
    assert [t.text for t in escalation.transcript] == [
        "my card ending 4821 is gone", "Which card?", "a person please"]
    assert escalation.summary.intents == ("lost_card", "human_agent")
    assert escalation.summary.entities == {"card_last4": "4821"}


async def test_lost_card_leads_into_a_fraud_report(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_lan")
    await chat.user("mất thẻ rồi", "lost_card", card_last4="2468").run(
        ActionLostCard(chat.client, chat.sessions))
    await chat.user("không", "deny").run(ActionDeny(chat.client, chat.sessions))
    assert chat.said()[-2:] == ["utter_replacement_skipped", "utter_ask_unknown_transactions"]
    await chat.user("có", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said() == ["utter_fraud_reassure", "utter_choose_fraud_transactions"]
    assert chat.slots["awaiting"] == "action_report_fraud"


async def test_fraud_report_blocks_marks_and_flags(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_wang")
    await chat.user("有一笔不是我刷的", "report_fraud").run(
        ActionReportFraud(chat.client, chat.sessions))
    offered = buttons(chat, "utter_choose_fraud_transactions")
    jd = next(b for b in offered if "京东" in b["title"])
    assert offered[-1]["payload"] == "/affirm"
    await chat.user(jd["payload"], "report_fraud", transaction_id="tx_wang_up_02").run(
        ActionReportFraud(chat.client, chat.sessions))
    assert chat.slots["fraud_transactions"] == ["tx_wang_up_02"]
    await chat.user("/affirm", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    confirm = chat.last("utter_confirm_fraud_report")
    assert confirm["last4"] == "3306" and "京东" in confirm["lines"]
    assert card(await bank.state("cus_wang"), "card_wang_up")["status"] == "active"  # not yet
    await chat.user("是的", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    # Blocked and opened first, then a fraud specialist, with priority: explicit data.
    escalation = Escalation.from_dict(chat.last("utter_handoff_requested")["custom"]["handoff"])
    assert chat.said()[-2:] == ["utter_fraud_case_opened", "utter_handoff_requested"]
    assert (escalation.reason, escalation.priority, escalation.skill) == (
        Reason.REPORT_FRAUD, Priority.URGENT, Skill.CARDS)
    assert escalation.language == "zh-Hans"
    [fact] = escalation.summary.facts
    assert fact.startswith("Card ending 3306 blocked; fraud case FRD-")
    state = await bank.state("cus_wang")
    assert card(state, "card_wang_up")["status"] == "blocked"
    marked = [t["transaction_id"] for t in state["transactions"] if t["fraud"]]
    assert marked == ["tx_wang_up_02"] and len(state["fraud_cases"]) == 1


async def test_installment_is_quoted_confirmed_and_made_once(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await chat.user("split the apple purchase", "installment", merchant="Apple",
                    card_last4="4821").run(ActionInstallment(chat.client, chat.sessions))
    tenors = buttons(chat, "utter_choose_tenor")
    assert [b["payload"] for b in tenors] == [f'/installment{{"months":"{m}"}}'
                                              for m in (3, 6, 12, 24)]
    await chat.user("12 months", "inform", months="12").run(
        ActionInstallment(chat.client, chat.sessions))
    confirm = chat.last("utter_confirm_installment")
    assert (confirm["amount"], confirm["last4"], confirm["months"]) == ("$1,299.00", "4821", 12)
    assert (confirm["fee"], confirm["apr"], confirm["monthly"]) == ("$77.94", "11.08", "$114.75")
    yes = chat.user("yes", "affirm")
    tracker_before = dict(chat.slots)
    await yes.run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said()[-1] == "utter_installment_created"
    # The same message delivered again (a retry) must not create a second plan.
    chat.slots = tracker_before
    await yes.run(ActionAffirm(chat.client, chat.sessions))
    plans = (await bank.state("cus_emma"))["installment_plans"]
    assert len(plans) == 1 and plans[0]["source"] == "tx_emma_visa_07"
    assert plans[0]["fee"] == 7794 and plans[0]["tenor_months"] == 12


async def test_a_flow_can_be_cancelled_and_changes_nothing(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_chen")
    await chat.user("分期", "installment", transaction_id="tx_chen_visa_03", months="6").run(
        ActionInstallment(chat.client, chat.sessions))
    assert chat.said() == ["utter_confirm_installment"]
    await chat.user("算了", "deny").run(ActionDeny(chat.client, chat.sessions))
    assert chat.said() == ["utter_flow_cancelled"]
    assert (await bank.state("cus_chen"))["installment_plans"] == []


async def test_a_digression_resumes_the_waiting_question(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_chen")
    await chat.user("分期", "installment", transaction_id="tx_chen_visa_03", months="6").run(
        ActionInstallment(chat.client, chat.sessions))
    chat.said()
    await chat.user("年費多少", "fees_interest").run(ActionResumeFlow(chat.client, chat.sessions))
    assert chat.said() == ["utter_confirm_installment"]
    await chat.user("好", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said() == ["utter_installment_created"]


async def test_dispute_finds_the_charge_and_shows_open_cases(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await chat.user("amazon charged me twice", "dispute_charge", merchant="Amazon",
                    card_last4="4821").run(ActionDisputeCharge(chat.client, chat.sessions))
    assert "DSP-100001" in chat.last("utter_open_disputes")["cases"]
    assert chat.said() == ["utter_open_disputes", "utter_choose_dispute_reason"]
    await chat.user("/dispute_charge", "dispute_charge", dispute_reason="duplicate").run(
        ActionDisputeCharge(chat.client, chat.sessions))
    confirm = chat.last("utter_confirm_dispute")
    assert (confirm["merchant"], confirm["amount"], confirm["last4"]) == (
        "Amazon", "$129.99", "4821")
    await chat.user("yes", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said()[-1] == "utter_dispute_opened"
    disputes = (await bank.state("cus_emma"))["disputes"]
    assert sorted(d["transaction_id"] for d in disputes) == ["tx_emma_visa_02", "tx_emma_visa_06"]


async def test_repayment_plan_for_an_overdue_account(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_khoa")
    await chat.user("không trả nổi", "repayment_plan").run(
        ActionRepaymentPlan(chat.client, chat.sessions))
    assert chat.last("utter_overdue_explained")["days"] == 45
    offer = buttons(chat, "utter_choose_repayment_offer")[1]
    await chat.user(offer["payload"], "repayment_plan", offer_id="card_khoa_mc.6").run(
        ActionRepaymentPlan(chat.client, chat.sessions))
    assert chat.last("utter_confirm_repayment_plan")["months"] == 6
    await chat.user("đồng ý", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said()[-1] == "utter_repayment_plan_accepted"
    assert len((await bank.state("cus_khoa"))["repayment_plans"]) == 1


async def test_repayment_plan_when_not_overdue(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await chat.user("I can't pay", "repayment_plan").run(
        ActionRepaymentPlan(chat.client, chat.sessions))
    assert chat.said() == ["utter_not_overdue"]


async def test_pin_reset_sends_a_link_never_asks_for_a_pin(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_wong")
    await chat.user("改密碼", "change_pin").run(ActionChangePin(chat.client, chat.sessions))
    assert chat.said() == ["utter_pin_link_sent"]
    assert any(m["kind"] == "pin_link" for m in await bank.outbox(chat.subject))


async def test_with_only_the_replacement_waiting_flows_ask_to_activate_it(bank: Bank,
                                                                          chat: Chat) -> None:
    await login(bank, chat, "cus_wong")
    await chat.user("唔見咗張卡", "lost_card").run(ActionLostCard(chat.client, chat.sessions))
    await chat.user("好", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    new = chat.last("utter_replacement_ordered")["new_last4"]
    chat.said()
    await chat.user("點樣改密碼", "change_pin").run(ActionChangePin(chat.client, chat.sessions))
    assert chat.last("utter_activate_card_first")["last4"] == new
    assert chat.said() == ["utter_activate_card_first"]
    assert not any(m["kind"] == "pin_link" for m in await bank.outbox(chat.subject))
    await chat.user("raise my limit", "credit_limit").run(
        ActionCreditLimit(chat.client, chat.sessions))
    assert chat.said() == ["utter_activate_card_first"]


async def test_activation_of_the_delivered_card(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_lan")
    await chat.user("kích hoạt thẻ", "card_activation").run(
        ActionCardActivation(chat.client, chat.sessions))
    assert chat.said() == ["utter_card_activated"]
    assert card(await bank.state("cus_lan"), "card_lan_new")["status"] == "active"


async def test_temporary_limit_increase(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await chat.user("raise my limit to 10000", "credit_limit", amount="10000",
                    card_last4="4821").run(ActionCreditLimit(chat.client, chat.sessions))
    kinds = buttons(chat, "utter_choose_limit_kind")
    assert '"limit_kind":"temporary"' in kinds[1]["payload"]
    await chat.user(kinds[1]["payload"], "credit_limit", limit_kind="temporary",
                    card_last4="4821").run(ActionCreditLimit(chat.client, chat.sessions))
    assert chat.last("utter_confirm_limit_request")["amount"] == "$10,000.00"
    await chat.user("yes", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said()[-1] == "utter_limit_approved"
    assert card(await bank.state("cus_emma"), "card_emma_visa")["temporary_limit"] == 1000000


async def test_rewards_redemption(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_wang")
    await chat.user("积分", "rewards_points").run(ActionRewardsPoints(chat.client, chat.sessions))
    options = buttons(chat, "utter_rewards_balance")
    assert any("航空里程" in b["title"] for b in options)
    await chat.user("/rewards_points", "rewards_points", option_id="air_miles").run(
        ActionRewardsPoints(chat.client, chat.sessions))
    await chat.user("确认", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said()[-1] == "utter_redeemed"
    assert (await bank.state("cus_wang"))["reward_points"] == 126000 - 10000


async def test_autopay_set_up(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_chen")
    await chat.user("自動扣繳", "autopay").run(ActionAutopay(chat.client, chat.sessions))
    assert chat.said() == ["utter_autopay_off"]
    await chat.user("/autopay", "autopay", autopay_mode="full", card_last4="5512").run(
        ActionAutopay(chat.client, chat.sessions))
    assert chat.said() == ["utter_confirm_autopay"]
    await chat.user("好", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said() == ["utter_autopay_set"]
    chen = card(await bank.state("cus_chen"), "card_chen_visa")
    assert (chen["autopay_account"], chen["autopay_mode"]) == ("fa_chen", "full")


async def test_bank_down_gets_an_apology_and_a_human(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await bank.page("POST", "/sandbox/faults", json={"path": "/v1/cards", "count": 10,
                                                     "status": 503})
    await chat.user("I lost my card", "lost_card", card_last4="4821").run(
        ActionLostCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_bank_unavailable", "utter_offer_human_after_error"]
    assert card(await bank.state("cus_emma"), "card_emma_visa")["status"] == "active"


async def test_slow_bank_gets_an_apology_not_a_hang(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await bank.page("POST", "/sandbox/faults", json={"path": "/v1/cards", "count": 10,
                                                     "delay_s": 2})
    await chat.user("balance", "check_balance").run(ActionCheckBalance(chat.client, chat.sessions))
    assert chat.said() == ["utter_bank_unavailable", "utter_offer_human_after_error"]


async def test_failed_write_leaves_no_half_done_state(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_chen")
    await chat.user("分期", "installment", transaction_id="tx_chen_visa_03", months="6").run(
        ActionInstallment(chat.client, chat.sessions))
    await bank.page("POST", "/sandbox/faults", json={
        "path": "/v1/cards/card_chen_visa/installments", "count": 5, "status": 500})
    await chat.user("好", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said()[-2:] == ["utter_bank_unavailable", "utter_offer_human_after_error"]
    assert (await bank.state("cus_chen"))["installment_plans"] == []
    assert chat.slots["awaiting"] is None


async def test_bank_session_expiry_asks_to_verify_again(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await chat.sessions.put(chat.subject, "not-a-valid-token")
    events = await chat.user("balance", "check_balance").run(
        ActionCheckBalance(chat.client, chat.sessions))
    assert chat.said() == ["utter_session_expired", "utter_verification_needed"]
    assert {"event": "followup", "name": "verify_form", "timestamp": None} in events


async def test_a_charge_already_disputed_gets_its_case_not_a_second_one(bank: Bank, chat: Chat):
    await login(bank, chat, "cus_emma")
    await chat.user("netflix charged me twice", "dispute_charge", merchant="Netflix",
                    card_last4="4821").run(ActionDisputeCharge(chat.client, chat.sessions))
    assert chat.said() == ["utter_open_disputes", "utter_dispute_already_open"]
    assert len((await bank.state("cus_emma"))["disputes"]) == 1


async def test_a_merchant_nlu_does_not_know_is_found_in_the_request(bank: Bank, chat: Chat):
    await login(bank, chat, "cus_wang")
    await chat.user("华为商城那笔想分12期", "installment", months="12").run(
        ActionInstallment(chat.client, chat.sessions))
    confirm = chat.last("utter_confirm_installment")  # no item or tenor question needed
    assert (confirm["amount"], confirm["months"]) == ("¥5,999.00", 12)


async def test_yes_at_a_choice_asks_again_instead_of_cancelling(bank: Bank, chat: Chat):
    await login(bank, chat, "cus_wang")
    await chat.user("我想分期", "installment").run(ActionInstallment(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_installment_item"]
    await chat.user("好的", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_installment_item"]


async def test_a_lost_card_interrupts_any_flow_and_blocks_at_once(bank: Bank, chat: Chat):
    await login(bank, chat, "cus_chen")
    await chat.user("分期", "installment", transaction_id="tx_chen_visa_03", months="6").run(
        ActionInstallment(chat.client, chat.sessions))
    assert chat.slots["awaiting"] == "action_installment"
    await chat.user("等等，我的卡不見了！", "lost_card").run(
        ActionLostCard(chat.client, chat.sessions))
    assert chat.said()[-2:] == ["utter_card_blocked", "utter_confirm_replacement_address"]
    assert chat.slots["awaiting"] == "action_lost_card"
    state = await bank.state("cus_chen")
    assert card(state, "card_chen_visa")["status"] == "blocked"
    assert state["installment_plans"] == []


async def test_a_frozen_card_is_blocked_for_good_only_when_said_lost(bank: Bank, chat: Chat):
    # "my card is locked" is read as lost_card; a frozen card is not blocked without a yes.
    token = await bank.login("cus_chen")
    await bank.call("POST", "/cards/card_chen_visa/freeze", token=token)
    await login(bank, chat, "cus_chen")
    await chat.user("我的卡被鎖了", "lost_card").run(ActionLostCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_confirm_block_frozen"]
    assert card(await bank.state("cus_chen"), "card_chen_visa")["status"] == "frozen"
    await chat.user("不用", "deny").run(ActionDeny(chat.client, chat.sessions))
    assert chat.said() == ["utter_flow_cancelled"]
    assert card(await bank.state("cus_chen"), "card_chen_visa")["status"] == "frozen"
    await chat.user("我的卡不見了", "lost_card").run(ActionLostCard(chat.client, chat.sessions))
    await chat.user("是的", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said()[-2:] == ["utter_card_blocked", "utter_confirm_replacement_address"]
    assert card(await bank.state("cus_chen"), "card_chen_visa")["status"] == "blocked"


async def test_the_card_question_survives_a_digression_and_can_be_cancelled(bank: Bank, chat: Chat):
    await login(bank, chat, "cus_emma")
    await chat.user("netflix charged me twice", "dispute_charge", merchant="Netflix").run(
        ActionDisputeCharge(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_card"]
    await chat.user("what's the annual fee", "fees_interest").run(
        ActionResumeFlow(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_card"]  # asked again after the answer
    await chat.user("yes", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_card"]  # a yes picks no card
    await chat.user('/dispute_charge{"card_last4":"4821"}', "dispute_charge",
                    card_last4="4821").run(ActionDisputeCharge(chat.client, chat.sessions))
    assert chat.said() == ["utter_open_disputes", "utter_dispute_already_open"]
    await chat.user("I lost my card", "lost_card").run(ActionLostCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_card"]
    await chat.user("no", "deny").run(ActionDeny(chat.client, chat.sessions))
    assert chat.said() == ["utter_flow_cancelled"]
    assert chat.slots["awaiting"] is None
    assert all(c["status"] == "active" for c in (await bank.state("cus_emma"))["cards"])


async def test_a_card_is_locked_for_now_and_unlocked_again(bank: Bank, chat: Chat):
    await login(bank, chat, "cus_lan")
    await chat.user("khoá tạm thẻ giúp mình, chắc để quên ở nhà", "lock_card").run(
        ActionLockCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_lock_card_done"]
    cards = [c for c in (await bank.state("cus_lan"))["cards"] if c["status"] == "frozen"]
    assert len(cards) == 1  # locked, not blocked: nothing reported lost, no replacement
    assert (await bank.state("cus_lan"))["replacement_orders"] == []
    await chat.user("tìm thấy rồi, mo khoa the nhe", "lock_card", lock_way="unlock").run(
        ActionLockCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_unlock_card_done"]
    assert card(await bank.state("cus_lan"), cards[0]["card_id"])["status"] == "active"
    await chat.user("unlock my card", "lock_card", lock_way="unlock").run(
        ActionLockCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_card_not_locked"]  # nothing is locked


async def test_the_way_asked_survives_the_card_question(bank: Bank, chat: Chat):
    for card_id in ("card_emma_visa", "card_emma_mc"):
        await bank.call("POST", f"/cards/{card_id}/freeze", token=await bank.login("cus_emma"))
    await login(bank, chat, "cus_emma")
    await chat.user("please unfreeze my card", "lock_card", lock_way="unlock").run(
        ActionLockCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_card"]
    # The button repeats only the intent and the card; the way asked is remembered.
    await chat.user('/lock_card{"card_last4":"4821"}', "lock_card", card_last4="4821").run(
        ActionLockCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_unlock_card_done"]
    state = await bank.state("cus_emma")
    assert (card(state, "card_emma_visa")["status"], card(state, "card_emma_mc")["status"]) == (
        "active", "frozen")
    assert chat.slots["lock_way"] is None and chat.slots["awaiting"] is None


async def test_a_card_blocked_as_lost_is_never_unlocked(bank: Bank, chat: Chat):
    await login(bank, chat, "cus_chen")
    await chat.user("我的卡不見了", "lost_card").run(ActionLostCard(chat.client, chat.sessions))
    await chat.user("不用", "deny").run(ActionDeny(chat.client, chat.sessions))
    chat.said()
    await chat.user("幫我解鎖張卡", "lock_card", lock_way="unlock").run(
        ActionLockCard(chat.client, chat.sessions))
    assert chat.said() == ["utter_card_blocked_not_lockable"]
    assert card(await bank.state("cus_chen"), "card_chen_visa")["status"] == "blocked"


async def test_card_delivery_from_the_banks_courier_data(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await chat.user("where is my new card", "card_delivery").run(
        ActionCardDelivery(chat.client, chat.sessions))
    assert chat.said() == ["utter_no_card_on_its_way"]
    # A replacement ordered in the chat is then "being made", with its expected date.
    await chat.user('/lost_card{"card_last4":"4821"}', "lost_card", card_last4="4821").run(
        ActionLostCard(chat.client, chat.sessions))
    await chat.user("yes", "affirm").run(ActionAffirm(chat.client, chat.sessions))
    await chat.user("no", "deny").run(ActionDeny(chat.client, chat.sessions))
    chat.said()
    await chat.user("my replacement card still hasn't come", "card_delivery").run(
        ActionCardDelivery(chat.client, chat.sessions))
    [line] = chat.last("utter_card_deliveries")["deliveries"].splitlines()
    assert chat.said() == ["utter_card_deliveries"]
    assert line.startswith("•••• ") and " · replacement card · being made, expected by " in line
    assert chat.slots["awaiting"] is None
    # Lan's new card was delivered three days ago and is not activated yet.
    await login(bank, chat, "cus_lan")
    await chat.user("thẻ mới của mình giao tới đâu rồi", "card_delivery").run(
        ActionCardDelivery(chat.client, chat.sessions))
    assert "•••• 1122" in chat.last("utter_card_deliveries")["deliveries"]
    assert chat.said()[-2:] == ["utter_card_deliveries", "utter_card_delivered_activate"]


async def test_a_statement_copy_is_chosen_by_month_and_texted_by_the_bank(
        bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_emma")
    await chat.user("can I get a copy of my statement", "statement_copy").run(
        ActionStatementCopy(chat.client, chat.sessions))
    assert chat.said() == ["utter_choose_card"]
    await chat.user('/statement_copy{"card_last4":"4821"}', "statement_copy",
                    card_last4="4821").run(ActionStatementCopy(chat.client, chat.sessions))
    months = buttons(chat, "utter_ask_statement_month")
    assert chat.said() == ["utter_ask_statement_month"]
    assert [b["payload"] for b in months][-1] == "/human_agent" and len(months) == 4
    issued = date.fromisoformat(card(await bank.state("cus_emma"), "card_emma_visa")
                                ["statement_date"])
    assert months[0]["title"] == f"{issued:%B %Y}"
    assert (chat.slots["awaiting"], chat.slots["awaiting_step"]) == (
        "action_statement_copy", "month")
    # The newest statement's button: the bank texts the link, the chat shows only where to.
    await chat.user(months[0]["payload"], "statement_copy", period=f"month_{issued.month}").run(
        ActionStatementCopy(chat.client, chat.sessions))
    sent = chat.last("utter_statement_copy_sent")
    assert chat.said() == ["utter_statement_copy_sent"]
    assert sent["last4"] == "4821" and sent["sent_to"].startswith("•••• ")
    [copy] = (await bank.state("cus_emma"))["statement_copies"]
    assert copy["month"] == f"{issued:%Y-%m}"
    assert [m["kind"] for m in await bank.outbox(chat.subject)].count("statement_link") == 1
    assert chat.slots["awaiting"] is None and chat.slots["period"] is None


async def test_a_statement_copy_of_a_month_named_in_the_request(bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_lan")
    issued = date.fromisoformat(card(await bank.state("cus_lan"), "card_lan_visa")
                                ["statement_date"])
    await chat.user(f"gửi mình sao kê tháng {issued.month} thẻ 2468", "statement_copy",
                    card_last4="2468", period=f"month_{issued.month}").run(
        ActionStatementCopy(chat.client, chat.sessions))
    assert chat.said() == ["utter_statement_copy_sent"]
    assert chat.slots["awaiting"] is None


async def test_no_statement_of_a_card_never_used_says_why_and_asks_again(
        bank: Bank, chat: Chat) -> None:
    await login(bank, chat, "cus_lan")
    await chat.user("sao kê tháng trước của thẻ 1122", "statement_copy", card_last4="1122",
                    period="last_month").run(ActionStatementCopy(chat.client, chat.sessions))
    assert chat.said() == ["utter_statement_not_found", "utter_ask_statement_month"]
    assert chat.slots["awaiting_step"] == "month" and chat.slots["period"] is None
    assert (await bank.state("cus_lan"))["statement_copies"] == []
    assert "statement_link" not in [m["kind"] for m in await bank.outbox(chat.subject)]
    # "No" at the month question cancels, changing nothing.
    await chat.user("thôi", "deny").run(ActionDeny(chat.client, chat.sessions))
    assert chat.said() == ["utter_flow_cancelled"] and chat.slots["awaiting"] is None


async def test_dispute_status_by_reference_by_merchant_or_all(bank: Bank, chat: Chat):
    await login(bank, chat, "cus_emma")
    await chat.user("any news on dsp 100001?", "dispute_status").run(
        ActionDisputeStatus(chat.client, chat.sessions))
    cases = chat.last("utter_your_disputes")["cases"].splitlines()
    assert len(cases) == 1 and cases[0].startswith("DSP-100001 · Netflix")
    await chat.user("what about DSP-999999", "dispute_status").run(
        ActionDisputeStatus(chat.client, chat.sessions))
    assert chat.last("utter_dispute_not_found")["reference"] == "DSP-999999"
    await chat.user("status of my disputes", "dispute_status").run(
        ActionDisputeStatus(chat.client, chat.sessions))
    assert chat.said()[-1] == "utter_your_disputes"
    assert chat.slots["awaiting"] is None
    await login(bank, chat, "cus_lan")
    await chat.user("khiếu nại của mình tới đâu rồi", "dispute_status").run(
        ActionDisputeStatus(chat.client, chat.sessions))
    assert chat.said()[-1] == "utter_no_disputes"
