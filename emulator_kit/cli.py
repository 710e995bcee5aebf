"""Command-line plumbing of ``python -m <emulator>``: flags that default to ``<PREFIX>_<FLAG>`` environment
variables, the flags every emulator has (where to listen, the app registration, faults, latency, token
lifetimes, state file), and running the server until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

from .server import BaseEmulatorServer

DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class EnvFlags:
    """Reads the environment variable ``<prefix>_<NAME>`` (the default of flag --name)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, name: str, default: Any = None) -> Any:
        return os.environ.get(f"{self.prefix}_{name}", default)


def parse_duration(text: str, units: dict[str, int] = DURATION_UNITS) -> int:
    """Seconds, or a number with one of ``units`` (90d)."""
    text = str(text).strip().lower()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(float(text))


def parse_schedule(text: str) -> list[float]:
    """ "5,20,60" → [5.0, 20.0, 60.0] (retry delays)."""
    return [float(s) for s in str(text).split(",") if s.strip()]


def _env_name(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_").upper()


def add_number_argument(
    parser: argparse.ArgumentParser, env: EnvFlags, flag: str, *, default: float = 0, help: str | None = None
) -> None:
    """A float flag (``--error-rate``) whose default reads ``<PREFIX>_ERROR_RATE``."""
    parser.add_argument(flag, type=float, default=float(env(_env_name(flag), default)), help=help)


def add_duration_argument(
    parser: argparse.ArgumentParser,
    env: EnvFlags,
    flag: str,
    *,
    default: str,
    parse: Callable[[str], int] = parse_duration,
) -> None:
    """A duration flag (``--refresh-token-lifetime 90d``) whose default reads ``<PREFIX>_<FLAG>``."""
    parser.add_argument(flag, type=parse, default=parse(env(_env_name(flag), default)))


def add_listen_arguments(parser: argparse.ArgumentParser, env: EnvFlags, *, port: int) -> None:
    """--host, --port and --base-url (the public origin the emulator names in its answers)."""
    parser.add_argument("--host", default=env("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("PORT", port)))
    parser.add_argument(
        "--base-url", default=env("BASE_URL"), help="public origin (default http://HOST:PORT)"
    )


def add_app_arguments(
    parser: argparse.ArgumentParser, env: EnvFlags, *, client_id: str, client_secret: str
) -> None:
    """--client-id and --client-secret of the one app registration."""
    parser.add_argument("--client-id", default=env("CLIENT_ID", client_id))
    parser.add_argument("--client-secret", default=env("CLIENT_SECRET", client_secret))


def add_fault_arguments(parser: argparse.ArgumentParser, env: EnvFlags) -> None:
    """--fault (a rule as JSON, repeatable) and --timeout-seconds (how long a "timeout" fault holds)."""
    parser.add_argument("--fault", action="append", dest="faults", help="a fault rule as JSON (repeatable)")
    parser.add_argument("--timeout-seconds", type=float, default=float(env("TIMEOUT_SECONDS", 30)))


def add_state_arguments(parser: argparse.ArgumentParser, env: EnvFlags) -> None:
    """--state-file, --seed and --verbose."""
    parser.add_argument("--state-file", default=env("STATE_FILE"), help="keep state in this JSON file")
    parser.add_argument("--seed", type=int, default=env("SEED"))
    parser.add_argument("--verbose", action="store_true", help="log every request")


def base_url(args: argparse.Namespace) -> str:
    return (args.base_url or f"http://{args.host}:{args.port}").rstrip("/")


def redirect_uris(args: argparse.Namespace, env: EnvFlags) -> list[str] | None:
    """The --redirect-uri flags, else the comma-separated REDIRECT_URIS variable, else None."""
    return args.redirect_uris or (
        [u.strip() for u in env("REDIRECT_URIS").split(",") if u.strip()] if env("REDIRECT_URIS") else None
    )


def fault_options(args: argparse.Namespace, env: EnvFlags, shortcuts: Iterable[str] = ()) -> dict[str, Any]:
    """Config options from the --fault flags (else the FAULTS variable, a JSON list) and the shortcut rates
    (``error_rate``, ...) that were given."""
    faults = [json.loads(f) for f in (args.faults or [])]
    if not faults and env("FAULTS"):
        faults = json.loads(env("FAULTS"))
    options: dict[str, Any] = {"faults": faults}
    for name in shortcuts:
        if getattr(args, name):
            options[name] = getattr(args, name)
    return options


def seed(args: argparse.Namespace) -> int | None:
    return int(args.seed) if args.seed is not None else None


def run(
    prog: str,
    args: argparse.Namespace,
    config_from_args: Callable[[argparse.Namespace], Any],
    start: Callable[[argparse.Namespace, Any], tuple[BaseEmulatorServer, list[str]]],
) -> int:
    """The body of ``main()``: build the config (exit status 2 and the reason on stderr when it is invalid),
    ``start(args, config)`` → (server, banner lines), then serve until stopped."""
    try:
        config = config_from_args(args)
    except ValueError as exc:  # ConfigError is a ValueError
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    server, banner = start(args, config)
    if args.state_file:
        banner.append(f"  state file: {args.state_file}")
    return serve(server, banner)


def server_options(args: argparse.Namespace) -> dict[str, Any]:
    """host, port and quiet for the emulator's EmulatorServer."""
    return {"host": args.host, "port": args.port, "quiet": not args.verbose}


def serve(server: BaseEmulatorServer, banner: Iterable[str]) -> int:
    """Print the banner, then serve until SIGTERM or Ctrl-C (the state file is flushed on the way out)."""
    signal.signal(signal.SIGTERM, lambda *_: server.stopping.set())
    for line in banner:
        print(line, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0
