from cardcare.dev.evaluation import HeldOutSet, report, targets


def parse(intent: str, language: str) -> dict:
    return {"intent": {"name": intent}, "intent_ranking": [{"name": intent}],
            "language": {"code": language}}


def test_language_id_is_scored_only_where_the_sets_script_is_written():
    heldout = HeldOutSet("zh-Hant", "zh-Hant", (
        ("我張卡唔見咗", "lost_card"),
        ("欠款多少", "check_balance"),
        ("NT$2,500", "inform"),
        ("switch to English", "change_language"),
    ))
    parses = [parse("lost_card", "zh-Hant"), parse("check_balance", "zh-Hans"),
              parse("inform", "en"), parse("change_language", "en")]

    result = report(heldout, parses)

    assert result.language_accuracy == 0.5
    assert result.language_unscored == 2
    assert result.wrong_language == [("欠款多少", "zh-Hans")]
    assert result.macro_f1 == 1.0  # every message still counts for the intents


def test_a_latin_script_set_scores_latin_writing():
    heldout = HeldOutSet("en", "en", (("$89.99", "inform"), ("block my card", "lost_card")))
    result = report(heldout, [parse("inform", "en"), parse("lost_card", "vi")])
    assert (result.language_accuracy, result.language_unscored) == (0.0, 1)


def test_targets_name_what_is_not_met():
    heldout = HeldOutSet("en", "en", (("block my card", "lost_card"),))
    results = {"sets": [vars(report(heldout, [parse("lost_card", "vi")]))],
               "latency_ms": {"p99": 12.0}}
    met = dict(targets(results))
    assert met["language id >= 0.98 (en: 0.000)"] is False
    assert met["parse p99 < 50 ms (12.0 ms)"] is True
