"""python -m microsoft_emulator --port 8766

Every flag also reads an environment variable (MICROSOFT_EMULATOR_<FLAG>, e.g. MICROSOFT_EMULATOR_PORT).
"""

from __future__ import annotations

import argparse
import sys

from emulator_kit import cli
from emulator_kit.cli import parse_schedule

from .config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URIS, Config
from .core import Emulator
from .seed import ADMIN_EMAIL, TENANT_ID, TENANT_NAME, USER_PASSWORD
from .server import EmulatorServer, http_sender

_env = cli.EnvFlags("MICROSOFT_EMULATOR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m microsoft_emulator",
        description="A local Microsoft Entra ID + Graph for e2RPRO.",
        epilog="Each flag also reads MICROSOFT_EMULATOR_<FLAG> (e.g. MICROSOFT_EMULATOR_PORT); "
        "MICROSOFT_EMULATOR_FAULTS is a JSON list and MICROSOFT_EMULATOR_REDIRECT_URIS is comma-separated.",
    )
    cli.add_listen_arguments(parser, _env, port=8766)
    cli.add_app_arguments(parser, _env, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
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
    cli.add_number_argument(parser, _env, "--latency", help="seconds added to answers")
    cli.add_number_argument(parser, _env, "--error-rate", help="share of Graph 5xx")
    cli.add_number_argument(parser, _env, "--timeout-rate")
    cli.add_number_argument(parser, _env, "--throttle-rate", help="share of 429s")
    cli.add_fault_arguments(parser, _env)
    cli.add_duration_argument(parser, _env, "--access-token-lifetime", default="3600")
    cli.add_duration_argument(parser, _env, "--refresh-token-lifetime", default="90d")
    parser.add_argument(
        "--notification-retry-schedule",
        default=_env("NOTIFICATION_RETRY_SCHEDULE", "5,20,60"),
        help="seconds between notification retries",
    )
    cli.add_state_arguments(parser, _env)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    base_url = cli.base_url(args)
    config = Config(
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=cli.redirect_uris(args, _env) or list(DEFAULT_REDIRECT_URIS),
        login_url=base_url,
        graph_url=base_url,
        teams_url=base_url,
        throttle_limit=args.throttle_limit,
        throttle_window=args.throttle_window,
        latency=args.latency,
        timeout_seconds=args.timeout_seconds,
        access_token_lifetime=args.access_token_lifetime,
        refresh_token_lifetime=args.refresh_token_lifetime,
        notification_retry_schedule=parse_schedule(args.notification_retry_schedule),
        seed=cli.seed(args),
        record_requests=False,
    )
    config.update(**cli.fault_options(args, _env, ("error_rate", "timeout_rate", "throttle_rate")))
    return config


def main(argv: list[str] | None = None) -> int:
    return cli.run("microsoft_emulator", build_parser().parse_args(argv), config_from_args, _start)


def _start(args: argparse.Namespace, config: Config) -> tuple[EmulatorServer, list[str]]:
    emulator = Emulator(config, state_file=args.state_file)
    emulator.notification_sender = http_sender(lambda: emulator.config)
    base = config.login_url
    banner = [
        f"Microsoft emulator: {base}/  ({TENANT_NAME}, tenant {TENANT_ID})",
        f"  Entra admin login: {ADMIN_EMAIL} / {USER_PASSWORD}",
        f"  Entra {base}/{{tenant}}/oauth2/v2.0/… · Graph {base}/v1.0 · admin {base}/admin",
        f"  app: client_id {config.client_id}",
    ]
    return EmulatorServer(emulator, **cli.server_options(args)), banner


if __name__ == "__main__":
    sys.exit(main())
