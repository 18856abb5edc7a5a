"""Structured logs for CardCare's processes, masked before anything is written.

The gateway configures logging through ``configure``: structlog renders JSON lines (or
readable lines in a terminal), and a processor that runs before any renderer masks card
numbers, named secrets (CVV, OTP, PIN), phone numbers, birth dates and API tokens in every
string of every event, whatever a call site passed.

Rasa and the action server configure logging themselves (their own handlers, formats and
structlog renderers), so there ``mask_records`` masks at the one point every log line passes
whatever its handler: the creation of the ``logging.LogRecord``.  Rasa's structlog output is a
record too (its logger factory is the standard library's).  A record is also cut at
``MAX_RECORD_CHARS``: a crash must not dump a whole conversation into a log.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

from cardcare.masking import mask_text

# A Telegram bot token ("123456789:AA...", 35 characters after the colon) travels in every Bot
# API URL; a library that logs its requests would write it.  So would an ``access_token=``.
_TOKENS = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}|(?<=access_token=)[^&\s\"']+")
# Longest message (and traceback) a record keeps; enough for any traceback of ours.
MAX_RECORD_CHARS = 8_000
# Libraries that log each HTTP request at INFO, URL and all (httpx: python-telegram-bot).
_CHATTY = ("httpx", "httpcore")


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        # Tokens first: a bot token's leading digits would otherwise look like a phone number.
        return mask_text(_TOKENS.sub("•••", value))
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask(v) for v in value)
    return value


def mask_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: every string in the event masked (card numbers, CVV, codes)."""
    return {key: _mask(value) for key, value in event.items()}


def _masked_and_cut(text: str) -> str:
    if len(text) > MAX_RECORD_CHARS:
        text = f"{text[:MAX_RECORD_CHARS]}… [{len(text) - MAX_RECORD_CHARS} characters cut]"
    return _mask(text)


class _MaskingFactory:
    """A ``logging`` record factory that masks and cuts what the record it makes will print."""

    def __init__(self, make: Callable[..., logging.LogRecord]) -> None:
        self.make = make

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        if isinstance(record.msg, dict):
            # structlog's event on its way to a ProcessorFormatter, which needs the dict.
            record.msg = {key: _masked_and_cut(value) if isinstance(value, str)
                          else _mask(value) for key, value in record.msg.items()}
            return self._with_traceback_masked(record)
        try:
            message = record.getMessage()
        except Exception:  # a call site's bad format string: keep the format, not the values
            message = str(record.msg)
        record.msg, record.args = _masked_and_cut(message), None
        return self._with_traceback_masked(record)

    @staticmethod
    def _with_traceback_masked(record: logging.LogRecord) -> logging.LogRecord:
        if record.exc_info and record.exc_info[0] is not None:
            # Formatted now, so the traceback's messages are masked and cut too.
            record.exc_text = _masked_and_cut("".join(traceback.format_exception(
                *record.exc_info)).rstrip("\n"))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = _masked_and_cut(record.stack_info)
        return record


def mask_records() -> None:
    """Masks and cuts every log record this process creates, whoever logs it and however.

    Idempotent; CardCare's tracker stores call it when Rasa loads them, the action
    server's plugin when it starts, ``configure`` for the gateway.
    """
    current = logging.getLogRecordFactory()
    if not isinstance(current, _MaskingFactory):
        logging.setLogRecordFactory(_MaskingFactory(current))


def configure(level: str = "INFO", json_lines: bool | None = None) -> None:
    """Sets up structlog and the standard ``logging`` module for this process.

    Args:
        level: the lowest level written.
        json_lines: JSON (production) or readable lines; by default JSON unless on a terminal.
    """
    mask_records()
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
