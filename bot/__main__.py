"""``python -m bot``: runs the gateway with settings from the environment."""

from __future__ import annotations

import sys

from aiohttp import web

from bot.app import create_app
from bot.settings import Settings, SettingsError
from cardcare.logs import configure


def main() -> int:
    """Starts the gateway; exits 2 naming the variable when the configuration is incomplete."""
    configure()
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"The gateway cannot start: {error}", file=sys.stderr)
        return 2
    web.run_app(create_app(settings), host=settings.host, port=settings.port,
                access_log=None, print=None, shutdown_timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
