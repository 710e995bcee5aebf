"""python -m google_emulator --port 8767

Every flag also reads an environment variable (GOOGLE_EMULATOR_<FLAG>, e.g. GOOGLE_EMULATOR_PORT).
"""

from __future__ import annotations

import argparse
import sys

from emulator_kit import cli
from emulator_kit.cli import parse_schedule

from .config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URIS, Config
from .core import Emulator
from .seed import ADMIN_EMAIL, USER_PASSWORD, WORKSPACE
from .server import EmulatorServer, http_sender

_env = cli.EnvFlags("GOOGLE_EMULATOR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m google_emulator",
        description="A local Google OAuth 2.0 + Calendar API v3 (Meet, push notifications) for e2RPRO.",
        epilog="Each flag also reads GOOGLE_EMULATOR_<FLAG> (e.g. GOOGLE_EMULATOR_PORT); "
        "GOOGLE_EMULATOR_FAULTS is a JSON list and GOOGLE_EMULATOR_REDIRECT_URIS is comma-separated.",
    )
    cli.add_listen_arguments(parser, _env, port=8767)
    cli.add_app_arguments(parser, _env, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="allowed redirect URI (repeatable; default: the product's demo and test callbacks)",
    )
    parser.add_argument(
        "--user-quota",
        type=int,
        default=int(_env("USER_QUOTA", 0)),
        help="Calendar requests per user per window (0: no limit)",
    )
    parser.add_argument(
        "--project-quota",
        type=int,
        default=int(_env("PROJECT_QUOTA", 0)),
        help="Calendar requests per project per window (0: no limit)",
    )
    parser.add_argument("--quota-window", type=float, default=float(_env("QUOTA_WINDOW", 60)))
    parser.add_argument(
        "--user-quota-status",
        type=int,
        choices=(403, 429),
        default=int(_env("USER_QUOTA_STATUS", 403)),
        help="403 userRateLimitExceeded (default) or 429 rateLimitExceeded",
    )
    cli.add_number_argument(parser, _env, "--latency", help="seconds added to answers")
    cli.add_number_argument(parser, _env, "--error-rate", help="share of Calendar 5xx")
    cli.add_number_argument(parser, _env, "--timeout-rate")
    cli.add_number_argument(parser, _env, "--rate-limit-rate", help="share of 403 rateLimitExceeded")
    cli.add_fault_arguments(parser, _env)
    cli.add_duration_argument(parser, _env, "--access-token-lifetime", default="3600")
    cli.add_duration_argument(parser, _env, "--refresh-token-lifetime", default="0")
    cli.add_duration_argument(parser, _env, "--sync-token-lifetime", default="30d")
    parser.add_argument(
        "--notification-retry-schedule",
        default=_env("NOTIFICATION_RETRY_SCHEDULE", "1,2,4,8,16"),
        help="seconds between push-notification retries",
    )
    cli.add_state_arguments(parser, _env)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    base_url = cli.base_url(args)
    config = Config(
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=cli.redirect_uris(args, _env) or list(DEFAULT_REDIRECT_URIS),
        accounts_url=base_url,
        oauth2_url=base_url,
        api_url=base_url,
        meet_url=base_url,
        user_quota=args.user_quota,
        project_quota=args.project_quota,
        quota_window=args.quota_window,
        user_quota_status=args.user_quota_status,
        latency=args.latency,
        timeout_seconds=args.timeout_seconds,
        access_token_lifetime=args.access_token_lifetime,
        refresh_token_lifetime=args.refresh_token_lifetime,
        sync_token_lifetime=args.sync_token_lifetime,
        notification_retry_schedule=parse_schedule(args.notification_retry_schedule),
        seed=cli.seed(args),
        record_requests=False,
    )
    config.update(**cli.fault_options(args, _env, ("error_rate", "timeout_rate", "rate_limit_rate")))
    return config


def main(argv: list[str] | None = None) -> int:
    return cli.run("google_emulator", build_parser().parse_args(argv), config_from_args, _start)


def _start(args: argparse.Namespace, config: Config) -> tuple[EmulatorServer, list[str]]:
    emulator = Emulator(config, state_file=args.state_file)
    emulator.notification_sender = http_sender(lambda: emulator.config)
    base = config.accounts_url
    banner = [
        f"Google emulator: {base}/  ({WORKSPACE} Workspace)",
        f"  Workspace admin login: {ADMIN_EMAIL} / {USER_PASSWORD}",
        f"  OAuth {base}/o/oauth2/v2/auth · token {base}/token · Calendar {base}/calendar/v3",
        f"  app: client_id {config.client_id}",
    ]
    return EmulatorServer(emulator, **cli.server_options(args)), banner


if __name__ == "__main__":
    sys.exit(main())
