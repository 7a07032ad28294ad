"""How fast is the sandbox? Simple requests per second, and the time to accept a 5,000-URL upload.

The sandbox runs in its own process; the load comes from this one over keep-alive connections. Targets
(issue 3): at least 1,000 simple requests per second, and a 5,000-URL upload accepted in under 200 ms.
Run: ``make bench`` or ``python benchmarks/sandbox_throughput.py [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from benchmarks._common import sandbox_process, table


async def requests_per_second(root: str, key: str, seconds: float, concurrency: int, path: str) -> tuple[float, int]:
    """Keep-alive GETs over raw sockets: a full HTTP client in this process would saturate its own core
    long before the sandbox saturates its one, and measure itself instead."""
    host, port = root.removeprefix("http://").split(":")
    request = f"GET /v1/partner{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
    done, errors = 0, 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            )
            await reader.readexactly(length)
            done += 1
            errors += not head.startswith(b"HTTP/1.1 200")
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started), errors


def upload_latency(api: str, key: str, runs: int) -> list[float]:
    urls = [f"https://files.example/resumes/{n}.pdf" for n in range(5000)]
    timings = []
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as client:
        for _ in range(runs):
            started = time.perf_counter()
            response = client.post("/candidates/bulk/resume", json={"resumeURLs": urls})
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with sandbox_process() as (root, key):
        api = f"{root}/v1/partner"
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as client:
            job_id = client.post(
                "/jobs", json={"title": "Benchmark role", "city": "Berlin", "state": "BE", "country": "DE"}
            ).json()["id"]
        rows = []
        for path in ("/jobs", f"/jobs/{job_id}"):
            rate, errors = asyncio.run(requests_per_second(root, key, args.seconds, args.concurrency, path))
            rows.append((f"GET {path.replace(str(job_id), '{id}')}", rate, errors, ">= 1,000"))
        timings = upload_latency(api, key, 10)
    print(
        table(
            f"Sandbox: simple requests per second (own process, {args.concurrency} keep-alive connections)",
            ("request", "req/s", "errors", "target"),
            rows,
        )
    )
    print()
    print(
        table(
            "Sandbox: accepting one 5,000-URL bulk upload (10 runs)",
            ("statistic", "ms", "target"),
            [("median", statistics.median(timings), "< 200"), ("max", max(timings), "")],
        )
    )


if __name__ == "__main__":
    main()
