"""Schemathesis hooks of test_schemathesis.py, loaded by ``st`` (``SCHEMATHESIS_HOOKS``).

Not a test module: it runs in the ``st`` process, not under pytest.
"""

from __future__ import annotations

import itertools
from typing import Any

import schemathesis

_KEYS = itertools.count(1)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Gives each write that has a well-formed Idempotency-Key a key of its own.

    Schemathesis draws the same few keys again and again; the sandbox then rightly answers
    ``idempotency_conflict`` (or replays) and the request never reaches the operation.  Keys
    that are missing or malformed stay as drawn, so their refusal is still checked.

    Cases that leave out or spoil a header are left alone: an edit makes schemathesis judge the
    case again, and it then sends the headers of the command line (``X-Api-Key``,
    ``X-Session-Token``) after all.  The sandbox checks both before the Idempotency-Key, so a
    reused key does not matter there.  (A ``map_case`` hook has neither problem, but makes
    schemathesis 4.30 generate some operations' cases for minutes.)
    """
    meta = case.meta
    if meta is not None and meta.generation.mode.is_negative:
        headers = meta.components.get("header")
        if meta.phase.data.parameter_location == "header" or (
                headers is not None and headers.mode.is_negative):
            return
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and 8 <= len(key) <= 128:
        case.headers["Idempotency-Key"] = f"schemathesis-{next(_KEYS):08d}"
