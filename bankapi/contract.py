"""Loads ``openapi.yaml`` and validates JSON against its schemas.

The sandbox validates request bodies with it and the tests validate every sandbox answer, so
the contract file is the single source of truth for both sides.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC_PATH = Path(__file__).resolve().parent / "openapi.yaml"
API_PREFIX = "/v1"


class ContractViolation(ValueError):
    """A document does not match the contract's schema."""


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    """The parsed contract (read once per process, on first use)."""
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def operation(path: str, method: str) -> dict[str, Any]:
    """The operation object for a templated path such as ``/cards/{card_id}``."""
    return spec()["paths"][path][method.lower()]


def request_schema(path: str, method: str) -> dict[str, Any] | None:
    """The JSON schema of an operation's request body, if it has one."""
    body = operation(path, method).get("requestBody")
    return body["content"]["application/json"]["schema"] if body else None


def response_schema(path: str, method: str, status: int) -> dict[str, Any] | None:
    """The JSON schema of an operation's answer with ``status``, if it has a body."""
    response = operation(path, method)["responses"].get(str(status))
    if response is None:
        raise ContractViolation(f"{method} {path} does not document status {status}")
    if "$ref" in response:
        response = _resolve(response["$ref"])
    content = response.get("content")
    return content["application/json"]["schema"] if content else None


def validate(document: Any, schema: dict[str, Any]) -> None:
    """Raises ContractViolation with the first problem found, if any."""
    validator = jsonschema.Draft202012Validator(
        schema, resolver=jsonschema.RefResolver.from_schema(spec()),
        format_checker=jsonschema.FormatChecker(),
    )
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise ContractViolation(f"{where}: {error.message}")


def _resolve(ref: str) -> dict[str, Any]:
    node: Any = spec()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node
