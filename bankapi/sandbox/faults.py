"""Fault injection: the tests' and the demo's way to make the bank slow or failing.

``POST /sandbox/faults {"path": "/v1/cards", "count": 2, "status": 503, "delay_s": 0}`` makes the
next two calls under ``/v1/cards`` fail with 503; ``delay_s`` makes them slow instead (or too).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bankapi import contract
from bankapi.sandbox.errors import BankError


@dataclass
class Fault:
    """Makes the next ``count`` calls under ``path`` slow (``delay_s``) and/or fail (``status``)."""

    path: str
    count: int
    status: int | None = None
    delay_s: float = 0.0


FAULTS = web.AppKey("faults", list)


@web.middleware
async def middleware(request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                     ) -> web.StreamResponse:
    if request.path.startswith(contract.API_PREFIX):
        for fault in request.app[FAULTS]:
            if request.path.startswith(fault.path) and fault.count > 0:
                fault.count -= 1
                if fault.delay_s:
                    await asyncio.sleep(fault.delay_s)
                if fault.status:
                    raise BankError(fault.status, "internal", "injected fault")
                break
    return await handler(request)


async def add_fault(request: web.Request) -> web.Response:
    """POST /sandbox/faults"""
    document = await request.json()
    try:
        fault = Fault(path=str(document["path"]), count=int(document.get("count", 1)),
                      status=int(document["status"]) if document.get("status") else None,
                      delay_s=float(document.get("delay_s", 0)))
    except (KeyError, TypeError, ValueError) as error:
        raise BankError(400, "invalid_request",
                        "give path, count, status and/or delay_s") from error
    request.app[FAULTS].append(fault)
    return web.json_response({"faults": len(request.app[FAULTS])}, status=201)


async def clear_faults(request: web.Request) -> web.Response:
    """DELETE /sandbox/faults"""
    request.app[FAULTS].clear()
    return web.Response(status=204)
