"""``make bench`` (channels): the gateway's cost, and WeChat's passive-reply share, under load.

One run of the whole stack (sandbox bank, action server, Rasa, the gateway as its own
process), with the same load sent two ways: straight to Rasa's REST channel, and through the
gateway's Telegram webhook path (the real python-telegram-bot sending to a fake Bot API in this
process).  Each simulated user writes like a person: a message, then the next once the
answer has arrived.  End-to-end latency through Telegram runs from the webhook POST to the
answer's arrival at the Bot API; through REST, from the POST to its response.  The same load
then goes through WeChat's callback (a fake WeChat platform and API), counting how many
answers went back passively, within WeChat's 5 seconds, rather than as pushed messages.
Last, the REST load once more while one more user sends nothing but messages of the largest
size a turn takes (``MAX_MESSAGE_CHARS`` of Chinese, the costliest script to tokenise), back to
back: the others' p99 next to the unloaded one, and what one such message costs.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp

from cardcare.conversation import MAX_MESSAGE_CHARS
from cardcare.dev.stack import DEFAULT_MODEL, Stack, StackConfig, _free_port
from tests.fakes.telegram import FakeTelegram, text_update
from tests.fakes.wechat import FakeWeChatAPI, WeChatPlatform

# Everyday messages, no verification needed: what the load is made of (all four languages).
MESSAGES = (
    "hello", "what fees do you charge", "how do I apply for a credit card", "thanks",
    "xin chào", "phí thường niên là bao nhiêu", "làm sao để mở thẻ tín dụng", "cảm ơn nhé",
    "你好", "信用卡年费是多少", "怎么申请信用卡", "谢谢",
    "你好呀", "點樣申請信用卡", "年費幾多錢", "唔該晒",
)
# The largest message a turn takes, in the script with the most tokens per character.
LARGEST = ("我的信用卡在商场被人盗刷了三笔请帮我冻结" * MAX_MESSAGE_CHARS)[:MAX_MESSAGE_CHARS]
SECRET = "bench-telegram-secret"
ROUNDS = 2
WX_TOKEN, WX_APP = "bench-wechat-token", "wxBENCHAPP"


@dataclass
class Load:
    """Latencies (seconds) of one path, the wall time the load took, CPU seconds per process."""

    latencies: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    passive: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)

    def add(self, other: Load) -> None:
        """Adds a round of the same path."""
        self.latencies += other.latencies
        self.wall_s += other.wall_s
        self.passive += other.passive
        for name, seconds in other.cpu_s.items():
            self.cpu_s[name] = self.cpu_s.get(name, 0.0) + seconds

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall_s if self.wall_s else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process and its waited-for children used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _processes(stack: Stack) -> dict[str, int]:
    """The stack's processes by role, from their command lines."""
    found: dict[str, int] = {}
    for process in stack.processes:
        args = [str(a) for a in process.args] if isinstance(process.args, list) else []
        if args[1:3] == ["-m", "bot"]:
            found["gateway"] = process.pid
        elif args[1:3] == ["run", "actions"]:
            found["actions"] = process.pid
        elif args[1:2] == ["run"]:
            found["rasa"] = process.pid
    return found


async def _users(users: int, turns: int, one_turn: Callable[[int, int, str], Awaitable[None]],
                 pids: dict[str, int] | None = None) -> Load:
    """``users`` people at once, each sending ``turns`` messages one after the other."""
    load = Load()
    before = {name: _cpu_s(pid) for name, pid in (pids or {}).items()}

    async def person(n: int) -> None:
        for t in range(turns):
            started = time.monotonic()
            await one_turn(n, t, MESSAGES[(n + t) % len(MESSAGES)])
            load.latencies.append(time.monotonic() - started)

    started = time.monotonic()
    await asyncio.gather(*(person(n) for n in range(users)))
    load.wall_s = time.monotonic() - started
    load.cpu_s = {name: _cpu_s(pid) - before[name] for name, pid in (pids or {}).items()}
    return load


async def run(users: int, turns: int, model: Path) -> dict[str, Load]:
    """Starts the stack with its gateway on fakes, and drives the three loads."""
    results: dict[str, Load] = {}
    run_id = secrets.token_hex(3)
    async with FakeTelegram() as telegram, FakeWeChatAPI(app_id=WX_APP) as wechat_api, \
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        with tempfile.TemporaryDirectory() as folder:
            config = StackConfig(
                rasa_port=_free_port("127.0.0.1"), actions_port=_free_port("127.0.0.1"),
                bank_port=_free_port("127.0.0.1"), gateway_port=_free_port("127.0.0.1"),
                model=model, log_dir=Path(folder),
                redis_url=os.environ.get("REDIS_URL") or None,
                gateway_env=(("TELEGRAM_BOT_TOKEN", telegram.token),
                             ("TELEGRAM_WEBHOOK_SECRET", SECRET),
                             ("TELEGRAM_API_URL", telegram.url),
                             ("WECHAT_TOKEN", WX_TOKEN), ("WECHAT_APP_ID", WX_APP),
                             ("WECHAT_APP_SECRET", wechat_api.app_secret),
                             ("WECHAT_API_URL", wechat_api.url),
                             # The load is one machine's users: no flood limit here.
                             ("GATEWAY_RATE_PER_MINUTE", "100000")))
            stack = Stack(config)
            await asyncio.to_thread(stack.start)  # the fakes must answer while it starts
            try:
                rest = f"{config.rasa_url}/webhooks/rest/webhook"

                async def via_rest(n: int, t: int, text: str, tag: str = "rest") -> None:
                    async with http.post(rest, json={"sender": f"{tag}-{run_id}-{n}",
                                                     "message": text}) as response:
                        await response.read()

                chats = itertools.count(10_000_000)
                chat_of: dict[tuple[str, int], int] = {}
                # Update ids as a new bot's: unseen by the gateway's deduplication so far.
                updates = itertools.count(secrets.randbelow(10**9))

                async def via_telegram(n: int, t: int, text: str, tag: str = "tg") -> None:
                    chat = chat_of.setdefault((tag, n), next(chats))
                    count = len(telegram.messages(chat))
                    async with http.post(f"{config.gateway_url}/telegram/webhook",
                                         json=text_update(next(updates), chat, text),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}):
                        pass
                    await telegram.wait_for_messages(chat, count + 1, timeout=120)

                platform = WeChatPlatform(WX_TOKEN, WX_APP, None, "plain",
                                          f"{config.gateway_url}/wechat")
                wx_load = Load()
                msg_ids = itertools.count(secrets.randbelow(10**12))

                async def via_wechat(n: int, t: int, text: str) -> None:
                    openid = f"oBENCH{run_id}{n}"
                    pushed = len(wechat_api.sent_to(openid))
                    result = await platform.push(platform.xml_text(openid, text, next(msg_ids)),
                                                 session=http)
                    if result.text:
                        wx_load.passive += 1
                    else:
                        await wechat_api.wait_for_sent(openid, pushed + 1, timeout=120)

                # Warm-up, not counted: Rasa's first turns load what the model needs.
                await _users(4, 3, lambda n, t, m: via_rest(n, t, m, "warm"))
                await _users(4, 3, lambda n, t, m: via_telegram(n, t, m, "warm"))
                # Rounds alternate between the paths, so a machine that gets busier or quieter
                # during the run weighs on both alike.
                pids = _processes(stack)
                results = {"rest": Load(), "telegram": Load()}
                for _ in range(ROUNDS):
                    results["rest"].add(await _users(users, turns // ROUNDS, via_rest, pids))
                    results["telegram"].add(
                        await _users(users, turns // ROUNDS, via_telegram, pids))
                wechat = await _users(users, turns, via_wechat, pids)
                results["wechat"] = replace(wechat, passive=wx_load.passive)
                results["largest"], results["beside_largest"] = await _beside_largest(
                    users, turns, via_rest)
            finally:
                await asyncio.to_thread(stack.stop)
    return results


async def _beside_largest(users: int, turns: int,
                          via_rest: Callable[..., Awaitable[None]]) -> tuple[Load, Load]:
    """The REST load while one more user sends only ``LARGEST``: (that user's turns, the
    others')."""
    largest, done = Load(), asyncio.Event()

    async def flood() -> None:
        while not done.is_set():
            started = time.monotonic()
            await via_rest(0, 0, LARGEST, "largest")
            largest.latencies.append(time.monotonic() - started)

    flooding = asyncio.create_task(flood())
    try:
        others = await _users(users, turns, lambda n, t, m: via_rest(n, t, m, "beside"))
    finally:
        done.set()
        await flooding
    return largest, others


def report(results: dict[str, Load], users: int, turns: int) -> str:
    """The table ``make bench`` prints for the channels."""
    rest, telegram, wechat = results["rest"], results["telegram"], results["wechat"]
    lines = [f"Channels: {users} users at once, {turns} messages each (a message, then the next "
             "once answered); everyday messages in four languages, no bank calls", "",
             f"{'path':<26}{'turns':>6}{'turns/s':>9}{'p50 ms':>9}{'p99 ms':>9}"]
    for name, load in (("Rasa REST, direct", rest), ("gateway, Telegram webhook", telegram),
                       ("gateway, WeChat callback", wechat)):
        lines.append(f"{name:<26}{len(load.latencies):>6}{load.throughput:>9.1f}"
                     f"{load.pct(.5):>9.1f}{load.pct(.99):>9.1f}")
    per_turn = {name: 1000 * telegram.cpu_s.get(name, 0) / max(1, len(telegram.latencies))
                for name in ("gateway", "rasa", "actions")}
    lines += ["", "CPU per message on the Telegram path: " + ", ".join(
        f"{name} {ms:.1f} ms" for name, ms in per_turn.items()),
              f"gateway overhead (Telegram / REST): p50 {telegram.pct(.5) / rest.pct(.5):.2f}x, "
              f"p99 {telegram.pct(.99) / rest.pct(.99):.2f}x, "
              f"throughput {telegram.throughput / rest.throughput:.2f}x (target: latency at "
              "most 1.10x)",
              f"WeChat passive replies: {wechat.passive}/{len(wechat.latencies)} "
              f"({100 * wechat.passive / max(1, len(wechat.latencies)):.0f}%), the rest pushed "
              "through the customer-service API"]
    largest, beside = results["largest"], results["beside_largest"]
    lines += ["", f"Beside a user sending only {MAX_MESSAGE_CHARS}-character messages (the cap), "
              "back to back:",
              f"  one such message: p50 {largest.pct(.5):.0f} ms, p99 {largest.pct(.99):.0f} ms "
              f"({len(largest.latencies)} sent)",
              f"  the other users: p50 {beside.pct(.5):.1f} ms, p99 {beside.pct(.99):.1f} ms; "
              f"p99 {beside.pct(.99) / rest.pct(.99):.2f}x the unloaded REST p99 (target: at "
              "most 2x)"]
    return "\n".join(lines)


def main(users: int, turns: int, out: Path, model: Path = DEFAULT_MODEL) -> str:
    """Runs the channel benchmark and returns its table."""
    results = asyncio.run(run(users, turns, model))
    text = report(results, users, turns)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench-channels.txt").write_text(text + "\n", encoding="utf-8")
    return text
