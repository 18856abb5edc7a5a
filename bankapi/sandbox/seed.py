"""Demo cardholders: one per market and currency, plus an overdue account and a disputed charge.

Dates are relative to the day the sandbox is seeded, so "last week" always has transactions.
The README lists these identities; the tests use them by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bankapi.sandbox import schema


@dataclass(frozen=True)
class DemoCard:
    card_id: str
    last4: str
    brand: str
    product: str
    currency: str
    credit_limit: int  # major units
    status: str = "active"
    overdue: int = 0  # major units overdue
    days_past_due: int = 0
    # (days ago, merchant, amount in major units, pending)
    transactions: tuple[tuple[int, str, float, bool], ...] = ()


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    first_name: str
    full_name: str
    phone: str
    date_of_birth: date
    language: str
    points: int
    address: str
    funding_bank: str
    funding_number: str
    cards: tuple[DemoCard, ...]


CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        "cus_emma", "Emma", "Emma Carter", "14155550101", date(1988, 4, 12), "en", 48200,
        "221 Market Street, Apt 5B, San Francisco, CA 94105", "Wells Fargo", "000123456789",
        (
            DemoCard("card_emma_visa", "4821", "visa", "Platinum Rewards", "USD", 8000,
                     transactions=((1, "Starbucks", 6.45, True), (2, "Amazon", 129.99, False),
                                   (3, "Uber", 23.10, False), (5, "Whole Foods", 86.32, False),
                                   (8, "Netflix", 15.49, False), (8, "Netflix", 15.49, False),
                                   (12, "Apple", 1299.00, False), (16, "Shell", 54.20, False),
                                   (21, "Delta Air Lines", 642.80, False),
                                   (33, "Target", 73.15, False), (40, "Spotify", 10.99, False),
                                   (46, "Best Buy", 499.99, False))),
            DemoCard("card_emma_mc", "7733", "mastercard", "Cashback", "USD", 3000,
                     transactions=((4, "Costco", 212.47, False), (18, "Chipotle", 14.85, False))),
        ),
    ),
    DemoCustomer(
        "cus_wang", "芳", "王芳", "8613800138000", date(1990, 8, 23), "zh-Hans", 126000,
        "上海市浦东新区世纪大道100号 12楼", "招商银行", "6225880112345678",
        (
            DemoCard("card_wang_up", "3306", "unionpay", "白金卡", "CNY", 50000,
                     transactions=((1, "美团外卖", 48.50, True), (2, "京东", 2399.00, False),
                                   (4, "滴滴出行", 36.20, False), (6, "星巴克", 39.00, False),
                                   (9, "淘宝", 158.00, False), (13, "盒马鲜生", 264.30, False),
                                   (20, "中国国航", 1860.00, False),
                                   (27, "华为商城", 5999.00, False),
                                   (35, "拼多多", 89.90, False))),
        ),
    ),
    DemoCustomer(
        "cus_chen", "怡君", "陳怡君", "886932555868", date(1985, 11, 2), "zh-Hant", 35500,
        "台北市信義區松高路11號 8樓", "國泰世華銀行", "012345678901",
        (
            DemoCard("card_chen_visa", "5512", "visa", "御璽卡", "TWD", 200000,
                     transactions=((1, "全聯福利中心", 1268.00, True),
                                   (3, "7-ELEVEN", 145.00, False),
                                   (5, "momo購物網", 3290.00, False),
                                   (7, "台灣高鐵", 1490.00, False),
                                   (10, "誠品書店", 680.00, False),
                                   (15, "王品牛排", 2860.00, False),
                                   (24, "中華電信", 1399.00, False),
                                   (31, "家樂福", 2210.00, False))),
        ),
    ),
    DemoCustomer(
        "cus_wong", "志明", "黃志明", "85291234567", date(1979, 6, 30), "zh-Hant", 21800,
        "香港九龍旺角彌敦道 600 號 15 樓 B 室", "滙豐", "004123456001",
        (
            DemoCard("card_wong_mc", "9087", "mastercard", "Titanium 卡", "HKD", 60000,
                     transactions=((1, "百佳超級市場", 356.80, True),
                                   (2, "HKTVmall", 1288.00, False),
                                   (4, "大家樂", 62.00, False), (6, "港鐵", 500.00, False),
                                   (9, "莎莎", 438.00, False), (14, "豐澤", 7999.00, False),
                                   (22, "國泰航空", 4620.00, False),
                                   (30, "美心西餅", 168.00, False))),
        ),
    ),
    DemoCustomer(
        "cus_lan", "Lan", "Nguyễn Thị Lan", "84912345678", date(1995, 3, 15), "vi", 15400,
        "25 Lý Thường Kiệt, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội", "Vietcombank",
        "0011004123456",
        (
            DemoCard("card_lan_visa", "2468", "visa", "Visa Platinum", "VND", 50000000,
                     transactions=((1, "Highlands Coffee", 59000, True),
                                   (2, "Shopee", 1250000, False),
                                   (3, "Grab", 86000, False), (5, "Tiki", 459000, False),
                                   (8, "Điện máy Xanh", 12990000, False),
                                   (11, "Vietnam Airlines", 3150000, False),
                                   (17, "Circle K", 45000, False),
                                   (26, "Lotte Mart", 780000, False))),
            DemoCard("card_lan_new", "1122", "mastercard", "Mastercard World", "VND", 30000000,
                     status="inactive"),
        ),
    ),
    DemoCustomer(
        "cus_khoa", "Khoa", "Trần Minh Khoa", "84903111222", date(1987, 12, 1), "vi", 2300,
        "112 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh", "Techcombank",
        "19033445566",
        (
            DemoCard("card_khoa_mc", "1357", "mastercard", "Mastercard Gold", "VND", 40000000,
                     overdue=12500000, days_past_due=45,
                     transactions=((50, "Thế Giới Di Động", 18990000, False),
                                   (56, "Bách Hóa Xanh", 650000, False),
                                   (62, "Grab", 120000, False))),
        ),
    ),
)

# Emma's second Netflix charge is already under dispute: the demo of "status of my case".
DISPUTED = ("card_emma_visa", 6, "duplicate", "investigating")


def _minor(value: float) -> int:
    return round(value * 100)


def _rows(today: date) -> dict[Any, list[dict[str, Any]]]:
    rows: dict[Any, list[dict[str, Any]]] = {table: [] for table in (
        schema.customers, schema.addresses, schema.funding_accounts, schema.cards,
        schema.transactions, schema.payments, schema.disputes, schema.card_deliveries)}
    statement_date = today - timedelta(days=12)
    for customer in CUSTOMERS:
        cid = customer.customer_id
        rows[schema.customers].append(dict(
            customer_id=cid, first_name=customer.first_name, full_name=customer.full_name,
            phone=customer.phone, date_of_birth=customer.date_of_birth,
            language=customer.language, reward_points=customer.points))
        rows[schema.addresses].append(dict(
            address_id=f"addr_{cid[4:]}_home", customer_id=cid, label="home",
            line=customer.address))
        rows[schema.funding_accounts].append(dict(
            funding_account_id=f"fa_{cid[4:]}", customer_id=cid,
            bank_name=customer.funding_bank, number=customer.funding_number))
        for card in customer.cards:
            in_statement = [a for days, _, a, _ in card.transactions if days > 12]
            statement = _minor(sum(in_statement)) + _minor(card.overdue)
            # Minimum payment: 5 % of the statement (at least 10 units) plus anything overdue.
            minimum = (min(statement, max(_minor(sum(in_statement)) // 20, 1000))
                       + _minor(card.overdue))
            rows[schema.cards].append(dict(
                card_id=card.card_id, customer_id=cid, last4=card.last4, brand=card.brand,
                product=card.product, status=card.status, block_reason=None,
                currency=card.currency, replaced_by=None,
                credit_limit=_minor(card.credit_limit),
                max_permanent_limit=_minor(card.credit_limit * 2),
                temporary_limit=None, temporary_until=None,
                statement_balance=statement, minimum_payment=minimum,
                statement_date=statement_date,
                due_date=(today - timedelta(days=card.days_past_due)) if card.overdue
                else statement_date + timedelta(days=25),
                overdue_amount=_minor(card.overdue), days_past_due=card.days_past_due,
                autopay_account=None, autopay_mode=None))
            if card.status == "inactive":  # a new card, delivered three days ago
                rows[schema.card_deliveries].append(dict(
                    order_reference=f"NEW-{card.card_id[5:].upper()}", card_id=card.card_id,
                    kind="new", address_id=f"addr_{cid[4:]}_home",
                    ordered_on=today - timedelta(days=9),
                    estimated_delivery=today - timedelta(days=3), returned_on=None))
            for n, (days, merchant, amount, pending) in enumerate(card.transactions, start=1):
                rows[schema.transactions].append(dict(
                    transaction_id=f"tx_{card.card_id[5:]}_{n:02d}", card_id=card.card_id,
                    posted_on=today - timedelta(days=days), merchant=merchant,
                    amount=_minor(amount), status="pending" if pending else "posted",
                    disputed=False, fraud=False, installment_plan=None,
                    in_statement=days > 12))
            if card.transactions and not card.overdue:
                rows[schema.payments].append(dict(
                    payment_id=f"pay_{card.card_id[5:]}", card_id=card.card_id,
                    paid_on=statement_date - timedelta(days=8),
                    amount=_minor(card.credit_limit / 20), method="bank_transfer"))
    card_id, n, reason, status = DISPUTED
    tx_id = f"tx_{card_id[5:]}_{n:02d}"
    for row in rows[schema.transactions]:
        if row["transaction_id"] == tx_id:
            row["disputed"] = True
    rows[schema.disputes].append(dict(
        reference="DSP-100001", card_id=card_id, transaction_id=tx_id, reason=reason,
        note=None, status=status, opened_on=today - timedelta(days=6)))
    return rows


async def seed(conn: AsyncConnection, today: date) -> None:
    """Inserts the demo data into empty tables."""
    for table, rows in _rows(today).items():
        if rows:
            await conn.execute(table.insert(), rows)
