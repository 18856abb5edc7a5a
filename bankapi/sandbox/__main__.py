"""``python -m bankapi.sandbox``: runs the sandbox bank on loopback.

Environment: ``BANK_API_KEY`` (required: the key CardCare must send), ``BANK_DATABASE_URL``
(default: SQLite in ``run/sandbox-bank.sqlite3``; ``postgresql://…`` for PostgreSQL),
``SANDBOX_MAX_CODES`` (codes per chat and per cardholder in 15 minutes, default 5: end-to-end
tests verify the demo cardholders far more often than a person would).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from aiohttp import web

from bankapi.sandbox.app import create_app
from bankapi.sandbox.context import Settings

DEFAULT_DATABASE = Path(__file__).resolve().parents[2] / "run" / "sandbox-bank.sqlite3"


def main(argv: list[str] | None = None) -> int:
    """Parses arguments, reads the environment, serves until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m bankapi.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args(argv)
    api_key = os.environ.get("BANK_API_KEY")
    if not api_key:
        print("BANK_API_KEY is not set: the sandbox needs the key its client will send.",
              file=sys.stderr)
        return 2
    database_url = os.environ.get("BANK_DATABASE_URL")
    if not database_url:
        DEFAULT_DATABASE.parent.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{DEFAULT_DATABASE}"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings(database_url=database_url, api_key=api_key,
                        max_codes=int(os.environ.get("SANDBOX_MAX_CODES") or Settings.max_codes))
    web.run_app(create_app(settings),
                host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
