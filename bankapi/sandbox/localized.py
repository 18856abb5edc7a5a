"""The few texts the sandbox bank itself returns, in the language the client asks for.

A real bank localises its own product texts (reward catalogue, payment instructions); the
contract lets CardCare ask with ``Accept-Language``.
"""

from __future__ import annotations

from aiohttp import web

LANGUAGES = ("en", "zh-Hans", "zh-Hant", "vi")

REWARD_OPTIONS: dict[str, tuple[int, dict[str, str]]] = {
    "statement_credit": (5000, {
        "en": "Statement credit worth 1% of the points",
        "zh-Hans": "按积分1%抵扣账单",
        "zh-Hant": "按積分1%折抵帳單",
        "vi": "Hoàn tiền vào sao kê bằng 1% số điểm"}),
    "air_miles": (10000, {
        "en": "2,500 airline miles",
        "zh-Hans": "2,500 航空里程",
        "zh-Hant": "2,500 航空里數",
        "vi": "2.500 dặm bay"}),
    "shopping_voucher": (20000, {
        "en": "Shopping voucher at partner stores",
        "zh-Hans": "合作商户购物券",
        "zh-Hant": "合作商戶購物禮券",
        "vi": "Phiếu mua hàng tại cửa hàng đối tác"}),
}

PAYMENT_METHODS: dict[str, dict[str, str]] = {
    "mobile_app": {
        "en": "Pay in the bank's app: Cards → Pay bill.",
        "zh-Hans": "在银行App中还款：信用卡 → 还款。",
        "zh-Hant": "在銀行App繳款：信用卡 → 繳款。",
        "vi": "Thanh toán trong ứng dụng ngân hàng: Thẻ → Thanh toán dư nợ."},
    "bank_transfer": {
        "en": "Transfer from any bank to the card's repayment account shown on your statement.",
        "zh-Hans": "从任意银行转账至账单上的信用卡还款账户。",
        "zh-Hant": "從任何銀行轉帳至帳單上的信用卡繳款帳戶。",
        "vi": "Chuyển khoản từ bất kỳ ngân hàng nào vào tài khoản thanh toán thẻ ghi trên sao kê."},
    "autopay": {
        "en": "Set up autopay from your bank account so you never miss a due date.",
        "zh-Hans": "设置从您的银行账户自动还款，避免逾期。",
        "zh-Hant": "設定由您的銀行帳戶自動扣繳，避免逾期。",
        "vi": "Đăng ký trích nợ tự động từ tài khoản ngân hàng để không bao giờ trễ hạn."},
}


def language(request: web.Request) -> str:
    """The first supported language in ``Accept-Language``, English otherwise."""
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip()
        if tag in LANGUAGES:
            return tag
        lowered = tag.lower()
        if lowered.startswith("zh"):
            return "zh-Hant" if any(x in lowered for x in ("hant", "tw", "hk", "mo")) else "zh-Hans"
        if lowered.startswith("vi"):
            return "vi"
        if lowered.startswith("en"):
            return "en"
    return "en"
