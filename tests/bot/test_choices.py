"""Typed answers to the bot's own questions, in all four languages, against the domain's titles.

Expected verdicts are written as positions: ``2`` is CHOSEN the second choice, ``(1, 3)`` is
AMBIGUOUS between the first and third, ``None`` is NOT_AN_ANSWER.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.choices import Choice, Match, Outcome, match_choice, numbered_lines

LANGUAGES = ("en", "zh-Hans", "zh-Hant", "vi")
Expected = int | tuple[int, ...] | None

# What the actions fill into the domain's templates: money as Babel writes it per language.
MONEY = {"en": "${}", "zh-Hans": "US${}", "zh-Hant": "US${}", "vi": "{} US$"}
CARDS = [Choice("Visa Platinum •••• 2468", '/check_balance{"card_last4":"2468"}'),
         Choice("Mastercard World •••• 1122", '/check_balance{"card_last4":"1122"}')]
_ZH_TRANSACTIONS = ["2026年11月3日 · Netflix · US$15.99", "2026年11月2日 · Grab · US$8.40",
                    "2026年10月30日 · Amazon · US$42.00"]
TRANSACTIONS = {
    "en": ["Nov 3, 2026 · Netflix · $15.99", "Nov 2, 2026 · Grab · $8.40",
           "Oct 30, 2026 · Amazon · $42.00"],
    "zh-Hans": _ZH_TRANSACTIONS,
    "zh-Hant": _ZH_TRANSACTIONS,
    "vi": ["3 thg 11, 2026 · Netflix · 15,99 US$", "2 thg 11, 2026 · Grab · 8,40 US$",
           "30 thg 10, 2026 · Amazon · 42,00 US$"],
}
REASONS = ("duplicate", "wrong_amount", "refund_not_received", "cancelled_subscription",
           "not_received", "fee_reversal", "other")


def text_of(domain: dict[str, Any], response: str, language: str) -> dict[str, Any]:
    """The variant of a response for a language (English has no condition)."""
    for variant in domain["responses"][response]:
        condition = variant.get("condition") or [{"value": "en"}]
        if condition[0]["value"] == language:
            return variant
    raise KeyError(f"{response} has no {language} variant")


@pytest.fixture(scope="module")
def offered(domain: dict[str, Any]) -> Callable[[str, str], list[Choice]]:
    """``offered(kind, language)``: a choice list as the actions build it from the domain."""

    def label(name: str, language: str) -> str:
        return text_of(domain, f"utter_label_{name}", language)["text"]

    def money(amount: str, language: str) -> str:
        return MONEY[language].format(amount if language != "vi" else amount.replace(".", ","))

    def labels(names: list[str], language: str, payload: str) -> list[Choice]:
        return [Choice(label(n, language), payload.format(n.rpartition("_")[2])) for n in names]

    def offers(template: str, language: str, rows: list[tuple[int, str, str]]) -> list[Choice]:
        intent = "installment" if template == "tenor" else "repayment_plan"
        return [Choice(label(template, language).format(
                    months=m, monthly=money(a, language), fee=money(x, language), apr=x),
                    f'/{intent}{{"months":"{m}"}}') for m, a, x in rows]

    def build(kind: str, language: str) -> list[Choice]:
        if kind == "limit":
            return labels(["limit_permanent", "limit_temporary"], language,
                          '/credit_limit{{"limit_kind":"{}"}}')
        if kind == "autopay":
            return labels(["autopay_full", "autopay_minimum", "autopay_off"], language,
                          '/autopay{{"autopay_mode":"{}"}}')
        if kind == "reason":
            return [Choice(label(f"reason_{r}", language), f"/dispute_charge_{r}") for r in REASONS]
        if kind == "tenor":
            return offers("tenor", language, [(3, "33.33", "5.00"), (6, "16.67", "5.00"),
                                              (12, "8.33", "5.00")])
        if kind == "offer":
            return offers("repayment_offer", language, [(6, "300.00", "7.9"), (12, "150.00", "9.9"),
                                                        (24, "81.25", "12.9")])
        if kind == "offer_without_12":  # every number in it is near 12, none is 12
            return offers("repayment_offer", language, [(6, "1,812.50", "9.9"),
                                                        (24, "1,812.50", "9.9")])
        if kind == "cards":
            return list(CARDS)
        if kind == "transactions":
            return [Choice(t, f'/report_fraud{{"transaction_id":"t{i}"}}')
                    for i, t in enumerate(TRANSACTIONS[language])]
        if kind == "did_you_mean":
            return [Choice(label(i, language), f"/{i}") for i in ("check_balance", "credit_limit")
                    ] + [Choice(label("out_of_scope", language), "/deny")]
        buttons = text_of(domain, kind, language)["buttons"]
        return [Choice(b["title"], b["payload"]) for b in buttons]

    return build


def verdict(match: Match, choices: list[Choice]) -> Expected:
    """A match as positions (see the module docstring)."""
    if match.outcome is Outcome.CHOSEN:
        assert match.choice is not None and not match.candidates
        return choices.index(match.choice) + 1
    if match.outcome is Outcome.AMBIGUOUS:
        assert match.choice is None
        return tuple(choices.index(c) + 1 for c in match.candidates)
    assert match.choice is None and not match.candidates
    return None


def check(offered: Callable[[str, str], list[Choice]], kind: str, language: str, text: str,
          expected: Expected) -> None:
    choices = offered(kind, language)
    found = verdict(match_choice(text, choices), choices)
    assert found == expected, (text, [c.title for c in choices])


def cases(table: dict[str, dict[str, Expected]]) -> list[tuple[str, str, Expected]]:
    """``{language: {text: expected}}`` as parametrize rows."""
    return [(lang, text, expected)
            for lang, rows in table.items() for text, expected in rows.items()]


# --- The choice's number -------------------------------------------------------------------------

POSITIONS: dict[str, dict[str, Expected]] = {
    "en": {"2": 2, "2.": 2, "#2": 2, "２": 2, " 3 ": 3, "the second": 2, "second one": 2,
           "the second one please": 2, "option 2": 2, "number 3": 3, "3rd": 3, "first": 1,
           "the last one": 7, "I want the fourth": 4},
    "zh-Hans": {"第2个": 2, "第二个": 2, "第二张": 2, "2号": 2, "第两个": 2, "我要第三个": 3,
                "第七个吧": 7, "最后一个": 7, "选2": 2, "两号": None},
    "zh-Hant": {"第2個": 2, "第二個": 2, "第二張": 2, "２號": 2, "要第一個": 1, "第三個啦": 3},
    "vi": {"số 2": 2, "so 2": 2, "cái thứ 2": 2, "thứ hai": 2, "thu hai": 2, "cái thứ ba": 3,
           "số một": 1, "2 nha": 2, "cho em cái thứ tư ạ": 4, "cái đầu tiên": 1,
           "cái cuối cùng": 7},
}


@pytest.mark.parametrize(("language", "text", "expected"), cases(POSITIONS))
def test_a_number_picks_that_position(offered, language, text, expected):
    check(offered, "reason", language, text, expected)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", ["3", "0", "the third", "option 3", "第三个", "第三個", "第十一個",
                                  "thứ ba", "số 3", "３"])
def test_a_number_outside_the_list_is_not_an_index(offered, language, text):
    check(offered, "limit", language, text, None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_small_number_in_a_date_does_not_shadow_the_position(offered, language):
    # "3 thg 11, 2026" starts with 3, but a date is not a quantity a user would answer with.
    check(offered, "transactions", language, "3", 3)
    check(offered, "transactions", language, "1", 1)


# --- Its title, or a distinctive part of it ------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("text", "expected"), [
    ("permanent", 1), ("Permanent", 1), ("PERMANENT.", 1), ("permanently", 1),
    ("vĩnh viễn", 1), ("vinh vien", 1), ("cố định", 1), ("永久", 1), ("長期", 1), ("长期", 1),
    ("固定", 1), ("我要永久的", 1),
    ("temporary", 2), ("temporarily please", 2), ("tạm thời", 2), ("tam thoi", 2),
    ("tạm thời nhé", 2), ("臨時", 2), ("临时", 2), ("臨時的吧", 2), ("30", 2),
])
def test_limit_kind_by_name_in_any_language(offered, language, text, expected):
    check(offered, "limit", language, text, expected)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", ["12", "12 months", "12 month", "12 tháng", "12 thang", "12期",
                                  "12個月", "12 个月", "１２", "12 months please", "12 tháng nha",
                                  "我要12期的"])
def test_repayment_offer_by_its_months(offered, language, text):
    check(offered, "offer", language, text, 2)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", ["12", "812", "1,812", "9", "50", "12 months"])
def test_a_number_inside_another_number_never_matches(offered, language, text):
    check(offered, "offer_without_12", language, text, None)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("text", "expected"), [
    ("3", (1, 3)),  # the third line, or three months?
    ("1", 1), ("2", 2), ("6", 2), ("12", 3),
    ("3 months", 1), ("3 tháng", 1), ("3 thang", 1), ("3期", 1), ("3 個月", 1), ("3个月", 1),
    ("option 3", 3), ("the third", 3), ("第三個", 3), ("thứ ba", 3),
    ("months", (1, 2, 3)),
])
def test_tenor_by_quantity_or_position(offered, language, text, expected):
    check(offered, "tenor", language, text, expected)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("text", "expected"), [
    ("the Visa", 1), ("visa", 1), ("VISA", 1), ("my visa card", 1), ("thẻ visa", 1),
    ("the visa nhé", 1), ("the one ending 2468", 1), ("ending in 2468", 1), ("2468", 1),
    ("đuôi 2468", 1), ("尾號2468", 1), ("尾号2468", 1), ("那張visa卡", 1), ("我要用visa", 1),
    ("platinum", 1),
    ("Mastercard", 2), ("mastercard world", 2), ("1122", 2), ("thẻ mastercard", 2),
    ("揀Mastercard啦", 2), ("the one ending 1122 please", 2),
    ("card", None), ("thẻ", None), ("卡", None), ("visa or mastercard?", None),
    ("not the visa", None), ("哪张卡", None),
])
def test_card_by_network_product_or_last_digits(offered, language, text, expected):
    check(offered, "cards", language, text, expected)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("text", "expected"), [
    ("netflix", 1), ("Netflix please", 1), ("the netflix one", 1), ("那笔netflix", 1),
    ("cái netflix", 1), ("grab", 2), ("amazon", 3), ("spotify", None), ("2026", (1, 2, 3)),
])
def test_transaction_by_merchant(offered, language, text, expected):
    check(offered, "transactions", language, text, expected)


REASON_WORDS: dict[str, dict[str, Expected]] = {
    "en": {"twice": 1, "wrong amount": 2, "refund": 3, "subscription": 4, "not received": (3, 5),
           "goods": 5, "fee": 6, "something else": 7},
    "zh-Hans": {"重复": 1, "金额有误": 2, "退款": 3, "订阅": 4, "未收到": (3, 5), "其他": 7,
                "重複扣款": 1},
    "zh-Hant": {"重複": 1, "金額有誤": 2, "退款": 3, "訂閱": 4, "未收到": (3, 5), "其他原因": 7,
                "重复扣款": 1},
    "vi": {"hai lần": 1, "hai lan": 1, "sai số tiền": 2, "sai so tien": 2, "hoàn phí": 6,
           "hoan phi": 6, "lý do khác": 7, "chưa nhận được": (3, 5)},
}


@pytest.mark.parametrize(("language", "text", "expected"), cases(REASON_WORDS))
def test_dispute_reason_by_part_of_its_title(offered, language, text, expected):
    check(offered, "reason", language, text, expected)


AUTOPAY_WORDS: dict[str, dict[str, Expected]] = {
    "en": {"full": 1, "the minimum": 2, "off": 3, "pay": (1, 2)},
    "zh-Hans": {"全额": 1, "最低": 2, "关闭": 3, "全額": 1},
    "zh-Hant": {"全額": 1, "最低": 2, "取消自動": 3, "扣繳": (1, 2, 3)},
    "vi": {"toàn bộ": 1, "toan bo": 1, "tối thiểu": 2, "toi thieu": 2, "tắt": 3, "tat": 3,
           "thanh toán": (1, 2)},
}


@pytest.mark.parametrize(("language", "text", "expected"), cases(AUTOPAY_WORDS))
def test_autopay_mode_by_part_of_its_title(offered, language, text, expected):
    check(offered, "autopay", language, text, expected)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["limit", "autopay", "reason", "tenor", "offer", "cards",
                                  "transactions", "did_you_mean", "utter_offer_human",
                                  "utter_confirm_block_frozen"])
def test_a_whole_title_typed_or_copied_back_is_chosen(offered, language, kind):
    choices = offered(kind, language)
    lines = numbered_lines(choices).split("\n")
    for position, (choice, line) in enumerate(zip(choices, lines, strict=True), start=1):
        for text in (choice.title, choice.title.upper(), choice.title.lower(), line, f" {line} "):
            assert verdict(match_choice(text, choices), choices) == position, text


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Pay The Full Statement Balance!"), ("vi", "thanh toan toan bo du no sao ke"),
    ("vi", "Tắt Trích Nợ Tự Động"), ("zh-Hans", "關閉自動還款"), ("zh-Hant", "全额扣缴"),
])
def test_a_whole_title_matches_whatever_its_diacritics_script_or_case(offered, language, text):
    assert match_choice(text, offered("autopay", language)).outcome is Outcome.CHOSEN


# --- Yes or no, where the question is yes/no -----------------------------------------------------

YES = {
    "en": ["yes", "Yes!", "y", "yeah", "yep", "yup", "sure", "ok", "OK.", "okay", "confirm",
           "go ahead", "please do", "correct", "right", "yes please", "yes, thanks", "ok 👍"],
    "zh-Hans": ["是", "是的", "对", "好", "好的", "好啊", "可以", "确认", "嗯", "行", "没问题",
                "好的，谢谢", "好的谢谢", "嗯嗯", "对的", "好吧", "OK"],
    "zh-Hant": ["是", "是的", "對", "好的", "確認", "沒問題", "係", "係呀", "係啊", "好呀", "得",
                "冇問題", "OK", "好的，謝謝", "係呀，唔該"],
    "vi": ["có", "co", "ừ", "u", "uh", "ừm", "vâng", "vang", "dạ", "da", "đồng ý", "dong y",
           "đúng", "dung", "ok", "oke", "okie", "dc", "đc", "được", "duoc", "ừa", "yes", "dạ có ạ",
           "ok nha", "vâng ạ", "đồng ý nhé", "Dong Y", "có, cảm ơn"],
}
NO = {
    "en": ["no", "No.", "n", "nope", "nah", "cancel", "don't", "do not", "not now", "stop",
           "no thanks", "no, thank you", "nope!"],
    "zh-Hans": ["不", "不是", "不用", "不要", "没有", "算了", "取消", "否", "不用了，谢谢", "不了",
                "不行"],
    "zh-Hant": ["不", "不是", "不用", "沒有", "算了", "取消", "唔係", "唔使", "唔要", "冇", "唔好",
                "算啦", "唔使喇，唔該"],
    "vi": ["không", "khong", "ko", "k", "kh", "hông", "hong", "thôi", "thoi", "hủy", "huy",
           "không cần", "khong can", "ko can", "thôi ạ", "không cần đâu", "dạ không", "không có"],
}
YES_NO_QUESTIONS = ["utter_confirm_replacement_address", "utter_offer_human",  # yes: /human_agent
                    "utter_confirm_dispute", "utter_ask_unknown_transactions"]


@pytest.mark.parametrize("kind", YES_NO_QUESTIONS)
@pytest.mark.parametrize(("language", "text", "expected"),
                         [(lang, t, 1) for lang, words in YES.items() for t in words]
                         + [(lang, t, 2) for lang, words in NO.items() for t in words])
def test_yes_or_no_answers_a_yes_no_question(offered, kind, language, text, expected):
    check(offered, kind, language, text, expected)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", ["yes no", "ok không", "是不是", "好，不用", "có không", "thanks",
                                  "谢谢", "cảm ơn"])
def test_mixed_yes_and_no_or_only_thanks_is_not_an_answer(offered, language, text):
    check(offered, "utter_confirm_replacement_address", language, text, None)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", ["yes", "ok", "好的", "có", "no", "không", "不用", "取消", "đúng",
                                  "dung"])
def test_yes_or_no_does_not_answer_a_question_with_other_choices(offered, language, text):
    # Folded, vi "no" and "dung" are words of "Dư nợ" and "tín dụng" in the did-you-mean titles.
    check(offered, "limit", language, text, None)
    check(offered, "did_you_mean", language, text, None)
    check(offered, "autopay", language, text, None)


OFFER_HUMAN: dict[str, dict[str, Expected]] = {
    "en": {"try again": 2, "a person": 1, "1": 1, "2": 2},
    "zh-Hans": {"转人工": 1, "我再试试": 2},
    "zh-Hant": {"真人客服": 1, "第二個": 2},
    "vi": {"gặp nhân viên": 1, "thu lai": 2},
}


@pytest.mark.parametrize(("language", "text", "expected"), cases(OFFER_HUMAN))
def test_a_yes_no_question_also_takes_its_titles_and_numbers(offered, language, text, expected):
    check(offered, "utter_offer_human", language, text, expected)


# --- Not an answer -------------------------------------------------------------------------------

NOT_ANSWERS = [
    "hello", "hi", "balance", "what's my balance", "what is the temporary limit?", "help",
    "I want to block my card", "can I use my visa abroad next week please?", "", "   ", "🙂", "?",
    "你好", "我的余额是多少", "余额", "我想挂失", "临时额度是多少",
    "帮我查一下最近的交易记录和账单好吗",
    "你好", "我的餘額是多少", "餘額", "我想掛失", "臨時額度是多少",
    "幫我查一下最近的交易紀錄和帳單好嗎",
    "xin chào", "chao", "số dư", "so du bao nhieu", "tạm thời là bao lâu", "khoá thẻ giúp tôi",
]


@pytest.mark.parametrize("kind", ["limit", "cards"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", NOT_ANSWERS)
def test_questions_greetings_and_other_requests_are_not_answers(offered, kind, language, text):
    check(offered, kind, language, text, None)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", [
    "I want the temporary one because I am travelling next month",
    "tôi muốn tăng hạn mức tạm thời vì tháng sau đi du lịch",
    "我下个月要出国旅游所以想申请临时额度",
])
def test_a_long_message_mentioning_a_choice_is_not_an_answer(offered, language, text):
    check(offered, "limit", language, text, None)


def test_no_choices_means_no_answer():
    assert match_choice("1", []) == Match(Outcome.NOT_AN_ANSWER)


# --- The API -------------------------------------------------------------------------------------

def test_a_match_carries_the_choice_or_the_candidates():
    chosen = match_choice("visa", CARDS)
    assert chosen == Match(Outcome.CHOSEN, CARDS[0])
    visas = [*CARDS, Choice("Visa Signature •••• 9090", '/check_balance{"card_last4":"9090"}')]
    assert match_choice("visa", visas) == Match(Outcome.AMBIGUOUS, candidates=(visas[0], visas[2]))
    assert match_choice("hello", CARDS) == Match(Outcome.NOT_AN_ANSWER)
    with pytest.raises(AttributeError):
        # mypy rightly refuses assigning to a frozen field: the point is that it raises.
        chosen.outcome = Outcome.AMBIGUOUS  # type: ignore[misc]


def test_numbered_lines_numbers_from_one_in_display_order():
    assert numbered_lines(CARDS) == "1. Visa Platinum •••• 2468\n2. Mastercard World •••• 1122"
    assert numbered_lines([]) == ""
