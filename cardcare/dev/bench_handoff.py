"""``make bench`` (handoff): how fast a chat reaches a person, and a person's reply the customer.

The gateway (``python -m bot``) and the desk (``python -m desk serve``) run as their own
processes on a Redis database of the benchmark's own; Rasa is replaced by its loopback
stand-in (``tests/fakes/rasa.py``), which hands over exactly as the action server does, because
the bot's turn is not what is measured here (``make bench`` channels measures it).  Customers
are web chat sockets, agents are desk sockets plus the desk's JSON API, as the page uses them.

* With ``queued`` chats already waiting in every language and skill and ``agents`` agents
  online: the time from a customer's message that escalates (the socket frame sent) until the
  chat is on an agent's screen (the desk's socket said the queue changed and the agent's queue,
  read again as the page does, lists it).
* Agents then hold chats; the time from an agent's reply (the API call) until the customer's
  socket shows it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from cardcare.conversation import LANGUAGES
from cardcare.dev.stack import ROOT, _free_port
from cardcare.escalation import ROUTES, Reason
from desk.accounts import Accounts
from tests.fakes.rasa import FakeRasa

REDIS_URL = os.environ.get("CARDCARE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PASSWORD = secrets.token_urlsafe(12)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace")[-2000:])
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up; see {log}")


class Customer:
    """A web chat tab."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def open(self, language: str) -> None:
        async with self.http.get(f"{self.url}/chat"):
            pass
        self.ws = await self.http.ws_connect(f"{self.url}/chat/ws", origin=self.url,
                                               headers={"Accept-Language": language})
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                await self.frames.put(message.json())

    async def say(self, text: str) -> None:
        assert self.ws is not None
        await self.ws.send_json({"type": "message", "text": text})

    async def shown(self, ending: str, timeout: float = 30) -> float:
        """When a bot message ending with ``ending`` arrived (monotonic time)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = await asyncio.wait_for(self.frames.get(), deadline - time.monotonic())
            if frame.get("type") == "bot" and frame.get("text", "").endswith(ending):
                return time.monotonic()


class DeskAgent:
    """An agent's page: signed in, socket open."""

    def __init__(self, url: str, username: str) -> None:
        self.url, self.username = url, username
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def start(self) -> None:
        async with self.http.post(f"{self.url}/api/login", json={
                "username": self.username, "password": PASSWORD}) as response:
            self.csrf = (await response.json())["csrf"]
        ws = await self.http.ws_connect(f"{self.url}/ws", origin=self.url)

        async def read() -> None:
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    await self.events.put(message.json())

        self.reader = asyncio.ensure_future(read())

    async def queue(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.url}/api/queue") as response:
            return list((await response.json())["waiting"])

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.url}{path}", json=body,
                                  headers={"X-CSRF-Token": self.csrf}) as response:
            return response.status, await response.json()


async def _new_ticket_on_screen(agent: DeskAgent, known: set[str], timeout: float = 30) -> str:
    """Waits as the page does: a queue event, then the queue read again, until a new ticket."""
    deadline = time.monotonic() + timeout
    while True:
        event = await asyncio.wait_for(agent.events.get(), deadline - time.monotonic())
        if event.get("type") != "queue":
            continue
        fresh = [t["ticket_id"] for t in await agent.queue() if t["ticket_id"] not in known]
        if fresh:
            return fresh[0]


async def run(queued: int, agents: int, samples: int) -> dict[str, Any]:
    client = aioredis.from_url(REDIS_URL)
    await client.flushdb()
    log_dir = Path(tempfile.mkdtemp(prefix="cardcare-bench-handoff-"))
    gateway_port, desk_port = _free_port("127.0.0.1"), _free_port("127.0.0.1")
    gateway_url, desk_url = f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{desk_port}"
    processes: list[subprocess.Popen[bytes]] = []
    reasons = list(Reason)
    async with FakeRasa() as rasa:
        env = {**os.environ, "REDIS_URL": REDIS_URL, "PYTHONPATH": str(ROOT)}
        for args, extra, url, name in (
                (["-m", "bot"], {"CARDCARE_GATEWAY_TOKEN": rasa.token, "RASA_URLS": rasa.url,
                                 "WEB_CHAT_SECRET": secrets.token_urlsafe(16),
                                 "GATEWAY_PORT": str(gateway_port),
                                 "GATEWAY_RATE_PER_MINUTE": "1000"}, gateway_url, "gateway"),
                (["-m", "desk", "serve"], {"DESK_PORT": str(desk_port)}, desk_url, "desk")):
            log = log_dir / f"{name}.log"
            with log.open("wb") as handle:
                process = subprocess.Popen([sys.executable, *args], cwd=ROOT,
                                           env={**env, **extra}, stdout=handle,
                                           stderr=subprocess.STDOUT, start_new_session=True)
            processes.append(process)
            _wait_up(f"{url}/health", process, log)
        try:
            people = Accounts(client)
            all_skills = [s.value for s in {skill for skill, _ in ROUTES.values()}]
            for n in range(agents):
                await people.create(f"agent{n}", PASSWORD, f"Agent {n}", "agent",
                                    [LANGUAGES[n % len(LANGUAGES)], "en"], all_skills,
                                    capacity=5)
            desk = [DeskAgent(desk_url, f"agent{n}") for n in range(agents)]
            for agent in desk:
                await agent.start()
            if True:  # one block for the sockets' lifetime
                # The backlog: chats waiting in every language and skill.
                backlog = []
                for n in range(queued):
                    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
                    customer = Customer(http, gateway_url)
                    await customer.open(LANGUAGES[n % len(LANGUAGES)])
                    await customer.say(f"handoff {reasons[n % len(reasons)].value}")
                    backlog.append((customer, http))
                while len(await desk[0].queue()) < queued // len(LANGUAGES):
                    await asyncio.sleep(0.2)
                # 1. Escalation to the agent's screen.
                to_screen: list[float] = []
                for n in range(samples):
                    agent = desk[n % agents]
                    while not agent.events.empty():
                        agent.events.get_nowait()
                    known = {t["ticket_id"] for t in await agent.queue()}
                    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
                    customer = Customer(http, gateway_url)
                    await customer.open(LANGUAGES[(n % agents) % len(LANGUAGES)])
                    started = time.monotonic()
                    await customer.say(f"handoff {reasons[n % len(reasons)].value}")
                    await _new_ticket_on_screen(agent, known)
                    to_screen.append(time.monotonic() - started)
                    backlog.append((customer, http))
                # 2. An agent's reply to the customer's screen.
                by_ticket: dict[str, Customer] = {}
                for customer, _ in backlog:
                    by_ticket[await _ticket_of(client, customer)] = customer
                held: list[tuple[DeskAgent, str]] = []
                for agent in desk:
                    for _ in range(5):
                        status, body = await agent.post("/api/claim", {})
                        if status == 200:
                            held.append((agent, body["ticket"]["ticket_id"]))
                reply_to_screen: list[float] = []
                for n in range(samples):
                    agent, ticket_id = held[n % len(held)]
                    customer = by_ticket[ticket_id]
                    text = f"reply {n}"
                    started = time.monotonic()
                    await agent.post(f"/api/chats/{ticket_id}/reply", {"text": text})
                    arrived = await customer.shown(text)
                    reply_to_screen.append(arrived - started)
                for customer, http in backlog:
                    if customer.ws is not None:
                        await customer.ws.close()
                    await http.close()
            for agent in desk:
                await agent.http.close()
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            await client.flushdb()
            await client.close()
    return {"queued": queued, "agents": agents, "to_screen": to_screen,
            "reply": reply_to_screen, "held": len(held)}


async def _ticket_of(client: aioredis.Redis, customer: Customer) -> str:
    """The customer's ticket id (read from the queue's own keys, as a test would)."""
    assert customer.ws is not None
    for cookie in customer.http.cookie_jar:
        if cookie.key == "cardcare_web":
            subject = "web:" + cookie.value.partition(".")[0]
            ticket_id = await client.get(f"cardcare:handoff:open:{subject}")
            return ticket_id.decode() if ticket_id else ""
    return ""


def report(results: dict[str, Any]) -> str:
    to_screen, reply = results["to_screen"], results["reply"]
    return "\n".join([
        f"Handoff: {results['queued']} chats already waiting (four languages, every skill), "
        f"{results['agents']} agents online; gateway and desk as their own processes, Rasa's "
        "stand-in",
        "",
        f"{'':<44}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}",
        f"{'escalation -> on an agent screen':<44}{len(to_screen):>5}"
        f"{_pct(to_screen, .5):>9.1f}{_pct(to_screen, .99):>9.1f}"
        f"{1000 * statistics.mean(to_screen):>9.1f}",
        f"{'agent reply -> on the customer screen':<44}{len(reply):>5}"
        f"{_pct(reply, .5):>9.1f}{_pct(reply, .99):>9.1f}{1000 * statistics.mean(reply):>9.1f}",
        f"(replies from {results['held']} chats held by the agents)"])


def main(queued: int, agents: int, samples: int, out: Path) -> str:
    """Runs the handoff benchmark and returns its table."""
    text = report(asyncio.run(run(queued, agents, samples)))
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench-handoff.txt").write_text(text + "\n", encoding="utf-8")
    return text
