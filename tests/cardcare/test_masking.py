"""Card numbers, security codes and verification answers never reach storage unmasked."""

from __future__ import annotations

from cardcare.masking import mask_digits, mask_text
from cardcare.tracker_store import mask_events


def test_card_numbers_keep_only_their_last_four_digits():
    assert mask_text("my card 4111 1111 1111 1111 was stolen") == "my card •••• 1111 was stolen"
    assert mask_text("4111-1111-1111-1111") == "•••• 1111"
    assert mask_text("卡号4111111111111111被盗") == "卡号•••• 1111被盗"


def test_numbers_that_are_not_card_numbers_stay():
    # 13 digits failing the Luhn check: an amount, a phone, an order number.
    assert mask_text("pay 1234567890123 dong") == "pay 1234567890123 dong"
    assert mask_text("ending 4821, 12 months, $1,299.00") == "ending 4821, 12 months, $1,299.00"


def test_named_secrets_are_hidden_in_every_language():
    assert mask_text("the cvv is 123") == "the cvv is •••"
    assert mask_text("my OTP: 482913") == "my OTP: ••••••"
    assert mask_text("验证码是482913") == "验证码是••••••"
    assert mask_text("驗證碼 482913") == "驗證碼 ••••••"
    assert mask_text("mã OTP là 482913 nha") == "mã OTP là •••••• nha"
    assert mask_text("ma otp 482913") == "ma otp ••••••"


def test_mask_digits_hides_every_digit():
    assert mask_digits("4821 04/12/1988") == "•••• ••/••/••••"


def _user(text: str) -> dict:
    return {"event": "user", "text": text,
            "parse_data": {"text": text, "entities": [{"entity": "amount", "value": text,
                                                       "text": text}]}}


def test_answers_to_verification_questions_are_masked_whole():
    events = [
        {"event": "active_loop", "name": "verify_form"},
        {"event": "slot", "name": "requested_slot", "value": "identity_details"},
        _user("+1 415 555 0101"),
        {"event": "slot", "name": "identity_details", "value": "+1 415 555 0101"},
        {"event": "slot", "name": "requested_slot", "value": "otp_code"},
        _user("482913"),
        {"event": "slot", "name": "otp_code", "value": "482913"},
        {"event": "active_loop", "name": None},
        {"event": "slot", "name": "requested_slot", "value": None},
        _user("split 129.99 into 6 months"),
    ]
    mask_events(events)
    assert events[2]["text"] == "+• ••• ••• ••••"
    assert events[2]["parse_data"]["entities"][0]["value"] == "+• ••• ••• ••••"
    assert events[3]["value"] == "••••••"
    assert events[5]["text"] == events[5]["parse_data"]["text"] == "••••••"
    assert events[6]["value"] == "••••••"
    assert events[9]["text"] == "split 129.99 into 6 months"  # after verification: kept


def test_masking_is_idempotent():
    events = [{"event": "active_loop", "name": "verify_form"},
              {"event": "slot", "name": "requested_slot", "value": "otp_code"},
              _user("code 482913, card 4111 1111 1111 1111")]
    once = mask_events([dict(e) for e in events])
    assert mask_events([dict(e) for e in once]) == once


def test_card_numbers_written_with_dots_are_masked():
    assert mask_text("card 4111.1111.1111.1111 lost") == "card •••• 1111 lost"


def test_a_code_named_a_few_words_before_is_masked():
    assert mask_text("the code you sent me was 336741") == "the code you sent me was ••••••"
    assert mask_text("mã xác thực của em là 336741") == "mã xác thực của em là ••••••"
    # A word that merely ends like a code word is not one.
    assert mask_text("zipcode 10001") == "zipcode 10001"


def test_birth_dates_near_a_birth_word_are_masked():
    assert "1988" not in mask_text("I was born on 04/12/1988")
    assert "1990" not in mask_text("我的生日是1990年5月3日")
    assert "1985" not in mask_text("ngày sinh 12-03-1985")
    # A date that is not a birth date stays: the user may be disputing a charge of that day.
    assert mask_text("charged twice on 03/11/2026") == "charged twice on 03/11/2026"


def test_phone_numbers_keep_only_their_last_two_digits():
    masked = mask_text("call me on +1 415 555 0101")
    assert "415" not in masked and masked.endswith("01")
    assert "138" not in mask_text("手机13812345678")
    assert "0912" not in mask_text("sdt cua em la 0912345678")
