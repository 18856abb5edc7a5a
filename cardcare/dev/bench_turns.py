"""``make bench`` (turns): what a CardCare turn costs next to a stock Rasa turn, in one run.

The stock bot is the one ``rasa init --no-prompt`` makes, trained once with this ``.venv`` in a
temporary folder (``STOCK_DIR``) and reused afterwards.  Both bots run as ``rasa run`` on this
machine, one after the other, and get the same load through Rasa's REST channel:

* sequential turns: "hello" from a fresh sender each time, one at a time;
* 16 users at once, each sending "hello" from a fresh sender as soon as its last one is answered;
* one conversation of 200 turns ("hello" again and again): turn 10 next to turn 200, each the
  median of the ten turns around it;
* a burst of 5 messages from one user, sent 5 ms apart: answered in order, and how much longer
  each waits than the one before (a lock store that polls once a second shows here).

CardCare also runs banking turns against the sandbox bank (verification, then requests that
call the bank) and, where Redis answers, the same sequential and long-conversation loads with
its Redis stores, as a bank deploys it.  Timing is wall time on loopback: run it on an idle
machine.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from cardcare.conversation import subject
from cardcare.dev.bench_channels import _processes
from cardcare.dev.stack import DEFAULT_MODEL, Stack, StackConfig, _free_port, _redis_up

HOST = "127.0.0.1"
SEQUENTIAL = 60
USERS = 16
TURNS_PER_USER = 12
LONG = 200
BURST = 5
BURST_GAP_S = 0.005
# The targets (docs in README: "Speed").
TARGET_SEQUENTIAL = 1.2
TARGET_THROUGHPUT = 0.9
TARGET_GROWTH = 1.3
TARGET_BURST_STEP_MS = 100.0


def _rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


STOCK_DIR = Path(tempfile.gettempdir()) / f"cardcare-bench-stock-rasa-{_rasa_version()}"


@dataclass
class Figures:
    """One bot's measurements (seconds)."""

    sequential: list[float] = field(default_factory=list)
    concurrent: list[float] = field(default_factory=list)
    concurrent_wall_s: float = 0.0
    long: list[float] = field(default_factory=list)
    burst: list[float] = field(default_factory=list)  # each message's latency, in send order
    burst_in_order: bool = False
    banking: list[float] = field(default_factory=list)
    rss_mb: float = 0.0
    two_processes: float = 0.0  # throughput of the concurrent load on two Rasa processes

    @property
    def throughput(self) -> float:
        return len(self.concurrent) / self.concurrent_wall_s if self.concurrent_wall_s else 0.0

    def turn(self, n: int) -> float:
        """Median latency (ms) of the ten turns around turn ``n`` (1-based) of the long
        conversation."""
        window = self.long[max(0, n - 6):n + 4]
        return statistics.median(window) * 1000 if window else 0.0

    @property
    def burst_step_ms(self) -> float:
        """The most any message of the burst waited beyond the one sent before it."""
        steps = [b - a for a, b in zip(self.burst, self.burst[1:], strict=False)]
        return max(steps) * 1000 if steps else 0.0


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values``, in milliseconds (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def stock_model(log: Callable[[str], None]) -> Path:
    """The stock ``rasa init`` bot's model, trained once into ``STOCK_DIR``."""
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    log(f"Training the stock `rasa init` bot in {STOCK_DIR} (once) ...")
    building = Path(tempfile.mkdtemp(prefix="cardcare-stock-"))  # rasa init wants it empty
    rasa = Path(sys.executable).parent / "rasa"
    subprocess.run([str(rasa), "init", "--no-prompt", "--init-dir", str(building)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, cwd=building.parent)
    shutil.rmtree(STOCK_DIR, ignore_errors=True)
    shutil.move(str(building), STOCK_DIR)
    return sorted((STOCK_DIR / "models").glob("*.tar.gz"))[-1]


class StockRasa:
    """The stock bot served by ``rasa run`` from its own folder (its default endpoints:
    in-memory tracker and lock stores, Rasa's REST channel)."""

    def __init__(self, model: Path) -> None:
        self.port = _free_port(HOST)
        self.url = f"http://{HOST}:{self.port}"
        self.log = STOCK_DIR / f"rasa-{self.port}.log"
        rasa = Path(sys.executable).parent / "rasa"
        with self.log.open("wb") as handle:
            self.process = subprocess.Popen(
                [str(rasa), "run", "--model", str(model), "--interface", HOST,
                 "--port", str(self.port)], cwd=STOCK_DIR, stdout=handle,
                stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=30)


async def _say(http: aiohttp.ClientSession, url: str, sender: str, text: str
               ) -> list[dict[str, Any]]:
    async with http.post(f"{url}/webhooks/rest/webhook",
                         json={"sender": sender, "message": text}) as response:
        response.raise_for_status()
        return list(await response.json())


async def _timed(http: aiohttp.ClientSession, url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    answer = await _say(http, url, sender, text)
    elapsed = time.perf_counter() - started
    if not answer:
        raise RuntimeError(f"{url} answered {text!r} with nothing")
    return elapsed


async def _ready(http: aiohttp.ClientSession, url: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await _say(http, url, f"warmup-{uuid.uuid4().hex[:8]}", "hello")
            return
        except (aiohttp.ClientError, RuntimeError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def _fresh() -> str:
    return f"bench-{uuid.uuid4().hex[:12]}"


async def concurrent(http: aiohttp.ClientSession, urls: list[str], figures: Figures) -> None:
    """USERS users at once, each conversation served by one of ``urls`` (by its sender, as
    the gateway maps a conversation to one Rasa process)."""
    async def user() -> None:
        for _ in range(TURNS_PER_USER):
            sender = _fresh()
            url = urls[int(sender[-8:], 16) % len(urls)]
            figures.concurrent.append(await _timed(http, url, sender, "hello"))

    started = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(USERS)))
    figures.concurrent_wall_s = time.perf_counter() - started


async def drive(http: aiohttp.ClientSession, url: str, figures: Figures) -> None:
    """The shared load: sequential, concurrent, one long conversation, one burst."""
    for _ in range(10):  # warm-up: first turns load lazily what the model needs
        await _timed(http, url, _fresh(), "hello")
    for _ in range(SEQUENTIAL):
        figures.sequential.append(await _timed(http, url, _fresh(), "hello"))

    await concurrent(http, [url], figures)

    sender = _fresh()
    for _ in range(LONG):
        figures.long.append(await _timed(http, url, sender, "hello"))

    sender = _fresh()
    await _timed(http, url, sender, "hello")
    done: list[tuple[int, float]] = []

    async def one(n: int) -> None:
        await asyncio.sleep(n * BURST_GAP_S)
        sent = time.perf_counter()
        await _say(http, url, sender, "hello")
        done.append((n, time.perf_counter() - sent))

    await asyncio.gather(*(one(n) for n in range(BURST)))
    figures.burst_in_order = [n for n, _ in done] == list(range(BURST))
    figures.burst = [latency for _, latency in sorted(done)]


async def banking(http: aiohttp.ClientSession, config: StackConfig, figures: Figures,
                  conversations: int = 6) -> None:
    """Verified banking turns against the sandbox bank (demo cardholder cus_emma): the request,
    the identity, the code, then three more requests that call the bank."""
    for _ in range(conversations):
        sender = _fresh()
        url = config.rasa_url
        figures.banking.append(await _timed(http, url, sender, "what's my balance"))
        figures.banking.append(await _timed(http, url, sender, "my number is +1 415 555 0101"))
        async with http.get(f"{config.bank_base_url}/sandbox/outbox",
                            params={"subject": subject("rest", sender)}) as response:
            body = await response.json()
        found = re.search(r"\b(\d{6})\b", body["messages"][-1]["body"])
        if found is None:
            raise RuntimeError(f"no code in the sandbox's outbox for {sender}")
        figures.banking.append(await _timed(http, url, sender, found.group(1)))
        for text in ("show my recent transactions", "what is my credit limit",
                     "how many reward points do I have"):
            figures.banking.append(await _timed(http, url, sender, text))


def _rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _cardcare(model: Path, folder: Path, redis_url: str | None, full: bool,
                    log: Callable[[str], None]) -> Figures:
    figures = Figures()
    config = StackConfig(
        rasa_port=_free_port(HOST), actions_port=_free_port(HOST), bank_port=_free_port(HOST),
        model=model, log_dir=folder, redis_url=redis_url, gateway_port=None, desk_port=None,
        sandbox_max_codes=100_000)
    stores = "Redis" if redis_url else "in-memory"
    log(f"Starting CardCare ({stores} stores) ...")
    with Stack(config) as stack:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            await _ready(http, config.rasa_url)
            if full:
                await drive(http, config.rasa_url, figures)
                await banking(http, config, figures)
            else:
                for _ in range(10):
                    await _timed(http, config.rasa_url, _fresh(), "hello")
                for _ in range(SEQUENTIAL):
                    figures.sequential.append(
                        await _timed(http, config.rasa_url, _fresh(), "hello"))
                sender = _fresh()
                for _ in range(LONG):
                    figures.long.append(await _timed(http, config.rasa_url, sender, "hello"))
                await concurrent(http, [config.rasa_url], figures)
                log("Starting a second Rasa process on the same Redis ...")
                port = _free_port(HOST)
                stack.spawn_rasa(port)
                url = f"http://{HOST}:{port}"
                await _ready(http, url)
                two = Figures()
                await concurrent(http, [config.rasa_url, url], two)
                figures.two_processes = two.throughput
        figures.rss_mb = _rss_mb(_processes(stack)["rasa"])
    return figures


async def _stock(model: Path, log: Callable[[str], None]) -> Figures:
    figures = Figures()
    log("Starting the stock bot ...")
    server = StockRasa(model)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            await _ready(http, server.url)
            await drive(http, server.url, figures)
        figures.rss_mb = _rss_mb(server.process.pid)
    finally:
        server.stop()
    return figures


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(stock: Figures, cardcare: Figures, redis: Figures | None) -> str:
    """The side-by-side table, the ratios against the targets, CardCare's banking turns."""
    def row(label: str, a: str, b: str, ratio: str = "") -> str:
        return f"  {label:<36}{a:>12}{b:>12}{ratio:>12}"

    seq = pct(cardcare.sequential, 0.5) / max(pct(stock.sequential, 0.5), 1e-9)
    thr = cardcare.throughput / max(stock.throughput, 1e-9)
    growth = cardcare.turn(LONG) / max(cardcare.turn(10), 1e-9)
    lines = [
        "Turns: CardCare next to the stock `rasa init` bot (Rasa's REST channel, \"hello\")",
        row("", "stock", "CardCare", "ratio"),
        row("sequential turn p50 (ms)", f"{pct(stock.sequential, .5):.1f}",
            f"{pct(cardcare.sequential, .5):.1f}", f"{seq:.2f}x"),
        row("sequential turn p99 (ms)", f"{pct(stock.sequential, .99):.1f}",
            f"{pct(cardcare.sequential, .99):.1f}"),
        row(f"throughput, {USERS} users (turns/s)", f"{stock.throughput:.1f}",
            f"{cardcare.throughput:.1f}", f"{thr:.2f}x"),
        row(f"p50 latency, {USERS} users (ms)", f"{pct(stock.concurrent, .5):.0f}",
            f"{pct(cardcare.concurrent, .5):.0f}"),
        row("one conversation: turn 10 (ms)", f"{stock.turn(10):.1f}", f"{cardcare.turn(10):.1f}"),
        row("                  turn 100 (ms)", f"{stock.turn(100):.1f}",
            f"{cardcare.turn(100):.1f}"),
        row("                  turn 200 (ms)", f"{stock.turn(LONG):.1f}",
            f"{cardcare.turn(LONG):.1f}"),
        row("                  turn 200 / turn 10", f"{stock.turn(LONG) / stock.turn(10):.2f}x",
            f"{growth:.2f}x"),
        row(f"burst of {BURST}: answered in order", str(stock.burst_in_order),
            str(cardcare.burst_in_order)),
        row("  most waited beyond the one before", f"{stock.burst_step_ms:.0f} ms",
            f"{cardcare.burst_step_ms:.0f} ms"),
        row("Rasa process memory (MB)", f"{stock.rss_mb:.0f}", f"{cardcare.rss_mb:.0f}"),
        "",
        f"  Banking turns (sandbox bank, {len(cardcare.banking)} turns: verification, balance, "
        f"transactions, limit, points): p50 {pct(cardcare.banking, .5):.0f} ms, "
        f"p99 {pct(cardcare.banking, .99):.0f} ms",
    ]
    if redis is not None:
        lines.append(
            f"  With Redis stores: sequential p50 {pct(redis.sequential, .5):.1f} ms; one "
            f"conversation turn 10 {redis.turn(10):.1f} ms, turn 200 {redis.turn(LONG):.1f} ms "
            f"({redis.turn(LONG) / max(redis.turn(10), 1e-9):.2f}x); {USERS} users at once: "
            f"{redis.throughput:.1f} turns/s on one Rasa process, {redis.two_processes:.1f} on "
            f"two (conversations split by sender)")
    lines += [
        "",
        "  Targets:",
        f"    sequential p50 <= {TARGET_SEQUENTIAL}x stock: {seq:.2f}x "
        f"{_verdict(seq <= TARGET_SEQUENTIAL)}",
        f"    throughput >= {TARGET_THROUGHPUT}x stock: {thr:.2f}x "
        f"{_verdict(thr >= TARGET_THROUGHPUT)}",
        f"    turn 200 <= {TARGET_GROWTH}x turn 10: {growth:.2f}x "
        f"{_verdict(growth <= TARGET_GROWTH)}",
        f"    burst in order, each <= {TARGET_BURST_STEP_MS:.0f} ms more than the one before: "
        f"{cardcare.burst_in_order}, {cardcare.burst_step_ms:.0f} ms "
        f"{_verdict(cardcare.burst_in_order and cardcare.burst_step_ms <= TARGET_BURST_STEP_MS)}",
    ]
    return "\n".join(lines)


async def run(model: Path, log: Callable[[str], None]) -> str:
    stock_path = await asyncio.to_thread(stock_model, log)
    stock = await _stock(stock_path, log)
    with tempfile.TemporaryDirectory() as folder:
        cardcare = await _cardcare(model, Path(folder), None, True, log)
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    redis = None
    if _redis_up(redis_url):
        with tempfile.TemporaryDirectory() as folder:
            redis = await _cardcare(model, Path(folder), redis_url, False, log)
    return report(stock, cardcare, redis)


def main(model: Path = DEFAULT_MODEL, out: Path | None = None) -> str:
    """Runs the turns benchmark and returns its report (also written to ``out``/turns.txt)."""
    text = asyncio.run(run(model, lambda line: print(line, flush=True)))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "turns.txt").write_text(text + "\n", encoding="utf-8")
    return text

