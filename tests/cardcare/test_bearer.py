"""The bearer check shared by the gateway's metrics, Rasa's gateway channel, the action server."""

from __future__ import annotations

import pytest

from cardcare.bearer import bearer_matches


@pytest.mark.parametrize(("header", "token", "ok"), [
    ("Bearer s3cret", "s3cret", True),
    ("bearer s3cret", "s3cret", True),
    ("Bearer s3cre", "s3cret", False),
    ("Basic s3cret", "s3cret", False),
    ("s3cret", "s3cret", False),
    (None, "s3cret", False),
    ("Bearer ", "", False),  # no token configured: nobody is let in
    ("Bearer ", None, False),
])
def test_only_the_exact_token_after_bearer_is_let_in(header, token, ok):
    assert bearer_matches(header, token) is ok
