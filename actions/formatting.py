"""Money, dates and card names in the user's language and card's currency (Babel), at the edge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date as _format_date
from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal

from cardcare.conversation import DEFAULT_LANGUAGE

# Babel locale per conversation language; Traditional Chinese follows the card's market
# (Hong Kong dollars read as Hong Kong Chinese, everything else as Taiwan's usage).
_LOCALES = {"en": "en_US", "zh-Hans": "zh_Hans_CN", "zh-Hant": "zh_Hant_TW", "vi": "vi_VN"}
# How card networks write their own names (the bank API gives lower-case brand codes).
_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "unionpay": "UnionPay",
           "amex": "American Express", "jcb": "JCB", "discover": "Discover"}
# What cardholders call a network besides its name: "master card", 银联/銀聯, "amex".
BRAND_ALIASES = {"mastercard": ("master card", "master", "万事达", "萬事達"),
                 "unionpay": ("union pay", "银联", "銀聯"), "amex": ("american express", "運通")}
# Currencies whose cents nobody writes in everyday use in these markets.
_NO_CENTS = frozenset({"VND", "TWD"})


def locale_for(language: str | None, currency: str | None = None) -> str:
    """The Babel locale for a conversation language (English when unknown)."""
    if language == "zh-Hant" and currency == "HKD":
        return "zh_Hant_HK"
    return _LOCALES.get(language or DEFAULT_LANGUAGE, "en_US")


def money(amount: Decimal, currency: str, language: str | None) -> str:
    """``Decimal("1234.5"), "USD", "en"`` → ``$1,234.50``; VND and TWD without cents."""
    locale = locale_for(language, currency)
    if currency in _NO_CENTS:
        return format_currency(amount, currency, locale=locale, format_type="standard",
                               currency_digits=False, decimal_quantization=True,
                               format="¤#,##0" if language != "vi" else "#,##0 ¤")
    return format_currency(amount, currency, locale=locale)


def day(value: date, language: str | None, currency: str | None = None) -> str:
    """A date in the locale's medium format.

    ``Dec 13, 2026``, ``2026年12月13日``, ``13 thg 12, 2026``.
    """
    return _format_date(value, format="medium", locale=locale_for(language, currency))


def month_name(value: date, language: str | None) -> str:
    """The month of ``value`` with its year: ``November 2026``, ``2026年11月``,
    ``tháng 11 năm 2026``."""
    return format_skeleton("yMMMM", value, locale=locale_for(language))


def number(value: int | Decimal, language: str | None) -> str:
    """A plain number with the locale's grouping (points, miles)."""
    return format_decimal(value, locale=locale_for(language))


def card_title(brand: str, product: str, last4: str) -> str:
    """``"visa", "Platinum Rewards", "4821"`` → ``Visa Platinum Rewards •••• 4821``.

    Banks often name the product after the network ("Visa Platinum"); the brand is then not
    written twice.
    """
    name = _BRANDS.get(brand.lower(), brand.title())
    if not product.lower().startswith(name.lower()):
        product = f"{name} {product}".strip()
    return f"{product} •••• {last4}"
