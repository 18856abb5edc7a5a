"""The bearer-token check every process of CardCare uses between processes.

The gateway's metrics, Rasa's gateway channel and the action server each take
``Authorization: Bearer <token>``; one function, so that all three compare in constant time
and none accepts an empty token.  Standard library only: every process loads it.
"""

from __future__ import annotations

import hmac


def bearer_matches(authorization: str | None, token: str | None) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (never true for no token)."""
    if not token:
        return False
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())
