"""Reads localised texts from the domain, so bot text stays in domain.yml and never in Python."""

from __future__ import annotations

from typing import Any

from rasa_sdk.types import DomainDict

LANGUAGE_SLOT = "language"


def response_text(domain: DomainDict, response: str, language: str | None) -> str:
    """Returns the text of ``response`` in ``language``, falling back to the default variation.

    Actions need this for button titles (Rasa renders whole responses, not button labels).

    Raises:
        KeyError: the domain has no such response.
    """
    variations: list[dict[str, Any]] = domain["responses"][response]
    default = None
    for variation in variations:
        conditions = variation.get("condition") or []
        if not conditions:
            default = default or variation.get("text")
        elif any(
            c.get("name") == LANGUAGE_SLOT and c.get("value") == language for c in conditions
        ):
            return str(variation["text"])
    if default is None:
        raise KeyError(f"response {response!r} has no default variation")
    return str(default)
