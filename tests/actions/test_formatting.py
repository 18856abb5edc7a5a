import pytest

from actions.formatting import card_title, locale_for
from cardcare.conversation import LANGUAGES


@pytest.mark.parametrize(("brand", "product", "title"), [
    ("visa", "Platinum Rewards", "Visa Platinum Rewards •••• 4821"),
    ("visa", "Visa Platinum", "Visa Platinum •••• 4821"),
    ("mastercard", "Mastercard World", "Mastercard World •••• 4821"),
    ("unionpay", "白金卡", "UnionPay 白金卡 •••• 4821"),
    ("mastercard", "Titanium 卡", "Mastercard Titanium 卡 •••• 4821"),
    ("elo", "Nanquim", "Elo Nanquim •••• 4821"),
])
def test_a_card_is_named_by_its_network_once(brand: str, product: str, title: str) -> None:
    assert card_title(brand, product, "4821") == title


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_a_locale_of_its_own(language):
    assert locale_for(language).replace("_", "-").startswith(language)
