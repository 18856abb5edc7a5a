"""``python -m desk``: serve the desk, or manage its accounts.

    python -m desk serve                      # REDIS_URL, DESK_HOST, DESK_PORT, DESK_SECURE_COOKIES
    python -m desk add-agent linh --name Linh --languages vi,en --skills cards,general
    python -m desk add-agent sam --role supervisor --languages en --skills general

The password is read from ``DESK_PASSWORD`` if set, else asked for (never an argument: it
would stay in the shell's history and the process list).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

import redis.asyncio as redis
from aiohttp import web

from cardcare.logs import configure
from desk.accounts import AccountError, Accounts
from desk.app import DeskSettings, create_app

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def _settings() -> DeskSettings:
    return DeskSettings(redis_url=os.environ.get("REDIS_URL") or DEFAULT_REDIS,
                        host=os.environ.get("DESK_HOST") or DeskSettings.host,
                        port=int(os.environ.get("DESK_PORT") or DeskSettings.port),
                        secure_cookies=os.environ.get("DESK_SECURE_COOKIES") == "1")


async def _add_agent(args: argparse.Namespace) -> None:
    password = os.environ.get("DESK_PASSWORD") or getpass.getpass(f"Password for {args.username}: ")
    client = redis.from_url(os.environ.get("REDIS_URL") or DEFAULT_REDIS)
    try:
        account = await Accounts(client).create(
            args.username, password, args.name or args.username, args.role,
            [x.strip() for x in args.languages.split(",") if x.strip()],
            [x.strip() for x in args.skills.split(",") if x.strip()], args.capacity)
    finally:
        await client.close()
    print(f"{account.role} {account.username} ({account.name}): "
          f"{', '.join(account.languages)} / {', '.join(account.skills)}, "
          f"{account.capacity} chats at once")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desk", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the desk")
    add = commands.add_parser("add-agent", help="create or replace an account")
    add.add_argument("username")
    add.add_argument("--name", default="", help="shown to customers")
    add.add_argument("--role", default="agent", choices=("agent", "supervisor"))
    add.add_argument("--languages", default="en", help="comma-separated: en,zh-Hans,zh-Hant,vi")
    add.add_argument("--skills", default="general",
                     help="comma-separated: cards,disputes,collections,general")
    add.add_argument("--capacity", type=int, default=3)
    args = parser.parse_args(argv)
    if args.command == "add-agent":
        try:
            asyncio.run(_add_agent(args))
        except AccountError as error:
            print(f"Cannot create the account: {error}", file=sys.stderr)
            return 2
        return 0
    configure()
    settings = _settings()
    web.run_app(create_app(settings), host=settings.host, port=settings.port,
                access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
