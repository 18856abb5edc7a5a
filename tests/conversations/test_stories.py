"""Runs the Rasa test stories with Rasa's own tooling against the real action server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.model


def test_rasa_test_stories_pass_in_all_four_languages(stack, tmp_path):
    rasa = Path(sys.executable).parent / "rasa"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{stack.config.actions_url}/webhook"\n')
    result = subprocess.run(
        [str(rasa), "test", "core", "--model", str(stack.config.model),
         "--stories", str(ROOT / "tests" / "conversations" / "stories"),
         "--endpoints", str(endpoints), "--out", str(tmp_path / "results"),
         "--fail-on-prediction-errors"],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    failed = (tmp_path / "results" / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, (result.stdout[-3000:] + result.stderr[-3000:] + details)
    assert "None of the test stories failed" in details, details
