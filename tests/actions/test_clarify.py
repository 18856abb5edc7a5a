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
    events = [user("greet"), user("nlu_fallback")]
    await ActionClarify().run(dispatcher, tracker(events, "zh-Hant"), domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_did_you_mean"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == ["/installment", "/payment_info", "/deny"]
    titles = [b["title"] for b in message["buttons"]]
    zh_hant = next(v for v in domain["responses"]["utter_label_installment"]
                   if (v.get("condition") or [{}])[0].get("value") == "zh-Hant")["text"]
    assert titles[0] == zh_hant


async def test_second_misunderstanding_in_a_row_offers_a_person(domain):
    dispatcher = CollectingDispatcher()
    events = [user("nlu_fallback"), {"event": "bot"}, user("nlu_fallback")]
    await ActionClarify().run(dispatcher, tracker(events, "vi"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_offer_human"]


async def test_a_misunderstood_answer_to_a_question_with_choices_repeats_it_with_a_hint(domain):
    buttons = [{"title": "permanent", "payload": '/credit_limit{"limit_kind":"permanent"}'},
               {"title": "temporary (30 days)",
                "payload": '/credit_limit{"limit_kind":"temporary"}'}]
    events = [user("credit_limit"), {"event": "action", "name": "action_credit_limit"},
              {"event": "bot", "text": "Permanently or temporarily?", "data": {"buttons": buttons}},
              user("nlu_fallback")]
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker(events, "en"), domain)
    hint, question = dispatcher.messages
    assert hint["response"] == "utter_answer_from_options"
    assert question["text"] == "Permanently or temporarily?" and question["buttons"] == buttons


async def test_a_question_answered_earlier_is_not_repeated(domain):
    events = [{"event": "bot", "text": "Which card?", "data": {"buttons": [{"title": "Visa"}]}},
              user("greet"), {"event": "bot", "text": "Hello!", "data": {}},
              user("nlu_fallback")]
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker(events, "en"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_did_you_mean"]
