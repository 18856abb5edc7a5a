"""Every log line is masked by the logging setup, whatever a call site passes."""

from __future__ import annotations

import json
import logging

import structlog

from cardcare.logs import MAX_RECORD_CHARS, configure, mask_records


def test_card_numbers_and_codes_are_masked_in_structlog_and_stdlib_lines(capsys):
    configure(json_lines=True)
    try:
        structlog.get_logger("t").error("bad.thing", text="card 4111 1111 1111 1111 cvv 123",
                                         nested={"otp": "otp 482913"})
        logging.getLogger("aiohttp").warning("got 4111-1111-1111-1111")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    written = json.dumps(lines, ensure_ascii=False)
    assert "4111 1111 1111 1111" not in written and "4111-1111-1111-1111" not in written
    assert "123" not in written and "482913" not in written
    assert lines[0]["event"] == "bad.thing" and "1111" in lines[0]["text"]


def test_api_tokens_never_reach_a_log_line(capsys):
    configure(json_lines=True)
    try:
        logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/"
                                        "bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/x")
        structlog.get_logger("t").warning(
            "call", url="https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
                        "/sendMessage", wechat="cgi-bin/x?access_token=FAKE_AT_1&openid=o")
        written = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in written and "FAKE_AT_1" not in written
    assert "HTTP Request" not in written  # httpx's request lines are below the level


def test_records_of_any_handler_are_masked_and_cut_tracebacks_too():
    """Rasa and rasa-sdk bring their own handlers: the record itself is masked when made."""
    mask_records()
    mask_records()  # idempotent: one factory, not two
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(logging.Formatter().format(record))

    logger = logging.getLogger("rasa.somewhere")
    logger.addHandler(keep := Keep())
    logger.setLevel(logging.INFO)
    try:
        try:
            raise ValueError("user said: card 4111 1111 1111 1111, otp 482913")
        except ValueError:
            logger.exception("turn of %s failed", "telegram:42")
        logger.info("tracker %s", "x" * (MAX_RECORD_CHARS * 3))
    finally:
        logger.removeHandler(keep)
    assert "turn of telegram:42 failed" in seen[0]
    assert "ValueError" in seen[0] and "•••• 1111" in seen[0]
    assert "4111 1111 1111 1111" not in seen[0] and "482913" not in seen[0]
    assert len(seen[1]) < MAX_RECORD_CHARS + 100 and "characters cut" in seen[1]
