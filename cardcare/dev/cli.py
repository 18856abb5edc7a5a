"""The `cardcare` command: run the stack, chat with it, evaluate the NLU model, benchmark it."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Iterable
from pathlib import Path

from cardcare.dev.stack import DEFAULT_MODEL, Stack, StackConfig, StackError


def _run(args: argparse.Namespace) -> int:
    config = StackConfig(
        rasa_port=args.port, actions_port=args.actions_port, model=Path(args.model),
        rasa_processes=args.rasa_processes, actions_processes=args.actions_processes,
        redis_url=os.environ.get("REDIS_URL") or None, bank_port=args.bank_port,
        bank_url=os.environ.get("BANK_URL") or None,
        bank_api_key=os.environ.get("BANK_API_KEY") or None,
        bank_database_url=os.environ.get("BANK_DATABASE_URL") or None,
        gateway_port=args.gateway_port, desk_port=args.desk_port,
    )
    stores = f"Redis at {config.redis_url}" if config.redis_url else "in memory"
    print(f"Starting CardCare (model {config.model.name}, conversations stored {stores}) ...")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with Stack(config) as stack:
            print(
                f"\nCardCare is running.\n\n"
                f"  Web chat:       {config.gateway_url}/chat   <- open this in a browser\n"
                + (f"  Agent desk:     {config.desk_url}/   <- and this one, as the agent\n"
                   f"                  login demo (agent) or supervisor, password "
                   f"{config.desk_demo_password}\n" if config.desk_port else "")
                + "\n"
                + _channels()
                + f"  Gateway state:  Redis at {stack.gateway_redis_url}\n"
                f"  Rasa server:    {config.rasa_url}  (REST channel: "
                f"{config.rasa_url}/webhooks/rest/webhook)\n"
                + _more("Rasa", config.rasa_urls)
                + f"  Action server:  {config.actions_url}\n"
                + _more("action", (f"http://{config.host}:{port}"
                                   for port in config.actions_ports))
                + (f"  Sandbox bank:   {config.bank_base_url}  (demo cardholders: README; the "
                   f"codes it texts: {config.bank_base_url}/sandbox/outbox)\n"
                   if config.sandbox else f"  Bank:           {config.bank_base_url}\n")
                + f"  Logs:           {config.log_dir}/\n\n"
                f"Talk to it from another terminal with `make chat`, or `rasa shell`-style:\n"
                f"  curl -s {config.rasa_url}/webhooks/rest/webhook "
                f"-d '{{\"sender\":\"me\",\"message\":\"hello\"}}'\n"
                f"Press Ctrl-C to stop.",
                flush=True,
            )
            try:
                while not stop.wait(1.0):
                    pass
            except KeyboardInterrupt:
                pass
            print("\nStopping CardCare ...")
    except StackError as error:
        print(f"CardCare could not start: {error}")
        return 1
    return 0


def _more(kind: str, urls: Iterable[str]) -> str:
    """The second and later servers of a kind, if the stack runs several."""
    rest = list(urls)[1:]
    return "".join(f"                  {url}  (another {kind} server)\n" for url in rest)


def _channels() -> str:
    """Which messaging channels the gateway serves (their tokens come from the environment)."""
    lines = []
    if os.environ.get("TELEGRAM_BOT_TOKEN"):
        lines.append(f"  Telegram:       {os.environ.get('TELEGRAM_MODE', 'webhook')} "
                     f"(webhook path /telegram/webhook)\n")
    if os.environ.get("WECHAT_TOKEN"):
        lines.append("  WeChat:         callback path /wechat\n")
    return "".join(lines)


def _chat(args: argparse.Namespace) -> int:
    from cardcare.dev.chat import run

    return run(args.url)


def _eval(args: argparse.Namespace) -> int:
    from cardcare.dev.evaluation import main as evaluate

    return evaluate(Path(args.model), Path(args.out))


def _bench(args: argparse.Namespace) -> int:
    from cardcare.dev.bench import main as bench

    status = 0
    if args.section in ("all", "actions"):
        status = bench(args.runs, Path(args.out))
    if args.section in ("all", "channels"):
        from cardcare.dev.bench_channels import main as channels

        print()
        print(channels(args.users, args.turns, Path(args.out)), flush=True)
    if args.section in ("all", "handoff"):
        from cardcare.dev.bench_handoff import main as handoff

        print()
        print(handoff(args.queued, args.agents, args.samples, Path(args.out)), flush=True)
    if args.section in ("all", "turns"):
        from cardcare.dev.bench_turns import main as turns

        print()
        print(turns(Path(args.model), Path(args.out)), flush=True)
    return status


def _at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value}: at least 1")
    return number


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cardcare` command."""
    parser = argparse.ArgumentParser(prog="cardcare", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the Rasa and action servers")
    run.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    run.add_argument("--actions-port", type=int,
                     default=int(os.environ.get("ACTIONS_PORT", 5055)))
    run.add_argument("--rasa-processes", type=_at_least_one,
                     default=int(os.environ.get("RASA_PROCESSES", 1)),
                     help="Rasa servers on consecutive ports (each conversation sticks to one)")
    run.add_argument("--actions-processes", type=_at_least_one,
                     default=int(os.environ.get("ACTIONS_PROCESSES", 1)),
                     help="action servers on consecutive ports")
    run.add_argument("--bank-port", type=int, default=int(os.environ.get("BANK_PORT", 8090)))
    run.add_argument("--gateway-port", type=int,
                     default=int(os.environ.get("GATEWAY_PORT", 8080)))
    run.add_argument("--desk-port", type=int, default=int(os.environ.get("DESK_PORT", 8070)))
    run.add_argument("--model", default=str(DEFAULT_MODEL))
    run.set_defaults(handler=_run)
    chat = commands.add_parser("chat", help="talk to the running stack in this terminal")
    chat.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    chat.set_defaults(handler=_chat)
    evaluate = commands.add_parser("eval", help="evaluate the NLU model on the held-out set")
    evaluate.add_argument("--model", default=str(DEFAULT_MODEL))
    evaluate.add_argument("--out", default="results")
    evaluate.set_defaults(handler=_eval)
    bench = commands.add_parser(
        "bench", help="action-server latency per flow; the gateway's overhead per channel; "
                      "the handoff's latencies")
    bench.add_argument("section", nargs="?", default="all",
                       choices=("all", "actions", "channels", "handoff", "turns"))
    bench.add_argument("--runs", type=int, default=30)
    bench.add_argument("--users", type=int, default=16, help="channels: users at once")
    bench.add_argument("--turns", type=int, default=20, help="channels: messages per user")
    bench.add_argument("--queued", type=int, default=200, help="handoff: chats already waiting")
    bench.add_argument("--agents", type=int, default=8, help="handoff: agents online")
    bench.add_argument("--samples", type=int, default=100,
                       help="handoff: escalations and replies timed")
    bench.add_argument("--model", default=str(DEFAULT_MODEL))
    bench.add_argument("--out", default="results")
    bench.set_defaults(handler=_bench)
    args = parser.parse_args(argv)
    return int(args.handler(args))
