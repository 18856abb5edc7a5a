"""Starts and stops CardCare's processes: the sandbox bank, the action server, Rasa, the gateway.

`make run` and the end-to-end tests use the same code, so what the tests exercise is what a
newcomer runs.  Everything binds to loopback only; Rasa's telemetry is off.  The gateway
(``bot/``) is the public face; it reaches Rasa through the gateway channel with a token made
for this run, and Rasa's HTTP API requires another.  The gateway keeps its state in Redis:
``REDIS_URL``, else the machine's Redis on 127.0.0.1:6379, else a private ``redis-server``
that the stack starts (and stops).
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = ROOT / "models" / "cardcare.tar.gz"
# Rasa needs ~20 s to load TensorFlow and the model on this kind of machine; the action
# server ~3 s.  Generous limits keep a slow CI machine from failing spuriously.
STARTUP_TIMEOUT_S = 180.0
# Sanic's default accepts 100 MB bodies, read into memory before any check; a turn is a few KB
# (a message is capped at 2000 characters) and the stack never uploads models over HTTP.
RASA_MAX_BODY_BYTES = 256 * 1024


# Seeded for `make run`: one agent for every language and skill, and a supervisor.
DEMO_AGENTS = (
    ("demo", "Alex", "agent", "en,zh-Hans,zh-Hant,vi", "cards,disputes,collections,general"),
    ("supervisor", "Sam", "supervisor", "en,zh-Hans,zh-Hant,vi",
     "cards,disputes,collections,general"),
)


class StackError(RuntimeError):
    """A process of the stack failed to start or died."""


@dataclass(frozen=True)
class StackConfig:
    """Where the stack listens and what it loads."""

    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    # Several Rasa servers on consecutive ports from ``rasa_port``, and several action servers
    # from ``actions_port``; Rasa server i calls action server i mod their number.  The gateway
    # sends each conversation always to the same Rasa server (``bot.rasa``).
    rasa_processes: int = 1
    actions_processes: int = 1
    model: Path = DEFAULT_MODEL
    redis_url: str | None = None
    log_dir: Path = ROOT / "run"
    # The bank: the embedded sandbox on ``bank_port`` unless ``bank_url`` names a real one.
    bank_port: int = 8090
    bank_url: str | None = None
    bank_api_key: str | None = None
    # SQLite file (default) or postgresql:// URL for the sandbox's state.
    bank_database_url: str | None = None
    # The sandbox's cap on codes per chat and per cardholder in 15 minutes (None: its default).
    sandbox_max_codes: int | None = None
    # The action server's idle expiry of a verified session (15 minutes in production).
    session_idle_s: int | None = None
    # The gateway (web chat, Telegram and WeChat webhooks); None: the stack runs without it.
    gateway_port: int | None = 8080
    # Credentials between the stack's processes, new for every run (never written to a file).
    gateway_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    rasa_api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    actions_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Fernet key of the bank session tokens the action server keeps in Redis.
    session_key: str = field(default_factory=lambda: base64.urlsafe_b64encode(
        secrets.token_bytes(32)).decode())
    web_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # More of the gateway's environment (a benchmark points Telegram and WeChat at fakes);
    # TELEGRAM_* and WECHAT_* of the stack's own environment reach the gateway anyway.
    gateway_env: tuple[tuple[str, str], ...] = ()
    # The agent desk (with the gateway); None: no desk.
    desk_port: int | None = 8070
    # The seeded demo accounts' password, new for every run (printed by `make run`).
    desk_demo_password: str = field(default_factory=lambda: secrets.token_urlsafe(9))

    def __post_init__(self) -> None:
        if self.rasa_processes < 1 or self.actions_processes < 1:
            raise ValueError("the stack needs at least one Rasa and one action server")

    @property
    def rasa_url(self) -> str:
        """Base URL of the (first) Rasa server."""
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def rasa_ports(self) -> range:
        """The ports of all the Rasa servers."""
        return range(self.rasa_port, self.rasa_port + self.rasa_processes)

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        """Base URLs of all the Rasa servers."""
        return tuple(f"http://{self.host}:{port}" for port in self.rasa_ports)

    @property
    def actions_url(self) -> str:
        """Base URL of the (first) action server."""
        return f"http://{self.host}:{self.actions_port}"

    @property
    def actions_ports(self) -> range:
        """The ports of all the action servers."""
        return range(self.actions_port, self.actions_port + self.actions_processes)

    def actions_url_for(self, rasa_port: int) -> str:
        """The action server that the Rasa server on ``rasa_port`` calls."""
        port = self.actions_ports[(rasa_port - self.rasa_port) % self.actions_processes]
        return f"http://{self.host}:{port}"

    @property
    def gateway_url(self) -> str:
        """Base URL of the gateway (the web chat is at ``/chat``)."""
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def desk_url(self) -> str:
        """Base URL of the agent desk."""
        return f"http://{self.host}:{self.desk_port}"

    @property
    def sandbox(self) -> bool:
        """Whether the stack runs its own sandbox bank."""
        return self.bank_url is None

    @property
    def bank_base_url(self) -> str:
        """Where the action server finds the bank."""
        return self.bank_url or f"http://{self.host}:{self.bank_port}"


def _endpoints_file(config: StackConfig, rasa_port: int) -> Path:
    """Writes the endpoints file of the Rasa server on ``rasa_port``: its action server, and
    in-memory stores, or Redis when configured."""
    lines = ["action_endpoint:", f'  url: "{config.actions_url_for(rasa_port)}/webhook"',
             # The action server's credential (rasa_sdk_plugins), from the environment.  Not
             # quoted: Rasa replaces ${VAR} in plain YAML scalars only.
             "  headers:", "    Authorization: Bearer ${CARDCARE_ACTIONS_TOKEN}",
             # Each bot message says its language, for the gateway's own texts.
             "nlg:", "  type: cardcare.nlg.LanguageTaggingGenerator"]
    if not config.redis_url:
        lines += ["tracker_store:", "  type: cardcare.tracker_store.MaskingInMemoryTrackerStore",
                  "lock_store:", "  type: cardcare.lock_store.WakingInMemoryLockStore"]
    else:
        url = urlparse(config.redis_url)
        db = (url.path or "/0").lstrip("/") or "0"
        common = [f"  url: {url.hostname or '127.0.0.1'}", f"  port: {url.port or 6379}",
                  "  key_prefix: cardcare"]
        if url.password:
            # The password travels in the environment (see _environment), never in a file.
            common.append("  password: ${REDIS_PASSWORD}")
        lines += ["tracker_store:", "  type: cardcare.tracker_store.MaskingRedisTrackerStore",
                  *common, f"  db: {db}",
                  "lock_store:", "  type: cardcare.lock_store.WakingRedisLockStore", *common,
                  f"  db: {db}"]
    path = config.log_dir / f"endpoints-{rasa_port}.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _credentials_file(config: StackConfig, rasa_port: int) -> Path:
    """Writes the channels file for this run: Rasa's REST channel confined to ``rest`` chats
    (``make chat``) and the gateway's channel, whose token Rasa reads from the environment."""
    path = config.log_dir / f"credentials-{rasa_port}.yml"
    path.write_text("cardcare.gateway_input.LocalRestInput:\n"
                    "cardcare.gateway_input.GatewayInput:\n"
                    "  token: ${CARDCARE_GATEWAY_TOKEN}\n", encoding="utf-8")
    return path


def _redis_up(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _environment(config: StackConfig, api_key: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BANK_URL=config.bank_base_url,
        BANK_API_KEY=api_key,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        CARDCARE_GATEWAY_TOKEN=config.gateway_token,
        CARDCARE_ACTIONS_TOKEN=config.actions_token,
        CARDCARE_SESSION_KEY=config.session_key,
        SANIC_HOST=config.host,  # rasa-sdk binds 0.0.0.0 unless told otherwise
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    password = urlparse(config.redis_url).password if config.redis_url else None
    if password:
        env["REDIS_PASSWORD"] = password
    if config.redis_url:
        env["REDIS_URL"] = config.redis_url  # the action server keeps bank sessions there
    if config.session_idle_s:
        env["CARDCARE_SESSION_IDLE_S"] = str(config.session_idle_s)
    if config.sandbox and config.sandbox_max_codes:
        env["SANDBOX_MAX_CODES"] = str(config.sandbox_max_codes)
    if config.sandbox:
        env["BANK_DATABASE_URL"] = config.bank_database_url or \
            f"sqlite:///{config.log_dir / f'sandbox-bank-{config.bank_port}.sqlite3'}"
    return env


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise StackError(f"{url} exited with code {process.returncode}; log {log}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise StackError(f"{url} did not answer within {STARTUP_TIMEOUT_S:.0f} s; see {log}")


@dataclass
class Stack:
    """The running processes; use as a context manager or call `start` and `stop`."""

    config: StackConfig = field(default_factory=StackConfig)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    # Where the gateway keeps its state (set by ``start``).
    gateway_redis_url: str | None = None
    # The processes' environment (set by ``start``).
    _env: dict[str, str] = field(default_factory=dict)

    def start(self) -> Stack:
        """Starts the sandbox bank (unless a real one is configured), the action servers, the
        Rasa servers, then the gateway and the desk, and waits until all answer.

        Raises:
            StackError: the model is missing, a real bank has no API key, or a process did not
                come up.
        """
        config = self.config
        if not config.model.exists():
            raise StackError(f"No trained model at {config.model}; run `make train` first.")
        if not config.sandbox and not config.bank_api_key:
            raise StackError("BANK_URL is set but BANK_API_KEY is not: the bank needs its key.")
        # The sandbox gets a fresh random key per run; nothing secret is written anywhere.
        api_key = config.bank_api_key or secrets.token_urlsafe(24)
        config.log_dir.mkdir(parents=True, exist_ok=True)
        env = _environment(config, api_key)
        bin_dir = Path(sys.executable).parent
        bank_log = config.log_dir / f"sandbox-bank-{config.bank_port}.log"
        try:
            if config.sandbox:
                bank = self._spawn([sys.executable, "-m", "bankapi.sandbox", "--host", config.host,
                                    "--port", str(config.bank_port)], env, bank_log)
                _wait_until_up(f"{config.bank_base_url}/health", bank, bank_log)
            self._env = env
            # All start at once (Rasa takes the longest), then each is awaited.
            waits = []
            for port in config.actions_ports:
                log = config.log_dir / f"actions-{port}.log"
                process = self._spawn(
                    [str(bin_dir / "rasa"), "run", "actions", "--actions", "actions",
                     "--port", str(port)], env, log)
                waits.append((f"http://{config.host}:{port}/health", process, log))
            for port in config.rasa_ports:
                waits.append((f"http://{config.host}:{port}/status?token="
                              f"{config.rasa_api_token}", self.spawn_rasa(port),
                              config.log_dir / f"rasa-{port}.log"))
            for url, process, log in waits:
                _wait_until_up(url, process, log)
            if config.gateway_port is not None:
                self._start_gateway(env)
        except BaseException:
            self.stop()
            raise
        return self

    def spawn_rasa(self, port: int) -> subprocess.Popen[bytes]:
        """A Rasa server of the stack on ``port``: the stack's own, or one more beside it with
        the same endpoints and channels (so the same stores and action server); stopped with
        the stack.  Call after ``start`` has begun (it holds the environment)."""
        config = self.config
        return self._spawn(
            [str(Path(sys.executable).parent / "rasa"), "run", "--enable-api",
             "--interface", config.host, "--port", str(port), "--model", str(config.model),
             "--endpoints", str(_endpoints_file(config, port)),
             "--credentials", str(_credentials_file(config, port)),
             # Rasa's HTTP API (trackers, trigger_intent) only for who holds this token.
             f"--auth-token={config.rasa_api_token}"],
            {**self._env, "SANIC_REQUEST_MAX_SIZE": str(RASA_MAX_BODY_BYTES)},
            config.log_dir / f"rasa-{port}.log")

    def _start_gateway(self, env: dict[str, str]) -> None:
        """The gateway, on the Redis it needs (see the module docstring for which)."""
        config = self.config
        url = config.redis_url or "redis://127.0.0.1:6379/0"
        if not _redis_up(url):
            if config.redis_url or shutil.which("redis-server") is None:
                raise StackError(f"The gateway needs Redis and none answers at {url}; start "
                                 "one (`redis-server`) or set REDIS_URL.")
            port = _free_port(config.host)
            log = config.log_dir / f"redis-{port}.log"
            self._spawn(["redis-server", "--bind", config.host, "--port", str(port),
                         "--save", "", "--appendonly", "no"], env, log)
            url = f"redis://{config.host}:{port}/0"
            deadline = time.monotonic() + 10
            while not _redis_up(url):
                if time.monotonic() > deadline:
                    raise StackError(f"redis-server did not start; see {log}")
                time.sleep(0.1)
        self.gateway_redis_url = url
        log = config.log_dir / f"gateway-{config.gateway_port}.log"
        gateway = self._spawn([sys.executable, "-m", "bot"], {
            **env, "REDIS_URL": url, "RASA_URLS": ",".join(config.rasa_urls),
            "GATEWAY_HOST": config.host, "GATEWAY_PORT": str(config.gateway_port),
            "WEB_CHAT_SECRET": config.web_secret, **dict(config.gateway_env)}, log)
        _wait_until_up(f"{config.gateway_url}/health", gateway, log)
        if config.desk_port is not None:
            self._start_desk({**env, "REDIS_URL": url})

    def _start_desk(self, env: dict[str, str]) -> None:
        """The agent desk, with the demo accounts seeded (``DEMO_AGENTS``)."""
        config = self.config
        for username, name, role, languages, skills in DEMO_AGENTS:
            subprocess.run(
                [sys.executable, "-m", "desk", "add-agent", username, "--name", name,
                 "--role", role, "--languages", languages, "--skills", skills,
                 "--capacity", "5"],
                cwd=ROOT, env={**env, "DESK_PASSWORD": config.desk_demo_password}, check=True,
                stdout=subprocess.DEVNULL)
        log = config.log_dir / f"desk-{config.desk_port}.log"
        desk = self._spawn([sys.executable, "-m", "desk", "serve"], {
            **env, "DESK_HOST": config.host, "DESK_PORT": str(config.desk_port)}, log)
        _wait_until_up(f"{config.desk_url}/health", desk, log)

    def _spawn(self, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        handle = log.open("wb")
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        self.processes.append(process)
        return process

    def stop(self) -> None:
        """Stops every process of the stack, forcefully after 10 s."""
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
