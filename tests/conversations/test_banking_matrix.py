"""Every banking flow in every language, end to end: the user's first words in their language,
verification, the buttons and a "yes" in their language, then the sandbox's state.

The conversation is driven generically: a card question is answered with the cardholder's
card, any other choice with its first button, a confirmation with "yes" in the language, until
the flow's final answer comes.  Each check says what the bank must show afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conversations.test_banking import User, get_json

pytestmark = pytest.mark.model

# language → (customer, what they type to verify, their card, "yes")
PEOPLE = {
    "en": ("cus_emma", "+1 415 555 0101", "4821", "yes"),
    "zh-Hans": ("cus_wang", "+86 138 0013 8000", "3306", "是的"),
    "zh-Hant": ("cus_chen", "5512 1985/11/02", "5512", "好"),
    "vi": ("cus_lan", "2468 15/03/1995", "2468", "dong y"),
}

State = dict[str, Any]
Check = Callable[[State, State, str], bool]


def _card(state: State, last4: str) -> State:
    return next(c for c in state["cards"] if c["last4"] == last4)


def _grew(key: str) -> Check:
    return lambda before, after, last4: len(after[key]) == len(before[key]) + 1


def _unchanged(before: State, after: State, last4: str) -> bool:
    ignore = {"linked_subjects"}  # verifying links the chat: that is the only change
    return {k: v for k, v in before.items() if k not in ignore} == \
        {k: v for k, v in after.items() if k not in ignore}


def _card_status(status: str) -> Check:
    return lambda before, after, last4: _card(after, last4)["status"] == status


# A flow's final answer, the same in every language or per language (what the demo
# cardholder's account holds: only Emma has a dispute open, only Lan a card on its way).
Final = str | dict[str, str]

FLOWS: dict[str, tuple[dict[str, str], Final, Check]] = {
    "check_balance": ({
        "en": "how much do I owe on my credit card", "zh-Hans": "我的信用卡还欠多少钱",
        "zh-Hant": "我的信用卡還欠多少錢", "vi": "the tin dung cua minh con no bao nhieu"},
        "utter_balance", _unchanged),
    "list_transactions": ({
        "en": "show me my transactions from last month", "zh-Hans": "查一下上个月的消费记录",
        "zh-Hant": "我想看上個月的交易明細", "vi": "xem giao dich tuan truoc"},
        "utter_transactions", _unchanged),
    "payment_info": ({
        "en": "when is my credit card payment due", "zh-Hans": "这期账单什么时候到期还款",
        "zh-Hant": "這期帳單什麼時候要繳款", "vi": "khi nao den han thanh toan the tin dung"},
        "utter_payment_due", _unchanged),
    "installment": ({
        "en": "I want to split a purchase into monthly installments",
        "zh-Hans": "我想把一笔消费办分期", "zh-Hant": "我想把一筆消費辦分期付款",
        "vi": "minh muon tra gop mot giao dich"},
        "utter_installment_created", _grew("installment_plans")),
    "report_fraud": ({
        "en": "there's a charge on my card I didn't make",
        "zh-Hans": "有一笔消费不是我刷的，被盗刷了",
        "zh-Hant": "有一筆交易不是我刷的，卡被盜刷了", "vi": "co giao dich la khong phai minh lam"},
        "utter_fraud_case_opened", lambda b, a, last4: _card(a, last4)["status"] == "blocked"
        and len(a["fraud_cases"]) == len(b["fraud_cases"]) + 1),
    "dispute_charge": ({
        "en": "a merchant charged me the wrong amount, I want to dispute it",
        "zh-Hans": "商家多扣了我的钱，我要申请争议", "zh-Hant": "商家扣錯金額，我要提出爭議款項",
        "vi": "cua hang tru sai so tien, minh muon khieu nai giao dich"},
        "utter_dispute_opened", _grew("disputes")),
    "credit_limit": ({
        "en": "please raise my credit limit to $10,000", "zh-Hans": "帮我把信用额度提高到6万元",
        "zh-Hant": "請幫我把信用卡額度提高到25萬元", "vi": "tang han muc the len 60 trieu"},
        "utter_limit_approved", _grew("limit_requests")),
    "rewards_points": ({
        "en": "how many reward points do I have", "zh-Hans": "我有多少信用卡积分",
        "zh-Hant": "我的紅利點數有多少", "vi": "minh co bao nhieu diem thuong"},
        "utter_redeemed", _grew("redemptions")),
    "autopay": ({
        "en": "set up autopay for my card from my bank account",
        "zh-Hans": "帮我设置信用卡自动还款", "zh-Hant": "幫我設定信用卡自動扣繳",
        "vi": "dang ky trich no tu dong cho the"},
        "utter_autopay_set", lambda b, a, last4: _card(a, last4)["autopay_mode"] == "full"),
    "change_pin": ({
        "en": "I forgot my card PIN", "zh-Hans": "我忘记信用卡密码了",
        "zh-Hant": "我忘記信用卡密碼了", "vi": "minh quen ma pin the"},
        "utter_pin_link_sent", _grew("pin_resets")),
    "repayment_plan": ({
        "en": "I lost my job and can't pay my credit card bill",
        "zh-Hans": "我失业了，信用卡还不上", "zh-Hant": "我失業了，卡費繳不出來",
        "vi": "minh that nghiep roi, khong tra noi no the"},
        "utter_not_overdue", _unchanged),
    # The card desk's flows.
    "lock_card": ({
        "en": "please lock my card for now, I'll unlock it later",
        "zh-Hans": "帮我把信用卡临时冻结一下", "zh-Hant": "請幫我暫時鎖卡",
        "vi": "khoa tam thoi the giup minh"},
        "utter_lock_card_done", _card_status("frozen")),
    "card_retained": ({
        "en": "the ATM swallowed my credit card", "zh-Hans": "我的信用卡被ATM吞了",
        "zh-Hant": "我張信用卡俾提款機食咗", "vi": "the tin dung bi cay atm nuot mat roi"},
        "utter_card_blocked", _card_status("blocked")),
    "card_delivery": ({
        "en": "where is my new card, it hasn't arrived", "zh-Hans": "我的新卡寄到哪里了",
        "zh-Hant": "我的新卡寄到哪裡了", "vi": "the moi cua minh giao toi dau roi"},
        {"en": "utter_no_card_on_its_way", "zh-Hans": "utter_no_card_on_its_way",
         "zh-Hant": "utter_no_card_on_its_way", "vi": "utter_card_deliveries"}, _unchanged),
    "dispute_status": ({
        "en": "any update on my dispute?", "zh-Hans": "我之前申请的争议处理得怎么样了",
        "zh-Hant": "我之前提出的爭議款處理進度如何",
        "vi": "khieu nai giao dich cua minh xu ly toi dau roi"},
        {"en": "utter_your_disputes", "zh-Hans": "utter_no_disputes",
         "zh-Hant": "utter_no_disputes", "vi": "utter_no_disputes"}, _unchanged),
    "statement_copy": ({
        "en": "can you send me a copy of my statement",
        "zh-Hans": "我想要一份信用卡账单的副本", "zh-Hant": "可以補寄一份信用卡帳單給我嗎",
        "vi": "gui lai giup minh ban sao ke the"},
        "utter_statement_copy_sent", _grew("statement_copies")),
}


# Requests with a general answer given before any verification; a yes then looks at the account.
GENERAL_FIRST = {"payment_info"}


def drive(user: User, card: str, yes: str, final: str, limit: int = 8) -> None:
    """Answers the flow's questions until ``final`` is heard."""
    for _ in range(limit):
        if user.heard(final):
            return
        payloads = [b["payload"] for m in user.last for b in m.get("buttons") or []]
        if user.heard("utter_choose_card"):
            user.taps(f'"card_last4":"{card}"')
        elif user.heard("utter_choose_more_fraud_transactions"):
            user.says("/affirm")  # one unknown charge is enough: "Done"
        elif "/affirm" in payloads and "/deny" in payloads:
            user.says(yes)
        elif payloads:
            user.says(next(p for p in payloads if p not in ("/deny", "/human_agent")))
        else:
            break
    assert user.heard(final), user.last


@pytest.mark.parametrize("language", sorted(PEOPLE))
@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_every_flow_in_every_language(stack, domain, flow, language):
    customer, identity, card, yes = PEOPLE[language]
    words, final, check = FLOWS[flow]
    final = final if isinstance(final, str) else final[language]
    user = User(stack, domain, language)
    bank = stack.config.bank_base_url
    before = get_json(f"{bank}/sandbox/customers/{customer}")
    user.says(words[language])
    if flow in GENERAL_FIRST:
        assert user.heard("utter_payment_ways"), (flow, language, user.last)
        user.says(yes)  # to the offer of the personal answer
    assert user.heard("utter_verification_needed"), (flow, language, user.last)
    user.verify(identity)
    drive(user, card, yes, final)
    assert not user.heard("utter_bank_unavailable") and not user.heard("utter_bank_refused")
    after = get_json(f"{bank}/sandbox/customers/{customer}")
    assert check(before, after, card), (flow, language)
