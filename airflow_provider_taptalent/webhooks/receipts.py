"""The webhook receipts table in Airflow's metadata database: create it, prune it, drop it.

    python -m airflow_provider_taptalent.webhooks.receipts create          # once, before deliveries arrive
    python -m airflow_provider_taptalent.webhooks.receipts prune [--days 7]
    python -m airflow_provider_taptalent.webhooks.receipts drop            # after airflow db reset

Run it where Airflow's configuration is (the API server's), as the database user that may CREATE. Each
command is idempotent. Airflow's own commands leave the table alone: ``airflow db migrate`` and
``airflow db clean`` neither change nor prune it, and ``airflow db reset`` keeps it (and its receipts,
which then name deliveries whose Asset events are gone: drop and create it after a reset).
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from airflow_provider_taptalent.webhooks.recorders import (
    DEDUPE_WINDOW,
    RECEIPTS_TABLE,
    create_receipts_table,
    prune_receipts,
    receipts_table,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_taptalent.webhooks.receipts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command = parser.add_subparsers(dest="command", required=True)
    command.add_parser("create", help="create the table unless it exists")
    prune = command.add_parser("prune", help="delete receipts older than --days")
    prune.add_argument("--days", type=float, default=DEDUPE_WINDOW.days, help="default: %(default)s")
    command.add_parser("drop", help="drop the table (deliveries are then refused until it is created)")
    args = parser.parse_args(argv)
    if args.command == "prune" and not args.days > 0:
        parser.error(f"--days must be more than 0, not {args.days}")

    from airflow_provider_taptalent._compat import metadata_session

    with metadata_session()() as session:
        bind = session.get_bind()
    if args.command == "create":
        made = create_receipts_table(bind)
        print(f"{RECEIPTS_TABLE}: {'created' if made else 'already there'}")
    elif args.command == "prune":
        print(f"{RECEIPTS_TABLE}: {prune_receipts(bind, timedelta(days=args.days))} receipt(s) deleted")
    else:
        receipts_table().drop(bind=bind, checkfirst=True)
        print(f"{RECEIPTS_TABLE}: dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
