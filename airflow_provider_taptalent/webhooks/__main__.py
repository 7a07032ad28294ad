"""Run the webhook receiver on its own (Airflow 2.11, or any setup where the API server cannot host it).

    python -m airflow_provider_taptalent.webhooks --port 8081 --airflow-url http://localhost:8080 \\
        --airflow-user admin --airflow-password "$AIRFLOW_PASSWORD"

It serves ``POST /taptalent/webhooks/<conn_id>`` and records Dataset events through Airflow's REST API
(enable the basic-auth API backend). Put it behind your HTTPS proxy: TapTalent only calls HTTPS URLs.
The connection's webhook_key is read from Airflow's metadata DB or secrets backend, so run it with the
same Airflow configuration as your webserver.
"""

from __future__ import annotations

import argparse
import os

from fastapi import FastAPI

from airflow_provider_taptalent.webhooks.app import create_app
from airflow_provider_taptalent.webhooks.plugin import URL_PREFIX
from airflow_provider_taptalent.webhooks.recorders import RestApiRecorder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--airflow-url", default=os.environ.get("AIRFLOW_URL", "http://localhost:8080"))
    parser.add_argument("--airflow-user", default=os.environ.get("AIRFLOW_API_USER"))
    parser.add_argument("--airflow-password", default=os.environ.get("AIRFLOW_API_PASSWORD"))
    parser.add_argument("--airflow-token", default=os.environ.get("AIRFLOW_API_TOKEN"), help="instead of user/password")
    args = parser.parse_args()
    if not args.airflow_token and not (args.airflow_user and args.airflow_password):
        parser.error(
            "give --airflow-token, or --airflow-user and --airflow-password (or their AIRFLOW_API_* variables)"
        )
    auth = args.airflow_token or (args.airflow_user, args.airflow_password)
    root = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    root.mount(URL_PREFIX, create_app(recorder=RestApiRecorder(args.airflow_url, auth)))

    import uvicorn

    uvicorn.run(root, host=args.host, port=args.port, access_log=False)


main()
