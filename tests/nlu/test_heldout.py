"""The NLU model on the held-out sets (written apart from the training data, never trained on)."""

from __future__ import annotations

from typing import Any

import pytest

from cardcare.conversation import LANGUAGES
from cardcare.dev.evaluation import SetReport, load_heldout, parse_all, report

pytestmark = pytest.mark.model

# Regression floors, set below the figures the model reaches (see `make eval`, which also
# reports the product targets in cardcare/dev/evaluation.py); training is not bit-for-bit
# reproducible across machines, so a floor leaves room for that noise and no more.
MIN_MACRO_F1 = 0.90
MAX_DIACRITICS_GAP = 0.03
MIN_LANGUAGE_ACCURACY = 0.97


@pytest.fixture(scope="module")
async def reports(agent: Any) -> dict[str, SetReport]:
    result = {}
    for heldout in load_heldout():
        parses, _ = await parse_all(agent, [text for text, _ in heldout.examples])
        result[heldout.name] = report(heldout, parses)
    return result


@pytest.mark.parametrize("name", LANGUAGES)
async def test_macro_f1_per_language(reports, name):
    assert reports[name].macro_f1 >= MIN_MACRO_F1, reports[name]


# Known shortfall, tracked by the issue "Understanding that generalises": natively undiacritised
# Vietnamese (teen-code) is 4.8 points behind diacritised on the own set, whose two files hold
# different messages; on the blind sets the gap is 1.5 and mechanically folded messages show
# none.  Strict: once the gap closes this must become a plain test again.
_GAP_OPEN = pytest.mark.xfail(reason="undiacritised Vietnamese 4.8 points behind", strict=True)


@pytest.mark.parametrize("name", [pytest.param("vi-nodiacritics", marks=_GAP_OPEN), "vi-folded"])
async def test_vietnamese_without_diacritics_is_close_to_with(reports, name):
    assert reports["vi"].macro_f1 - reports[name].macro_f1 <= MAX_DIACRITICS_GAP, reports[name]


@pytest.mark.parametrize("name", [*LANGUAGES, "vi-nodiacritics"])
async def test_language_identification(reports, name):
    assert reports[name].language_accuracy >= MIN_LANGUAGE_ACCURACY, reports[name].wrong_language
