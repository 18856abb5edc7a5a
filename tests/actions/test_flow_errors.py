"""Banking steps that fail in ways nobody planned: an apology, a person offered, one log line."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from actions import flow
from actions.account import ActionCheckBalance
from actions.bank import BankClient
from actions.cards import ActionLostCard
from actions.disputes import ActionDisputeCharge
from actions.fraud import ActionReportFraud
from actions.installments import ActionInstallment
from actions.router import ActionAffirm, ActionResumeFlow
from actions.sessions import MemorySessionStore
from cardcare.dev.driver import Chat
from tests.sandbox import CUSTOMERS, Bank

APOLOGY = ["utter_action_failed", "utter_offer_human_after_error"]
# Put in the exception's message to show the log never carries it.
SECRET = "4111 1111 1111 1111"


class BrokenClient(BankClient):
    """The real client, but balances and new installment plans fail as a bug of ours would."""

    async def balance(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"a bug of ours, with {SECRET} in its message")

    async def create_installment(self, *args: Any, **kwargs: Any) -> Any:
        raise KeyError(SECRET)


class DownSessionStore(MemorySessionStore):
    """A session store that cannot be reached (Redis down)."""

    async def get(self, subject: str) -> str | None:
        raise ConnectionError("redis is down")


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """What actions.flow logs (a fresh logger: another test may have cached a configured one)."""
    with capture_logs() as captured:
        monkeypatch.setattr(flow, "log", structlog.get_logger(flow.__name__))
        yield captured


@pytest.fixture
async def broken(bank: Bank, chat: Chat) -> AsyncIterator[Chat]:
    """Emma's verified chat, talking to the bank through ``BrokenClient``."""
    client = BrokenClient(chat.client.settings)
    broken_chat = Chat(chat.domain, client, chat.sessions)
    await login(bank, broken_chat)
    yield broken_chat
    await client.close()


async def login(bank: Bank, chat: Chat) -> None:
    token = await bank.verify(chat.subject, phone="+" + CUSTOMERS["cus_emma"].phone)
    await chat.sessions.put(chat.subject, token)


def waiting(chat: Chat, action: str, step: str, **slots: Any) -> Chat:
    """The chat as it is while ``action`` waits at ``step`` with ``slots`` collected."""
    chat.slots.update(awaiting=action, awaiting_step=step, **slots)
    return chat


def flow_ended(chat: Chat) -> bool:
    return all(chat.slots[name] is None for name in ("awaiting", "awaiting_step", "card_id",
                                                     "transaction_id", "months"))


async def test_a_failing_step_apologises_offers_a_person_and_logs_only_its_type(broken, logs):
    events = await broken.user("balance", "check_balance").run(
        ActionCheckBalance(broken.client, broken.sessions))
    assert broken.said() == APOLOGY
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    [line] = [entry for entry in logs if entry["event"] == "action.failed"]
    assert (line["action"], line["error"], line["log_level"]) == (
        "action_check_balance", "RuntimeError", "error")
    assert line["where"].startswith("test_flow_errors.py:")
    assert SECRET not in repr(logs)


async def test_an_answer_routed_to_a_waiting_flow_is_guarded_too(bank, broken, logs):
    # The installment waits at its confirmation; "yes" reaches commit through the router.
    waiting(broken, ActionInstallment.action_name, "confirm", card_id="card_emma_visa",
            transaction_id="tx_emma_visa_07", months="6")
    await broken.user("yes", "affirm").run(ActionAffirm(broken.client, broken.sessions))
    assert broken.said() == APOLOGY
    assert flow_ended(broken)
    assert (await bank.state("cus_emma"))["installment_plans"] == []
    assert [entry["error"] for entry in logs if entry["event"] == "action.failed"] == ["KeyError"]


async def test_a_session_store_that_is_down_gets_the_same_apology(bank, chat, logs):
    down = Chat(chat.domain, chat.client, DownSessionStore())
    await down.user("balance", "check_balance").run(ActionCheckBalance(down.client, down.sessions))
    assert down.said() == APOLOGY
    assert [entry["error"] for entry in logs if entry["event"] == "action.failed"] == [
        "ConnectionError"]


async def test_verification_resuming_a_request_is_guarded_too(bank, broken):
    from actions.identity import ActionVerificationDone

    broken.slots.update(verification="verified", pending_action="action_check_balance")
    await broken.user("123456", "inform").run(
        ActionVerificationDone(broken.client, broken.sessions))
    assert broken.said() == APOLOGY


# The four steps that look a waiting flow's card up again, each reached as Rasa would reach it
# (importing the flows also registers them with the router).
@pytest.mark.parametrize(("action", "step", "slots", "answer"), [
    (ActionLostCard.action_name, "confirm_block", {}, ActionAffirm),
    (ActionDisputeCharge.action_name, "confirm",
     {"transaction_id": "tx_emma_visa_04", "dispute_reason": "other"}, ActionResumeFlow),
    (ActionReportFraud.action_name, "select", {"fraud_transactions": ["tx_emma_visa_03"]},
     ActionAffirm),
    (ActionInstallment.action_name, "confirm",
     {"transaction_id": "tx_emma_visa_07", "months": "6"}, ActionResumeFlow),
])
async def test_a_card_gone_while_its_flow_waited_ends_the_flow_saying_so(
        bank, chat, logs, action, step, slots, answer):
    await login(bank, chat)
    before = await bank.state("cus_emma")
    waiting(chat, action, step, card_id="card_no_longer_there", **slots)
    await chat.user("yes", "affirm").run(answer(chat.client, chat.sessions))
    assert chat.said() == ["utter_no_usable_card"]
    assert flow_ended(chat)
    assert await bank.state("cus_emma") == before
    assert not [entry for entry in logs if entry["event"] == "action.failed"]

