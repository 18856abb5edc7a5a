"""The pinned patch to Rasa: still applies to the pinned Rasa, and accepts and rejects exactly
what Rasa's own validation does, with the same message."""

from __future__ import annotations

import pytest
import rasa
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain

from cardcare import rasa_patches
from cardcare.tracker_store import MaskingInMemoryTrackerStore

ANSWERS = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "language", "value": "vi"}],
     "responses": [{"text": "Xin chào", "language": "vi"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup",
                                                          "name": "action_listen"}]},
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"name": "language"}]},
    {"responses": ["a bare string"]},
    ["not", "an", "object"],
]


@pytest.fixture(scope="module")
def original():
    rasa_patches.apply()
    return rasa_patches.replaced


def test_the_pin_still_holds():
    assert rasa.__version__ == rasa_patches.RASA_VERSION
    rasa_patches.apply()
    assert rasa_patches.source_sha256(rasa_patches.replaced) == rasa_patches.ORIGINAL_SHA256
    assert RemoteAction._validate_action_result is rasa_patches.validate_action_result


def test_loading_the_tracker_store_installs_it():
    MaskingInMemoryTrackerStore(Domain.empty())
    assert RemoteAction._validate_action_result is rasa_patches.validate_action_result


@pytest.mark.parametrize("answer", ANSWERS)
def test_same_verdict_and_message_as_rasa(answer, original):
    action = RemoteAction("action_anything", None)

    def verdict(validate):
        try:
            return validate(action, answer), None
        except ValidationError as error:
            return False, error.message

    ours, rasas = verdict(rasa_patches.validate_action_result), verdict(original)
    assert ours == rasas
    assert (ours[1] is None) == (answer in ANSWERS[:3])


def test_a_newer_rasa_keeps_its_own_method(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", rasa_patches.replaced)
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    assert rasa_patches.apply() is False
    assert RemoteAction._validate_action_result is rasa_patches.replaced
