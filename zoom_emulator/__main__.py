"""python -m zoom_emulator --port 8765 --webhook-url http://127.0.0.1:8000/zoom/webhook/

Every flag also reads an environment variable (ZOOM_EMULATOR_<FLAG>, e.g. ZOOM_EMULATOR_WEBHOOK_URL).
"""

from __future__ import annotations

import argparse
import sys

from emulator_kit import cli
from emulator_kit.cli import DURATION_UNITS, parse_duration, parse_schedule

from .config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REDIRECT_URIS,
    DEFAULT_WEBHOOK_SECRET_TOKEN,
    PLANS,
    Config,
)
from .core import Emulator
from .seed import ACCOUNT_ID, ACCOUNT_NAME, ADMIN_EMAIL, USER_PASSWORD
from .server import EmulatorServer, http_sender

_env = cli.EnvFlags("ZOOM_EMULATOR")


def _duration(text: str) -> int:
    """Seconds, or a number with s / m / h / d / y (90d, 15y)."""
    return parse_duration(text, {**DURATION_UNITS, "y": 365 * 86400})


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
    cli.add_listen_arguments(parser, _env, port=8765)
    parser.add_argument("--webhook-url", default=_env("WEBHOOK_URL"), help="where to POST webhooks")
    cli.add_app_arguments(parser, _env, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
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
    cli.add_number_argument(parser, _env, "--latency", help="seconds added to API/OAuth answers")
    cli.add_number_argument(parser, _env, "--error-rate", help="share of API 500/502/503")
    cli.add_number_argument(parser, _env, "--timeout-rate", help="share of API timeouts")
    cli.add_fault_arguments(parser, _env)
    cli.add_duration_argument(parser, _env, "--refresh-token-lifetime", default="90d", parse=_duration)
    cli.add_duration_argument(parser, _env, "--access-token-lifetime", default="3600", parse=_duration)
    parser.add_argument(
        "--webhook-retry-schedule",
        default=_env("WEBHOOK_RETRY_SCHEDULE", "5,20,60"),
        help="seconds between webhook retries (Zoom: 5, 20 and 60 minutes)",
    )
    parser.add_argument(
        "--api-change-webhooks", action="store_true", default=bool(_env("API_CHANGE_WEBHOOKS"))
    )
    cli.add_state_arguments(parser, _env)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    base_url = cli.base_url(args)
    config = Config(
        client_id=args.client_id,
        client_secret=args.client_secret,
        webhook_secret_token=args.webhook_secret_token,
        redirect_uris=cli.redirect_uris(args, _env) or list(DEFAULT_REDIRECT_URIS),
        base_url=base_url,
        api_url=base_url,
        webhook_url=args.webhook_url,
        plan=args.plan,
        daily_limit=args.daily_limit,
        latency=args.latency,
        timeout_seconds=args.timeout_seconds,
        refresh_token_lifetime=args.refresh_token_lifetime,
        access_token_lifetime=args.access_token_lifetime,
        webhook_retry_schedule=parse_schedule(args.webhook_retry_schedule),
        api_change_webhooks=args.api_change_webhooks,
        seed=cli.seed(args),
        record_requests=False,
    )
    options = cli.fault_options(args, _env, ("error_rate", "timeout_rate"))
    if args.rate_limits:
        options["rate_limits"] = (
            args.rate_limits if isinstance(args.rate_limits, dict) else _rate_limits(args.rate_limits)
        )
    config.update(**options)
    return config


def main(argv: list[str] | None = None) -> int:
    return cli.run("zoom_emulator", build_parser().parse_args(argv), config_from_args, _start)


def _start(args: argparse.Namespace, config: Config) -> tuple[EmulatorServer, list[str]]:
    sender = http_sender(config.webhook_timeout)
    emulator = Emulator(config, state_file=args.state_file, webhook_sender=sender)
    base = config.base_url
    banner = [
        f"Zoom emulator: {base}/  ({ACCOUNT_NAME}, account_id {ACCOUNT_ID})",
        f"  Zoom admin login: {ADMIN_EMAIL} / {USER_PASSWORD}",
        f"  OAuth {base}/oauth/authorize · API {base}/v2 · Marketplace {base}/marketplace",
        f"  webhooks → {config.webhook_url or '(none: pass --webhook-url)'}",
    ]
    return EmulatorServer(emulator, **cli.server_options(args)), banner


if __name__ == "__main__":
    sys.exit(main())
