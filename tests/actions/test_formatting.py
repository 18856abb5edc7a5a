import pytest

from actions.formatting import card_title


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
