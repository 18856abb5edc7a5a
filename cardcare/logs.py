"""Structured logs for CardCare's processes, masked before anything is written.

Every process configures logging through ``configure``: structlog renders JSON lines (or
readable lines in a terminal), and a processor that runs before any renderer masks card
numbers, named secrets (CVV, OTP, PIN) and API tokens in every string of every event, whatever
a call site passed.  Standard-library loggers (aiohttp, redis) go through the same processors.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from cardcare.masking import mask_text

# A Telegram bot token ("123456789:AA...", 35 characters after the colon) travels in every Bot
# API URL; a library that logs its requests would write it.  So would an ``access_token=``.
_TOKENS = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}|(?<=access_token=)[^&\s\"']+")
# Libraries that log each HTTP request at INFO, URL and all (httpx: python-telegram-bot).
_CHATTY = ("httpx", "httpcore")


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _TOKENS.sub("•••", mask_text(value))
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
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
