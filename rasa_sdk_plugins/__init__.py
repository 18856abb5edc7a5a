"""The action server's own settings, loaded by ``rasa run actions`` through rasa-sdk's plugins.

rasa-sdk has no authentication: whoever reaches its port can post a forged tracker (say,
``next_action: action_affirm`` with a confirmed limit raise) and the bank acts on it.  Its one
documented extension point is a package named ``rasa_sdk_plugins`` (this one, hence the
name) whose ``init_hooks`` registers an ``attach_sanic_app_extensions`` hook.  Through it:

* every request but ``/health`` must carry ``Authorization: Bearer <CARDCARE_ACTIONS_TOKEN>``,
  which Rasa sends from the endpoints file (``action_endpoint.headers``; ``make run`` writes
  it with a new token each run).  Without the variable (trying CardCare by hand with
  ``rasa run actions``) only loopback callers are served, and the log says so;
* a call whose body is not the shape Rasa sends (a JSON object naming ``next_action``, with a
  ``tracker`` object) gets 400, where rasa-sdk would fail with 500;
* every log line is masked and cut (``cardcare.logs.mask_records``).
"""

from __future__ import annotations

import ipaddress
import logging
import os

import pluggy
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from cardcare.bearer import bearer_matches
from cardcare.logs import mask_records

TOKEN_ENV = "CARDCARE_ACTIONS_TOKEN"
# Open without a credential: the stack (and a load balancer) checks it to see the server up.
OPEN_PATHS = frozenset({"/health"})

hookimpl = pluggy.HookimplMarker("rasa_sdk")
log = logging.getLogger(__name__)


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def malformed(request: Request) -> HTTPResponse | None:
    """400 for an action call rasa-sdk could not read; None for anything else."""
    if request.method != "POST" or request.path != "/webhook":
        return None
    try:
        call = request.json
    except Exception:  # Sanic's own error for a body that is not JSON
        call = None
    if isinstance(call, dict) and isinstance(call.get("next_action"), str) \
            and isinstance(call.get("tracker"), dict):
        return None
    return json({"error": "an action call is a JSON object with next_action and tracker"},
                status=400)


class ActionServerGuard:
    """The hook implementation: a credential check before every action call."""

    def __init__(self, token: str) -> None:
        self.token = token or None

    def refusal(self, request: Request) -> HTTPResponse | None:
        """``None`` when ``request`` may go on, else the answer it gets."""
        if request.path in OPEN_PATHS:
            return None
        if self.token is None:
            if _loopback(request.ip):
                return malformed(request)
            return json({"error": "the action server serves loopback only without "
                                  f"{TOKEN_ENV}"}, status=403)
        if not bearer_matches(request.headers.get("Authorization"), self.token):
            return json({"error": "missing or wrong credential"}, status=401,
                        headers={"WWW-Authenticate": "Bearer"})
        return malformed(request)

    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        """Installs the check and the log masking on rasa-sdk's app."""
        mask_records()
        if self.token is None:
            log.warning("%s is not set: the action server answers loopback callers only, "
                        "without a credential; set it wherever Rasa runs on another host",
                        TOKEN_ENV)

        @app.on_request
        async def check_credential(request: Request) -> HTTPResponse | None:
            return self.refusal(request)


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Called by rasa-sdk when it starts."""
    manager.register(ActionServerGuard(os.environ.get(TOKEN_ENV, "")))
