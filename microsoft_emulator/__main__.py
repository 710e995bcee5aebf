"""python -m microsoft_emulator --port 8766

Every flag also reads an environment variable (MICROSOFT_EMULATOR_<FLAG>, e.g. MICROSOFT_EMULATOR_PORT).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from typing import Any

from .config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URIS, Config, ConfigError
from .core import Emulator
from .seed import ADMIN_EMAIL, TENANT_ID, TENANT_NAME, USER_PASSWORD
from .server import EmulatorServer, http_sender


def _env(name: str, default: Any = None) -> Any:
    return os.environ.get(f"MICROSOFT_EMULATOR_{name}", default)


def _duration(text: str) -> int:
    """Seconds, or a number with s / m / h / d (90d)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = str(text).strip().lower()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(float(text))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m microsoft_emulator",
        description="A local Microsoft Entra ID + Graph for e2RPRO.",
        epilog="Each flag also reads MICROSOFT_EMULATOR_<FLAG> (e.g. MICROSOFT_EMULATOR_PORT); "
        "MICROSOFT_EMULATOR_FAULTS is a JSON list and MICROSOFT_EMULATOR_REDIRECT_URIS is comma-separated.",
    )
    parser.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(_env("PORT", 8766)))
    parser.add_argument(
        "--base-url", default=_env("BASE_URL"), help="public origin (default http://HOST:PORT)"
    )
    parser.add_argument("--client-id", default=_env("CLIENT_ID", DEFAULT_CLIENT_ID))
    parser.add_argument("--client-secret", default=_env("CLIENT_SECRET", DEFAULT_CLIENT_SECRET))
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="allowed redirect URI (repeatable; default: the product's demo and test callbacks)",
    )
    parser.add_argument(
        "--throttle-limit",
        type=int,
        default=int(_env("THROTTLE_LIMIT", 10_000)),
        help="requests per mailbox per window",
    )
    parser.add_argument("--throttle-window", type=float, default=float(_env("THROTTLE_WINDOW", 600)))
    parser.add_argument(
        "--latency", type=float, default=float(_env("LATENCY", 0)), help="seconds added to answers"
    )
    parser.add_argument(
        "--error-rate", type=float, default=float(_env("ERROR_RATE", 0)), help="share of Graph 5xx"
    )
    parser.add_argument("--timeout-rate", type=float, default=float(_env("TIMEOUT_RATE", 0)))
    parser.add_argument(
        "--throttle-rate", type=float, default=float(_env("THROTTLE_RATE", 0)), help="share of 429s"
    )
    parser.add_argument("--fault", action="append", dest="faults", help="a fault rule as JSON (repeatable)")
    parser.add_argument("--timeout-seconds", type=float, default=float(_env("TIMEOUT_SECONDS", 30)))
    parser.add_argument(
        "--access-token-lifetime", type=_duration, default=_duration(_env("ACCESS_TOKEN_LIFETIME", "3600"))
    )
    parser.add_argument(
        "--refresh-token-lifetime", type=_duration, default=_duration(_env("REFRESH_TOKEN_LIFETIME", "90d"))
    )
    parser.add_argument(
        "--notification-retry-schedule",
        default=_env("NOTIFICATION_RETRY_SCHEDULE", "5,20,60"),
        help="seconds between notification retries",
    )
    parser.add_argument("--state-file", default=_env("STATE_FILE"), help="keep state in this JSON file")
    parser.add_argument("--seed", type=int, default=_env("SEED"))
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    base_url = (args.base_url or f"http://{args.host}:{args.port}").rstrip("/")
    redirect_uris = args.redirect_uris or (
        [u.strip() for u in _env("REDIRECT_URIS").split(",") if u.strip()] if _env("REDIRECT_URIS") else None
    )
    faults = [json.loads(f) for f in (args.faults or [])]
    if not faults and _env("FAULTS"):
        faults = json.loads(_env("FAULTS"))
    config = Config(
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=redirect_uris or list(DEFAULT_REDIRECT_URIS),
        login_url=base_url,
        graph_url=base_url,
        teams_url=base_url,
        throttle_limit=args.throttle_limit,
        throttle_window=args.throttle_window,
        latency=args.latency,
        timeout_seconds=args.timeout_seconds,
        access_token_lifetime=args.access_token_lifetime,
        refresh_token_lifetime=args.refresh_token_lifetime,
        notification_retry_schedule=[
            float(s) for s in str(args.notification_retry_schedule).split(",") if s.strip()
        ],
        seed=int(args.seed) if args.seed is not None else None,
        record_requests=False,
    )
    options: dict[str, Any] = {"faults": faults}
    for name in ("error_rate", "timeout_rate", "throttle_rate"):
        if getattr(args, name):
            options[name] = getattr(args, name)
    config.update(**options)
    return config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except (ConfigError, ValueError) as exc:
        print(f"microsoft_emulator: {exc}", file=sys.stderr)
        return 2
    emulator = Emulator(config, state_file=args.state_file)
    emulator.notification_sender = http_sender(lambda: emulator.config)
    server = EmulatorServer(emulator, host=args.host, port=args.port, quiet=not args.verbose)
    signal.signal(signal.SIGTERM, lambda *_: server.stopping.set())
    base = config.login_url
    print(f"Microsoft emulator: {base}/  ({TENANT_NAME}, tenant {TENANT_ID})", flush=True)
    print(f"  Entra admin login: {ADMIN_EMAIL} / {USER_PASSWORD}", flush=True)
    print(f"  Entra {base}/{{tenant}}/oauth2/v2.0/… · Graph {base}/v1.0 · admin {base}/admin", flush=True)
    print(f"  app: client_id {config.client_id}", flush=True)
    if args.state_file:
        print(f"  state file: {args.state_file}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
