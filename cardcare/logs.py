"""Structured logs for CardCare's processes, masked before anything is written.

Every process configures logging through ``configure``: structlog renders JSON lines (or
readable lines in a terminal), and a processor that runs before any renderer masks card
numbers and named secrets (CVV, OTP, PIN) in every string of every event, whatever a call
site passed.  Standard-library loggers (aiohttp, redis) go through the same processors.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from cardcare.masking import mask_text


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask(v) for v in value)
    return value


def mask_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: every string in the event masked (card numbers, CVV, codes)."""
    return {key: _mask(value) for key, value in event.items()}


def configure(level: str = "INFO", json_lines: bool | None = None) -> None:
    """Sets up structlog and the standard ``logging`` module for this process.

    Args:
        level: the lowest level written.
        json_lines: JSON (production) or readable lines; by default JSON unless on a terminal.
    """
    json_lines = not sys.stderr.isatty() if json_lines is None else json_lines
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_event,
    ]
    renderer: Any = (structlog.processors.JSONRenderer(ensure_ascii=False) if json_lines
                     else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared, processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
