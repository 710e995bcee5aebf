"""python -m zoom_emulator --port 8765 --webhook-url http://127.0.0.1:8000/zoom/webhook/

Every flag also reads an environment variable (ZOOM_EMULATOR_<FLAG>, e.g. ZOOM_EMULATOR_WEBHOOK_URL).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from typing import Any

from .config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REDIRECT_URIS,
    DEFAULT_WEBHOOK_SECRET_TOKEN,
    PLANS,
    Config,
    ConfigError,
)
from .core import Emulator
from .seed import ACCOUNT_ID, ACCOUNT_NAME, ADMIN_EMAIL, USER_PASSWORD
from .server import EmulatorServer, http_sender


def _env(name: str, default: Any = None) -> Any:
    return os.environ.get(f"ZOOM_EMULATOR_{name}", default)


def _duration(text: str) -> int:
    """Seconds, or a number with s / m / h / d / y (90d, 15y)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}
    text = str(text).strip().lower()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(float(text))


def _rate_limits(text: str) -> dict[str, int]:
    """light=30,medium=20,heavy=10"""
    limits = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        limits[key.strip().lower()] = int(value)
    return limits


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m zoom_emulator",
        description="A local Zoom for e2RPRO.",
        epilog="Each flag also reads ZOOM_EMULATOR_<FLAG> (e.g. ZOOM_EMULATOR_WEBHOOK_URL); "
        "ZOOM_EMULATOR_FAULTS is a JSON list and ZOOM_EMULATOR_REDIRECT_URIS is comma-separated.",
    )
    parser.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(_env("PORT", 8765)))
    parser.add_argument(
        "--base-url", default=_env("BASE_URL"), help="public origin (default http://HOST:PORT)"
    )
    parser.add_argument("--webhook-url", default=_env("WEBHOOK_URL"), help="where to POST webhooks")
    parser.add_argument("--client-id", default=_env("CLIENT_ID", DEFAULT_CLIENT_ID))
    parser.add_argument("--client-secret", default=_env("CLIENT_SECRET", DEFAULT_CLIENT_SECRET))
    parser.add_argument(
        "--webhook-secret-token", default=_env("WEBHOOK_SECRET_TOKEN", DEFAULT_WEBHOOK_SECRET_TOKEN)
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="allowed OAuth redirect URI (repeatable; default: the product's demo and test callbacks)",
    )
    parser.add_argument("--plan", choices=sorted(PLANS), default=_env("PLAN", "pro"))
    parser.add_argument(
        "--rate-limits", type=_rate_limits, default=_env("RATE_LIMITS"), help="light=30,medium=20,heavy=10"
    )
    parser.add_argument("--daily-limit", type=int, default=int(_env("DAILY_LIMIT", 100)))
    parser.add_argument(
        "--latency", type=float, default=float(_env("LATENCY", 0)), help="seconds added to API/OAuth answers"
    )
    parser.add_argument(
        "--error-rate", type=float, default=float(_env("ERROR_RATE", 0)), help="share of API 500/502/503"
    )
    parser.add_argument(
        "--timeout-rate", type=float, default=float(_env("TIMEOUT_RATE", 0)), help="share of API timeouts"
    )
    parser.add_argument("--fault", action="append", dest="faults", help="a fault rule as JSON (repeatable)")
    parser.add_argument("--timeout-seconds", type=float, default=float(_env("TIMEOUT_SECONDS", 30)))
    parser.add_argument(
        "--refresh-token-lifetime", type=_duration, default=_duration(_env("REFRESH_TOKEN_LIFETIME", "90d"))
    )
    parser.add_argument(
        "--access-token-lifetime", type=_duration, default=_duration(_env("ACCESS_TOKEN_LIFETIME", "3600"))
    )
    parser.add_argument(
        "--webhook-retry-schedule",
        default=_env("WEBHOOK_RETRY_SCHEDULE", "5,20,60"),
        help="seconds between webhook retries (Zoom: 5, 20 and 60 minutes)",
    )
    parser.add_argument(
        "--api-change-webhooks", action="store_true", default=bool(_env("API_CHANGE_WEBHOOKS"))
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
        webhook_secret_token=args.webhook_secret_token,
        redirect_uris=redirect_uris or list(DEFAULT_REDIRECT_URIS),
        base_url=base_url,
        api_url=base_url,
        webhook_url=args.webhook_url,
        plan=args.plan,
        daily_limit=args.daily_limit,
        latency=args.latency,
        timeout_seconds=args.timeout_seconds,
        refresh_token_lifetime=args.refresh_token_lifetime,
        access_token_lifetime=args.access_token_lifetime,
        webhook_retry_schedule=[float(s) for s in str(args.webhook_retry_schedule).split(",") if s.strip()],
        api_change_webhooks=args.api_change_webhooks,
        seed=int(args.seed) if args.seed is not None else None,
        record_requests=False,
    )
    options: dict[str, Any] = {"faults": faults}
    if args.rate_limits:
        options["rate_limits"] = (
            args.rate_limits if isinstance(args.rate_limits, dict) else _rate_limits(args.rate_limits)
        )
    if args.error_rate:
        options["error_rate"] = args.error_rate
    if args.timeout_rate:
        options["timeout_rate"] = args.timeout_rate
    config.update(**options)
    return config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except (ConfigError, ValueError) as exc:
        print(f"zoom_emulator: {exc}", file=sys.stderr)
        return 2
    emulator = Emulator(
        config, state_file=args.state_file, webhook_sender=http_sender(config.webhook_timeout)
    )
    server = EmulatorServer(emulator, host=args.host, port=args.port, quiet=not args.verbose)
    signal.signal(signal.SIGTERM, lambda *_: server.stopping.set())
    base = config.base_url
    print(f"Zoom emulator: {base}/  ({ACCOUNT_NAME}, account_id {ACCOUNT_ID})", flush=True)
    print(f"  Zoom admin login: {ADMIN_EMAIL} / {USER_PASSWORD}", flush=True)
    print(f"  OAuth {base}/oauth/authorize · API {base}/v2 · Marketplace {base}/marketplace", flush=True)
    print(f"  webhooks → {config.webhook_url or '(none: pass --webhook-url)'}", flush=True)
    if args.state_file:
        print(f"  state file: {args.state_file}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
