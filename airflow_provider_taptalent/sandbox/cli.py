"""``taptalent-sandbox`` / ``python -m airflow_provider_taptalent.sandbox``: serve the sandbox on 127.0.0.1."""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import sys
from collections.abc import MutableMapping, Sequence

from airflow_provider_taptalent.sandbox.config import Faults, SandboxConfig, WebhookSettings
from airflow_provider_taptalent.sandbox.history import History
from airflow_provider_taptalent.sandbox.people import KEY_FORMAT

#: idle keep-alive connections are kept this long, as HTTP APIs behind common load balancers do (60 s+);
#: uvicorn's own default (5 s) would close a polling client's connection before each poll
KEEP_ALIVE_SECONDS = 65


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="taptalent-sandbox",
        description="A local emulator of the TapTalent Partner API, for developing and testing DAGs.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than loopback: anyone who reaches it can steer the sandbox (no key needed)",
    )
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--seed", type=int, default=0, help="fixes the API keys, synthetic people and faults")
    p.add_argument("--batch-seconds", type=float, default=5.0, help="time a bulk upload takes to finish")
    p.add_argument("--batch-limit", type=int, default=5000, help="most resume URLs per upload (default 5000)")
    p.add_argument("--rate-limit", type=_rate, default=None, metavar="N/s", help="requests per second per company")
    p.add_argument(
        "--api-key", action="append", default=[], type=_keyed, metavar="KEY[:COMPANY]", help="accept another key"
    )
    p.add_argument("--inactive-key", action="append", default=[], type=_key, metavar="KEY", help="a key answering 403")
    p.add_argument("--webhook-url", help="where batch events are POSTed")
    p.add_argument("--webhook-key", help="sent as X-Webhook-Key")
    p.add_argument("--webhook-duplicates", type=float, default=0.0, help="share of deliveries sent twice")
    p.add_argument("--webhook-reorder-seconds", type=float, default=0.0, help="random hold-up per delivery")
    p.add_argument("--fault-rate-5xx", type=float, default=0.0, help="share of API calls answered 5xx")
    p.add_argument("--fault-rate-429", type=float, default=0.0, help="share of API calls answered 429")
    p.add_argument(
        "--fault-rate-drop", type=float, default=0.0, help="share of calls whose connection drops after the change"
    )
    p.add_argument("--latency-ms", type=float, default=0.0, help="added latency per API call")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="random +/- on the latency")
    p.add_argument("--history-days", type=int, default=0, help="days of past jobs and candidates per company")
    p.add_argument("--history-jobs-per-day", type=int, default=4, help="jobs made on each past day (default 4)")
    p.add_argument(
        "--history-candidates-per-day", type=int, default=20, help="candidates who applied each past day (20)"
    )
    p.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    return p


def _key(text: str) -> str:
    """A key in the format the provider accepts (SPEC §2), so that no sandbox key is one a client refuses."""
    if not KEY_FORMAT.match(text):
        raise argparse.ArgumentTypeError("a sandbox key is sk_test_ and 22 letters or digits (SPEC §2)")
    return text


def _keyed(text: str) -> str:
    key, _, company = text.partition(":")
    _key(key)
    if company and not company.isdigit():
        raise argparse.ArgumentTypeError(f"the company after the key must be a number, not {company!r}")
    return text


def _rate(text: str) -> float:
    value = float(text.removesuffix("/s"))
    if value <= 0:
        raise argparse.ArgumentTypeError("the rate limit must be positive")
    return value


def config_from(args: argparse.Namespace) -> SandboxConfig:
    keys = {}
    for entry in args.api_key:
        key, _, company = entry.partition(":")
        keys[key] = int(company or 1)
    return SandboxConfig(
        seed=args.seed,
        batch_seconds=args.batch_seconds,
        batch_limit=args.batch_limit,
        rate_limit=args.rate_limit,
        api_keys=keys,
        inactive_keys=list(args.inactive_key),
        history=History(args.history_days, args.history_jobs_per_day, args.history_candidates_per_day),
        faults=Faults(
            rate_5xx=args.fault_rate_5xx,
            rate_429=args.fault_rate_429,
            rate_drop=args.fault_rate_drop,
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            seed=args.seed,
        ),
        webhooks=WebhookSettings(
            url=args.webhook_url,
            key=args.webhook_key,
            duplicate_rate=args.webhook_duplicates,
            reorder_seconds=args.webhook_reorder_seconds,
        ),
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def keep_loopback_off_proxies(environ: MutableMapping[str, str]) -> None:
    """Add the loopback hosts to ``NO_PROXY`` (both spellings), so that this process and its children
    reach a local sandbox directly whatever proxy the environment names (for package registries, say)."""
    for name in ("NO_PROXY", "no_proxy"):
        environ[name] = ",".join(filter(None, [environ.get(name), *LOOPBACK_HOSTS]))


def banner(host: str, port: int, api_key: str) -> str:
    root = f"http://{host}:{port}"
    conn = json.dumps({"conn_type": "taptalent", "password": api_key, "host": root})
    return (
        f"TapTalent sandbox on {root}\n"
        f"  API base URL  {root}/v1/partner\n"
        f"  API key       {api_key}\n"
        f"  Control API   {root}/__sandbox  (docs at {root}/__sandbox/docs)\n"
        "Point Airflow at it:\n"
        f"  export AIRFLOW_CONN_TAPTALENT_DEFAULT='{conn}'\n"
    )


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    from airflow_provider_taptalent.sandbox.app import create_app

    cli = parser()
    args = cli.parse_args(argv)
    if not args.allow_remote and not is_loopback(args.host):
        cli.error(
            f"--host {args.host} is reachable from other machines, and the sandbox's control API needs no key: "
            "add --allow-remote if that is what you want"
        )
    port = args.port or free_port(args.host)
    app = create_app(config_from(args))
    print(banner(args.host, port, app.sandbox.primary_key), flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=port,
        log_level=args.log_level,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        date_header=False,  # the sandbox dates its own answers (sandbox/faults.py)
    )
    sys.exit(0)
