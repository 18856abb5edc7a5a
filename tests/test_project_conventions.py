"""Meta-tests: conventions the project relies on and that no single module test would catch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cardcare.conversation import LANGUAGES, MESSAGE_TOO_LONG_INTENT
from nlu.normalize import fold_diacritics, script_tables
from tests.conftest import ROOT
from tools.heldout_overlap import HELDOUT_DIRS, key, training_keys
from tools.heldout_overlap import examples as nlu_examples

BANKING_INTENTS = [
    "check_balance", "list_transactions", "installment", "lost_card", "dispute_charge",
    "report_fraud", "fraud_advice", "credit_limit", "rewards_points", "card_application",
    "card_activation", "card_declined", "autopay", "change_pin", "payment_info",
    "repayment_plan", "fees_interest", "human_agent", "complaint", "out_of_scope",
]


def _variation_language(variation: dict) -> str:
    conditions = variation.get("condition") or []
    return conditions[0]["value"] if conditions else "en"


def test_every_response_exists_in_all_four_languages(domain):
    for name, variations in domain["responses"].items():
        languages = sorted(_variation_language(v) for v in variations)
        assert languages == sorted(LANGUAGES), name


def test_no_response_uses_channel_variations(domain):
    # In Rasa 3.6 a channel-specific variation beats a language-conditioned one.
    for name, variations in domain["responses"].items():
        assert all("channel" not in v for v in variations), name


@pytest.mark.parametrize(
    ("language", "forbidden"),
    [("zh-Hant", "simplified_only"), ("zh-Hans", "traditional_only")],
)
def test_chinese_texts_use_only_their_own_script(domain, language, forbidden):
    # Button titles naming a language ("简体中文", "繁體中文") are written in that language.
    characters = getattr(script_tables(), forbidden)
    language_names = {"English", "简体中文", "繁體中文", "Tiếng Việt"}
    for name, variations in domain["responses"].items():
        for variation in variations:
            if _variation_language(variation) != language:
                continue
            titles = [b["title"] for b in variation.get("buttons", [])
                      if b["title"] not in language_names]
            bad = {ch for text in [variation["text"], *titles] for ch in text if ch in characters}
            assert not bad, (name, bad)


def test_every_response_used_by_rules_or_actions_exists(domain):
    used = set(re.findall(r"utter_[a-z_]+", (ROOT / "data" / "rules" / "answers.yml").read_text()))
    for path in (ROOT / "actions").glob("*.py"):
        used |= set(re.findall(r'"(utter_[a-z_]+)"', path.read_text()))
    used = {u for u in used if not u.endswith("_")}
    assert used <= set(domain["responses"]), used - set(domain["responses"])


def test_every_custom_action_in_the_domain_has_a_class(domain):
    # Registered the way the action server does it: abstract bases are skipped, and a
    # package that fails to import fails here.
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    custom = {a for a in domain["actions"] if not a.startswith("utter_")}
    assert custom == set(executor.actions), custom ^ set(executor.actions)


def test_heldout_examples_were_never_trained_on():
    trained = training_keys()
    paths = [p for d in HELDOUT_DIRS for p in d.glob("*.yml")]
    assert len(paths) == 10  # own and blind, each: en, zh-Hans, zh-Hant, vi, vi-nodiacritics
    for path in paths:
        overlap = [e for _, es in nlu_examples(path) for e in es if key(e) in trained]
        assert not overlap, (path.name, overlap[:5])


@pytest.mark.parametrize("language", LANGUAGES)
def test_training_data_size_per_language(language):
    counts: dict[str, int] = {}
    for path in (ROOT / "data" / "nlu" / language).glob("*.yml"):
        for intent, items in nlu_examples(path):
            counts[intent] = counts.get(intent, 0) + len(items)
    for intent in BANKING_INTENTS:
        assert counts.get(intent, 0) >= 60, (language, intent, counts.get(intent))


def test_a_third_of_vietnamese_training_data_has_no_diacritics():
    items = [e for p in (ROOT / "data" / "nlu" / "vi").glob("*.yml")
             for _, es in nlu_examples(p) for e in es]
    plain = [e for e in items if fold_diacritics(e) == e]
    assert len(plain) >= len(items) / 3


@pytest.mark.parametrize("name", [*LANGUAGES, "vi-nodiacritics"])
def test_heldout_has_twenty_examples_per_intent(name, domain):
    blocks = dict(nlu_examples(ROOT / "tests" / "nlu" / "heldout" / f"{name}.yml"))
    # The channels send this one in place of an over-long message; NLU never predicts it.
    for intent in set(domain["intents"]) - {MESSAGE_TOO_LONG_INTENT}:
        assert len(blocks.get(intent, [])) >= 20, (name, intent)


def test_no_module_does_io_on_import():
    # Importing every module in a fresh interpreter must not open sockets or read the model.
    code = (
        "import socket, builtins\n"
        "def refuse(*a, **k): raise AssertionError('network on import')\n"
        "socket.socket.connect = refuse\n"
        "import pkgutil, importlib\n"
        "for pkg in ('nlu', 'actions', 'actions.bank', 'bankapi', 'bankapi.sandbox', 'cardcare',\n"
        "            'cardcare.dev', 'bot'):\n"
        "    for m in pkgutil.iter_modules([pkg.replace('.', '/')]):\n"
        "        if m.name != '__main__': importlib.import_module(f'{pkg}.{m.name}')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_rasa_data_validate_passes():
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run([str(rasa), "data", "validate", "--fail-on-warnings"], cwd=ROOT,
                            capture_output=True, text=True,
                            env={**__import__("os").environ, "RASA_TELEMETRY_ENABLED": "false"})
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_every_training_block_is_labelled_with_its_folders_language():
    # nlu/language.py learns from these labels; tools/label_languages.py adds them.
    for path in (ROOT / "data" / "nlu").glob("*/*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data.get("nlu", []):
            if "intent" in block:
                assert (block.get("metadata") or {}).get("language") == path.parent.name, (
                    path, block["intent"])
