import pytest

from cardcare.dev.chat import render, send


def test_render_numbers_buttons_and_returns_payloads():
    text, payloads = render([
        {"text": "Which language?", "buttons": [{"title": "English", "payload": "/a"},
                                                {"title": "Tiếng Việt", "payload": "/b"}]},
    ])
    assert text.splitlines() == ["CardCare: Which language?", "   [1] English", "   [2] Tiếng Việt"]
    assert payloads == ["/a", "/b"]


def test_send_to_a_stopped_server_says_so():
    with pytest.raises(ConnectionError, match="Cannot reach Rasa"):
        send("http://127.0.0.1:9", "me", "hello", timeout=2)
