"""The one patch CardCare makes to Rasa: the action server's answers validated by a validator
built once.

Rasa 3.6's ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on every
custom action's answer.  That function checks the schema against its meta-schema and builds a
new validator each time; under load this was half of the Rasa process's CPU (issue 12's
profile: ``check_schema`` alone ~25%).  The schema is a constant
(``RemoteAction.action_response_format_spec``), so the same check with the validator built
once is equivalent: same schema, same draft, same first error (``best_match``), same message.

The patch is pinned: it applies only to the Rasa version it was written against, and only
when the method it replaces is still the one it was written for (its source's hash).  Any
other Rasa keeps its own method, with a warning, so an upgrade can make turns slower but never
changes what is accepted.  ``tests/cardcare/test_rasa_patches.py`` fails when the pin no
longer holds.
"""

from __future__ import annotations

import hashlib
import inspect
from functools import cache
from typing import Any

import structlog
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

log = structlog.get_logger(__name__)

RASA_VERSION = "3.6.21"
# sha256 of ``inspect.getsource(RemoteAction._validate_action_result)`` in RASA_VERSION.
ORIGINAL_SHA256 = "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42"
_DOCS_HINT = (". Failed to validate Action server response from API, make sure your response "
              "from the Action endpoint is valid. For more information about the format visit "
              "{docs}/custom-actions")


# Rasa's own method, once the patch replaced it (the tests compare the two).
replaced: Any = None


@cache
def _validator() -> Validator:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would on every call
    return cls(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once.

    Raises:
        ValidationError: the answer does not match Rasa's schema (Rasa's own message).
    """
    from rasa.shared.constants import DOCS_BASE_URL

    error: ValidationError | None = best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += _DOCS_HINT.format(docs=DOCS_BASE_URL)
        raise error
    return True


def source_sha256(function: Any) -> str:
    """The hash the pin compares: of the function's source as written."""
    return hashlib.sha256(inspect.getsource(function).encode("utf-8")).hexdigest()


def apply() -> bool:
    """Installs the patch once per process; whether it is installed."""
    import rasa
    from rasa.core.actions.action import RemoteAction

    current = RemoteAction._validate_action_result
    if current is validate_action_result:
        return True
    if rasa.__version__ != RASA_VERSION or source_sha256(current) != ORIGINAL_SHA256:
        log.warning("rasa.patch.skipped", patch="validate_action_result",
                    rasa=rasa.__version__, pinned=RASA_VERSION)
        return False
    global replaced
    replaced = current
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    return True
