from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import ActionClarify, misunderstandings_in_a_row

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.5},
    {"name": "installment", "confidence": 0.41},
    {"name": "payment_info", "confidence": 0.38},
    {"name": "check_balance", "confidence": 0.1},
]


def user(intent: str) -> dict:
    return {"event": "user", "parse_data": {"intent": {"name": intent}}}


def tracker(events: list[dict], language: str | None) -> Tracker:
    latest = {"intent": {"name": "nlu_fallback"}, "intent_ranking": RANKING}
    return Tracker("t", {"language": language}, latest, events, False, None, {}, "action_listen")


def test_counts_only_the_latest_run_of_fallbacks():
    events = [user("nlu_fallback"), user("greet"), {"event": "bot"}, user("nlu_fallback"),
              {"event": "action"}, user("nlu_fallback")]
    assert misunderstandings_in_a_row(tracker(events, "en")) == 2


async def test_first_misunderstanding_suggests_top_two_in_the_users_language(domain):
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker([user("greet"), user("nlu_fallback")], "zh-Hant"), domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_did_you_mean"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == ["/installment", "/payment_info", "/deny"]
    titles = [b["title"] for b in message["buttons"]]
    zh_hant = [v for v in domain["responses"]["utter_label_installment"]
               if (v.get("condition") or [{}])[0].get("value") == "zh-Hant"][0]["text"]
    assert titles[0] == zh_hant


async def test_second_misunderstanding_in_a_row_offers_a_person(domain):
    dispatcher = CollectingDispatcher()
    events = [user("nlu_fallback"), {"event": "bot"}, user("nlu_fallback")]
    await ActionClarify().run(dispatcher, tracker(events, "vi"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_offer_human"]
