from cardcare.dev.evaluation import HeldOutSet, format_results, report, targets


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


def ranked(*ranking: tuple[str, float]) -> dict:
    """A parse whose classifier ranked these intents; the fallback took it below 0.5."""
    best, confidence = ranking[0]
    chosen = best if confidence >= 0.5 else "nlu_fallback"
    entries = [{"name": n, "confidence": c} for n, c in ranking]
    if chosen == "nlu_fallback":
        entries.insert(0, {"name": "nlu_fallback", "confidence": 0.5})
    return {"intent": {"name": chosen}, "intent_ranking": entries, "language": {"code": "en"}}


def test_out_of_scope_counts_as_declined_by_its_intent_or_by_the_fallback():
    heldout = HeldOutSet("blind/en", "en", (
        ("what's the weather", "out_of_scope"),
        ("asdfgh", "out_of_scope"),
        ("tell me a joke", "out_of_scope"),
        ("how much do i owe", "check_balance"),
        ("i lost my card", "lost_card"),
    ))
    parses = [ranked(("out_of_scope", 0.9)), ranked(("greet", 0.3)),
              ranked(("fees_interest", 0.6)), ranked(("check_balance", 0.8)),
              ranked(("lost_card", 0.45))]

    result = report(heldout, parses)

    assert result.oos_recall == 2 / 3  # the joke was taken for a fee question
    assert result.in_scope_accuracy == 1 / 2  # the lost card fell back below 0.5
    # At 0.4 the lost card passes; at 0.2 "asdfgh" (greet, 0.3) is no longer declined either.
    assert result.tradeoff[0.4] == (2 / 3, 1.0)
    assert result.tradeoff[0.2] == (1 / 3, 1.0)
    assert result.tradeoff[0.7] == (1.0, 1 / 2)  # the joke (0.6) falls back too


def test_blind_sets_have_the_out_of_scope_target_and_the_tighter_diacritics_gap():
    def one(name: str, intent: str, predicted: str) -> dict:
        return vars(report(HeldOutSet(name, "vi", (("x", intent),)), [ranked((predicted, 0.9))]))

    results = {"sets": [one("blind/vi", "lost_card", "lost_card"),
                        one("blind/vi-nodiacritics", "lost_card", "lost_card"),
                        one("blind/en", "out_of_scope", "greet")],
               "latency_ms": {"p99": 12.0}}
    met = dict(targets(results))
    assert met["blind/vi-nodiacritics within 0.02 of blind/vi (gap +0.000)"] is True
    assert met["out-of-scope recall >= 0.85 with in-scope accuracy >= 0.92 "
               "(blind/en: 0.000, -)"] is False
    assert not any("blind/vi:" in name and "out-of-scope" in name for name in met)  # none there


def test_watched_pairs_count_both_directions_and_show_in_the_report():
    heldout = HeldOutSet("blind/vi", "vi", (
        ("lương hưu tính thế nào", "out_of_scope"),
        ("mở thẻ tín dụng", "card_application"),
        ("phí thường niên bao nhiêu", "fees_interest"),
    ))
    parses = [parse("card_application", "vi"), parse("out_of_scope", "vi"),
              parse("fees_interest", "vi")]

    result = report(heldout, parses)

    assert result.watched_confusions["card_application↔out_of_scope"] == 2
    assert result.watched_confusions["fees_interest↔dispute_charge"] == 0
    text = format_results({"sets": [vars(result)],
                           "latency_ms": {"messages": 3, "p50": 1.0, "p99": 2.0, "max": 3.0}})
    assert any(line.startswith("card_application↔out_of_scope") and line.split()[-1] == "2"
               for line in text.splitlines())
