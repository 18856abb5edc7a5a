"""``make bench``: how long the action server takes per banking flow, and how much is the bank's.

Each flow runs ``--runs`` times as a scripted conversation through the real actions (driven
in-process by ``cardcare.dev.driver.Chat``, as Rasa would call them) against the sandbox bank served
over loopback HTTP, reset to its seed before every run.  Every bank call is timed at the
client's transport, so each action turn splits into the bank's time and CardCare's own
(actions, client, parsing, formatting).  Verification codes are read outside the timed turns.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from rasa_sdk import Action

from actions.account import ActionCheckBalance, ActionListTransactions, ActionPaymentInfo
from actions.autopay import ActionAutopay
from actions.bank import BankClient, BankSettings
from actions.cards import ActionChangePin, ActionLostCard
from actions.disputes import ActionDisputeCharge
from actions.fraud import ActionReportFraud
from actions.identity import ActionVerificationDone, ValidateVerifyForm
from actions.installments import ActionInstallment
from actions.limits import ActionCreditLimit
from actions.repayment import ActionRepaymentPlan
from actions.rewards import ActionRewardsPoints
from actions.router import ActionAffirm, ActionDeny
from actions.sessions import MemorySessionStore, SessionStore
from bankapi.sandbox.app import create_app
from bankapi.sandbox.context import Settings
from bankapi.sandbox.seed import CUSTOMERS
from cardcare.dev.driver import Chat

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "bench-only-key"
PHONES = {c.customer_id: "+" + c.phone for c in CUSTOMERS}


class TimedClient(BankClient):
    """The real client, with its one network method timed.

    ``bank_s`` is wall-clock time with at least one bank call in flight, so calls made
    together (the tenor quotes) count once, not once each.
    """

    bank_s: float = 0.0
    _in_flight: int = 0
    _since: float = 0.0

    async def _transport(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self._in_flight == 0:
            self._since = time.perf_counter()
        self._in_flight += 1
        try:
            return await super()._transport(*args, **kwargs)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.bank_s += time.perf_counter() - self._since


@dataclass
class Turns:
    """Per-turn timings of one flow: total and bank seconds."""

    total: list[float] = field(default_factory=list)
    bank: list[float] = field(default_factory=list)


class Run:
    """One scripted conversation whose action turns are timed."""

    def __init__(self, chat: Chat, client: TimedClient, turns: Turns) -> None:
        self.chat, self.client, self.turns = chat, client, turns

    async def turn(self, action: Callable[[BankClient, SessionStore], Action], text: str,
                   intent: str, **entities: str) -> None:
        self.chat.user(text, intent, **entities)
        self.client.bank_s = 0.0
        started = time.perf_counter()
        await self.chat.run(action(self.client, self.chat.sessions))
        self.turns.total.append(time.perf_counter() - started)
        self.turns.bank.append(self.client.bank_s)


async def _code(http: aiohttp.ClientSession, base: str, subject: str) -> str:
    async with http.get(f"{base}/sandbox/outbox", params={"subject": subject}) as response:
        body = await response.json()
    return re.search(r"\b(\d{6})\b", body["messages"][0]["body"]).group(1)


async def verify(run: Run, http: aiohttp.ClientSession, base: str) -> None:
    """The verification flow: request, identity, code, resume (the balance)."""
    chat = run.chat
    await run.turn(ActionCheckBalance, "balance", "check_balance")
    chat.active_loop, chat.slots["requested_slot"] = "verify_form", "identity_details"
    await run.turn(ValidateVerifyForm, "+1 415 555 0101", "inform")
    chat.slots["requested_slot"] = "otp_code"
    code = await _code(http, base, chat.subject)
    await run.turn(ValidateVerifyForm, code, "inform")
    await run.turn(ActionVerificationDone, code, "inform")


# Flow name → (demo cardholder, script).  Scripts start verified.
Script = Callable[[Run], Awaitable[None]]
FLOWS: dict[str, tuple[str, Script]] = {
    "check_balance": ("cus_emma", lambda r: r.turn(ActionCheckBalance, "balance", "check_balance")),
    "list_transactions": ("cus_lan", lambda r: r.turn(
        ActionListTransactions, "giao dịch tháng trước", "list_transactions", period="last_month")),
    "payment_info": ("cus_chen", lambda r: r.turn(ActionPaymentInfo, "何時繳款", "payment_info")),
    "change_pin": ("cus_wong", lambda r: r.turn(ActionChangePin, "改密碼", "change_pin")),
}


def _flow(customer: str) -> Callable[[Script], Script]:
    def register(script: Script) -> Script:
        FLOWS[script.__name__] = (customer, script)
        return script
    return register


@_flow("cus_emma")
async def lost_card(r: Run) -> None:
    await r.turn(ActionLostCard, "I lost my card", "lost_card", card_last4="4821")
    await r.turn(ActionAffirm, "yes", "affirm")
    await r.turn(ActionDeny, "no", "deny")


@_flow("cus_emma")
async def installment(r: Run) -> None:
    await r.turn(ActionInstallment, "split apple", "installment", merchant="Apple",
                 card_last4="4821")
    await r.turn(ActionInstallment, "12 months", "inform", months="12")
    await r.turn(ActionAffirm, "yes", "affirm")


@_flow("cus_emma")
async def dispute_charge(r: Run) -> None:
    await r.turn(ActionDisputeCharge, "amazon twice", "dispute_charge", merchant="Amazon",
                 card_last4="4821")
    await r.turn(ActionDisputeCharge, "charged twice", "dispute_charge",
                 dispute_reason="duplicate")
    await r.turn(ActionAffirm, "yes", "affirm")


@_flow("cus_wang")
async def report_fraud(r: Run) -> None:
    await r.turn(ActionReportFraud, "盗刷", "report_fraud")
    await r.turn(ActionReportFraud, "京东", "report_fraud", transaction_id="tx_wang_up_02")
    await r.turn(ActionAffirm, "好了", "affirm")
    await r.turn(ActionAffirm, "确认", "affirm")


@_flow("cus_emma")
async def credit_limit(r: Run) -> None:
    await r.turn(ActionCreditLimit, "raise to 10000", "credit_limit", amount="10000",
                 card_last4="4821")
    await r.turn(ActionCreditLimit, "temporary", "credit_limit", limit_kind="temporary",
                 card_last4="4821")
    await r.turn(ActionAffirm, "yes", "affirm")


@_flow("cus_wang")
async def rewards_points(r: Run) -> None:
    await r.turn(ActionRewardsPoints, "积分", "rewards_points")
    await r.turn(ActionRewardsPoints, "里程", "rewards_points", option_id="air_miles")
    await r.turn(ActionAffirm, "确认", "affirm")


@_flow("cus_chen")
async def autopay(r: Run) -> None:
    await r.turn(ActionAutopay, "自動扣繳", "autopay")
    await r.turn(ActionAutopay, "全額", "autopay", autopay_mode="full", card_last4="5512")
    await r.turn(ActionAffirm, "好", "affirm")


@_flow("cus_khoa")
async def repayment_plan(r: Run) -> None:
    await r.turn(ActionRepaymentPlan, "không trả nổi", "repayment_plan")
    await r.turn(ActionRepaymentPlan, "6 tháng", "repayment_plan", offer_id="card_khoa_mc.6")
    await r.turn(ActionAffirm, "đồng ý", "affirm")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def bench(runs: int) -> dict[str, Turns]:
    """Runs every flow ``runs`` times; per-flow turn timings."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/bench.sqlite3", api_key=API_KEY)
        runner = web.AppRunner(create_app(settings), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        base = f"http://{host}:{port}"
        client = TimedClient(BankSettings(base_url=base, api_key=API_KEY))
        results: dict[str, Turns] = {name: Turns() for name in ["verify", *FLOWS]}
        try:
            async with aiohttp.ClientSession() as http:
                for n in range(runs):
                    for name in results:
                        async with http.post(f"{base}/sandbox/reset"):
                            pass
                        sessions = MemorySessionStore()
                        chat = Chat(domain, client, sessions, sender=f"bench{n}{name}")
                        run = Run(chat, client, results[name])
                        if name == "verify":
                            await verify(run, http, base)
                            continue
                        customer, script = FLOWS[name]
                        async with http.post(f"{base}/v1/identity/challenges",
                                             json={"subject": chat.subject,
                                                   "phone": PHONES[customer]},
                                             headers={"X-Api-Key": API_KEY,
                                                      "Idempotency-Key": f"bench-{n}-{name}"}
                                             ) as response:
                            challenge = (await response.json())["challenge_id"]
                        async with http.post(
                                f"{base}/v1/identity/challenges/{challenge}/verify",
                                json={"code": await _code(http, base, chat.subject)},
                                headers={"X-Api-Key": API_KEY,
                                         "Idempotency-Key": f"bench-{n}-{name}-v"}) as response:
                            token = (await response.json())["session_token"]
                            await sessions.put(chat.subject, token)
                        await script(run)
                        failed = {"utter_bank_unavailable", "utter_bank_refused"} & set(chat.said())
                        if failed:
                            raise RuntimeError(f"{name}: the flow failed ({failed})")
        finally:
            await client.close()
            await runner.cleanup()
    return results


def report(results: dict[str, Turns], runs: int) -> str:
    """The table ``make bench`` prints (milliseconds per action turn)."""
    lines = [f"Action-server latency per turn, {runs} runs per flow, sandbox bank over loopback "
             "HTTP (SQLite)", "",
             f"{'flow':<18}{'turns':>6}{'total p50':>11}{'p99':>8}{'bank p50':>10}{'p99':>8}"
             f"{'own p50':>9}{'p99':>8}"]
    for name, turns in results.items():
        own = [t - b for t, b in zip(turns.total, turns.bank, strict=True)]
        lines.append(f"{name:<18}{len(turns.total):>6}{_pct(turns.total, .5):>11.1f}"
                     f"{_pct(turns.total, .99):>8.1f}{_pct(turns.bank, .5):>10.1f}"
                     f"{_pct(turns.bank, .99):>8.1f}{_pct(own, .5):>9.1f}{_pct(own, .99):>8.1f}")
    every = [t - b for turns in results.values()
             for t, b in zip(turns.total, turns.bank, strict=True)]
    lines += ["", f"all turns: own time median {statistics.median(every) * 1000:.1f} ms, "
                  f"p99 {_pct(every, .99):.1f} ms (ms; own = total - bank)"]
    return "\n".join(lines)


def main(runs: int, out: Path) -> int:
    """Runs the benchmark, prints the table and writes it to ``out``/bench.txt."""
    import logging

    import structlog

    # The client logs every bank call at debug; the benchmark prints only its table.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger().setLevel(logging.WARNING)
    results = asyncio.run(bench(runs))
    text = report(results, runs)
    print(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.txt").write_text(text + "\n", encoding="utf-8")
    return 0
