"""Schemathesis generates requests from ``openapi.yaml`` and checks the sandbox's every answer.

The hand-written tests check what the flows need; this one looks for where the contract and
the sandbox disagree on anything: requests the schema allows that the sandbox refuses (or the
reverse), undocumented statuses, answers off their schema, missing headers.  It runs the ``st``
command line against the sandbox that the ``bank`` fixture serves in this test's event loop
(the loop goes on serving while the test awaits ``st``), with Emma's verified session, so the
cardholder operations are reached and not only refused.

Settings that depend on the contract are in ``schemathesis.toml``, the hook that gives each
write its own Idempotency-Key in ``schemathesis_hooks.py``; both are beside this file.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from bankapi import contract
from tests.sandbox import API_KEY, Bank

ST = Path(sys.executable).with_name("st")
HERE = Path(__file__).resolve().parent
# A fixed seed and a bound on examples: the same requests every run, about 1,900 in a minute.
SEED = 20240611
MAX_EXAMPLES = 25
# Every operation is tested: far fewer cases would mean most of them were not generated.
MIN_CASES = 800
# About 10 times what it takes on a busy 2-core machine.
TIMEOUT_S = 600


async def test_schemathesis_finds_no_disagreement(bank: Bank, emma: str, tmp_path: Path) -> None:
    if not ST.exists():
        pytest.fail(f"schemathesis is not installed ({ST}): pip install -e '.[test]'")
    report = tmp_path / "report.json"
    command = [
        str(ST), "--config-file", str(HERE / "schemathesis.toml"),
        "run", str(contract.SPEC_PATH), "--url", bank.base_url + contract.API_PREFIX,
        "--header", f"X-Api-Key: {API_KEY}", "--header", f"X-Session-Token: {emma}",
        "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        "--workers", "1", "--generation-database", "none", "--no-color",
        "--report", "json", "--report-json-path", str(report),
    ]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py"),
             "COLUMNS": "100"})
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=TIMEOUT_S)
    except asyncio.TimeoutError:
        process.kill()  # not left running after the test
        await process.wait()
        pytest.fail(f"schemathesis took more than {TIMEOUT_S} s")
    text = output.decode(errors="replace")
    assert report.exists(), text
    summary = json.loads(report.read_text())
    assert (summary["failures"], summary["errors"], process.returncode) == ([], [], 0), text
    assert summary["operations"]["tested"] == summary["operations"]["total"], text
    assert summary["test_cases"]["generated"] >= MIN_CASES, text
