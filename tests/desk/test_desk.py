"""The handoff end to end without the model: a web chat user, the real gateway (Rasa replaced
by its stand-in, which hands over as the action server does), the real desk, real Redis."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from cardcare.handoff import HandoffQueue, Mode
from cardcare.handoff_log import Audit, LeftMessages, Presence
from cardcare.service_hours import ServiceHours
from desk.app import DeskSettings, create_app
from tests.conftest import TEST_REDIS_URL
from tests.gateway import Browser


@pytest.fixture
async def gateway(start_gateway, fake_rasa):
    return await start_gateway((fake_rasa.url,))


@pytest.fixture
async def customer(gateway):
    tab = Browser(gateway.url)
    await tab.open(language="vi")
    tab.gateway = gateway
    yield tab
    await tab.close()


async def say(tab: Browser, text: str | None = None, tap: str | None = None,
              buttons: list[dict] | None = None) -> list[dict]:
    if tap is not None:
        token = next(b["token"] for b in buttons or [] if b["title"] == tap)
        await tab.send(type="choice", token=token)
    else:
        await tab.send(type="message", text=text)
    return await tab.answer()


async def escalated(tab: Browser, reason: str = "report_fraud") -> tuple[str, dict]:
    """Hands the chat over; the ticket id and the queue message the user saw."""
    await say(tab, f"handoff {reason}")
    queued = await tab.receive(timeout=10)
    ticket = await HandoffQueue(tab.gateway.state.redis).open_ticket(await tab.subject())
    assert ticket is not None
    return ticket.ticket_id, queued


async def test_a_vietnamese_fraud_chat_is_routed_claimed_answered_closed_and_rated(
        customer, fake_rasa, agent, redis_clean):
    linh = await agent("linh", languages="vi,en", skills="cards")
    wang = await agent("wang", languages="zh-Hans,zh-Hant", skills="cards,general")
    ticket_id, queued = await escalated(customer)
    customer_id = (await customer.subject()).partition(":")[2]
    assert "vị trí số 1" in queued["text"], queued  # in the user's language
    assert [b["title"] for b in queued["buttons"]] == ["Hủy, quay lại trợ lý ảo"]

    # Waiting: the bot is silent, the message (masked) waits for the agent.
    turns = len(fake_rasa.turns)
    assert await say(customer, "thẻ 4111 1111 1111 1111 của tôi") == []
    assert len(fake_rasa.turns) == turns

    _, wang_queue = await wang.get("/api/queue")
    assert wang_queue["waiting"] == []  # a Chinese-only agent never sees it
    assert (await wang.post("/api/claim", {"ticket_id": ticket_id}))[0] == 409
    _, queue = await linh.get("/api/queue")
    [waiting] = queue["waiting"]
    assert (waiting["language"], waiting["priority"], waiting["reason"]) == (
        "vi", "urgent", "report_fraud")
    status, _ = await linh.post("/api/claim", {"ticket_id": ticket_id})
    assert status == 200
    joined = await customer.receive(timeout=10)
    assert "Linh" in joined["text"]

    status, chat = await linh.get(f"/api/chats/{ticket_id}")
    assert status == 200
    said = [e["text"] for e in chat["transcript"] if e["who"] == "user"]
    assert said[0] == "my card was stolen" and "1111 1111 1111" not in " ".join(said)
    assert "Card ending 4821 blocked" in chat["summary"]["facts"]
    assert chat["summary"]["verified"] is True
    assert (await wang.get(f"/api/chats/{ticket_id}"))[0] == 403  # not theirs

    status, _ = await linh.post(f"/api/chats/{ticket_id}/reply",
                                {"text": "Chào bạn, mình xem ngay."})
    assert status == 200
    reply = await customer.receive(timeout=10)
    assert reply["text"] == "Linh: Chào bạn, mình xem ngay."
    await linh.post(f"/api/chats/{ticket_id}/note", {"text": "customer calm"})
    _, chat = await linh.get(f"/api/chats/{ticket_id}")
    order = [e["who"] for e in chat["transcript"]]
    assert order[:2] == ["user", "bot"] and order.index("agent") < order.index("note")

    assert (await linh.post(f"/api/chats/{ticket_id}/close"))[0] == 200
    closed = await customer.receive(timeout=10)
    assert [b["title"] for b in closed["buttons"]] == ["1", "2", "3", "4", "5"]
    thanks = await say(customer, tap="4", buttons=closed["buttons"])
    assert "Cảm ơn" in thanks[0]["text"]
    assert len(fake_rasa.turns) == turns  # the rating never reached Rasa
    supervisor = await agent("sam", role="supervisor")
    _, view = await supervisor.get("/api/supervisor")
    assert view["csat"]["by_agent"]["linh"] == {"average": 4.0, "count": 1}
    # The bot has the chat again.
    assert (await say(customer, "xin chào"))[0]["text"] == "echo: xin chào"
    audit = await Audit(redis_clean).recent()
    done = [r["action"] for r in reversed(audit) if r["actor"] == "linh"]
    assert [a for a in done if a != "open"] == ["login", "claim", "reply", "note", "close"]
    assert all("Chào" not in str(r) and customer_id not in str(r) for r in audit)


async def test_two_agents_claiming_one_chat_at_once_exactly_one_wins(customer, agent):
    ticket_id, _ = await escalated(customer)
    agents = [await agent(f"agent{n}", languages="vi", skills="cards") for n in range(6)]
    results = await asyncio.gather(*(a.post("/api/claim", {"ticket_id": ticket_id})
                                     for a in agents))
    assert sorted(status for status, _ in results) == [200] + [409] * 5


async def test_the_user_can_cancel_the_wait(customer, fake_rasa, agent):
    linh = await agent("linh", languages="vi", skills="cards")
    _, queued = await escalated(customer)
    cancelled = await say(customer, tap=queued["buttons"][0]["title"], buttons=queued["buttons"])
    assert "hủy" in cancelled[0]["text"]
    assert (await linh.get("/api/queue"))[1]["waiting"] == []
    assert (await say(customer, "hello"))[0]["text"] == "echo: hello"


async def test_refused_wrong_password_missing_csrf_and_someone_elses_chat(customer, agent,
                                                                       redis_clean):
    linh = await agent("linh", languages="vi", skills="cards", login=False)
    # A cross-site form's text/plain body that parses as JSON is no login.
    async with linh.http.post(f"{linh.url}/api/login", headers={"Content-Type": "text/plain"},
                              data='{"username": "linh", "password": "x"}') as response:
        assert response.status == 415
    for body in (b"{not json", b"[1, 2]"):
        async with linh.http.post(f"{linh.url}/api/login", data=body,
                                  headers={"Content-Type": "application/json"}) as response:
            assert response.status == 400
    assert (await linh.login("wrong password")).status == 401
    assert (await linh.get("/api/queue"))[0] == 401
    for _ in range(4):
        await linh.login("wrong again")
    assert (await linh.login()).status == 429  # locked for a while, even with the right one
    assert ("linh", "login_failed") in [(r["actor"], r["action"])
                                        for r in await Audit(redis_clean).recent()]

    mai = await agent("mai", languages="vi", skills="cards")
    ticket_id, _ = await escalated(customer)
    status, body = await mai.post("/api/claim", {"ticket_id": ticket_id}, csrf=False)
    assert (status, body["error"]) == (403, "Missing or wrong CSRF token.")
    assert (await mai.post("/api/claim", {"ticket_id": ticket_id}))[0] == 200
    other = await agent("other", languages="vi", skills="cards")
    assert (await other.get(f"/api/chats/{ticket_id}"))[0] == 403
    assert (await other.post(f"/api/chats/{ticket_id}/reply", {"text": "hi"}))[0] == 403
    assert (await other.post(f"/api/chats/{ticket_id}/close"))[0] == 403


async def test_a_restart_of_the_desk_mid_chat_loses_nothing(customer, agent, desk_url):
    from aiohttp import web

    linh = await agent("linh", languages="vi", skills="cards")
    ticket_id, _ = await escalated(customer)
    await linh.post("/api/claim", {"ticket_id": ticket_id})
    await customer.receive(timeout=10)
    await say(customer, "còn đó không?")
    # A second desk process (the first one's state is all in Redis) serves the same session.
    runner = web.AppRunner(create_app(DeskSettings(redis_url=TEST_REDIS_URL)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        linh.url = f"http://{host}:{port}"
        status, chat = await linh.get(f"/api/chats/{ticket_id}")
        assert status == 200 and chat["transcript"][-1]["text"] == "còn đó không?"
        assert (await linh.post(f"/api/chats/{ticket_id}/reply", {"text": "Vẫn ở đây."}))[0] == 200
        assert (await customer.receive(timeout=10))["text"] == "Linh: Vẫn ở đây."
    finally:
        await runner.cleanup()


async def test_outside_service_hours_the_user_leaves_a_message(start_gateway, fake_rasa,
                                                               agent, redis_clean):
    gateway = await start_gateway((fake_rasa.url,),
                                  handoff_hours=ServiceHours.parse("en=03:00-03:00@UTC"))
    tab = Browser(gateway.url)
    await tab.open()
    try:
        await say(tab, "handoff lost_card")
        offered = await tab.receive(timeout=10)
        assert "available 03:00–03:00 (UTC)" in offered["text"]
        left = await say(tab, "Please call me about the card, my number ends 0101.")
        assert "reference M-" in left[0]["text"]
        [message] = await LeftMessages(redis_clean).open()
        assert message.reason == "lost_card" and message.reference in left[0]["text"]
        assert (await say(tab, "hello"))[0]["text"] == "echo: hello"
        sam = await agent("sam", role="supervisor")
        _, listed = await sam.get("/api/messages")
        assert [m["reference"] for m in listed["messages"]] == [message.reference]
        assert (await sam.post(f"/api/messages/{message.reference}/done"))[0] == 200
        assert await LeftMessages(redis_clean).open() == []
    finally:
        await tab.close()


async def test_an_agent_who_goes_away_loses_their_chats_to_the_queue(customer, agent,
                                                                     redis_clean):
    linh = await agent("linh", languages="vi", skills="cards")
    ticket_id, _ = await escalated(customer)
    socket = await linh.connect()
    await linh.post("/api/claim", {"ticket_id": ticket_id})
    await customer.receive(timeout=10)
    handoffs = customer.gateway.state.router.handoffs
    handoffs.agent_away_s = 0.2
    await redis_clean.delete("cardcare:handoff:watch-lock")
    await handoffs.watch()
    assert (await HandoffQueue(redis_clean).get(ticket_id)).agent == "linh"  # still present
    await socket.close()
    await Presence(redis_clean).leave("linh")  # as if the heartbeat had run out
    for _ in range(2):
        await redis_clean.delete("cardcare:handoff:watch-lock")
        await handoffs.watch()
        await asyncio.sleep(0.3)
    ticket = await HandoffQueue(redis_clean).get(ticket_id)
    assert ticket.agent is None and await HandoffQueue(redis_clean).mode(
        ticket.subject) is Mode.WAITING
    assert "vị trí số 1" in (await customer.receive(timeout=10))["text"]


async def test_a_user_silent_too_long_while_waiting_is_dropped(customer, redis_clean):
    ticket_id, _ = await escalated(customer)
    handoffs = customer.gateway.state.router.handoffs
    handoffs.abandon_s = 0.1
    await asyncio.sleep(0.2)
    await redis_clean.delete("cardcare:handoff:watch-lock")
    await handoffs.watch()
    assert await HandoffQueue(redis_clean).get(ticket_id) is None
    assert "đã đóng yêu cầu" in (await customer.receive(timeout=10))["text"]


async def test_transfer_to_a_skill_requeues_at_the_old_place(customer, agent):
    linh = await agent("linh", languages="vi", skills="cards")
    disputes = await agent("hoa", languages="vi", skills="disputes")
    ticket_id, _ = await escalated(customer)
    await linh.post("/api/claim", {"ticket_id": ticket_id})
    await customer.receive(timeout=10)
    assert (await linh.post(f"/api/chats/{ticket_id}/transfer", {"skill": "disputes"}))[0] == 200
    assert "vị trí số 1" in (await customer.receive(timeout=10))["text"]
    assert (await linh.get(f"/api/chats/{ticket_id}"))[0] == 403
    _, queue = await disputes.get("/api/queue")
    assert [t["ticket_id"] for t in queue["waiting"]] == [ticket_id]
    assert queue["waiting"][0]["waited_s"] >= 0


async def test_the_socket_pushes_the_users_lines_to_the_agent_only(customer, agent):
    linh = await agent("linh", languages="vi", skills="cards")
    ticket_id, _ = await escalated(customer)
    socket = await linh.connect()
    await linh.post("/api/claim", {"ticket_id": ticket_id})
    await customer.receive(timeout=10)
    await say(customer, "mã OTP là 123456")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        event = await socket.receive_json(timeout=10)
        if event["type"] == "entry" and event["entry"]["who"] == "user":
            assert "123456" not in event["entry"]["text"]
            break
    else:
        raise AssertionError("no user line reached the agent's socket")
    await socket.close()


async def test_on_wechat_the_agents_reply_goes_through_the_customer_service_api(
        start_gateway, fake_rasa, agent):
    from bot.settings import WeChatSettings
    from tests.fakes.wechat import FakeWeChatAPI, WeChatPlatform

    linh = await agent("linh", languages="en", skills="cards")
    async with FakeWeChatAPI(app_id="wxDESK") as api, aiohttp.ClientSession() as http:
        gateway = await start_gateway((fake_rasa.url,), wechat=WeChatSettings(
            token="t", app_id="wxDESK", app_secret=api.app_secret, api_url=api.url))
        platform = WeChatPlatform("t", "wxDESK", None, "plain", f"{gateway.url}/wechat")
        passive = await platform.push(platform.xml_text("oDESK", "handoff lost_card", 1),
                                      session=http)
        assert passive.text == "I'm passing you to a colleague."  # the fake Rasa's text
        [queued] = await api.wait_for_sent("oDESK", 1)
        assert "You're number 1 in line" in queued
        [ticket] = (await linh.get("/api/queue"))[1]["waiting"]
        await linh.post("/api/claim", {"ticket_id": ticket["ticket_id"]})
        await api.wait_for_sent("oDESK", 2)
        # Long after the 5-second window of any message: the customer-service API.
        await linh.post(f"/api/chats/{ticket['ticket_id']}/reply", {"text": "Hello, Linh here."})
        sent = await api.wait_for_sent("oDESK", 3)
        assert sent[-1] == "Linh: Hello, Linh here."


async def test_a_reply_that_cannot_be_delivered_is_shown_to_the_agent(start_gateway, fake_rasa,
                                                                      agent, redis_clean):
    from bot.settings import TelegramSettings
    from tests.fakes.telegram import FakeTelegram, text_update

    linh = await agent("linh", languages="en", skills="cards")
    async with FakeTelegram() as telegram, aiohttp.ClientSession() as http:
        gateway = await start_gateway((fake_rasa.url,), telegram=TelegramSettings(
            token=telegram.token, webhook_secret="s", api_url=telegram.url))
        async with http.post(f"{gateway.url}/telegram/webhook", headers={
                "X-Telegram-Bot-Api-Secret-Token": "s"},
                json=text_update(1, 555, "handoff report_fraud")) as response:
            assert response.status == 200
        await telegram.wait_for_messages(555, 2)
        [ticket] = (await linh.get("/api/queue"))[1]["waiting"]
        socket = await linh.connect()
        await linh.post("/api/claim", {"ticket_id": ticket["ticket_id"]})
        await telegram.wait_for_messages(555, 3)
        telegram.block(555)
        await linh.post(f"/api/chats/{ticket['ticket_id']}/reply", {"text": "Hello?"})
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            event = await socket.receive_json(timeout=15)
            if event["type"] == "delivery_failed":
                assert "blocked" in event["reason"]
                break
        else:
            raise AssertionError("the agent was not told")
        _, chat = await linh.get(f"/api/chats/{ticket['ticket_id']}")
        assert chat["delivery_failures"] and "blocked" in chat["delivery_failures"][0]["reason"]
        await socket.close()


async def test_a_waiting_user_hears_when_their_place_changes_meaningfully(start_gateway,
                                                                          fake_rasa, agent,
                                                                          redis_clean):
    gateway = await start_gateway((fake_rasa.url,))
    tabs = [Browser(gateway.url) for _ in range(4)]
    try:
        for tab in tabs:
            await tab.open()
            tab.gateway = gateway
            await escalated(tab, "human_agent")
        linh = await agent("linh", languages="en", skills="general", capacity=3)
        socket = await linh.connect()  # online: the wait can be estimated
        for _ in range(3):
            assert (await linh.post("/api/claim"))[0] == 200
        await redis_clean.delete("cardcare:handoff:watch-lock")
        await gateway.state.router.handoffs.watch()
        update = await tabs[3].receive(timeout=10)
        assert "now number 1 in line" in update["text"], update
        await redis_clean.delete("cardcare:handoff:watch-lock")
        await gateway.state.router.handoffs.watch()  # nothing new: nothing said
        with pytest.raises(asyncio.TimeoutError):
            await tabs[3].receive(timeout=0.5)
        await socket.close()
    finally:
        for tab in tabs:
            await tab.close()


async def test_malformed_or_oversized_requests_get_a_4xx_and_change_nothing(customer, agent,
                                                                           redis_clean):
    linh = await agent("linh", languages="vi", skills="cards")
    ticket_id, _ = await escalated(customer)
    assert (await linh.post("/api/claim", {"ticket_id": {"$ne": 1}}))[0] == 409
    assert (await linh.post("/api/claim", {"ticket_id": "no-such-ticket"}))[0] == 409
    async with linh.http.post(f"{linh.url}/api/claim", data=b"x" * 100_000, headers={
            "X-CSRF-Token": linh.csrf, "Content-Type": "application/json"}) as response:
        assert response.status == 413
    assert (await linh.get("/api/canned?language=fr"))[0] == 400
    assert (await linh.get("/api/chats/..%2F..%2Fetc"))[0] == 403
    assert await HandoffQueue(redis_clean).get(ticket_id) is not None  # still waiting
    assert (await linh.post("/api/claim", {"ticket_id": ticket_id}))[0] == 200
    for body in ({"skill": "astrology"}, {"agent": {"x": 1}}, {}):
        assert (await linh.post(f"/api/chats/{ticket_id}/transfer", body))[0] == 400
    for text in ("", "   ", "x" * 2001):
        assert (await linh.post(f"/api/chats/{ticket_id}/reply", {"text": text}))[0] == 400
    assert (await HandoffQueue(redis_clean).get(ticket_id)).agent == "linh"
    assert (await linh.post("/api/messages/M-NOPE/done"))[0] == 404
